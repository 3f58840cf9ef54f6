"""Repository: visits to borrowers and their promises to pay (migration 0011).

Rules are :mod:`bot.domain.visits`. A promise is ``open`` until the day after its date, when the promise job
(:mod:`bot.jobs.promises`) judges it ``kept`` or ``broken`` with :func:`bot.domain.visits.promise_kept` over
:func:`payments_since` and stores the verdict with :func:`judge`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.db import Queryable, utc_text


@dataclass(frozen=True)
class Visit:
    id: int
    loan_id: int
    borrower_id: int
    kelurahan_code: str
    visited_on: date
    outcome: str
    note: str
    photo_file_id: str | None
    promise_amount: int | None
    promise_on: date | None
    promise_status: str | None
    promise_paid: int | None
    recorded_by: int
    recorded_by_name: str


def _row(r) -> Visit:
    return Visit(
        id=r["id"], loan_id=r["loan_id"], borrower_id=r["borrower_id"], kelurahan_code=r["kelurahan_code"],
        visited_on=date.fromisoformat(r["visited_on"]), outcome=r["outcome"], note=r["note"],
        photo_file_id=r["photo_file_id"], promise_amount=r["promise_amount"],
        promise_on=None if r["promise_on"] is None else date.fromisoformat(r["promise_on"]),
        promise_status=r["promise_status"], promise_paid=r["promise_paid"], recorded_by=r["recorded_by"],
        recorded_by_name=r["recorded_by_name"],
    )


_SELECT = "SELECT v.*, p.name AS recorded_by_name FROM visits AS v JOIN people AS p ON p.id = v.recorded_by"


async def create(q: Queryable, *, loan_id: int, borrower_id: int, kelurahan_code: str, visited_on: date,
                 outcome: str, note: str, photo_file_id: str | None, promise_amount: int | None,
                 promise_on: date | None, recorded_by: int, now: datetime) -> Visit:
    result = await q.execute(
        """
        INSERT INTO visits (loan_id, borrower_id, kelurahan_code, visited_on, outcome, note, photo_file_id,
                            promise_amount, promise_on, promise_status, recorded_by, recorded_at)
        VALUES (:loan, :borrower, :kel, :on, :outcome, :note, :photo, :amount, :promise_on,
                CASE WHEN :amount IS NULL THEN NULL ELSE 'open' END, :by, :now)
        """,
        {"loan": loan_id, "borrower": borrower_id, "kel": kelurahan_code, "on": visited_on.isoformat(),
         "outcome": outcome, "note": note, "photo": photo_file_id, "amount": promise_amount,
         "promise_on": None if promise_on is None else promise_on.isoformat(), "by": recorded_by,
         "now": utc_text(now)},
    )
    assert result.lastrowid is not None
    visit = await get(q, result.lastrowid)
    assert visit is not None
    return visit


async def get(q: Queryable, visit_id: int) -> Visit | None:
    row = await q.fetchone(f"{_SELECT} WHERE v.id = :id", {"id": visit_id})
    return None if row is None else _row(row)


async def for_borrower(q: Queryable, borrower_id: int, *, limit: int = 5) -> list[Visit]:
    """The borrower's latest visits, newest first."""
    rows = await q.fetchall(f"{_SELECT} WHERE v.borrower_id = :b ORDER BY v.visited_on DESC, v.id DESC LIMIT :n",
                            {"b": borrower_id, "n": limit})
    return [_row(r) for r in rows]


async def count_for_borrower(q: Queryable, borrower_id: int) -> int:
    return int(await q.fetchval("SELECT COUNT(*) FROM visits WHERE borrower_id = :b", {"b": borrower_id}) or 0)


async def promises_on(q: Queryable, day: date) -> list[Visit]:
    """Open promises whose date is ``day`` (the reminder to the borrower)."""
    rows = await q.fetchall(f"{_SELECT} WHERE v.promise_status = 'open' AND v.promise_on = :d ORDER BY v.id",
                            {"d": day.isoformat()})
    return [_row(r) for r in rows]


async def promises_to_judge(q: Queryable, today: date) -> list[Visit]:
    """Open promises whose date has passed (normally yesterday's; older ones after an outage)."""
    rows = await q.fetchall(f"{_SELECT} WHERE v.promise_status = 'open' AND v.promise_on < :d ORDER BY v.id",
                            {"d": today.isoformat()})
    return [_row(r) for r in rows]


async def payments_since(q: Queryable, loan_id: int, since: date) -> list[tuple[date, int]]:
    """Verified payments of the loan paid on or after ``since``: ``(paid_on, amount)``."""
    rows = await q.fetchall(
        "SELECT paid_on, amount FROM repayments WHERE loan_id = :loan AND status = 'verified' AND paid_on >= :d",
        {"loan": loan_id, "d": since.isoformat()},
    )
    return [(date.fromisoformat(r["paid_on"]), r["amount"]) for r in rows]


async def judge(q: Queryable, visit_id: int, *, kept: bool, paid: int, now: datetime) -> bool:
    """Store the verdict once (False when it was already judged)."""
    result = await q.execute(
        """
        UPDATE visits SET promise_status = :status, promise_paid = :paid, promise_checked_at = :now
        WHERE id = :id AND promise_status = 'open'
        """,
        {"status": "kept" if kept else "broken", "paid": paid, "now": utc_text(now), "id": visit_id},
    )
    return result.rowcount == 1
