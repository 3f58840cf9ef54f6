"""Repository: numbered receipts (kuitansi) of the payments that count (migration 0009, issue 15 part 1).

* :func:`issue` gives a verified repayment its receipt **inside the caller's transaction** (the one that verifies
  or records the payment): the next number of the kelurahan and WITA year comes from ``receipt_counters``
  (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, so it is gap-free under ``BEGIN IMMEDIATE``: a rolled-back
  verification rolls its number back too). A repayment has at most one receipt (``repayment_id`` is unique);
  issuing again returns the one it has.
* :func:`void` marks the receipt of a reversed repayment void (who, when, why). Nothing is deleted and no number
  is reused; the Telegram ``file_id`` of the valid PDF is cleared so that the next send re-renders it as void.
* What a receipt *said* (the instalments it paid, the balance after it) is recomputed by :func:`as_issued` from
  the repayments' own history (verified_at / reversed_at), as at the moment it was issued: a later reversal of an
  earlier payment re-allocates the loan, but never rewrites a receipt already handed out. No copy is stored.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.domain.loans import Payment, allocate
from bot.domain.receipts import format_number
from storage import loans as loans_repo
from storage.db import Queryable, utc_text


@dataclass(frozen=True)
class Receipt:
    id: int
    number: str
    kelurahan_code: str
    year: int
    seq: int
    repayment_id: int
    loan_id: int
    amount: int
    paid_on: date
    issued_at: str
    issued_by: int | None
    code: str
    file_id: str | None
    voided_at: str | None
    voided_by: int | None
    void_reason: str | None
    # joined
    kelurahan_name: str
    borrower_id: int
    borrower_name: str
    loan_principal: int
    loan_disbursed_on: date
    method: str
    reported_by_name: str
    verified_by_name: str | None
    recorded_by_treasurer: bool  # a /catat_bayar entry (the treasurer recorded and verified it at once)
    voided_by_name: str | None
    #: the payment's kind: 'repayment', or 'recovery' on a written-off loan (issue 16)
    kind: str = "repayment"

    @property
    def void(self) -> bool:
        return self.voided_at is not None


@dataclass(frozen=True)
class AllocationLine:
    installment_number: int
    due_date: date
    fee_paid: int
    principal_paid: int

    @property
    def total(self) -> int:
        return self.fee_paid + self.principal_paid


@dataclass(frozen=True)
class IssuedReceipt:
    """A receipt with what it said when it was issued."""

    receipt: Receipt
    allocation: tuple[AllocationLine, ...]
    balance_after: int


_SELECT = """
SELECT rc.*, k.name AS kelurahan_name, l.borrower_id, b.name AS borrower_name, l.principal AS loan_principal,
       l.disbursed_on AS loan_disbursed_on, r.method, rep.name AS reported_by_name, ver.name AS verified_by_name,
       (r.reported_by = r.verified_by AND r.reported_at = r.verified_at) AS recorded_by_treasurer,
       vo.name AS voided_by_name, r.kind
