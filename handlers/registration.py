"""``/daftar`` (``/register``) signs a participant up for an event; ``/batal_daftar`` (``/unregister``) cancels.

State diagram of ``/daftar`` (coordinators and admins)::

    /daftar ─► EVENT [open events before their deadline] ─► FIND [name or NIK | "Peserta baru"]
      found ─► (age + duplicate check) ─► EXISTING [Konfirmasi] ─► END
      new   ─► NAME ─► NIK ─► NIK_OK [Benar | Perbaiki NIK] ─► PHONE [text | Lewati] ─► ADDRESS (RT/RW)
            ─► EDUCATION [buttons] ─► WORK [buttons] ─► CONSENT [Ya | Tidak] ─► SUMMARY [edit | Konfirmasi] ─► END
    a NIK that is already a participant of the kelurahan ─► reused: EXISTING, offering to update phone/address
    (then PHONE ─► ADDRESS ─► EXISTING); consent "Tidak" ─► END, nothing stored; age outside the event's
    limits (on the event date) or already registered ─► said clearly, END.
    Every bad answer: a specific message and the same question again; text where buttons are expected and
    stickers/photos get a notice and the question again. ``ev:reg:<event>`` (event details) starts at FIND.

Decisions
---------
- The form requires a NIK: the date of birth and sex are derived from it (offered for confirmation) and the age
  check needs them. The column is nullable only for erased participants.
- A NIK held by a participant of another kelurahan is refused ("contact the admin"), so no kelurahan learns
  another's participants; the coordinator can type a different NIK.
- The NIK and phone appear in full only in the summary to the coordinator entering them; everywhere else masked.
- Seats are taken in one ``db.transaction()`` (see :mod:`storage.events`): the last seat goes to one
  coordinator, the other participant is waitlisted and told their position.
- Linked participants (``participants.person_id``, a ``people`` row holding the ``participant`` role, linked
  through the coordinator's invite, see :mod:`handlers.participant_link`) may cancel their own registrations
  with ``/batal_daftar`` or ``/acara``; the first waiting person moves up and the coordinators are told.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot import clock
from bot.commands import CommandSpec
from bot.events import EDUCATION, WORK_STATUS, EventFormError, check_age, parse_rt_rw
from bot.parsing.errors import NikError, PhoneError
from bot.parsing.nik import parse_nik
from bot.parsing.phone import normalize_phone
from bot.roles import Role
from handlers.common import Context, Who, answer_callback, app_of, button, guarded, keyboard, notify_person, send
from handlers.events import STAFF, can_manage, int_or_none, tz_of, visible_event
from handlers.feature import FeatureHandlers
from handlers.forms import current_form, data, end_form, new_form, pattern, read_button
from handlers.invites import NAME_MAX, clean_name
from messages import label
from storage import audit, events, people
from storage.events import Event, Participant

REGISTER = CommandSpec("daftar", "register", STAFF)
#: a linked participant (Role.PARTICIPANT) cancels their own registrations with it
UNREGISTER = CommandSpec("batal_daftar", "unregister", STAFF | {Role.PARTICIPANT})
COMMANDS = (REGISTER, UNREGISTER)
KIND = "daftar"
NEW_STEPS = ("name", "nik", "nik_ok", "phone", "address", "education", "work", "consent")


class S(StrEnum):
    EVENT = "daftar.event"
    FIND = "daftar.find"
    NAME = "daftar.name"
    NIK = "daftar.nik"
    NIK_OK = "daftar.nik_ok"
    PHONE = "daftar.phone"
    ADDRESS = "daftar.address"
    EDUCATION = "daftar.education"
    WORK = "daftar.work"
    CONSENT = "daftar.consent"
    SUMMARY = "daftar.summary"
    EXISTING = "daftar.existing"


_STATE = {"event": S.EVENT, "find": S.FIND, "name": S.NAME, "nik": S.NIK, "nik_ok": S.NIK_OK, "phone": S.PHONE,
          "address": S.ADDRESS, "education": S.EDUCATION, "work": S.WORK, "consent": S.CONSENT}


def _missing(form: dict) -> str | None:
    if "event_id" not in form:
        return "event"
    if "mode" not in form:
        return "find"
    steps = NEW_STEPS if form["mode"] == "new" else (("phone", "address") if form.get("update") else ())
    return next((s for s in steps if s not in form), None)


async def _event(context: Context, who: Who, form: dict) -> Event | None:
    event = await visible_event(context, who, form["event_id"])
    return event if event is not None and event.registration_open(clock.utcnow()) else None


async def ask_next(update: Update, context: Context, who: Who, form: dict) -> str | int:
    step = _missing(form)
    lang = who.lang
    if step == "event":
        found = await events.registrable_events(app_of(context).db, who.kelurahan or "", clock.utcnow())
        if not found:
            end_form(context)
            await send(update, context, who, "registration/no_events")
            return ConversationHandler.END
        rows = [[(e.title[:50], data(KIND, form, "event", e.id))] for e in found]
        await send(update, context, who, "registration/ask", step=step, reply_markup=keyboard(rows))
        return S.EVENT
    event = await _event(context, who, form)
    if event is None:
        end_form(context)
        await send(update, context, who, "registration/event_closed")
        return ConversationHandler.END
    if step is None:
        return await (show_summary if form["mode"] == "new" else show_existing)(update, context, who, form, event)
    markup = None
    if step == "find":
        markup = keyboard([[button("registration.new", lang, data(KIND, form, "new"))]])
    elif step == "nik_ok":
        return await show_nik(update, context, who, form)
    elif step == "phone" or (step == "address" and form.get("update")):
        markup = keyboard([[button("skip", lang, data(KIND, form, "skip"))]])
    elif step == "education":
        markup = keyboard([[button(f"registration.edu_{e}", lang, data(KIND, form, "edu", e)) for e in EDUCATION[:3]],
                           [button(f"registration.edu_{e}", lang, data(KIND, form, "edu", e)) for e in EDUCATION[3:]]])
    elif step == "work":
        markup = keyboard([[button(f"registration.work_{w}", lang, data(KIND, form, "work", w))] for w in WORK_STATUS])
    elif step == "consent":
        markup = keyboard([[button("yes", lang, data(KIND, form, "consent", "yes")),
                            button("no", lang, data(KIND, form, "consent", "no"))]])
    await send(update, context, who, "registration/ask", step=step, event=event, name=form.get("name", ""),
               max_name=NAME_MAX, updating=bool(form.get("update")), reply_markup=markup)
    return _STATE[step]


async def show_nik(update: Update, context: Context, who: Who, form: dict) -> str:
    info = parse_nik(form["nik"], clock.local_today(tz_of(context)))
    markup = keyboard([[button("registration.nik_right", who.lang, data(KIND, form, "nikok")),
                        button("registration.nik_fix", who.lang, data(KIND, form, "nikfix"))]])
    await send(update, context, who, "registration/nik_check", nik=info.nik, birth_date=info.birth_date,
               sex=info.sex, regency_known=info.regency_known, regency=info.regency_name,
               province=info.province_name, regency_code=info.regency_code, reply_markup=markup)
    return S.NIK_OK


async def show_summary(update: Update, context: Context, who: Who, form: dict, event: Event) -> str:
    rows = [[button(f"registration.edit_{f}", who.lang, data(KIND, form, "edit", f))]
            for f in ("name", "nik", "phone", "address", "education", "work")]
    rows.append([button("confirm", who.lang, data(KIND, form, "confirm"))])
    await send(update, context, who, "registration/summary", event=event, form=form,
               birth_date=date.fromisoformat(form["birth_date"]), reply_markup=keyboard(rows))
    return S.SUMMARY


async def show_existing(update: Update, context: Context, who: Who, form: dict, event: Event) -> str | int:
    db = app_of(context).db
    participant = await events.get_participant(db, form["participant_id"])
    assert participant is not None
    refusal = await _refusal(update, context, who, event, participant.birth_date, participant.id)
    if refusal is not None:
        return refusal
    rows = []
    if not form.get("update"):
        rows.append([button("registration.update_contact", who.lang, data(KIND, form, "update"))])
    rows.append([button("confirm", who.lang, data(KIND, form, "confirm"))])
    await send(update, context, who, "registration/existing", event=event, participant=participant,
               reused_nik=form.get("reused_nik", False), new_phone=form.get("phone"),
               new_address=form.get("address"), updating=bool(form.get("update")), reply_markup=keyboard(rows))
    return S.EXISTING


async def _refusal(update: Update, context: Context, who: Who, event: Event, birth_date: date | None,
                   participant_id: int | None) -> int | None:
    """Age outside the event's limits, or already registered: say so, end the form (nothing stored)."""
    if birth_date is not None and (event.min_age is not None or event.max_age is not None):
        checked = check_age(birth_date, event.day(tz_of(context)), event.min_age, event.max_age)
        if not checked.ok:
            end_form(context)
            await send(update, context, who, "registration/age_refused", event=event, age=checked.age)
            return ConversationHandler.END
    if participant_id is not None:
        existing = await events.registration_for(app_of(context).db, event.id, participant_id)
        if existing is not None and existing.status != "cancelled":
            end_form(context)
            await send(update, context, who, "registration/duplicate", event=event, registration=existing)
            return ConversationHandler.END
    return None


