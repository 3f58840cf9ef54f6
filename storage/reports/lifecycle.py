"""Read models of a loan's life (issue 16, part 3): rescheduled loans, the written-off total, recoveries.

For the monthly report and the cash book (built elsewhere): every figure is whole Rupiah, per kelurahan.

- :func:`rescheduled_loans`: loans with a reschedule approved in a period (the report counts them apart);
- :func:`written_off`: the loans written off (status ``written_off``), with the amount written off and what is
  still outstanding after recoveries; :func:`written_off_total` sums them. A written-off loan is outside the
  active portfolio and PAR (:mod:`storage.reports.digest` reads ``status = 'active'`` loans only);
- :func:`recoveries` / :func:`recoveries_by_month`: verified payments of kind ``recovery`` (on written-off
  loans), per kelurahan and month of payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.db import Queryable, parse_utc_text, utc_text


@dataclass(frozen=True)
class RescheduledLoan:
    loan_id: int
    borrower_name: str
    kelurahan_code: str
    proposal_id: int
    approved_at: str
    outstanding_before: int
    tenor_months: int
    first_due_on: date


async def rescheduled_loans(q: Queryable, kelurahan_code: str | None, start: datetime, end: datetime
                            ) -> list[RescheduledLoan]:
    """Reschedules approved in ``[start, end)`` (UTC), one row per approval (a loan rescheduled twice counts twice
    in the rows; count distinct ``loan_id`` for loans), oldest first. ``kelurahan_code`` None: the whole city."""
    rows = await q.fetchall(
        """
        SELECT p.id AS proposal_id, p.loan_id, p.kelurahan_code, p.decided_at, p.outstanding_before,
               p.tenor_months, p.first_due_on, b.name AS borrower_name
        FROM loan_proposals AS p JOIN loans AS l ON l.id = p.loan_id JOIN people AS b ON b.id = l.borrower_id
        WHERE p.kind = 'reschedule' AND p.status = 'approved' AND p.decided_at >= :start AND p.decided_at < :end
          AND (:kel IS NULL OR p.kelurahan_code = :kel)
        ORDER BY p.decided_at, p.id
        """,
        {"kel": kelurahan_code, "start": utc_text(start), "end": utc_text(end)},
    )
    return [RescheduledLoan(r["loan_id"], r["borrower_name"], r["kelurahan_code"], r["proposal_id"],
                            r["decided_at"], r["outstanding_before"], r["tenor_months"],
                            date.fromisoformat(r["first_due_on"])) for r in rows]


async def rescheduled_active(q: Queryable, kelurahan_code: str | None) -> int:
    """How many active loans run on a rescheduled schedule now."""
    return int(await q.fetchval(
        """
        SELECT COUNT(*) FROM loans WHERE status = 'active' AND rescheduled_at IS NOT NULL
          AND (:kel IS NULL OR kelurahan_code = :kel)
        """,
        {"kel": kelurahan_code},
    ) or 0)


@dataclass(frozen=True)
class WrittenOff:
    loan_id: int
    borrower_name: str
    kelurahan_code: str
    written_off_at: str
    written_off_amount: int  # outstanding when it was written off
    recovered: int  # verified recoveries since
    outstanding: int  # what is still owed on it (written_off_amount - recovered)


async def written_off(q: Queryable, kelurahan_code: str | None) -> list[WrittenOff]:
    rows = await q.fetchall(
        """
        SELECT l.id, l.kelurahan_code, l.written_off_at, l.written_off_amount, b.name,
               (SELECT COALESCE(SUM(r.amount), 0) FROM repayments AS r
                WHERE r.loan_id = l.id AND r.status = 'verified' AND r.kind = 'recovery') AS recovered
        FROM loans AS l JOIN people AS b ON b.id = l.borrower_id
        WHERE l.status = 'written_off' AND (:kel IS NULL OR l.kelurahan_code = :kel)
        ORDER BY l.written_off_at, l.id
        """,
        {"kel": kelurahan_code},
    )
    return [WrittenOff(r["id"], r["name"], r["kelurahan_code"], r["written_off_at"], r["written_off_amount"],
                       r["recovered"], r["written_off_amount"] - r["recovered"]) for r in rows]


@dataclass(frozen=True)
class WrittenOffTotal:
    loans: int
    written_off: int  # the amounts written off
    recovered: int
    outstanding: int  # written off minus recovered


async def written_off_total(q: Queryable, kelurahan_code: str | None) -> WrittenOffTotal:
    rows = await written_off(q, kelurahan_code)
    return WrittenOffTotal(len(rows), sum(r.written_off_amount for r in rows), sum(r.recovered for r in rows),
                           sum(r.outstanding for r in rows))


@dataclass(frozen=True)
class Recovery:
    repayment_id: int
    loan_id: int
    kelurahan_code: str
    amount: int
    paid_on: date


async def recoveries(q: Queryable, kelurahan_code: str | None, start: date, end: date) -> list[Recovery]:
    """Verified recoveries paid on ``start``..``end`` (WITA dates, inclusive), in date order."""
    rows = await q.fetchall(
        """
        SELECT r.id, r.loan_id, l.kelurahan_code, r.amount, r.paid_on
        FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id
        WHERE r.kind = 'recovery' AND r.status = 'verified' AND r.paid_on BETWEEN :start AND :end
          AND (:kel IS NULL OR l.kelurahan_code = :kel)
        ORDER BY r.paid_on, r.id
        """,
        {"kel": kelurahan_code, "start": start.isoformat(), "end": end.isoformat()},
    )
    return [Recovery(r["id"], r["loan_id"], r["kelurahan_code"], r["amount"], date.fromisoformat(r["paid_on"]))
            for r in rows]


async def recoveries_by_month(q: Queryable, kelurahan_code: str | None = None
                              ) -> dict[tuple[str, str], tuple[int, int]]:
    """``{(kelurahan code, 'YYYY-MM'): (how many, total)}`` of verified recoveries, by month of payment."""
    rows = await q.fetchall(
        """
        SELECT l.kelurahan_code, substr(r.paid_on, 1, 7) AS month, COUNT(*) AS n, SUM(r.amount) AS total
        FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id
        WHERE r.kind = 'recovery' AND r.status = 'verified' AND (:kel IS NULL OR l.kelurahan_code = :kel)
        GROUP BY l.kelurahan_code, month ORDER BY l.kelurahan_code, month
        """,
        {"kel": kelurahan_code},
    )
    return {(r["kelurahan_code"], r["month"]): (r["n"], r["total"]) for r in rows}


@dataclass(frozen=True)
class LoanLife:
    """What the loan views show of a loan's life: its reschedules and its write-off (issue 16)."""

    reschedules: int  # approved reschedules
    rescheduled_at: datetime | None  # the last one's approval (UTC)
    rescheduled_on: date | None  # WITA date the last new schedule runs from
    written_off_at: datetime | None  # the approval (UTC)
    written_off_amount: int | None  # the outstanding amount at the write-off
    recovered: int  # verified recoveries since


async def loan_life(q: Queryable, loan_id: int) -> LoanLife:
    row = await q.fetchone(
        """
        SELECT l.rescheduled_at, l.rescheduled_on, l.written_off_at, l.written_off_amount,
               (SELECT COUNT(*) FROM loan_proposals AS p
                WHERE p.loan_id = l.id AND p.kind = 'reschedule' AND p.status = 'approved') AS reschedules,
               (SELECT COALESCE(SUM(r.amount), 0) FROM repayments AS r
                WHERE r.loan_id = l.id AND r.status = 'verified' AND r.kind = 'recovery') AS recovered
        FROM loans AS l WHERE l.id = :loan
        """,
        {"loan": loan_id},
    )
    if row is None:
        return LoanLife(0, None, None, None, None, 0)
    return LoanLife(row["reschedules"], parse_utc_text(row["rescheduled_at"]) if row["rescheduled_at"] else None,
                    date.fromisoformat(row["rescheduled_on"]) if row["rescheduled_on"] else None,
                    parse_utc_text(row["written_off_at"]) if row["written_off_at"] else None,
                    row["written_off_amount"], row["recovered"])