FROM receipts AS rc
JOIN repayments AS r ON r.id = rc.repayment_id
JOIN loans AS l ON l.id = rc.loan_id
JOIN people AS b ON b.id = l.borrower_id
JOIN people AS rep ON rep.id = r.reported_by
JOIN kelurahan AS k ON k.code = rc.kelurahan_code
LEFT JOIN people AS ver ON ver.id = r.verified_by
LEFT JOIN people AS vo ON vo.id = rc.voided_by
"""


def _row(row) -> Receipt:
    return Receipt(
        id=row["id"], number=row["number"], kelurahan_code=row["kelurahan_code"], year=row["year"], seq=row["seq"],
        repayment_id=row["repayment_id"], loan_id=row["loan_id"], amount=row["amount"],
        paid_on=date.fromisoformat(row["paid_on"]), issued_at=row["issued_at"], issued_by=row["issued_by"],
        code=row["code"], file_id=row["file_id"], voided_at=row["voided_at"], voided_by=row["voided_by"],
        void_reason=row["void_reason"], kelurahan_name=row["kelurahan_name"], borrower_id=row["borrower_id"],
        borrower_name=row["borrower_name"], loan_principal=row["loan_principal"],
        loan_disbursed_on=date.fromisoformat(row["loan_disbursed_on"]), method=row["method"],
        reported_by_name=row["reported_by_name"], verified_by_name=row["verified_by_name"],
        recorded_by_treasurer=bool(row["recorded_by_treasurer"]), voided_by_name=row["voided_by_name"],
        kind=row["kind"],
    )


class NoShortCode(LookupError):
    """The kelurahan has no ``short_code`` (every seeded one has, migration 0009)."""


async def get(q: Queryable, receipt_id: int) -> Receipt | None:
    row = await q.fetchone(_SELECT + " WHERE rc.id = :id", {"id": receipt_id})
    return None if row is None else _row(row)


async def by_number(q: Queryable, number: str) -> Receipt | None:
    row = await q.fetchone(_SELECT + " WHERE rc.number = :n", {"n": number})
    return None if row is None else _row(row)


async def for_repayment(q: Queryable, repayment_id: int) -> Receipt | None:
    row = await q.fetchone(_SELECT + " WHERE rc.repayment_id = :r", {"r": repayment_id})
    return None if row is None else _row(row)


async def for_loan(q: Queryable, loan_id: int, *, limit: int | None = None) -> list[Receipt]:
    """The loan's receipts, newest first (void ones included)."""
    rows = await q.fetchall(_SELECT + " WHERE rc.loan_id = :l ORDER BY rc.id DESC LIMIT :limit",
                            {"l": loan_id, "limit": -1 if limit is None else limit})
    return [_row(r) for r in rows]


async def short_code(q: Queryable, kelurahan_code: str) -> str:
    code = await q.fetchval("SELECT short_code FROM kelurahan WHERE code = :k", {"k": kelurahan_code})
    if not code:
        raise NoShortCode(kelurahan_code)
    return str(code)


async def next_seq(tx: Queryable, kelurahan_code: str, year: int) -> int:
    """The next number of the kelurahan's year, counted in the caller's transaction (gap-free)."""
    return int(await tx.fetchval(
        """
        INSERT INTO receipt_counters (kelurahan_code, year, last_number) VALUES (:k, :y, 1)
        ON CONFLICT (kelurahan_code, year) DO UPDATE SET last_number = last_number + 1
        RETURNING last_number
        """,
        {"k": kelurahan_code, "y": year},
    ))


async def issue(tx: Queryable, *, repayment_id: int, year: int, issued_by: int | None, now: datetime,
                code_of) -> tuple[Receipt, bool]:
    """The receipt of a verified repayment, numbered now; ``(existing, False)`` when it has one already.
    ``code_of(number, amount, paid_on)`` computes the verification code (the key is the caller's)."""
    existing = await for_repayment(tx, repayment_id)
    if existing is not None:
        return existing, False
    rep = await tx.fetchone(
        """
        SELECT r.amount, r.paid_on, r.status, r.loan_id, l.kelurahan_code
        FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id WHERE r.id = :id
        """,
        {"id": repayment_id},
    )
    if rep is None or rep["status"] != "verified":
        raise ValueError(f"repayment {repayment_id} is not verified")
    prefix = await short_code(tx, rep["kelurahan_code"])
    seq = await next_seq(tx, rep["kelurahan_code"], year)
    number = format_number(prefix, year, seq)
    paid_on = date.fromisoformat(rep["paid_on"])
    await tx.execute(
        """
        INSERT INTO receipts (number, kelurahan_code, year, seq, repayment_id, loan_id, amount, paid_on, issued_at,
                              issued_by, code)
        VALUES (:number, :kel, :year, :seq, :rep, :loan, :amount, :paid_on, :now, :by, :code)
        """,
        {"number": number, "kel": rep["kelurahan_code"], "year": year, "seq": seq, "rep": repayment_id,
         "loan": rep["loan_id"], "amount": rep["amount"], "paid_on": rep["paid_on"], "now": utc_text(now),
         "by": issued_by, "code": code_of(number, rep["amount"], paid_on)},
    )
    receipt = await for_repayment(tx, repayment_id)
    assert receipt is not None
    return receipt, True


