"""``/kas`` (``/cashbook``): the treasurer's cash book. A declared form (:mod:`handlers.forms.engine`); one template
per step, ``kas/ask_<step>``; the use cases are :mod:`bot.services.cash_book`.

State diagram (treasurers)::

    /kas ─► kind [the balances, then: Saldo awal | Dana hibah kota | Biaya bank | Bunga bank | Setor ke bank |
                  Tarik ke kas | Saldo rekening koran | Koreksi entri]
      opening, grant ─► account [Kas tunai | Bank] ─► (grant: round, typed "Tahap 2" or "2")
      every entry    ─► amount ─► date [Hari ini | Kemarin | typed] ─► description ─► photo [a photo | Lewati]
      statement      ─► month [the last 3 months | typed 11/2026] ─► amount (0 allowed) ─► photo
      correction     ─► entry [the 8 latest entries not yet corrected] ─► reason (5–200 characters)
      ─► summary [Konfirmasi | Batal] ─► record_entry / record_statement / reverse_entry

Decisions: the entries are append-only; a correction is a reversing entry dated today (the day it is made), so a
closed month's cash book never changes. The derived movements (disbursements, repayments, their reversals) are not
typed here: they come from the loans and repayments (docs/cash-book.md). An amount above Rp10 miliar is refused as
a slip; a date may be any day from 1 January 2010 to today.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.domain import cash_book
from bot.domain.commands import CommandSpec
from bot.domain.lpj import parse_month, previous_months
from bot.domain.parsing.errors import AmountError, ParseError
from bot.domain.parsing.money import parse_amount_ex
from bot.domain.roles import Role
from bot.services import cash_book as service
from bot.services.cash_book import Outcome
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Form, Option, Options, Step, Summary, Turn, read_date
from messages import label, render, rupiah
from storage import cash_book as repo
from storage import drafts

KAS = CommandSpec("kas", "cashbook", frozenset({Role.TREASURER}))
COMMANDS = (KAS,)
KIND = "kas"
STATEMENT, CORRECT = "statement", "correct"
CHOICES = (*cash_book.MANUAL_KINDS, STATEMENT, CORRECT)
EARLIEST = service.EARLIEST


def month_label(year: int, month: int, lang: str) -> str:
    return render("plain/lpj/month", lang, day=date(year, month, 1))


def _entry_kind(data: dict[str, Any]) -> bool:
    return data.get("kind") in cash_book.MANUAL_KINDS


async def _kind_context(turn: Turn) -> dict[str, Any]:
    assert turn.who.kelurahan is not None
    pos = await service.position(turn.db, turn.who.kelurahan, turn.today(), turn.settings.timezone)
    statement_month = None
    if pos.statement is not None:
        statement_month = month_label(int(pos.statement.month[:4]), int(pos.statement.month[5:]), turn.lang)
    return {"cash": pos.balance.cash, "bank": pos.balance.bank, "total": pos.balance.total,
            "statement": pos.statement, "statement_month": statement_month, "difference": pos.difference,
            "today": turn.today()}


async def _kind_options(turn: Turn) -> Options:
    buttons = [Option(k, label(f"kas.kind_{k}", turn.lang)) for k in CHOICES]
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


async def _account_options(turn: Turn) -> Options:
    return [[Option(a, label(f"kas.account_{a}", turn.lang)) for a in cash_book.ACCOUNTS]]


def _parse_round(text: str, turn: Turn) -> str:
    try:
        return cash_book.check_round(text)
    except ValueError as exc:
        raise ParseError("round_length", max=cash_book.ROUND_MAX) from exc


async def _reversible(turn: Turn) -> list[repo.CashEntry]:
    if "reversible" not in turn.cache:
        assert turn.who.kelurahan is not None
        turn.cache["reversible"] = await repo.reversible(turn.db, turn.who.kelurahan)
    return turn.cache["reversible"]


async def _entry_options(turn: Turn) -> Options:
    return [[Option(str(e.id), label("kas.entry_button", turn.lang, ref=e.reference,
                                     kind=label(f"kas.kind_{e.kind}", turn.lang), amount=rupiah(e.amount, turn.lang)))]
            for e in await _reversible(turn)]


async def _entry_context(turn: Turn) -> dict[str, Any]:
    return {"entries": await _reversible(turn)}


async def _accept_entry(turn: Turn, value: str) -> dict[str, Any]:
    entry = await repo.get_entry(turn.db, int(value))
    if entry is None or entry.kelurahan_code != turn.who.kelurahan or entry.reversed_by_id is not None:
        raise ParseError("not_reversible")
    return {"entry_id": entry.id}


def _parse_reason(text: str, turn: Turn) -> str:
    try:
        return cash_book.check_reason(text)
    except ValueError as exc:
        raise ParseError("reason_length", min=cash_book.REASON_MIN, max=cash_book.REASON_MAX) from exc


async def _month_options(turn: Turn) -> Options:
    return [[Option(f"{y:04d}-{m:02d}", month_label(y, m, turn.lang))] for y, m in previous_months(turn.today())]


def read_month(text: str, today: date) -> str:
    """``11/2026``, ``11-2026``, ``2026-11`` → ``2026-11``; a month after ``today``'s refused."""
    cleaned = text.strip().replace("/", "-").replace(" ", "")
    parts = cleaned.split("-")
    if len(parts) == 2 and len(parts[0]) <= 2:
        cleaned = f"{parts[1]}-{parts[0].zfill(2)}"
    try:
        year, month = parse_month(cleaned)
    except ValueError as exc:
        raise ParseError("month_invalid", text=text.strip()[:20]) from exc
    if (year, month) > (today.year, today.month):
        raise ParseError("month_future", day=date(year, month, 1))
    return f"{year:04d}-{month:02d}"