@guarded(REGISTER)
async def begin(update: Update, context: Context, who: Who) -> str | int:
    return await ask_next(update, context, who, new_form(context, KIND))


@guarded(REGISTER)
async def begin_for_event(update: Update, context: Context, who: Who) -> str | int | None:
    query = update.callback_query
    assert query is not None and query.data is not None
    event = await visible_event(context, who, int_or_none(query.data.split(":")[2]) or 0)
    if event is None or not event.registration_open(clock.utcnow()):
        await answer_callback(update, who, "registration/event_closed", alert=True)
        return None
    await query.answer()
    return await ask_next(update, context, who, new_form(context, KIND, event_id=event.id))


@guarded(REGISTER)
async def typed(update: Update, context: Context, who: Who) -> str | int:
    form = current_form(context, KIND)
    if form is None:
        return await ask_next(update, context, who, new_form(context, KIND))
    assert update.message is not None
    text = update.message.text or ""
    step = _missing(form)
    try:
        if step == "find":
            return await search(update, context, who, form, text)
        if step == "name":
            name = clean_name(text)
            if name is None:
                raise EventFormError("name_invalid", max=NAME_MAX)
            form["name"] = name
        elif step == "nik":
            return await nik_typed(update, context, who, form, text)
        elif step == "phone":
            form["phone"] = normalize_phone(text)
        elif step == "address":
            form["address"] = parse_rt_rw(text)
        else:
            await send(update, context, who, "common/use_buttons")
    except (EventFormError, PhoneError) as exc:
        await send(update, context, who, "registration/invalid", code=exc.code, error=type(exc).__name__,
                   max_name=NAME_MAX, **exc.params)
    return await ask_next(update, context, who, form)


