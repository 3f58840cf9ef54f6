"""``/penundaan`` (``/pause``): a lurah for their kelurahan, or a city user for several at once, declares a pause
after a disaster (issue 16, part 4). A declared form (:mod:`handlers.forms.engine`)::

    kelurahan [lurah: their kelurahan's button | city: names typed, "Oebobo, Fontein"]
      ─► start [Hari ini | typed] ─► end [typed] ─► reason [typed]
      ─► summary with an [Ubah …] button per field, [Konfirmasi] [Batal] ─► declare_pause

The rules (how a pause moves due dates and freezes arrears) are :mod:`bot.domain.pauses`; the use case that
stores it, moves the instalments and tells the borrowers is :func:`bot.services.pauses.declare_pause`. A lurah
can only name their own kelurahan; a pause overlapping one already declared there is refused with its dates,
and the dates are asked again.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.domain.commands import CommandSpec
from bot.domain.kota_kupang import find_kelurahan
from bot.domain.parsing.errors import ParseError
from bot.domain.pauses import (
    MAX_PAST_DAYS,
    MAX_PAUSE_DAYS,
    REASON_MAX,
    REASON_MIN,
    PauseError,
    check_pause,
    clean_reason,
)
from bot.domain.roles import Role
from bot.services.pauses import PauseOverlaps, declare_pause
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Form, Option, Options, Step, Summary, Turn, read_date
from messages import label

PAUSE = CommandSpec("penundaan", "pause", frozenset({Role.LURAH, Role.CITY}))
COMMANDS = (PAUSE,)
KIND = "pause"
LIMITS = {"max_days": MAX_PAUSE_DAYS, "past_days": MAX_PAST_DAYS, "reason_min": REASON_MIN,
          "reason_max": REASON_MAX}
EDITS = (("kelurahan", "pauses.edit_kelurahan"), ("starts_on", "pauses.edit_start"),
         ("ends_on", "pauses.edit_end"), ("reason", "pauses.edit_reason"))
CLEARS = {"kelurahan": ("names",), "starts_on": ("ends_on",)}


def _city(turn: Turn) -> bool:
    person = turn.who.require()
    return Role.CITY in person.roles


async def _context(turn: Turn) -> dict[str, Any]:
    return {"form": turn.data, "city": _city(turn), **LIMITS}


def _refused(exc: PauseError) -> ParseError:
    return ParseError(exc.code, **exc.params)


# --- kelurahan -----------------------------------------------------------------------------------------------
async def _kelurahan_options(turn: Turn) -> Options:
    own = find_kelurahan(turn.who.kelurahan or "")
    if own is None or Role.LURAH not in turn.who.require().roles:
        return []
    return [[Option("own", own.name)]]


def _parse_kelurahan(text: str, turn: Turn) -> list[str]:
    """Names or codes separated by commas, ";" or "dan"/"and"; "Kelurahan" in front is ignored."""
    codes: list[str] = []
    for part in re.split(r"[,;]|\bdan\b|\band\b", text, flags=re.IGNORECASE):
        name = re.sub(r"^\s*(kelurahan|kel\.)\s*", "", part, flags=re.IGNORECASE).strip()
        if not name:
            continue
        found = find_kelurahan(name)
        if found is None:
            raise ParseError("unknown_kelurahan", text=name[:60])
        if not _city(turn) and found.code != turn.who.kelurahan:
            raise ParseError("not_your_kelurahan", text=found.name)
        if found.code not in codes:
            codes.append(found.code)
    if not codes:
        raise ParseError("unknown_kelurahan", text=text.strip()[:60])
    return codes


async def _accept_kelurahan(turn: Turn, value: str | list) -> dict[str, Any]:
    codes = [turn.who.kelurahan] if value == "own" else list(value)
    names = [k.name for k in (find_kelurahan(c or "") for c in codes) if k is not None]
    return {"kelurahan": codes, "names": names}


# --- dates and reason ----------------------------------------------------------------------------------------
async def _today_option(turn: Turn) -> Options:
    return [[Option("today", label("pauses.today", turn.lang))]]


def _parse_start(text: str, turn: Turn) -> str:
    day = read_date(turn, text, code_prefix="date_")
    try:
        check_pause(day, day, turn.today())
    except PauseError as exc:
        raise _refused(exc) from exc
    return day.isoformat()


async def _accept_start(turn: Turn, value: str) -> dict[str, Any]:
    return {"starts_on": turn.today().isoformat() if value == "today" else value}


def _parse_end(text: str, turn: Turn) -> str:
    day = read_date(turn, text, prefer="future", code_prefix="date_")
    try:
        check_pause(date.fromisoformat(turn.data["starts_on"]), day, turn.today())
    except PauseError as exc:
        raise _refused(exc) from exc
    return day.isoformat()


def _parse_reason(text: str, turn: Turn) -> str:
    try:
        return clean_reason(text)
    except PauseError as exc:
        raise _refused(exc) from exc


def _dates(data: dict) -> dict[str, Any]:
    start, end = date.fromisoformat(data["starts_on"]), date.fromisoformat(data["ends_on"])
    return {"starts_on": start, "ends_on": end, "days": (end - start).days + 1}


async def _summary_context(turn: Turn) -> dict[str, Any]:
    return {"form": turn.data, **_dates(turn.data)}


async def _finish(turn: Turn) -> None:
    data = turn.data
    dates = _dates(data)
    try:
        pause = check_pause(dates["starts_on"], dates["ends_on"], turn.today())
        declared = await declare_pause(turn.db, pause=pause, reason=data["reason"], kelurahan=data["kelurahan"],
                                       declared_by=turn.who.require().id, now=turn.now(), draft_of=turn.user_id)
    except PauseOverlaps as exc:
        found = find_kelurahan(exc.kelurahan_code)
        await turn.say("pauses/overlap", name=found.name if found else exc.kelurahan_code,
                       other_start=exc.other.starts_on, other_end=exc.other.ends_on)
        data.pop("starts_on", None)
        data.pop("ends_on", None)
        await turn.advance()
        return
    except PauseError as exc:  # a day passed since the dates were typed (too old now): ask them again
        await turn.say("pauses/invalid", code=exc.code, **{**exc.params, **LIMITS})
        data.pop("starts_on", None)
        data.pop("ends_on", None)
        await turn.advance()
        return
    await turn.say("pauses/declared", names=data["names"], moved=declared.moved, told=declared.told,
                   reason=data["reason"], **dates)


FORM = Form(
    kind=KIND,
    command=PAUSE,
    steps=(
        Step("kelurahan", "pauses/ask_kelurahan", options=_kelurahan_options, parse=_parse_kelurahan,
             accept=_accept_kelurahan, invalid="pauses/invalid", context=_context),
        Step("start", "pauses/ask_start", field="starts_on", options=_today_option, parse=_parse_start,
             accept=_accept_start, invalid="pauses/invalid", context=_context),
        Step("end", "pauses/ask_end", field="ends_on", parse=_parse_end, invalid="pauses/invalid",
             context=_context),
        Step("reason", "pauses/ask_reason", parse=_parse_reason, invalid="pauses/invalid", context=_context),
    ),
    summary=Summary("pauses/summary", edits=EDITS, context=_summary_context, clears=CLEARS, per_row=2,
                    cancel=True),
    finish=_finish,
)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(forms=[FORM])
