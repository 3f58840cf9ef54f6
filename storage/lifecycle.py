"""Repository: proposals on a loan's life (reschedule, write-off) and their effects (migration 0014, issue 16).

* A proposal is a row of ``loan_proposals``: pending, then approved or rejected once (a guarded ``UPDATE``, so
  two checkers pressing at once decide it once). One pending proposal per loan (a partial unique index).
* :func:`apply_reschedule` archives the whole schedule as it stands (``schedule_versions`` +
  ``archived_installments``), cuts a partly paid instalment down to what was paid on it, deletes the
  instalments nothing was paid on (their copy stays in the archive; a pending report's ``installment_id`` that
  pointed at one is cleared), inserts the new ones and re-allocates. Verified payments are not touched. Kept and
  new instalments carry the fee they were scheduled with (``fee_scheduled``, migration 0019), so a partly paid
  kept one owes nothing more and the carried fees stay on the first new one; a new instalment a pause moved
  keeps its planned date in ``paused_from``, and the archive keeps the ``paused_from`` of the old ones.
* :func:`write_off` sets the loan ``written_off`` with the outstanding amount at that moment; nothing is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.loans import ReschedulePlan
from storage import repayments
from storage.db import Queryable, utc_text

KINDS = ("reschedule", "write_off")
REASONS = ("moved", "died", "business_failed", "other")


class AlreadyPending(Exception):
    """The loan already has a pending proposal (``existing``)."""

    def __init__(self, existing: Proposal) -> None:
        super().__init__(f"loan {existing.loan_id} has pending proposal {existing.id}")
        self.existing = existing


@dataclass(frozen=True)
class Proposal:
    id: int
    loan_id: int
    kelurahan_code: str
    kind: str
    status: str
    proposed_by: int
    proposed_at: str
    tenor_months: int | None
    grace_months: int | None
    first_due_on: date | None
    reason: str | None
    note: str | None
    outstanding_before: int
    decided_by: int | None
    decided_at: str | None
    #: why it was rejected (migration 0019); None when approved or pending
    decision_note: str | None
    borrower_id: int
    borrower_name: str
    proposer_name: str
    decider_name: str | None

    @property
    def reference(self) -> str:
        return f"{'RS' if self.kind == 'reschedule' else 'HB'}-{self.id:05d}"


_SELECT = """
SELECT p.*, l.borrower_id, b.name AS borrower_name, m.name AS proposer_name, d.name AS decider_name
FROM loan_proposals AS p
JOIN loans AS l ON l.id = p.loan_id
JOIN people AS b ON b.id = l.borrower_id
JOIN people AS m ON m.id = p.proposed_by
LEFT JOIN people AS d ON d.id = p.decided_by
"""


def _proposal(row) -> Proposal:
    return Proposal(
        id=row["id"], loan_id=row["loan_id"], kelurahan_code=row["kelurahan_code"], kind=row["kind"],
        status=row["status"], proposed_by=row["proposed_by"], proposed_at=row["proposed_at"],
        tenor_months=row["tenor_months"], grace_months=row["grace_months"],
        first_due_on=None if row["first_due_on"] is None else date.fromisoformat(row["first_due_on"]),
        reason=row["reason"], note=row["note"], outstanding_before=row["outstanding_before"],
        decided_by=row["decided_by"], decided_at=row["decided_at"], decision_note=row["decision_note"],
        borrower_id=row["borrower_id"],
        borrower_name=row["borrower_name"], proposer_name=row["proposer_name"], decider_name=row["decider_name"],
    )


async def get(q: Queryable, proposal_id: int) -> Proposal | None:
    row = await q.fetchone(f"{_SELECT} WHERE p.id = :id", {"id": proposal_id})
    return None if row is None else _proposal(row)


async def pending_for_loan(q: Queryable, loan_id: int) -> Proposal | None:
    row = await q.fetchone(f"{_SELECT} WHERE p.loan_id = :loan AND p.status = 'pending'", {"loan": loan_id})
    return None if row is None else _proposal(row)


async def pending_for_kelurahan(q: Queryable, kelurahan_code: str) -> list[Proposal]:
    rows = await q.fetchall(f"{_SELECT} WHERE p.kelurahan_code = :kel AND p.status = 'pending' ORDER BY p.id",
                            {"kel": kelurahan_code})
    return [_proposal(r) for r in rows]


async def propose(tx: Queryable, *, loan_id: int, kelurahan_code: str, kind: str, proposed_by: int, now: datetime,
                  outstanding_before: int, tenor_months: int | None = None, grace_months: int | None = None,
                  first_due_on: date | None = None, reason: str | None = None, note: str | None = None) -> Proposal:
    """Store a pending proposal; :class:`AlreadyPending` when the loan has one."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if reason is not None and reason not in REASONS:
        raise ValueError(f"reason must be one of {REASONS}")
    existing = await pending_for_loan(tx, loan_id)
    if existing is not None:
        raise AlreadyPending(existing)
    result = await tx.execute(
        """
        INSERT INTO loan_proposals (loan_id, kelurahan_code, kind, proposed_by, proposed_at, tenor_months,
                                    grace_months, first_due_on, reason, note, outstanding_before)
        VALUES (:loan, :kel, :kind, :by, :now, :tenor, :grace, :first, :reason, :note, :outstanding)
        """,
        {"loan": loan_id, "kel": kelurahan_code, "kind": kind, "by": proposed_by, "now": utc_text(now),
         "tenor": tenor_months, "grace": grace_months,
         "first": None if first_due_on is None else first_due_on.isoformat(), "reason": reason, "note": note,
         "outstanding": outstanding_before},
    )
    assert result.lastrowid is not None
    found = await get(tx, result.lastrowid)
    assert found is not None
    return found


