"""``/acara_baru`` (``/newevent``) creates an event; ``/acara`` (``/events``) lists them, with actions.

``/acara_baru`` (coordinators and admins) is a declared form (:data:`NEW_EVENT_FORM`, run by
:mod:`handlers.forms.engine`, one template per step ``events/ask_<step>``)::

    title ─► type [buttons] ─► organiser [buttons] ─► date ─► time ─► place ─► capacity ─► deadline
          ─► ages [text "17-40" | Lewati] ─► summary [edit buttons | Konfirmasi] ─► create_event
    An edit button clears that answer (editing the date also clears the time and the deadline) and asks it
    again; once nothing is missing the summary comes back. A start that has passed while the draft waited is
    refused at Konfirmasi and the date asked again.

``/acara`` shows the open and closed events of the user's kelurahan from 14 days ago on (recent ones still
need their attendance), each with seats left and the deadline (or "pendaftaran ditutup" once it has passed,
"sudah dimulai" once it started: ``events/phase``), and a "🕘 Acara yang lalu" button (``evpast``): the events
that started in the last 90 days, done ones included, whose details keep the participant list, the exports and
(for coordinators and admins) the attendance check-list to correct. A button opens the details with actions:

- register someone (opens ``/daftar`` on that event), list participants (paginated, NIK masked, a cancel
  button per live registration for coordinators/admins), download the list as XLSX (handlers/event_export.py);
- coordinators and admins: close registration, cancel the event (asks for confirmation; notifies the
  kelurahan's coordinators and every linked registered or waitlisted participant), and, once the event has
  started, the attendance check-list (:data:`ATTENDANCE_FORM`, a declared form whose one custom step is the
  check-list: one toggle per seated participant, 40 per page with
  ‹ › buttons, the toggles kept in the draft across pages; Simpan turns every participant that was shown into
  attended / no_show and marks the event done once nobody is left unchecked. A page never opened is left as
  it was (``registered``) and the saved message says how many are still unchecked, so nobody silently
  becomes no_show).

Decisions
---------
- Who sees what: coordinators and admins manage their own kelurahan's events; the lurah sees the list,
  participants and exports, read-only; an event of another kelurahan is answered "not found" (no leak).
  The ``city`` role has no access to participants; it sees counts through the digest only.
- Exports: coordinators and admins get the NIK and phone in full (they run the programme); the lurah gets them
  masked (oversight only needs the names and counts).
- A linked participant (role ``participant``, ``participants.person_id``; linked by the coordinator's
  "📨 Undang" button of the participant list, :mod:`handlers.participant_link`) who sends ``/acara`` sees
  their own live registrations with a cancel button (see :mod:`handlers.registration`).
- Buttons outside forms (``ev:<action>:<id>``) are entry points of the ``forms`` conversation that return
  ``None``, so they work even while a form is open and do not disturb it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.commands import CommandSpec
from bot.domain.events import (
    CAPACITY_MAX,
    PLACE_MAX,
    SEATED,
    TITLE_MAX,
    EventKind,
    EventStatus,
    Organiser,
    check_start,
    clean_text,
    deadline_for,
    parse_age_range,
    parse_capacity,
)
from bot.domain.parsing.dates import parse_time
from bot.domain.roles import Role
from bot.services import events as event_service
from bot.services.events import create_event, save_attendance
from handlers import registration
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
from handlers.event_access import STAFF, VIEWERS, can_manage, can_view, int_or_none, visible_event
from handlers.event_export import send_export
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Form, Option, Options, Step, Summary, Turn, open_form, read_date
from messages import MAX_MESSAGE_LENGTH, label, render, shorten
from storage import events, people, registrations
from storage.events import Event

NEW_EVENT = CommandSpec("acara_baru", "newevent", STAFF)
#: a linked participant (Role.PARTICIPANT) gets their own registrations instead (handlers.registration)
EVENTS = CommandSpec("acara", "events", VIEWERS | {Role.PARTICIPANT})
COMMANDS = (NEW_EVENT, EVENTS)
KIND = "acara"
ATTEND_KIND = "hadir"
PAGE_SIZE = 10
#: names per page of the attendance check-list (an inline keyboard holds about 100 buttons)
ATTEND_PAGE = 40
#: how far back "Acara yang lalu" goes
PAST_DAYS = 90


def tz_of(context: Context):
    return app_of(context).settings.timezone


# --- shared with registration and follow-up -------------------------------------------------------------------
# --- /acara_baru: a declared form (handlers/forms/engine.py) -------------------------------------------------
def _now_and_tz(turn: Turn) -> tuple[datetime, ZoneInfo]:
    return turn.now(), turn.settings.timezone


def _future_day(text: str, turn: Turn) -> date:
    """A date typed for an event; "jumat", "tgl 25" or "3 hari lagi" is shown back as the date understood."""
    return read_date(turn, text, prefer="future")


def _parse_day(text: str, turn: Turn) -> str:
    now, tz = _now_and_tz(turn)
    day = _future_day(text, turn)
    check_start(day, None, now, tz)
    return day.isoformat()


def _parse_time(text: str, turn: Turn) -> str:
    now, tz = _now_and_tz(turn)
    start = check_start(date.fromisoformat(turn.data["date"]), parse_time(text), now, tz)
    assert start is not None
    return start.isoformat()


async def _accept_time(turn: Turn, starts_at: str) -> dict[str, Any]:
    return {"time": datetime.fromisoformat(starts_at).strftime("%H:%M"), "starts_at": starts_at}


def _parse_deadline(text: str, turn: Turn) -> str:
    now, tz = _now_and_tz(turn)
    return deadline_for(_future_day(text, turn), _start(turn.data, tz), now, tz).isoformat()


async def _kind_options(turn: Turn) -> Options:
    return [[Option(k, label(f"events.kind_{k}", turn.lang)) for k in EventKind]]


async def _organiser_options(turn: Turn) -> Options:
    return [[Option(o, label(f"events.org_{o}", turn.lang))] for o in Organiser]


async def _limits(turn: Turn) -> dict[str, Any]:
    return {"max_title": TITLE_MAX, "max_place": PLACE_MAX, "max_capacity": CAPACITY_MAX}


def _start(data: dict, tz) -> datetime:
    return datetime.fromisoformat(data["starts_at"]).astimezone(tz)


async def _summary_context(turn: Turn) -> dict[str, Any]:
    return _summary_ctx(turn.data, turn.settings.timezone)


def _summary_ctx(form: dict, tz) -> dict:
    ages = form.get("ages")
    return {"title": form["title"], "kind": form["type"], "organiser": form["organiser"],
            "starts_at": _start(form, tz), "place": form["place"], "capacity": form["capacity"],
            "deadline": datetime.fromisoformat(form["deadline"]), "min_age": ages[0] if ages else None,
            "max_age": ages[1] if ages else None}


def _text_step(name: str, parse, **kw: Any) -> Step:
    return Step(name, f"events/ask_{name}", parse=parse, invalid="events/invalid", context=_limits, **kw)


async def _create(turn: Turn) -> None:
    person = turn.who.require()
    tz = turn.settings.timezone
    data = turn.data
    start = _start(data, tz)
    if start <= turn.now():  # the draft waited too long
        for key in ("date", "time", "starts_at", "deadline"):
            data.pop(key, None)
        await turn.say("events/invalid", code="time_past", error="EventFormError", **await _limits(turn))
        await turn.advance()
        return
    ages = data["ages"]
    event = await create_event(
        turn.db, kelurahan_code=person.kelurahan_code or "", title=data["title"], kind=data["type"],
        organiser=data["organiser"], starts_at=start, place=data["place"], capacity=data["capacity"],
        registration_deadline=datetime.fromisoformat(data["deadline"]),
        min_age=ages[0] if ages else None, max_age=ages[1] if ages else None, created_by=person.id,
        draft_of=turn.user_id)
    await turn.say("events/created", event=event,
                   reply_markup=keyboard([[button("events.open", turn.lang, f"ev:show:{event.id}")]]))


NEW_EVENT_FORM = Form(
    kind=KIND,
    command=NEW_EVENT,
    steps=(
        _text_step("title", lambda text, turn: clean_text(text, TITLE_MAX, "title_invalid")),
        Step("type", "events/ask_type", options=_kind_options, action="kind"),
        Step("organiser", "events/ask_organiser", options=_organiser_options, action="org"),
        _text_step("date", _parse_day),
        _text_step("time", _parse_time, accept=_accept_time),
        _text_step("place", lambda text, turn: clean_text(text, PLACE_MAX, "place_invalid")),
        _text_step("capacity", lambda text, turn: parse_capacity(text)),
        _text_step("deadline", _parse_deadline),
        _text_step("ages", lambda text, turn: list(parse_age_range(text)), skip=True),
    ),
    summary=Summary(
        "events/summary",
        edits=[(f, f"events.edit_{f}") for f in ("title", "type", "organiser", "date", "place", "capacity",
                                                 "deadline", "ages")],
        context=_summary_context,
        clears={"date": ("time", "starts_at", "deadline")},
    ),
    finish=_create,
)


# --- /acara and event actions ---------------------------------------------------------------------------------
@guarded(EVENTS)
async def list_events(update: Update, context: Context, who: Who) -> None:
    if not can_view(who):
        await registration.own_registrations(update, context, who)
        return None
    now = now_of(context)
    found = await events.listed_events(app_of(context).db, who.kelurahan or "", now)
    rows = _event_rows(context, who, found)
    rows.append([button("events.past", who.lang, "evpast")])
    await send(update, context, who, "events/list", events=found, now=now,
               can_create=can_manage(who), reply_markup=keyboard(rows))
    return None


def _event_rows(context: Context, who: Who, found: list[Event]) -> list[list[tuple[str, str]]]:
    return [[(label("events.event_button", who.lang, title=e.title[:40],
                    day=render("plain/events/day", who.lang, moment=e.starts_at, tz=tz_of(context))),
              f"ev:show:{e.id}")] for e in found]


@guarded(VIEWERS)
async def past_events(update: Update, context: Context, who: Who) -> None:
    """"Acara yang lalu": the events that started in the last ``PAST_DAYS`` days, each opening its details
    (participants, exports, attendance to correct)."""
    await answer_callback(update, who)
    found = await events.past_events(app_of(context).db, who.kelurahan or "", now_of(context), days=PAST_DAYS)
    rows = _event_rows(context, who, found)
    await send(update, context, who, "events/past", events=found, days=PAST_DAYS,
               reply_markup=keyboard(rows) if rows else None)


def _detail_buttons(event: Event, who: Who, now: datetime) -> list[list[tuple[str, str]]]:
    lang = who.lang
    rows = []
    if can_manage(who) and event.registration_open(now):
        rows.append([button("events.register", lang, f"ev:reg:{event.id}")])
    rows.append([button("events.participants", lang, f"ev:list:{event.id}:0")])
    rows.append([button("events.xlsx", lang, f"ev:xlsx:{event.id}")])  # XLSX only: handlers/event_export.py
    if can_manage(who) and event.status == EventStatus.DONE:  # attendance saved: still correctable
        rows.append([button("events.attendance", lang, f"ev:att:{event.id}")])
    if can_manage(who) and event.status in (EventStatus.OPEN, EventStatus.CLOSED):
        if event.started(now):
            rows.append([button("events.attendance", lang, f"ev:att:{event.id}")])
        elif event.status == EventStatus.OPEN:
            rows.append([button("events.close", lang, f"ev:close:{event.id}")])
        if not event.started(now):
            rows.append([button("events.cancel", lang, f"ev:cancel:{event.id}")])
    return rows


async def show_event(update: Update, context: Context, who: Who, event: Event) -> None:
    now = now_of(context)
    await send(update, context, who, "events/detail", event=event, now=now,
               reply_markup=keyboard(_detail_buttons(event, who, now)))


@guarded(VIEWERS)
async def event_action(update: Update, context: Context, who: Who) -> None:
    """``ev:<action>:<event id>[:<page>]`` buttons (not part of a form)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    event_id = int_or_none(parts[2]) if len(parts) > 2 else None
    event = None if event_id is None else await visible_event(context, who, event_id)
    if event is None:
        await answer_callback(update, who, "events/not_found", alert=True)
        return None
    manage_only = {"close", "cancel", "cancelok", "att"}
    if action in manage_only and not can_manage(who):
        await answer_callback(update, who, "errors/not_allowed", alert=True)
        return None
    await alongside(query.answer())
    if action == "show":
        await show_event(update, context, who, event)
    elif action == "list":
        await send_participants(update, context, who, event, int_or_none(parts[3] if len(parts) > 3 else "0") or 0)
    elif action in ("csv", "xlsx"):  # csv: a button of an older message gets the XLSX file too
        await send_export(update, context, who, event, full=full_identity(who))
    elif action == "close":
        await close_event(update, context, who, event)
    elif action == "cancel":
        markup = keyboard([[button("events.cancel_yes", who.lang, f"ev:cancelok:{event.id}"),
                            button("back", who.lang, f"ev:show:{event.id}")]])
        await send(update, context, who, "events/cancel_confirm", event=event, reply_markup=markup)
    elif action == "cancelok":
        await cancel_event(update, context, who, event)
    return None