async def search(update: Update, context: Context, who: Who, form: dict, text: str) -> str | int:
    found = await events.search_participants(app_of(context).db, who.kelurahan or "", text)
    if len(text.strip()) < 2:
        await send(update, context, who, "registration/invalid", code="search_short", error="EventFormError",
                   max_name=NAME_MAX)
        return await ask_next(update, context, who, form)
    from messages import environment

    mask = environment().filters["mask_nik"]
    rows = [[(label("registration.pick_button", who.lang, name=p.name[:35], nik=mask(p.nik)),
              data(KIND, form, "pick", p.id))] for p in found]
    rows.append([button("registration.new", who.lang, data(KIND, form, "new"))])
    await send(update, context, who, "registration/search_results", query=text.strip()[:40], found=found,
               reply_markup=keyboard(rows))
    return S.FIND


async def nik_typed(update: Update, context: Context, who: Who, form: dict, text: str) -> str | int:
    tz = tz_of(context)
    try:
        info = parse_nik(text, clock.local_today(tz))
    except NikError as exc:
        await send(update, context, who, "registration/invalid", code=f"nik_{exc.code}", error="NikError",
                   max_name=NAME_MAX, **exc.params)
        return await ask_next(update, context, who, form)
    existing = await events.participant_by_nik(app_of(context).db, info.nik)
    if existing is not None and (existing.kelurahan_code != who.kelurahan or existing.erased):
        await send(update, context, who, "registration/invalid", code="nik_elsewhere", error="EventFormError",
                   max_name=NAME_MAX)
        return await ask_next(update, context, who, form)
    if existing is not None:
        for key in NEW_STEPS:
            form.pop(key, None)
        form.update(mode="existing", participant_id=existing.id, reused_nik=True)
        return await ask_next(update, context, who, form)
    event = await _event(context, who, form)
    if event is not None:
        refusal = await _refusal(update, context, who, event, info.birth_date, None)
        if refusal is not None:
            return refusal
    form.update(nik=info.nik, birth_date=info.birth_date.isoformat(), sex=info.sex)
    return await ask_next(update, context, who, form)


