"""Repository: warning-letter steps and issued letters (surat peringatan, migration 0015, issue 16 part 1).

A row of ``warning_steps`` is first an open task (``open``), then either the issued letter (``issued``, with its
number from the kelurahan's register and a copy of what it said) or closed (``closed``: the arrears were cleared
before it was issued). :func:`next_seq` hands out the register's next number inside the caller's transaction
(gap-free under ``BEGIN IMMEDIATE``, as :func:`storage.receipts.next_seq`). What a letter said is stored with
it (arrears, instalments missed, deadline): a later payment never rewrites a letter already handed out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from storage import outbox_keys
from storage.db import Queryable, utc_text


@dataclass(frozen=True)
class MissedInstallment:
    number: int
    due_date: date
    remaining: int


@dataclass(frozen=True)
class WarningStep:
    id: int
    loan_id: int
    kelurahan_code: str
    level: int
    status: str
    opened_on: date
    days_late_at_open: int
    round: int
    postponed_until: date | None
    postpone_reason: str | None
    closed_at: str | None
    close_reason: str | None
    number: str | None
    issued_at: str | None
    issued_on: date | None
    issued_by: int | None
    deadline: date | None
    days_late: int | None
    arrears_amount: int | None
    outstanding: int | None
    missed: tuple[MissedInstallment, ...]
    # joined
    borrower_id: int
    borrower_name: str
    kelurahan_name: str
    kecamatan_name: str
    principal: int
    disbursed_on: date
    tenor_months: int
    issued_by_name: str | None


_SELECT = """
SELECT w.*, l.borrower_id, b.name AS borrower_name, k.name AS kelurahan_name, c.name AS kecamatan_name,
       l.principal, l.disbursed_on, l.tenor_months, ib.name AS issued_by_name
FROM warning_steps AS w
JOIN loans AS l ON l.id = w.loan_id
JOIN people AS b ON b.id = l.borrower_id
JOIN kelurahan AS k ON k.code = w.kelurahan_code
JOIN kecamatan AS c ON c.code = k.kecamatan_code
LEFT JOIN people AS ib ON ib.id = w.issued_by
"""


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _row(row) -> WarningStep:
    missed = tuple(MissedInstallment(m["number"], date.fromisoformat(m["due_date"]), m["remaining"])
                   for m in json.loads(row["missed"] or "[]"))
    return WarningStep(
        id=row["id"], loan_id=row["loan_id"], kelurahan_code=row["kelurahan_code"], level=row["level"],
        status=row["status"], opened_on=date.fromisoformat(row["opened_on"]),
        days_late_at_open=row["days_late_at_open"], round=row["round"], postponed_until=_d(row["postponed_until"]),
        postpone_reason=row["postpone_reason"], closed_at=row["closed_at"], close_reason=row["close_reason"],
        number=row["number"], issued_at=row["issued_at"], issued_on=_d(row["issued_on"]),
        issued_by=row["issued_by"], deadline=_d(row["deadline"]), days_late=row["days_late"],
        arrears_amount=row["arrears_amount"], outstanding=row["outstanding"], missed=missed,
        borrower_id=row["borrower_id"], borrower_name=row["borrower_name"], kelurahan_name=row["kelurahan_name"],
        kecamatan_name=row["kecamatan_name"], principal=row["principal"],
        disbursed_on=date.fromisoformat(row["disbursed_on"]), tenor_months=row["tenor_months"],
        issued_by_name=row["issued_by_name"],
    )


async def get(q: Queryable, step_id: int) -> WarningStep | None:
    row = await q.fetchone(_SELECT + " WHERE w.id = :id", {"id": step_id})
    return None if row is None else _row(row)


async def open_for_loan(q: Queryable, loan_id: int) -> WarningStep | None:
    row = await q.fetchone(_SELECT + " WHERE w.loan_id = :l AND w.status = 'open'", {"l": loan_id})
    return None if row is None else _row(row)


async def open_steps(q: Queryable) -> list[WarningStep]:
    rows = await q.fetchall(_SELECT + " WHERE w.status = 'open' ORDER BY w.id")
    return [_row(r) for r in rows]


async def open_steps_maybe_cleared(q: Queryable, today: date) -> list[WarningStep]:
    """Open steps whose loan is no longer active or has no instalment due before ``today`` left unpaid (by the
    derived ``installments.paid_on``): the only candidates to close, in one query (the clean-up runs before every
    send). The caller confirms each one from the allocation."""
    rows = await q.fetchall(
        _SELECT + """
        WHERE w.status = 'open' AND (l.status <> 'active' OR NOT EXISTS (
            SELECT 1 FROM installments AS i WHERE i.loan_id = w.loan_id AND i.due_date < :today AND i.paid_on IS NULL))
        ORDER BY w.id
        """,
        {"today": today.isoformat()},
    )
    return [_row(r) for r in rows]


async def issued_levels(q: Queryable, loan_id: int) -> set[int]:
    rows = await q.fetchall("SELECT level FROM warning_steps WHERE loan_id = :l AND status = 'issued'",
                            {"l": loan_id})
    return {r["level"] for r in rows}


async def letters_for_loan(q: Queryable, loan_id: int) -> list[WarningStep]:
    """The loan's issued letters, in order of issue."""
    rows = await q.fetchall(_SELECT + " WHERE w.loan_id = :l AND w.status = 'issued' ORDER BY w.issued_at, w.id",
                            {"l": loan_id})
    return [_row(r) for r in rows]