async def send_participants(update: Update, context: Context, who: Who, event: Event, page: int) -> None:
    db = app_of(context).db
    total = await registrations.count_registrations(db, event.id)
    regs = await registrations.event_registrations(db, event.id, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    rows = []
    if can_manage(who) and not event.started(now_of(context)):
        for r in regs:
            if r.status not in ("registered", "waitlisted"):
                continue
            row = [(label("events.unregister_button", who.lang, name=r.participant_name[:30]), f"ev:unreg:{r.id}")]
            if not r.linked and r.nik is not None:  # not on Telegram yet, and not erased
                row.append((label("participant.invite_button", who.lang, name=r.participant_name[:20]),
                            f"ev:pinv:{r.id}"))
            rows.append(row)
    nav = []
    if page > 0:
        nav.append(button("prev_page", who.lang, f"ev:list:{event.id}:{page - 1}"))
    if (page + 1) * PAGE_SIZE < total:
        nav.append(button("next_page", who.lang, f"ev:list:{event.id}:{page + 1}"))
    if nav:
        rows.append(nav)
    await send(update, context, who, "events/participants", event=event, registrations=regs, total=total,
               page=page, first=page * PAGE_SIZE + 1, reply_markup=keyboard(rows) if rows else None)


def full_identity(who: Who) -> bool:
    """Coordinators and admins see NIK and phone in full in exports; the lurah sees them masked."""
    return can_manage(who)


async def close_event(update: Update, context: Context, who: Who, event: Event) -> None:
    if event.status != EventStatus.OPEN:
        await show_event(update, context, who, event)
        return
    await event_service.close_event(app_of(context).db, event, by=who.person_id)
    await send(update, context, who, "events/closed", event=event)


async def cancel_event(update: Update, context: Context, who: Who, event: Event) -> None:
    db = app_of(context).db
    if event.status not in (EventStatus.OPEN, EventStatus.CLOSED):
        await show_event(update, context, who, event)
        return
    regs = await event_service.cancel_event(db, event, by=who.person_id)
    told = 0
    for coordinator in await people.with_role(db, Role.COORDINATOR, event.kelurahan_code):
        if coordinator.id != who.person_id:
            told += await notify_person(context, coordinator, "events/cancelled_notice", event=event,
                                        participant=False)
    for reg in regs:
        if reg.person_id is not None:
            person = await people.get(db, reg.person_id)
            if person is not None:
                told += await notify_person(context, person, "events/cancelled_notice", event=event,
                                            participant=True)
    await send(update, context, who, "events/cancelled", event=event, registrations=len(regs), told=told)


# --- attendance: a declared form with one custom step --------------------------------------------------------
async def _show_attendance(turn: Turn, edit: bool) -> None:
    """One page of the check-list (``ATTEND_PAGE`` names, ‹ › to move). The toggles live in the draft
    (``present``) across pages; ``shown`` collects every registration id displayed, which is all that Simpan
    changes (see :func:`storage.registrations.save_attendance`)."""
    db, form, lang = turn.db, turn.data, turn.lang
    event = await events.get_event(db, form["event_id"])
    assert event is not None
    seated = [str(s) for s in SEATED]
    total = await registrations.count_registrations(db, event.id, seated)
    pages = max((total + ATTEND_PAGE - 1) // ATTEND_PAGE, 1)
    page = min(max(int(form.get("page", 0)), 0), pages - 1)
    form["page"] = page
    regs = await registrations.event_registrations(db, event.id, statuses=seated, limit=ATTEND_PAGE,
                                                   offset=page * ATTEND_PAGE)
    form["shown"] = sorted(set(form.get("shown", [])) | {r.id for r in regs})
    present = set(form["present"])
    rows = [[(label("events.attend_on" if r.id in present else "events.attend_off", lang,
                    name=r.participant_name[:40]), turn.callback("t", r.id))]
            for r in regs]
    nav = []
    if page > 0:
        nav.append(button("prev_page", lang, turn.callback("p", page - 1)))
    if page + 1 < pages:
        nav.append(button("next_page", lang, turn.callback("p", page + 1)))
    if nav:
        rows.append(nav)
    rows.append([button("events.attendance_save", lang, turn.callback("save"))])
    unseen = total - len(form["shown"])
    ctx = {"event": event, "present": len(present), "total": total, "page": page + 1, "pages": pages,
           "unseen": max(unseen, 0)}
    query = turn.update.callback_query
    if edit and query is not None and query.message is not None:
        text = shorten(render("events/attendance", lang, tz=turn.settings.timezone, **ctx), MAX_MESSAGE_LENGTH)
        await query.edit_message_text(text, parse_mode="HTML", reply_markup=keyboard(rows))
    else:
        await turn.say("events/attendance", reply_markup=keyboard(rows), **ctx)


async def _attendance_press(turn: Turn, action: str, value: str) -> bool:
    """A toggle (``t:<registration>``), a page (``p:<n>``) or Simpan (the step is answered)."""
    if action == "t" and value.isdigit():
        turn.data["present"] = sorted(set(turn.data["present"]) ^ {int(value)})
    elif action == "p" and value.isdigit():
        turn.data["page"] = int(value)
    return action == "save"


async def _save_attendance(turn: Turn) -> None:
    data = turn.data
    saved, event = await save_attendance(turn.db, event_id=data["event_id"], present=set(data["present"]),
                                         shown=set(data.get("shown", [])), by=turn.who.person_id,
                                         now=turn.now(), draft_of=turn.user_id)
    await turn.say("events/attendance_saved", event=event, attended=saved.attended, no_show=saved.no_show,
                   unchecked=saved.unchecked)


@guarded(STAFF)
async def attendance_begin(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    event = await visible_event(context, who, int_or_none(query.data.split(":")[2]) or 0)
    if event is None or not event.started(now_of(context)) or event.status not in ("open", "closed", "done"):
        await answer_callback(update, who, "events/not_found", alert=True)
        return None
    await alongside(query.answer())
    regs = await registrations.event_registrations(app_of(context).db, event.id, statuses=["attended"], limit=1_000_000)
    await open_form(ATTENDANCE_FORM, update, context, who,
                    {"event_id": event.id, "present": [r.id for r in regs], "page": 0, "shown": []})
    return None


ATTENDANCE_FORM = Form(
    kind=ATTEND_KIND,
    command=None,
    roles=STAFF,
    steps=(Step("checklist", "events/attendance", show=_show_attendance, press=_attendance_press),),
    finish=_save_attendance,
    entry_points=(CallbackQueryHandler(attendance_begin, pattern=r"^ev:att:"),),
)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(
        forms=[NEW_EVENT_FORM, ATTENDANCE_FORM],
        handlers=[
            CommandHandler(list(EVENTS.names), list_events),
            CallbackQueryHandler(event_action, pattern=r"^ev:(show|list|csv|xlsx|close|cancel|cancelok):"),
            CallbackQueryHandler(past_events, pattern=r"^evpast$"),
        ],
    )
