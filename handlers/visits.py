"""``/kunjungan`` (``/visit``), for treasurers and admins: log a visit to a borrower, with an optional promise
to pay (issue 16, part 2). A declared form (:mod:`handlers.forms.engine`), one template per step
(``visits/ask_<step>``)::

    who [a name typed → borrower buttons] ─► date [Hari ini | typed] ─► outcome [Bertemu | Tidak di rumah |
    Pindah | Usaha tutup | Menolak] ─► note [typed] ─► photo [a photo | Lewati]
      ─► (not moved, not refused) promise [Ya | Tidak] ─► (Ya) amount ─► promise date
      ─► summary with an [Ubah …] button per field, [Konfirmasi] [Batal] ─► record_visit

Decisions: only borrowers of the user's own kelurahan with an active loan are offered (the oldest active loan
is the one visited); nobody logs a visit to themselves. The visit date is today or up to 60 days back; a
promise is 1 rupiah up to the loan's outstanding, due from the visit (and today) up to 60 days ahead (the
rules: :mod:`bot.domain.visits`). The borrower's reminder on the promise's date and the treasurer's "kept or
broken" the day after come from the job :mod:`bot.jobs.promises`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain.commands import CommandSpec
from bot.domain.parsing.errors import AmountError, ParseError
from bot.domain.parsing.money import parse_amount_ex
from bot.domain.roles import Role
from bot.domain.visits import (
    MAX_PAST_DAYS,
    NOTE_MAX,
    OUTCOMES,
    PROMISE_MAX_DAYS,
    VisitError,
    check_promise_amount,
    check_promise_date,
    check_visit_date,
    clean_note,
    promise_possible,
)
from bot.services.visits import VisitRefused, record_visit
from handlers.cash import search_borrowers
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Form, Option, Options, Step, Summary, Turn, read_date
from messages import label
from storage import loans, people

VISIT = CommandSpec("kunjungan", "visit", frozenset({Role.TREASURER, Role.ADMIN}))
COMMANDS = (VISIT,)
KIND = "visit"
LIMITS = {"note_max": NOTE_MAX, "past_days": MAX_PAST_DAYS, "promise_days": PROMISE_MAX_DAYS}
EDITS = (("who", "visits.edit_who"), ("visited_on", "visits.edit_date"), ("outcome", "visits.edit_outcome"),
         ("note", "visits.edit_note"), ("photo", "visits.edit_photo"), ("promise", "visits.edit_promise"))
CLEARS = {"who": ("found", "borrower_id", "name", "loan_id", "outstanding", "promise", "amount", "promise_on"),
          "outcome": ("promise", "amount", "promise_on"), "promise": ("amount", "promise_on"),
          "visited_on": ("promise_on",)}


async def _context(turn: Turn) -> dict[str, Any]:
    return {"form": turn.data, **LIMITS}


def _refused(exc: VisitError) -> ParseError:
    return ParseError(exc.code, **exc.params)


# --- who: a search step ---------------------------------------------------------------------------------------
async def _who_options(turn: Turn) -> Options:
    return [[Option(str(p["id"]), p["name"])] for p in turn.data.get("found", [])]


async def _search(text: str, turn: Turn) -> list[dict[str, Any]]:
    found = await search_borrowers(turn.context, turn.who, text)
    if not found:
        raise ParseError("not_found", text=text.strip()[:60])
    return [{"id": p.id, "name": p.name} for p in found]


async def _accept_who(turn: Turn, value: str | list) -> dict[str, Any]:
    if isinstance(value, list):  # a search: the same question again, with the borrowers found as buttons
        return {"found": value}
    person = await people.get(turn.db, int(value))
    if person is None or person.kelurahan_code != turn.who.kelurahan or person.id == turn.who.person_id:
        raise ParseError("not_found", text="")
    active = await loans.for_borrower(turn.db, person.id)
    if not active:
        raise ParseError("no_loan", name=person.name)
    summary = await loans.summary(turn.db, active[0].id)
    assert summary is not None
    return {"who": person.id, "borrower_id": person.id, "name": person.name, "loan_id": active[0].id,
            "outstanding": summary.outstanding}


# --- date, outcome, note, photo -------------------------------------------------------------------------------
async def _today_option(turn: Turn) -> Options:
    return [[Option("today", label("visits.today", turn.lang))]]


def _parse_visit_date(text: str, turn: Turn) -> str:
    day = read_date(turn, text, code_prefix="date_")
    try:
        return check_visit_date(day, turn.today()).isoformat()
    except VisitError as exc:
        raise _refused(exc) from exc


async def _accept_visit_date(turn: Turn, value: str) -> dict[str, Any]:
    return {"visited_on": turn.today().isoformat() if value == "today" else value}


async def _outcome_options(turn: Turn) -> Options:
    return [[Option(o, label(f"visits.outcome_{o}", turn.lang))] for o in OUTCOMES]


def _parse_note(text: str, turn: Turn) -> str:
    try:
        return clean_note(text)
    except VisitError as exc:
        raise _refused(exc) from exc


# --- the promise ----------------------------------------------------------------------------------------------
def _can_promise(data: dict) -> bool:
    return promise_possible(data.get("outcome", ""))


def _promised(data: dict) -> bool:
    return _can_promise(data) and bool(data.get("promise"))


async def _yes_no(turn: Turn) -> Options:
    return [[Option("yes", label("yes", turn.lang)), Option("no", label("no", turn.lang))]]


async def _accept_promise(turn: Turn, value: str) -> dict[str, Any]:
    return {"promise": value == "yes"}


def _parse_amount(text: str, turn: Turn) -> int:
    try:
        amount, spelled = parse_amount_ex(text)
    except AmountError as exc:
        raise ParseError("amount_" + exc.code, **exc.params) from exc
    try:
        check_promise_amount(amount, turn.data["outstanding"])
    except VisitError as exc:
        raise _refused(exc) from exc
    if spelled:
        turn.echo("common/read_as", amount=amount)
    return amount


def _parse_promise_on(text: str, turn: Turn) -> str:
    day = read_date(turn, text, prefer="future", code_prefix="date_")
    try:
        return check_promise_date(day, date.fromisoformat(turn.data["visited_on"]), turn.today()).isoformat()
    except VisitError as exc:
        raise _refused(exc) from exc


# --- summary and finish ---------------------------------------------------------------------------------------
def _dates(data: dict) -> dict[str, Any]:
    return {"visited_on": date.fromisoformat(data["visited_on"]),
            "promise_on": date.fromisoformat(data["promise_on"]) if _promised(data) else None,
            "amount": data.get("amount") if _promised(data) else None}


async def _summary_context(turn: Turn) -> dict[str, Any]:
    return {"form": turn.data, **_dates(turn.data)}


async def _finish(turn: Turn) -> None:
    data = turn.data
    user = turn.who.require()
    assert user.kelurahan_code is not None
    shown = _dates(data)
    try:
        visit = await record_visit(
            turn.db, loan_id=data["loan_id"], visited_on=shown["visited_on"], outcome=data["outcome"],
            note=data["note"], photo_file_id=data.get("photo"), promise_amount=shown["amount"],
            promise_on=shown["promise_on"], recorded_by=user.id, kelurahan_code=user.kelurahan_code,
            now=turn.now(), draft_of=turn.user_id)
    except VisitRefused:  # the loan closed or moved meanwhile: ask the borrower again
        await turn.say("visits/invalid", code="no_loan", name=data.get("name", ""), **LIMITS)
        for key in CLEARS["who"] + ("who",):
            data.pop(key, None)
        await turn.advance()
        return
    await turn.say("visits/saved", name=data["name"], outcome=visit.outcome, **shown)


FORM = Form(
    kind=KIND,
    command=VISIT,
    steps=(
        Step("who", "visits/ask_who", options=_who_options, parse=_search, accept=_accept_who,
             invalid="visits/invalid", context=_context),
        Step("date", "visits/ask_date", field="visited_on", options=_today_option, parse=_parse_visit_date,
             accept=_accept_visit_date, invalid="visits/invalid", context=_context),
        Step("outcome", "visits/ask_outcome", options=_outcome_options, context=_context),
        Step("note", "visits/ask_note", parse=_parse_note, invalid="visits/invalid", context=_context),
        Step("photo", "visits/ask_photo", photo=True, skip=True, invalid="visits/invalid", context=_context),
        Step("promise", "visits/ask_promise", options=_yes_no, accept=_accept_promise, when=_can_promise,
             context=_context),
        Step("amount", "visits/ask_amount", parse=_parse_amount, when=_promised, invalid="visits/invalid",
             context=_context),
        Step("promise_on", "visits/ask_promise_on", parse=_parse_promise_on, when=_promised,
             invalid="visits/invalid", context=_context),
    ),
    summary=Summary("visits/summary", edits=EDITS, context=_summary_context, clears=CLEARS, per_row=2,
                    cancel=True),
    finish=_finish,
)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(forms=[FORM])