async def active_loans_in_arrears(q: Queryable, today: date) -> list[int]:
    """Ids of active loans with an instalment due before ``today`` that is not fully paid by verified
    repayments (a cheap pre-filter: the caller allocates each one to get its exact days late)."""
    rows = await q.fetchall(
        """
        SELECT DISTINCT i.loan_id FROM installments AS i JOIN loans AS l ON l.id = i.loan_id
        WHERE l.status = 'active' AND i.due_date < :today AND i.paid_on IS NULL
        ORDER BY i.loan_id
        """,
        {"today": today.isoformat()},
    )
    return [r["loan_id"] for r in rows]


async def open_step(tx: Queryable, *, loan_id: int, kelurahan_code: str, level: int, today: date, days_late: int,
                    now: datetime) -> WarningStep:
    step_id = await tx.fetchval(
        """
        INSERT INTO warning_steps (loan_id, kelurahan_code, level, opened_on, opened_at, days_late_at_open)
        VALUES (:loan, :kel, :level, :today, :now, :days) RETURNING id
        """,
        {"loan": loan_id, "kel": kelurahan_code, "level": level, "today": today.isoformat(), "now": utc_text(now),
         "days": days_late},
    )
    step = await get(tx, int(step_id))
    assert step is not None
    return step


async def postpone(tx: Queryable, step_id: int, *, until: date, reason: str, by: int) -> bool:
    result = await tx.execute(
        """
        UPDATE warning_steps SET postponed_until = :until, postpone_reason = :reason, postponed_by = :by,
               round = round + 1
        WHERE id = :id AND status = 'open'
        """,
        {"until": until.isoformat(), "reason": reason, "by": by, "id": step_id},
    )
    return result.rowcount == 1


async def close(tx: Queryable, step_id: int, *, now: datetime, reason: str) -> bool:
    result = await tx.execute(
        "UPDATE warning_steps SET status = 'closed', closed_at = :now, close_reason = :reason "
        "WHERE id = :id AND status = 'open'",
        {"now": utc_text(now), "reason": reason, "id": step_id},
    )
    return result.rowcount == 1


async def next_seq(tx: Queryable, kelurahan_code: str, year: int) -> int:
    """The next number of the kelurahan's letter register for the year, counted in the caller's transaction."""
    return int(await tx.fetchval(
        """
        INSERT INTO warning_counters (kelurahan_code, year, last_number) VALUES (:k, :y, 1)
        ON CONFLICT (kelurahan_code, year) DO UPDATE SET last_number = last_number + 1
        RETURNING last_number
        """,
        {"k": kelurahan_code, "y": year},
    ))


async def mark_issued(tx: Queryable, step_id: int, *, number: str, year: int, seq: int, now: datetime,
                      issued_on: date, by: int, deadline: date, days_late: int, arrears_amount: int,
                      outstanding: int, missed: list[MissedInstallment]) -> bool:
    result = await tx.execute(
        """
        UPDATE warning_steps SET status = 'issued', number = :number, year = :year, seq = :seq, issued_at = :now,
               issued_on = :issued_on, issued_by = :by, deadline = :deadline, days_late = :days,
               arrears_amount = :arrears, outstanding = :outstanding, missed = :missed
        WHERE id = :id AND status = 'open'
        """,
        {"number": number, "year": year, "seq": seq, "now": utc_text(now), "issued_on": issued_on.isoformat(),
         "by": by, "deadline": deadline.isoformat(), "days": days_late, "arrears": arrears_amount,
         "outstanding": outstanding,
         "missed": json.dumps([{"number": m.number, "due_date": m.due_date.isoformat(), "remaining": m.remaining}
                               for m in missed]),
         "id": step_id},
    )
    return result.rowcount == 1


async def queued_task_ids(q: Queryable, step_id: int) -> list[int]:
    """The outbox rows of the step's tasks that are still queued (to cancel once the step is decided)."""
    rows = await q.fetchall(
        "SELECT id FROM outbox WHERE kind = :kind AND status = 'queued' AND dedupe_key LIKE :prefix",
        {"kind": outbox_keys.WARNING_TASK_KIND, "prefix": outbox_keys.warning_task_prefix(step_id) + "%"},
    )
    return [r["id"] for r in rows]