async def decide(tx: Queryable, proposal_id: int, *, approve: bool, by: int, now: datetime,
                 note: str | None = None) -> bool:
    """Mark a pending proposal approved or rejected (a rejection with its ``note``, the reason); False when it was
    no longer pending."""
    updated = await tx.execute(
        """
        UPDATE loan_proposals SET status = :status, decided_by = :by, decided_at = :now, decision_note = :note
        WHERE id = :id AND status = 'pending'
        """,
        {"status": "approved" if approve else "rejected", "by": by, "now": utc_text(now), "id": proposal_id,
         "note": None if approve else note},
    )
    return updated.rowcount == 1


async def apply_reschedule(tx: Queryable, loan_id: int, plan: ReschedulePlan, *, proposal_id: int,
                           now: datetime) -> int:
    """Replace the unpaid part of the loan's schedule by ``plan`` (archiving the old one); returns the
    archived version number. The caller checked the plan against the loan's current state."""
    stamp = utc_text(now)
    version = 1 + int(await tx.fetchval("SELECT COUNT(*) FROM schedule_versions WHERE loan_id = :loan",
                                        {"loan": loan_id}) or 0)
    result = await tx.execute(
        """
        INSERT INTO schedule_versions (loan_id, version, proposal_id, replaced_at)
        VALUES (:loan, :version, :proposal, :now)
        """,
        {"loan": loan_id, "version": version, "proposal": proposal_id, "now": stamp},
    )
    version_id = result.lastrowid
    await tx.execute(
        """
        INSERT INTO archived_installments (version_id, installment_id, number, due_date, principal_due, fee_due,
                                           principal_paid, fee_paid, paid_on, paused_from)
        SELECT :version, id, number, due_date, principal_due, fee_due, principal_paid, fee_paid, paid_on, paused_from
        FROM installments WHERE loan_id = :loan
        """,
        {"version": version_id, "loan": loan_id},
    )
    kept = {i.number: i for i in plan.kept}
    rows = await tx.fetchall("SELECT id, number FROM installments WHERE loan_id = :loan", {"loan": loan_id})
    gone = [r["id"] for r in rows if r["number"] not in kept]
    for number, inst in kept.items():  # a partly paid one is cut down to what was paid on it
        await tx.execute(
            """
            UPDATE installments SET principal_due = :principal, fee_due = :fee, fee_scheduled = :fee
            WHERE loan_id = :loan AND number = :number
            """,
            {"principal": inst.principal_due, "fee": inst.fee_due, "loan": loan_id, "number": number},
        )
    if gone:
        names = {f"i{n}": i for n, i in enumerate(gone)}
        ids = ", ".join(":" + n for n in names)
        await tx.execute(f"UPDATE repayments SET installment_id = NULL WHERE installment_id IN ({ids})", names)
        await tx.execute(f"DELETE FROM installments WHERE id IN ({ids})", names)
    await tx.executemany(
        """
        INSERT INTO installments (loan_id, number, due_date, principal_due, fee_due, fee_scheduled, paused_from)
        VALUES (:loan, :number, :due, :principal, :fee, :fee, :paused_from)
        """,
        [{"loan": loan_id, "number": i.number, "due": i.due_date.isoformat(), "principal": i.principal_due,
          "fee": i.fee_due, "paused_from": None if (p := plan.planned_on(i.number)) is None else p.isoformat()}
         for i in plan.new],
    )
    await tx.execute(
        """
        UPDATE loans SET rescheduled_on = :on, rescheduled_at = :now, updated_at = :now,
                         rescheduled_after_repayment = (SELECT COALESCE(MAX(id), 0) FROM repayments)
        WHERE id = :loan
        """,
        {"on": plan.effective_on.isoformat(), "now": stamp, "loan": loan_id},
    )
    await repayments.reallocate(tx, loan_id, now=now)
    return version


async def archived_schedule(q: Queryable, loan_id: int, version: int) -> list[dict]:
    """One archived version of a loan's schedule, instalment by instalment (for the record)."""
    rows = await q.fetchall(
        """
        SELECT a.* FROM archived_installments AS a JOIN schedule_versions AS v ON v.id = a.version_id
        WHERE v.loan_id = :loan AND v.version = :version ORDER BY a.due_date, a.number
        """,
        {"loan": loan_id, "version": version},
    )
    return [dict(r) for r in rows]


async def write_off(tx: Queryable, loan_id: int, *, amount: int, now: datetime) -> bool:
    """Set an active loan ``written_off`` with its outstanding ``amount``; False when it was not active."""
    updated = await tx.execute(
        """
        UPDATE loans SET status = 'written_off', written_off_at = :now, written_off_amount = :amount,
                         updated_at = :now
        WHERE id = :loan AND status = 'active'
        """,
        {"now": utc_text(now), "amount": amount, "loan": loan_id},
    )
    return updated.rowcount == 1