def _parse_month(text: str, turn: Turn) -> str:
    return read_month(text, turn.today())


async def _accept_month(turn: Turn, value: str) -> dict[str, Any]:
    return {"statement_month": value}


async def _form_context(turn: Turn) -> dict[str, Any]:
    data = turn.data
    month = data.get("statement_month")
    return {"form": data,
            "month_label": None if month is None else month_label(int(month[:4]), int(month[5:]), turn.lang)}


def _parse_amount(text: str, turn: Turn) -> int:
    if turn.data.get("kind") == STATEMENT and text.strip() in {"0", "Rp0", "nol"}:
        return 0
    try:
        amount, spelled = parse_amount_ex(text)
    except AmountError as exc:
        raise ParseError("amount_" + exc.code, **exc.params) from exc
    if amount > cash_book.MAX_AMOUNT:
        raise ParseError("amount_too_large", max=cash_book.MAX_AMOUNT)
    if spelled:
        turn.echo("common/read_as", amount=amount)
    return amount


async def _date_options(turn: Turn) -> Options:
    return [[Option("today", label("cash.today", turn.lang)), Option("yesterday", label("cash.yesterday", turn.lang))]]


def _parse_date(text: str, turn: Turn) -> str:
    return read_date(turn, text, code_prefix="date_").isoformat()


async def _accept_date(turn: Turn, value: str) -> dict[str, Any]:
    today = turn.today()
    day = {"today": today, "yesterday": today - timedelta(days=1)}.get(value) or date.fromisoformat(value)
    if day > today:
        raise ParseError("date_future", day=day)
    if day < EARLIEST:
        raise ParseError("date_too_old", day=day, earliest=EARLIEST)
    return {"entry_date": day.isoformat()}


def _parse_description(text: str, turn: Turn) -> str:
    try:
        return cash_book.check_description(text)
    except ValueError as exc:
        raise ParseError("description_length", min=cash_book.DESCRIPTION_MIN, max=cash_book.DESCRIPTION_MAX) from exc


async def _summary_context(turn: Turn) -> dict[str, Any]:
    ctx = await _form_context(turn)
    data = turn.data
    if data.get("kind") == CORRECT:
        ctx["entry"] = await repo.get_entry(turn.db, data["entry_id"])
    else:
        ctx["entry"] = None
    if data.get("entry_date"):
        ctx["entry_date"] = date.fromisoformat(data["entry_date"])
    return ctx