@guarded(REGISTER)
async def pressed(update: Update, context: Context, who: Who) -> str | int | None:
    got = await read_button(update, context, who, KIND)
    if got is None:
        return None
    form, action, value = got
    step = _missing(form)
    if action == "event" and step == "event" and value.isdigit():
        form["event_id"] = int(value)
    elif action == "new" and step == "find":
        form["mode"] = "new"
    elif action == "pick" and step == "find" and value.isdigit():
        participant = await events.get_participant(app_of(context).db, int(value))
        if participant is not None and participant.kelurahan_code == who.kelurahan and not participant.erased:
            form.update(mode="existing", participant_id=participant.id)
    elif action == "nikok" and step == "nik_ok":
        form["nik_ok"] = True
    elif action == "nikfix" and step == "nik_ok":
        for key in ("nik", "birth_date", "sex"):
            form.pop(key, None)
    elif action == "skip" and step in ("phone", "address") and form.get("update"):
        # updating a known participant: Lewati keeps what is stored (never wipes it)
        current = await events.get_participant(app_of(context).db, form["participant_id"])
        form[step] = None if current is None else getattr(current, step)
    elif action == "skip" and step == "phone":
        form["phone"] = None
    elif action == "edu" and step == "education" and value in EDUCATION:
        form["education"] = value
    elif action == "work" and step == "work" and value in WORK_STATUS:
        form["work"] = value
    elif action == "consent" and step == "consent":
        if value != "yes":
            end_form(context)
            await send(update, context, who, "registration/no_consent")
            return ConversationHandler.END
        form["consent"] = clock.utcnow().isoformat()
    elif action == "edit" and step is None and form.get("mode") == "new" and value in NEW_STEPS:
        cleared = ("nik", "nik_ok", "birth_date", "sex") if value == "nik" else (value,)
        for key in cleared:
            form.pop(key, None)
    elif action == "update" and step is None and form.get("mode") == "existing":
        form["update"] = True
    elif action == "confirm" and step is None:
        return await finish(update, context, who, form)
    return await ask_next(update, context, who, form)