async def void(tx: Queryable, *, repayment_id: int, by: int, now: datetime, reason: str) -> Receipt | None:
    """Void the receipt of a reversed repayment (None when it has none: a payment from before receipts)."""
    await tx.execute(
        """
        UPDATE receipts SET voided_at = :now, voided_by = :by, void_reason = :reason, file_id = NULL
        WHERE repayment_id = :rep AND voided_at IS NULL
        """,
        {"now": utc_text(now), "by": by, "reason": reason, "rep": repayment_id},
    )
    return await for_repayment(tx, repayment_id)


async def set_file_id(q: Queryable, receipt_id: int, file_id: str, *, void: bool) -> None:
    """Remember the Telegram file_id of the PDF just sent, only while it still shows the receipt's state."""
    await q.execute(
        "UPDATE receipts SET file_id = :f WHERE id = :id AND (voided_at IS NOT NULL) = :void",
        {"f": file_id, "id": receipt_id, "void": int(void)},
    )


async def as_issued(q: Queryable, receipt: Receipt) -> IssuedReceipt:
    """What the receipt said when it was issued: the loan allocated with the payments that counted then (verified
    by then, not yet reversed), this one's share of it, and the balance after it."""
    rows = await q.fetchall(
        """
        SELECT r.id, r.amount, r.paid_on, r.verified_at, r.reversed_at, rc.id AS receipt_id
        FROM repayments AS r LEFT JOIN receipts AS rc ON rc.repayment_id = r.id
        WHERE r.loan_id = :loan AND r.status IN ('verified', 'reversed') AND r.verified_at IS NOT NULL
        ORDER BY r.paid_on, r.id
        """,
        {"loan": receipt.loan_id},
    )
    at = receipt.issued_at
    payments = []
    for r in rows:
        if r["id"] != receipt.repayment_id:
            verified_later = r["verified_at"] > at or (
                r["verified_at"] == at and r["receipt_id"] is not None and r["receipt_id"] > receipt.id)
            reversed_by_then = r["reversed_at"] is not None and r["reversed_at"] <= at
            if verified_later or reversed_by_then:
                continue
        payments.append(Payment(r["id"], r["amount"], date.fromisoformat(r["paid_on"])))
    schedule = await loans_repo.schedule(q, receipt.loan_id)
    state = allocate(schedule, payments)
    due = {i.number: i.due_date for i in schedule}
    lines = tuple(
        AllocationLine(a.installment_number, due[a.installment_number], a.fee_paid, a.principal_paid)
        for a in state.allocations if a.payment_id == receipt.repayment_id
    )
    return IssuedReceipt(receipt, lines, state.outstanding)


async def issued_between(q: Queryable, kelurahan_code: str, start_utc: str, end_utc: str) -> list[Receipt]:
    """Receipts of a kelurahan issued in ``[start, end)`` (UTC text), void ones included, by number."""
    rows = await q.fetchall(
        _SELECT + " WHERE rc.kelurahan_code = :k AND rc.issued_at >= :s AND rc.issued_at < :e ORDER BY rc.seq",
        {"k": kelurahan_code, "s": start_utc, "e": end_utc},
    )
    return [_row(r) for r in rows]


# --- the fallback key of the verification codes -----------------------------------------------------------------
_MEMORY_KEYS: dict[str, bytes] = {}


def fallback_key(database_path: Path, *, create: bool = True) -> bytes | None:
    """The key kept beside the database (``<database>.receipt-key``, mode 0600), created at its first use. Used
    when ``PEM_RECEIPT_KEY`` is not set, and always accepted when checking a code (so setting the variable later
    keeps the older receipts valid). An in-memory database gets a key for the life of the process. ``create=False``:
    None when there is none yet (a deployment with ``PEM_RECEIPT_KEY`` never gets the file)."""
    if str(database_path) == ":memory:":
        return _MEMORY_KEYS.setdefault(":memory:", secrets.token_bytes(32))
    path = database_path.with_name(database_path.name + ".receipt-key")
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        if not create:
            return None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex() + "\n")
    return key