async def _finish(turn: Turn) -> None:
    data = turn.data
    person = turn.who.require()
    kelurahan = turn.who.kelurahan
    assert kelurahan is not None
    key = f"kas:{person.id}:{turn.draft.form_id}"
    kind = data["kind"]
    if kind == CORRECT:
        result = await service.reverse_entry(
            turn.db, data["entry_id"], kelurahan_code=kelurahan, by=person.id, reason=data["reason"],
            today=turn.today(), now=turn.now(), idempotency_key=key, draft_of=turn.user_id)
        if result.outcome in (Outcome.NOT_FOUND, Outcome.NOT_REVERSIBLE):  # corrected meanwhile
            await drafts.delete(turn.db, turn.user_id)
            await turn.say("kas/invalid", code="not_reversible")
            return
    elif kind == STATEMENT:
        result = await service.record_statement(
            turn.db, kelurahan_code=kelurahan, month=data["statement_month"], closing_balance=data["amount"],
            recorded_by=person.id, now=turn.now(), idempotency_key=key, photo_file_id=data.get("photo"),
            draft_of=turn.user_id)
    else:
        result = await service.record_entry(
            turn.db, kelurahan_code=kelurahan, kind=kind, account=data.get("account"), amount=data["amount"],
            entry_date=date.fromisoformat(data["entry_date"]), description=data["description"],
            recorded_by=person.id, now=turn.now(), idempotency_key=key, round_label=data.get("round"),
            photo_file_id=data.get("photo"), draft_of=turn.user_id)
    pos = await service.position(turn.db, kelurahan, turn.today(), turn.settings.timezone)
    await turn.say("kas/done", kind=kind, entry=result.entry, statement=result.statement, cash=pos.balance.cash,
                   bank=pos.balance.bank, total=pos.balance.total, difference=pos.difference,
                   **await _form_context(turn))


FORM = Form(
    kind=KIND,
    command=KAS,
    steps=(
        Step("kind", "kas/ask_kind", options=_kind_options, context=_kind_context),
        Step("account", "kas/ask_account", options=_account_options, context=_form_context,
             when=lambda d: d.get("kind") in cash_book.KINDS_WITH_ACCOUNT),
        Step("round", "kas/ask_round", parse=_parse_round, invalid="kas/invalid", context=_form_context,
             when=lambda d: d.get("kind") == "grant"),
        Step("entry", "kas/ask_entry", field="entry_id", options=_entry_options, accept=_accept_entry,
             invalid="kas/invalid", context=_entry_context, empty="kas/none", when=lambda d: d.get("kind") == CORRECT),
        Step("reason", "kas/ask_reason", parse=_parse_reason, invalid="kas/invalid", context=_form_context,
             when=lambda d: d.get("kind") == CORRECT),
        Step("month", "kas/ask_month", field="statement_month", options=_month_options, parse=_parse_month,
             accept=_accept_month, invalid="kas/invalid", context=_form_context,
             when=lambda d: d.get("kind") == STATEMENT),
        Step("amount", "kas/ask_amount", parse=_parse_amount, invalid="kas/invalid", context=_form_context,
             when=lambda d: "kind" in d and d["kind"] != CORRECT),
        Step("date", "kas/ask_date", field="entry_date", options=_date_options, parse=_parse_date,
             accept=_accept_date, invalid="kas/invalid", context=_form_context, when=_entry_kind),
        Step("description", "kas/ask_description", parse=_parse_description, invalid="kas/invalid",
             context=_form_context, when=_entry_kind),
        Step("photo", "kas/ask_photo", photo=True, skip=True, invalid="kas/invalid", context=_form_context,
             when=lambda d: "kind" in d and d["kind"] != CORRECT),
    ),
    summary=Summary("kas/summary", edits=(), context=_summary_context, cancel=True),
    finish=_finish,
)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(forms=[FORM])