async def finish(update: Update, context: Context, who: Who, form: dict) -> str | int:
    person = who.require()
    app = app_of(context)
    now = clock.utcnow()
    elsewhere = False
    async with app.db.transaction() as tx:
        event = await events.get_event(tx, form["event_id"])
        if event is None or event.kelurahan_code != person.kelurahan_code or not event.registration_open(now):
            event = None
        else:
            participant: Participant | None
            created_participant = False
            if form["mode"] == "new":
                participant = await events.participant_by_nik(tx, form["nik"])
                if participant is not None and (participant.kelurahan_code != event.kelurahan_code
                                                or participant.erased):
                    # created meanwhile in another kelurahan (the check of nik_typed, repeated under the lock)
                    elsewhere = True
                elif participant is None:
                    participant = await events.create_participant(
                        tx, kelurahan_code=event.kelurahan_code, name=form["name"], nik=form["nik"],
                        birth_date=date.fromisoformat(form["birth_date"]), sex=form["sex"], phone=form["phone"],
                        address=form["address"], education=form["education"], work_status=form["work"],
                        consent_at=now, created_by=person.id)
                    created_participant = True
                    await audit.record(tx, "participant.created", actor_person_id=person.id, entity="participant",
                                       entity_id=participant.id, kelurahan_code=event.kelurahan_code,
                                       details={"consent": True})
            else:
                participant = await events.get_participant(tx, form["participant_id"])
                assert participant is not None
                if form.get("update"):
                    await events.update_contact(tx, participant.id, phone=form["phone"], address=form["address"])
                    await audit.record(tx, "participant.updated", actor_person_id=person.id,
                                       entity="participant", entity_id=participant.id,
                                       kelurahan_code=event.kelurahan_code,
                                       details={"fields": ["phone", "address"],
                                                "phone_changed": participant.phone != form["phone"],
                                                "address_changed": participant.address != form["address"]})
        if event is not None and not elsewhere:
            assert participant is not None
            result = await events.register(tx, event_id=event.id, participant_id=participant.id,
                                           registered_by=person.id, now=now)
            if result.created:
                await audit.record(tx, "registration.created", actor_person_id=person.id, entity="registration",
                                   entity_id=result.registration.id, kelurahan_code=event.kelurahan_code,
                                   details={"event_id": event.id, "participant_id": participant.id,
                                            "status": result.registration.status,
                                            "new_participant": created_participant})
    if elsewhere:  # nothing stored: the same answer as at the NIK step, and the NIK is asked again
        for key in ("nik", "nik_ok", "birth_date", "sex"):
            form.pop(key, None)
        await send(update, context, who, "registration/invalid", code="nik_elsewhere", error="EventFormError",
                   max_name=NAME_MAX)
        return await ask_next(update, context, who, form)
    end_form(context)
    if event is None:
        await send(update, context, who, "registration/event_closed")
    elif not result.created:
        await send(update, context, who, "registration/duplicate", event=event, registration=result.registration)
    else:
        await send(update, context, who, "registration/done", event=event, registration=result.registration)
    return ConversationHandler.END


@guarded(REGISTER)
async def not_text(update: Update, context: Context, who: Who) -> str | int | None:
    form = current_form(context, KIND)
    if form is None:
        return None
    await send(update, context, who, "errors/not_text")
    return await ask_next(update, context, who, form)


# --- cancelling -----------------------------------------------------------------------------------------------
async def own_registrations(update: Update, context: Context, who: Who) -> None:
    """For a linked participant: their live registrations, each with a cancel button. Others are refused."""
    if who.person is None:
        await send(update, context, who, "errors/not_registered")
        return
    participant = await events.participant_for_person(app_of(context).db, who.person.id)
    if participant is None or not who.person.active:
        await send(update, context, who, "errors/not_allowed")
        return
    regs = await events.registrations_of_participant(app_of(context).db, participant.id, clock.utcnow())
    items = []
    for reg in regs:
        event = await events.get_event(app_of(context).db, reg.event_id)
        items.append((reg, event))
    rows = [[(label("registration.cancel_button", who.lang, title=e.title[:40]), f"ev:unreg:{r.id}")]
            for r, e in items if e is not None]
    await send(update, context, who, "registration/own", items=items, reply_markup=keyboard(rows) if rows else None)


