"""Use case: log a visit to a borrower, with an optional promise to pay (``/kunjungan``, issue 16 part 2)."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.visits import OUTCOMES, promise_possible
from storage import audit, drafts, loans, visits
from storage.db import Database
from storage.visits import Visit


class VisitRefused(ValueError):
    """The loan is not an active loan of the recorder's kelurahan, or the promise does not fit it."""


async def record_visit(
    db: Database, *, loan_id: int, visited_on: date, outcome: str, note: str, photo_file_id: str | None,
    promise_amount: int | None, promise_on: date | None, recorded_by: int, kelurahan_code: str, now: datetime,
    draft_of: int | None = None,
) -> Visit:
    """Store the visit and audit it (``visit.recorded``), in one transaction that also deletes the form's draft.
    The loan must be active and of ``kelurahan_code``; a promise needs both an amount (at most the loan's
    outstanding) and a date, and an outcome where a promise is possible."""
    if outcome not in OUTCOMES:
        raise VisitRefused("outcome")
    if (promise_amount is None) != (promise_on is None) or (promise_amount is not None
                                                             and not promise_possible(outcome)):
        raise VisitRefused("promise")
    async with db.transaction() as tx:
        summary = await loans.summary(tx, loan_id)
        if summary is None or summary.loan.kelurahan_code != kelurahan_code or summary.loan.status != "active":
            raise VisitRefused("loan")
        if promise_amount is not None and not 0 < promise_amount <= summary.outstanding:
            raise VisitRefused("promise_amount")
        visit = await visits.create(
            tx, loan_id=loan_id, borrower_id=summary.loan.borrower_id, kelurahan_code=kelurahan_code,
            visited_on=visited_on, outcome=outcome, note=note, photo_file_id=photo_file_id,
            promise_amount=promise_amount, promise_on=promise_on, recorded_by=recorded_by, now=now)
        await audit.record(tx, "visit.recorded", actor_person_id=recorded_by, entity="visit", entity_id=visit.id,
                           kelurahan_code=kelurahan_code,
                           details={"loan_id": loan_id, "borrower_id": visit.borrower_id, "outcome": outcome,
                                    "visited_on": visited_on, "photo": photo_file_id is not None,
                                    "promise_amount": promise_amount, "promise_on": promise_on})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return visit
