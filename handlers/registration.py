"""``/daftar`` (``/register``) signs a participant up for an event; ``/batal_daftar`` (``/unregister``) cancels.

``/daftar`` is a declared form (:data:`FORM`, run by :mod:`handlers.forms.engine`, one template per step
``registration/ask_<step>``)::

    event [open events before their deadline] ─► find [a name or NIK typed → buttons | "Peserta baru"]
      found ─► (age + duplicate check) ─► summary of the known participant [Perbarui HP/alamat | Konfirmasi]
      new   ─► name ─► nik ─► nik_ok [Benar | Perbaiki NIK] ─► phone [text | Lewati] ─► address (RT/RW)
            ─► education [buttons] ─► work [buttons] ─► consent [Ya | Tidak] ─► summary [edit | Konfirmasi]
      ─► register_participant
    A NIK that is already a participant of the kelurahan ─► reused (the known participant's summary); "Perbarui
    HP/alamat" asks phone and address again (Lewati keeps what is stored); consent "Tidak" ─► ended, nothing
    stored; age outside the event's limits (on the event date) or already registered ─► said clearly, ended.
    ``ev:reg:<event>`` (event details) starts at find; an event that closes meanwhile ends the form.

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
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.commands import CommandSpec
from bot.domain.events import EDUCATION, WORK_STATUS, EventFormError, check_age, parse_rt_rw
from bot.domain.parsing.errors import NikError
from bot.domain.parsing.nik import parse_nik
from bot.domain.parsing.phone import normalize_phone
from bot.domain.roles import Role
from bot.services.registrations import NewParticipant, Outcome, cancel_registration, register_participant
from handlers.common import (
    Context,
    Who,
    alongside,
    answer_callback,
    app_of,
    button,
    guarded,
    keyboard,
    notify_person,
    now_of,
    send,
)
from handlers.event_access import STAFF, can_manage, int_or_none, visible_event
from handlers.feature import FeatureHandlers
from handlers.forms.engine import UNSET, Ended, Form, Option, Options, Step, Summary, Turn, open_form
from handlers.invites import NAME_MAX, clean_name
from messages import environment, label
from storage import events, outbox_keys, participants, people, registrations
from storage.events import Event
from storage.participants import Participant

REGISTER = CommandSpec("daftar", "register", STAFF)
#: a linked participant (Role.PARTICIPANT) cancels their own registrations with it
UNREGISTER = CommandSpec("batal_daftar", "unregister", STAFF | {Role.PARTICIPANT})
COMMANDS = (REGISTER, UNREGISTER)
KIND = "daftar"
#: the fields of a new participant's summary that an [Ubah …] button asks again
NEW_EDITS = ("name", "nik", "phone", "address", "education", "work")
NIK_FIELDS = ("nik", "nik_ok", "birth_date", "sex")


def _new(data: dict) -> bool:
    return data.get("mode") == "new"


def _existing(data: dict) -> bool:
    return data.get("mode") == "existing"


async def _open_event(turn: Turn, event_id: int) -> Event | None:
    """The event when it is the user's kelurahan's and still takes registrations."""
    event = await visible_event(turn.context, turn.who, event_id)
    return event if event is not None and event.registration_open(turn.now()) else None


async def _the_event(turn: Turn) -> Event:
    if "event" not in turn.cache:
        turn.cache["event"] = await _open_event(turn, turn.data["event_id"])
    event = turn.cache["event"]
    if event is None:
        raise Ended("registration/event_closed")
    return event


async def _check(turn: Turn) -> None:
    """Before every question: an event chosen must still take registrations."""
    if "event_id" in turn.data:
        await _the_event(turn)


async def _refuse_if_not_eligible(turn: Turn, birth_date: date | None, participant_id: int | None) -> None:
    """Age outside the event's limits (on the event date), or already registered: say so and end the form."""
    event = await _the_event(turn)
    if birth_date is not None and (event.min_age is not None or event.max_age is not None):
        checked = check_age(birth_date, event.day(turn.settings.timezone), event.min_age, event.max_age)
        if not checked.ok:
            raise Ended("registration/age_refused", event=event, age=checked.age)
    if participant_id is not None:
        existing = await registrations.registration_for(turn.db, event.id, participant_id)
        if existing is not None and existing.status != "cancelled":
            raise Ended("registration/duplicate", event=event, registration=existing)


async def _context(turn: Turn) -> dict[str, Any]:
    event = await _the_event(turn) if "event_id" in turn.data else None
    return {"event": event, "name": turn.data.get("name", ""), "max_name": NAME_MAX,
            "updating": _existing(turn.data)}


