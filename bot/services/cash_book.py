"""Use cases of the cash book (buku kas, ``/kas``): a treasurer's entry, its correction, the month's bank statement,
and the balances.

Rules:

* only the kelurahan's own entries: a treasurer corrects an entry of their kelurahan only (another one's id is
  answered like an unknown one, ``NOT_FOUND``);
* append-only: a correction is a ``reversal`` entry dated ``today`` (the day it is made) with a reason, never an
  edit; an entry is corrected at most once, and a reversal is never reversed (``NOT_REVERSIBLE``);
* a repeated idempotency key stores nothing (``DUPLICATE``), so a double Konfirmasi stores one entry;
* every write has its audit row (``cash.recorded``, ``cash.reversed``, ``cash.statement``) in its transaction,
  and deletes the form's draft there (``draft_of``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum

from bot.domain import cash_book
from bot.domain.cash_book import Effect
from bot.domain.lpj import closing_balance, month_bounds
from storage import audit, drafts
from storage import cash_book as repo
from storage.cash_book import BankStatement, CashEntry
from storage.db import Database, Queryable
from storage.reports import lpj as lpj_reports

#: The first day a cash book can hold (the /kas form refuses earlier dates too).
EARLIEST = date(2010, 1, 1)


class Outcome(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    NOT_FOUND = "not_found"
    NOT_REVERSIBLE = "not_reversible"


@dataclass(frozen=True)
class CashResult:
    outcome: Outcome
    entry: CashEntry | None = None
    statement: BankStatement | None = None


async def record_entry(
    db: Database, *, kelurahan_code: str, kind: str, account: str | None, amount: int, entry_date: date,
    description: str, recorded_by: int, now: datetime, idempotency_key: str, round_label: str | None = None,
    photo_file_id: str | None = None, draft_of: int | None = None,
) -> CashResult:
    """A manual entry (opening balance, grant, bank charge or interest, transfer). ``ValueError`` for a kind that
    is not a manual one, a bad account or amount (the form checks them first)."""
    if kind not in cash_book.MANUAL_KINDS:
        raise ValueError(f"not a manual cash entry kind: {kind!r}")
    if kind not in cash_book.KINDS_WITH_ACCOUNT:
        account = None
    cash_book.manual_effect(kind, account, amount)  # validates
    async with db.transaction() as tx:
        entry, new = await repo.add_entry(
            tx, kelurahan_code=kelurahan_code, kind=kind, account=account, amount=amount, entry_date=entry_date,
            description=cash_book.check_description(description), recorded_by=recorded_by, now=now,
            idempotency_key=idempotency_key, round_label=round_label if kind == "grant" else None,
            photo_file_id=photo_file_id,
        )
        if new:
            await audit.record(tx, "cash.recorded", actor_person_id=recorded_by, entity="cash_entry",
                               entity_id=entry.id, kelurahan_code=kelurahan_code,
                               details={"kind": kind, "account": account, "amount": amount, "entry_date": entry_date,
                                        "round": entry.round_label, "photo": photo_file_id is not None})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return CashResult(Outcome.STORED if new else Outcome.DUPLICATE, entry)


async def reverse_entry(
    db: Database, entry_id: int, *, kelurahan_code: str | None, by: int, reason: str, today: date, now: datetime,
    idempotency_key: str, draft_of: int | None = None,
) -> CashResult:
    """Correct an entry with a reversing entry dated ``today`` (``ValueError`` for a reason of the wrong length)."""
    reason = cash_book.check_reason(reason)
    async with db.transaction() as tx:
        existing = await repo.entry_by_key(tx, idempotency_key)
        if existing is not None:
            if draft_of is not None:
                await drafts.delete(tx, draft_of)
            return CashResult(Outcome.DUPLICATE, existing)
        original = await repo.get_entry(tx, entry_id)
        if original is None or original.kelurahan_code != kelurahan_code:
            return CashResult(Outcome.NOT_FOUND)
        if original.kind == cash_book.REVERSAL or original.reversed_by_id is not None:
            return CashResult(Outcome.NOT_REVERSIBLE, original)
        entry, _ = await repo.add_entry(
            tx, kelurahan_code=original.kelurahan_code, kind=cash_book.REVERSAL, account=None,
            amount=original.amount, entry_date=today, description=original.description, recorded_by=by, now=now,
            idempotency_key=idempotency_key, reverses_id=original.id, reason=reason,
        )
        await audit.record(tx, "cash.reversed", actor_person_id=by, entity="cash_entry", entity_id=entry.id,
                           kelurahan_code=original.kelurahan_code,
                           details={"reverses": original.id, "kind": original.kind, "amount": original.amount,
                                    "reason": reason})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return CashResult(Outcome.STORED, entry)


async def record_statement(
    db: Database, *, kelurahan_code: str, month: str, closing_balance: int, recorded_by: int, now: datetime,
    idempotency_key: str, photo_file_id: str | None = None, draft_of: int | None = None,
) -> CashResult:
    """The bank statement's closing balance of ``month`` (``YYYY-MM``); a later one for the same month supersedes
    it (both are kept)."""
    if closing_balance < 0:
        raise ValueError("closing balance must not be negative")
    async with db.transaction() as tx:
        statement, new = await repo.add_statement(
            tx, kelurahan_code=kelurahan_code, month=month, closing_balance=closing_balance, recorded_by=recorded_by,
            now=now, idempotency_key=idempotency_key, photo_file_id=photo_file_id,
        )
        if new:
            await audit.record(tx, "cash.statement", actor_person_id=recorded_by, entity="bank_statement",
                               entity_id=statement.id, kelurahan_code=kelurahan_code,
                               details={"month": month, "closing_balance": closing_balance})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return CashResult(Outcome.STORED if new else Outcome.DUPLICATE, statement=statement)


@dataclass(frozen=True)
class Position:
    """The book's balances at the end of ``day``, and the latest bank statement against the book at its month's
    end (the reconciliation)."""

    day: date
    balance: Effect
    statement: BankStatement | None
    statement_book_bank: int | None

    @property
    def difference(self) -> int | None:
        if self.statement is None or self.statement_book_bank is None:
            return None
        return cash_book.reconciliation(self.statement.closing_balance, self.statement_book_bank)


async def position(q: Queryable, kelurahan_code: str, day: date, tz: tzinfo) -> Position:
    """Balances of cash on hand and bank at the end of ``day`` (manual entries, disbursements, repayments)."""
    facts = (await lpj_reports.facts(q, EARLIEST, day, tz, kelurahan_code, with_receipts=False))[kelurahan_code]
    latest = await repo.latest_statement(q, kelurahan_code)
    book_bank = None
    if latest is not None:
        year, month = int(latest.month[:4]), int(latest.month[5:])
        end = month_bounds(year, month)[1]
        # a month not finished yet: the book up to now
        book_bank = closing_balance(facts, min(end, day)).bank
    return Position(day, closing_balance(facts, day), latest, book_bank)
