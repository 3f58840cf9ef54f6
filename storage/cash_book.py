"""Repository: the treasurer's cash-book entries and bank statements (migration 0013).

Both tables are append-only (triggers refuse UPDATE and DELETE). :func:`add_entry` and :func:`add_statement` are
idempotent through ``idempotency_key`` (the same key again returns the stored row and ``False``). A reversal is an
entry of kind ``reversal`` pointing at the entry it corrects (``reverses_id`` is UNIQUE: one reversal per entry).
No audit rows here: :mod:`bot.services.cash_book` owns the transaction and writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain import cash_book
from storage.db import Queryable, utc_text


@dataclass(frozen=True)
class CashEntry:
    id: int
    kelurahan_code: str
    kind: str
    account: str | None
    amount: int
    entry_date: date
    description: str
    round_label: str | None
    photo_file_id: str | None
    reverses_id: int | None
    reason: str | None
    recorded_by: int | None
    recorded_at: str
    reversed_by_id: int | None = None  # the reversal that corrects this entry, if any

    @property
    def reference(self) -> str:
        return cash_book.entry_ref(self.id)


@dataclass(frozen=True)
class BankStatement:
    id: int
    kelurahan_code: str
    month: str
    closing_balance: int
    photo_file_id: str | None
    recorded_by: int | None
    recorded_at: str


_ENTRY = """
SELECT e.*, (SELECT r.id FROM cash_entries AS r WHERE r.reverses_id = e.id) AS reversed_by_id
FROM cash_entries AS e
"""


def _entry(row) -> CashEntry:
    return CashEntry(
        id=row["id"], kelurahan_code=row["kelurahan_code"], kind=row["kind"], account=row["account"],
        amount=row["amount"], entry_date=date.fromisoformat(row["entry_date"]), description=row["description"],
        round_label=row["round_label"], photo_file_id=row["photo_file_id"], reverses_id=row["reverses_id"],
        reason=row["reason"], recorded_by=row["recorded_by"], recorded_at=row["recorded_at"],
        reversed_by_id=row["reversed_by_id"],
    )


def _statement(row) -> BankStatement:
    return BankStatement(row["id"], row["kelurahan_code"], row["month"], row["closing_balance"],
                         row["photo_file_id"], row["recorded_by"], row["recorded_at"])


async def get_entry(q: Queryable, entry_id: int) -> CashEntry | None:
    row = await q.fetchone(_ENTRY + " WHERE e.id = :id", {"id": entry_id})
    return None if row is None else _entry(row)


async def entry_by_key(q: Queryable, key: str) -> CashEntry | None:
    row = await q.fetchone(_ENTRY + " WHERE e.idempotency_key = :k", {"k": key})
    return None if row is None else _entry(row)


async def add_entry(
    tx: Queryable, *, kelurahan_code: str, kind: str, account: str | None, amount: int, entry_date: date,
    description: str, recorded_by: int | None, now: datetime, idempotency_key: str, round_label: str | None = None,
    photo_file_id: str | None = None, reverses_id: int | None = None, reason: str | None = None,
) -> tuple[CashEntry, bool]:
    existing = await entry_by_key(tx, idempotency_key)
    if existing is not None:
        return existing, False
    result = await tx.execute(
        """
        INSERT INTO cash_entries (kelurahan_code, kind, account, amount, entry_date, description, round_label,
                                  photo_file_id, reverses_id, reason, recorded_by, recorded_at, idempotency_key)
        VALUES (:kel, :kind, :account, :amount, :day, :description, :round, :photo, :reverses, :reason, :by, :now,
                :key)
        """,
        {"kel": kelurahan_code, "kind": kind, "account": account, "amount": amount, "day": entry_date.isoformat(),
         "description": description, "round": round_label, "photo": photo_file_id, "reverses": reverses_id,
         "reason": reason, "by": recorded_by, "now": utc_text(now), "key": idempotency_key},
    )
    assert result.lastrowid is not None
    entry = await get_entry(tx, result.lastrowid)
    assert entry is not None
    return entry, True


async def entries(q: Queryable, kelurahan_code: str, *, until: date | None = None) -> list[CashEntry]:
    """Every entry of the kelurahan (dated on or before ``until``), in date order."""
    rows = await q.fetchall(
        _ENTRY + " WHERE e.kelurahan_code = :kel AND (:until IS NULL OR e.entry_date <= :until)"
                 " ORDER BY e.entry_date, e.id",
        {"kel": kelurahan_code, "until": None if until is None else until.isoformat()},
    )
    return [_entry(r) for r in rows]


async def reversible(q: Queryable, kelurahan_code: str, *, limit: int = 8) -> list[CashEntry]:
    """The latest entries that can still be corrected: not reversals, not reversed yet; newest first."""
    rows = await q.fetchall(
        _ENTRY + """
        WHERE e.kelurahan_code = :kel AND e.kind <> 'reversal'
          AND NOT EXISTS (SELECT 1 FROM cash_entries AS r WHERE r.reverses_id = e.id)
        ORDER BY e.id DESC LIMIT :limit
        """,
        {"kel": kelurahan_code, "limit": limit},
    )
    return [_entry(r) for r in rows]


async def statement_by_key(q: Queryable, key: str) -> BankStatement | None:
    row = await q.fetchone("SELECT * FROM bank_statements WHERE idempotency_key = :k", {"k": key})
    return None if row is None else _statement(row)


async def add_statement(
    tx: Queryable, *, kelurahan_code: str, month: str, closing_balance: int, recorded_by: int | None, now: datetime,
    idempotency_key: str, photo_file_id: str | None = None,
) -> tuple[BankStatement, bool]:
    existing = await statement_by_key(tx, idempotency_key)
    if existing is not None:
        return existing, False
    result = await tx.execute(
        """
        INSERT INTO bank_statements (kelurahan_code, month, closing_balance, photo_file_id, recorded_by,
                                     recorded_at, idempotency_key)
        VALUES (:kel, :month, :balance, :photo, :by, :now, :key)
        """,
        {"kel": kelurahan_code, "month": month, "balance": closing_balance, "photo": photo_file_id,
         "by": recorded_by, "now": utc_text(now), "key": idempotency_key},
    )
    row = await tx.fetchone("SELECT * FROM bank_statements WHERE id = :id", {"id": result.lastrowid})
    return _statement(row), True


async def statement(q: Queryable, kelurahan_code: str, month: str) -> BankStatement | None:
    """The month's statement: the latest recorded one."""
    row = await q.fetchone(
        "SELECT * FROM bank_statements WHERE kelurahan_code = :kel AND month = :month ORDER BY id DESC LIMIT 1",
        {"kel": kelurahan_code, "month": month},
    )
    return None if row is None else _statement(row)


async def latest_statement(q: Queryable, kelurahan_code: str) -> BankStatement | None:
    row = await q.fetchone(
        "SELECT * FROM bank_statements WHERE kelurahan_code = :kel ORDER BY month DESC, id DESC LIMIT 1",
        {"kel": kelurahan_code},
    )
    return None if row is None else _statement(row)