@guarded(UNREGISTER)
async def unregister(update: Update, context: Context, who: Who) -> None:
    if not can_manage(who):
        await own_registrations(update, context, who)
        return None
    found = await events.listed_events(app_of(context).db, who.kelurahan or "", clock.utcnow(), recent_days=0)
    rows = [[(e.title[:50], f"ev:list:{e.id}:0")] for e in found]
    await send(update, context, who, "registration/unregister_pick", count=len(found),
               reply_markup=keyboard(rows) if rows else None)
    return None


async def _cancellable(context: Context, who: Who, registration_id: int):
    """(registration, event) when ``who`` may cancel it: staff of the event's kelurahan, or the participant."""
    db = app_of(context).db
    reg = await events.get_registration(db, registration_id)
    if reg is None or who.person is None or not who.person.active:
        return None
    event = await events.get_event(db, reg.event_id)
    if event is None:
        return None
    staff = can_manage(who) and event.kelurahan_code == who.person.kelurahan_code
    themself = reg.person_id is not None and reg.person_id == who.person.id
    return (reg, event) if staff or themself else None


@guarded(None)
async def unregister_pressed(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    _, action, raw = [*query.data.split(":"), "", ""][:3]
    found = None if not raw.isdigit() else await _cancellable(context, who, int(raw))
    if found is None:
        await answer_callback(update, who, "events/not_found", alert=True)
        return None
    reg, event = found
    if reg.status not in ("registered", "waitlisted") or event.started(clock.utcnow()):
        await answer_callback(update, who, "registration/not_cancellable", alert=True)
        return None
    await query.answer()
    if action == "unreg":
        markup = keyboard([[button("registration.cancel_yes", who.lang, f"ev:unregok:{reg.id}")]])
        await send(update, context, who, "registration/unregister_confirm", event=event, registration=reg,
                   reply_markup=markup)
        return None
    db = app_of(context).db
    async with db.transaction() as tx:
        result = await events.cancel_registration(tx, reg.id, clock.utcnow())
        if result is not None:
            await audit.record(tx, "registration.cancelled", actor_person_id=who.person_id, entity="registration",
                               entity_id=reg.id, kelurahan_code=event.kelurahan_code,
                               details={"event_id": event.id, "status_before": reg.status,
                                        "promoted_registration": None if result.promoted is None
                                        else result.promoted.id})
    if result is None:
        return None
    await send(update, context, who, "registration/unregistered", event=event, registration=reg,
               promoted=result.promoted)
    if not can_manage(who):  # the participant cancelled: the coordinators are told
        for coordinator in await people.with_role(db, Role.COORDINATOR, event.kelurahan_code):
            # The key names both registrations, so erasing either participant finds this notice (outbox.scrub).
            promoted_id = 0 if result.promoted is None else result.promoted.id
            await notify_person(context, coordinator, "registration/unregistered_notice", event=event,
                                registration=reg, promoted=result.promoted,
                                key=f"notice:unreg:reg:{reg.id}:reg:{promoted_id}:to:{coordinator.id}")
    if result.promoted is not None and result.promoted.person_id is not None:
        promoted_person = await people.get(db, result.promoted.person_id)
        if promoted_person is not None:
            await notify_person(context, promoted_person, "registration/promoted_notice", event=event)
    return None


def handlers() -> FeatureHandlers:
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    return FeatureHandlers(
        form_entry_points=[
            CommandHandler(list(REGISTER.names), begin),
            CommandHandler(list(UNREGISTER.names), unregister),
            CallbackQueryHandler(begin_for_event, pattern=r"^ev:reg:"),
            CallbackQueryHandler(unregister_pressed, pattern=r"^ev:(unreg|unregok):"),
        ],
        form_states={
            state: [MessageHandler(text, typed), CallbackQueryHandler(pressed, pattern=pattern(KIND)),
                    MessageHandler(other, not_text)]
            for state in S
        },
    )