# --- event and find ---------------------------------------------------------------------------------------------
async def _event_options(turn: Turn) -> Options:
    found = await events.registrable_events(turn.db, turn.who.kelurahan or "", turn.now())
    return [[Option(str(e.id), e.title[:50])] for e in found]


async def _accept_event(turn: Turn, value: str) -> dict[str, Any]:
    if await _open_event(turn, int(value)) is None:
        raise Ended("registration/event_closed")
    return {"event_id": int(value)}


async def _find_options(turn: Turn) -> Options:
    mask = environment().filters["mask_nik"]
    found = [[Option(str(p["id"]), label("registration.pick_button", turn.lang, name=p["name"][:35],
                                         nik=mask(p["nik"])))] for p in turn.data.get("found", [])]
    return [*found, [Option("new", label("registration.new", turn.lang))]]


async def _search(text: str, turn: Turn) -> dict[str, Any]:
    if len(text.strip()) < 2:
        raise EventFormError("search_short")
    found = await participants.search_participants(turn.db, turn.who.kelurahan or "", text)
    return {"found": [{"id": p.id, "name": p.name, "nik": p.nik} for p in found], "query": text.strip()[:40]}


async def _find_context(turn: Turn) -> dict[str, Any]:
    ctx = await _context(turn)
    if "found" in turn.data:
        ctx.update(found=turn.data["found"], query=turn.data.get("query", ""))
    return ctx


async def _known(turn: Turn, participant: Participant, **extra: Any) -> dict[str, Any]:
    """Switch the form to a known participant: their phone and address are kept unless updated."""
    await _refuse_if_not_eligible(turn, participant.birth_date, participant.id)
    return {"mode": "existing", "participant_id": participant.id, "phone": participant.phone,
            "address": participant.address, **extra}


async def _accept_find(turn: Turn, value: str | dict) -> dict[str, Any]:
    if isinstance(value, dict):  # a search: the same question again, with who was found as buttons
        return value
    if value == "new":
        return {"mode": "new"}
    participant = await participants.get_participant(turn.db, int(value))
    if participant is None or participant.kelurahan_code != turn.who.kelurahan or participant.erased:
        raise EventFormError("not_found")
    return await _known(turn, participant)


# --- a new participant ------------------------------------------------------------------------------------------
def _parse_name(text: str, turn: Turn) -> str:
    name = clean_name(text)
    if name is None:
        raise EventFormError("name_invalid", max=NAME_MAX)
    return name


async def _parse_nik(text: str, turn: Turn) -> Any:
    try:
        info = parse_nik(text, turn.today())
    except NikError as exc:
        raise NikError(f"nik_{exc.code}", **exc.params) from exc
    existing = await participants.participant_by_nik(turn.db, info.nik)
    if existing is not None and (existing.kelurahan_code != turn.who.kelurahan or existing.erased):
        raise EventFormError("nik_elsewhere")
    return existing if existing is not None else info


async def _accept_nik(turn: Turn, value: Any) -> dict[str, Any]:
    if isinstance(value, Participant):  # a known NIK: that participant is reused
        cleared = dict.fromkeys((*NEW_EDITS, *NIK_FIELDS), UNSET)
        return {**cleared, **await _known(turn, value, reused_nik=True)}
    await _refuse_if_not_eligible(turn, value.birth_date, None)
    return {"nik": value.nik, "birth_date": value.birth_date.isoformat(), "sex": value.sex}


async def _nik_options(turn: Turn) -> Options:
    return [[Option("ok", label("registration.nik_right", turn.lang)),
             Option("fix", label("registration.nik_fix", turn.lang))]]


async def _nik_context(turn: Turn) -> dict[str, Any]:
    info = parse_nik(turn.data["nik"], turn.today())
    return {"nik": info.nik, "birth_date": info.birth_date, "sex": info.sex, "regency_known": info.regency_known,
            "regency": info.regency_name, "province": info.province_name, "regency_code": info.regency_code}


async def _accept_nik_ok(turn: Turn, value: str) -> dict[str, Any]:
    if value == "fix":
        return dict.fromkeys(NIK_FIELDS, UNSET)
    return {"nik_ok": True}


async def _current(turn: Turn, field: str) -> Any:
    participant = await participants.get_participant(turn.db, turn.data["participant_id"])
    return None if participant is None else getattr(participant, field)


async def _accept_phone(turn: Turn, phone: str | None) -> dict[str, Any]:
    if _existing(turn.data):  # updating a known participant: Lewati keeps what is stored (never wipes it)
        return {"phone": phone if phone is not None else await _current(turn, "phone"), "update": True}
    return {"phone": phone}


async def _accept_address(turn: Turn, address: str | None) -> dict[str, Any]:
    if address is None:  # only offered when updating a known participant
        address = await _current(turn, "address")
    return {"address": address}


async def _education_options(turn: Turn) -> Options:
    buttons = [Option(e, label(f"registration.edu_{e}", turn.lang)) for e in EDUCATION]
    return [buttons[:3], buttons[3:]]


async def _work_options(turn: Turn) -> Options:
    return [[Option(w, label(f"registration.work_{w}", turn.lang))] for w in WORK_STATUS]


async def _consent_options(turn: Turn) -> Options:
    return [[Option("yes", label("yes", turn.lang)), Option("no", label("no", turn.lang))]]


async def _accept_consent(turn: Turn, value: str) -> dict[str, Any]:
    if value != "yes":
        raise Ended("registration/no_consent")  # nothing is stored without consent
    return {"consent": turn.now().isoformat()}


def _text_step(name: str, parse: Any, **kw: Any) -> Step:
    return Step(name, f"registration/ask_{name}", parse=parse, invalid="registration/invalid", context=_context,
                **kw)


def _choice_step(name: str, options: Any, action: str, accept: Any = None, **kw: Any) -> Step:
    return Step(name, f"registration/ask_{name}", options=options, action=action, accept=accept, when=_new,
                context=_context, **kw)


# --- the summaries and the use case -----------------------------------------------------------------------------
async def _new_summary_context(turn: Turn) -> dict[str, Any]:
    return {"event": await _the_event(turn), "form": turn.data,
            "birth_date": date.fromisoformat(turn.data["birth_date"])}


async def _existing_context(turn: Turn) -> dict[str, Any]:
    participant = await participants.get_participant(turn.db, turn.data["participant_id"])
    assert participant is not None
    return {"event": await _the_event(turn), "participant": participant,
            "reused_nik": turn.data.get("reused_nik", False), "new_phone": turn.data.get("phone"),
            "new_address": turn.data.get("address"), "updating": bool(turn.data.get("update"))}


NEW_SUMMARY = Summary("registration/summary", edits=[(f, f"registration.edit_{f}") for f in NEW_EDITS],
                      context=_new_summary_context, clears={"nik": NIK_FIELDS[1:]})
EXISTING_SUMMARY = Summary("registration/existing", edits=[("phone", "registration.update_contact")],
                           context=_existing_context, clears={"phone": ("address",)})
UPDATED_SUMMARY = Summary("registration/existing", edits=[], context=_existing_context)


def _summary(data: dict[str, Any]) -> Summary:
    if _new(data):
        return NEW_SUMMARY
    return UPDATED_SUMMARY if data.get("update") else EXISTING_SUMMARY


async def _register(turn: Turn) -> None:
    data, person = turn.data, turn.who.require()
    new = None
    if _new(data):
        new = NewParticipant(name=data["name"], nik=data["nik"], birth_date=date.fromisoformat(data["birth_date"]),
                             sex=data["sex"], phone=data["phone"], address=data["address"],
                             education=data["education"], work_status=data["work"])
    done = await register_participant(
        turn.db, event_id=data["event_id"], kelurahan_code=person.kelurahan_code or "", by=person.id,
        now=turn.now(), new=new, participant_id=data.get("participant_id"),
        contact=(data["phone"], data["address"]) if data.get("update") else None, draft_of=turn.user_id)
    if done.outcome == Outcome.ELSEWHERE:  # nothing stored: the NIK step's answer, and the NIK is asked again
        for key in NIK_FIELDS:
            data.pop(key, None)
        await turn.say("registration/invalid", code="nik_elsewhere", error="EventFormError", max_name=NAME_MAX)
        await turn.advance()
    elif done.outcome == Outcome.CLOSED:
        await turn.say("registration/event_closed")
    elif done.outcome == Outcome.DUPLICATE:
        await turn.say("registration/duplicate", event=done.event, registration=done.registration)
    else:
        await turn.say("registration/done", event=done.event, registration=done.registration)


@guarded(REGISTER)
async def begin_for_event(update: Update, context: Context, who: Who) -> None:
    """``ev:reg:<event>`` on the event's details: /daftar on that event."""
    query = update.callback_query
    assert query is not None and query.data is not None
    event = await visible_event(context, who, int_or_none(query.data.split(":")[2]) or 0)
    if event is None or not event.registration_open(now_of(context)):
        await answer_callback(update, who, "registration/event_closed", alert=True)
        return None
    await alongside(query.answer())
    await open_form(FORM, update, context, who, {"event_id": event.id})
    return None


FORM = Form(
    kind=KIND,
    command=REGISTER,
    steps=(
        Step("event", "registration/ask_event", field="event_id", options=_event_options, accept=_accept_event,
             empty="registration/no_events", context=_context),
        Step("find", "registration/ask_find", field="mode", options=_find_options, parse=_search,
             accept=_accept_find, invalid="registration/invalid", context=_find_context),
        _text_step("name", _parse_name, when=_new),
        _text_step("nik", _parse_nik, accept=_accept_nik, when=_new),
        Step("nik_ok", "registration/nik_check", options=_nik_options, accept=_accept_nik_ok, when=_new,
             context=_nik_context),
        _text_step("phone", lambda text, turn: normalize_phone(text), accept=_accept_phone, skip=True),
        _text_step("address", lambda text, turn: parse_rt_rw(text), accept=_accept_address, skip=_existing),
        _choice_step("education", _education_options, "edu"),
        _choice_step("work", _work_options, "work"),
        _choice_step("consent", _consent_options, "consent", _accept_consent),
    ),
    summary=_summary,
    finish=_register,
    check=_check,
    entry_points=(CallbackQueryHandler(begin_for_event, pattern=r"^ev:reg:"),),
)


# --- cancelling -----------------------------------------------------------------------------------------------
async def own_registrations(update: Update, context: Context, who: Who) -> None:
    """For a linked participant: their live registrations, each with a cancel button. Others are refused."""
    if who.person is None:
        await send(update, context, who, "errors/not_registered")
        return
    participant = await participants.participant_for_person(app_of(context).db, who.person.id)
    if participant is None or not who.person.active:
        await send(update, context, who, "errors/not_allowed")
        return
    regs = await registrations.registrations_of_participant(app_of(context).db, participant.id, now_of(context))
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
    found = await events.listed_events(app_of(context).db, who.kelurahan or "", now_of(context), recent_days=0)
    rows = [[(e.title[:50], f"ev:list:{e.id}:0")] for e in found]
    await send(update, context, who, "registration/unregister_pick", count=len(found),
               reply_markup=keyboard(rows) if rows else None)
    return None


async def _cancellable(context: Context, who: Who, registration_id: int):
    """(registration, event) when ``who`` may cancel it: staff of the event's kelurahan, or the participant."""
    db = app_of(context).db
    reg = await registrations.get_registration(db, registration_id)
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
    if reg.status not in ("registered", "waitlisted") or event.started(now_of(context)):
        await answer_callback(update, who, "registration/not_cancellable", alert=True)
        return None
    await alongside(query.answer())
    if action == "unregno":  # Kembali: nothing cancelled, back to the participant's own registrations
        await own_registrations(update, context, who)
        return None
    if action == "unreg":
        # Kembali goes back where the cancel button was: staff to the event's participant list, a participant
        # to their own registrations.
        back = f"ev:list:{event.id}:0" if can_manage(who) else f"ev:unregno:{reg.id}"
        markup = keyboard([[button("registration.cancel_yes", who.lang, f"ev:unregok:{reg.id}"),
                            button("back", who.lang, back)]])
        await send(update, context, who, "registration/unregister_confirm", event=event, registration=reg,
                   reply_markup=markup)
        return None
    db = app_of(context).db
    result = await cancel_registration(db, reg, event, by=who.person_id, now=now_of(context))
    if result is None:
        return None
    await send(update, context, who, "registration/unregistered", event=event, registration=reg,
               promoted=result.promoted)
    if not can_manage(who):  # the participant cancelled: the coordinators are told
        for coordinator in await people.with_role(db, Role.COORDINATOR, event.kelurahan_code):
            # The key names both registrations, so erasing either participant finds this notice (outbox.scrub).
            promoted_id = None if result.promoted is None else result.promoted.id
            await notify_person(context, coordinator, "registration/unregistered_notice", event=event,
                                registration=reg, promoted=result.promoted,
                                key=outbox_keys.unregistered_notice_key(reg.id, promoted_id, coordinator.id))
    if result.promoted is not None and result.promoted.person_id is not None:
        promoted_person = await people.get(db, result.promoted.person_id)
        if promoted_person is not None:
            await notify_person(context, promoted_person, "registration/promoted_notice", event=event)
    return None


def handlers() -> FeatureHandlers:
    return FeatureHandlers(
        forms=[FORM],
        handlers=[
            CommandHandler(list(UNREGISTER.names), unregister),
            CallbackQueryHandler(unregister_pressed, pattern=r"^ev:(unreg|unregok|unregno):"),
        ],
    )
