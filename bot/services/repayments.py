"""Use cases of maker-checker repayments: report, verify, reject, reverse, record cash.

Each function opens one transaction, makes the write through :mod:`storage.repayments` (which checks amounts,
statuses and races), writes the audit row and returns a :class:`RepaymentResult`. A refusal the caller must
explain is an :class:`Outcome`, never an exception; nothing is stored then. The rules the callers used to check
themselves are checked again here, inside the transaction:

* a borrower reports only on their own **active** loan (``NOT_OWNED``);
* **maker-checker**: nobody verifies, rejects or records a payment on their own loan, nor verifies or rejects
  a payment they reported (``OWN_PAYMENT``);
* **kelurahan isolation**: a treasurer acts on the repayments and loans of their kelurahan only; another
  kelurahan's id is answered like an unknown one (``NOT_FOUND``).

Decisions take ``now`` from the caller (a use case does not read the runtime's clock). Audit rows
(``repayment.reported|recorded|verified|rejected|reversed``) carry ids, amounts and the outstanding
balance before/after; never a NIK, a phone or a receipt file id.

Notices that must commit with the report
----------------------------------------
A reported payment is announced to every active treasurer of the loan's kelurahan except the borrower and the
reporter (maker-checker). Which treasurers is this module's rule; *how* they are told (rendering in their
language, the outbox row, quiet hours) is the caller's, since a use case renders no text and does not know
:mod:`bot.runtime.sender`. The caller therefore passes a :class:`QueueNotice` callback:
:func:`report_repayment` calls it
once per treasurer **inside the reporting transaction**, with that transaction, so the outbox rows it inserts
commit (or roll back) together with the report; whatever it returns (the bot's ``QueuedNotice``) comes back in
``RepaymentResult.notices`` for the caller to deliver once the transaction has committed. A callback was
preferred to pre-rendered rows because the notice shows the stored repayment (its reference), which exists only
inside the transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from bot.domain.roles import Role
from storage import audit, drafts, loans, people, repayments
from storage.db import Database, Queryable
from storage.loans import LoanSummary
from storage.people import Person
from storage.repayments import Repayment, RepaymentView

N = TypeVar("N")
N_co = TypeVar("N_co", covariant=True)


class QueueNotice(Protocol[N_co]):
    """Queue one notice about ``view`` to ``recipient`` in ``tx``; None when they can't be told."""

    def __call__(self, tx: Queryable, recipient: Person, view: RepaymentView, /) -> Awaitable[N_co | None]: ...


class Outcome(StrEnum):
    STORED = "stored"  # written now
    DUPLICATE = "duplicate"  # the idempotency key was used before: ``repayment`` is the row stored then
    NOT_OWNED = "not_owned"  # report: the loan is not (any more) an active loan of the reporter
    OWN_PAYMENT = "own_payment"  # maker-checker: the actor's own loan or own report
    NOT_FOUND = "not_found"  # no such repayment or loan in the actor's kelurahan
    OVERPAYMENT = "overpayment"  # more than is owed: ``outstanding`` and ``still_owed`` say how much is
    ALREADY_DECIDED = "already_decided"  # verify/reject: no longer pending; ``view`` shows who decided
    NOT_REVERSIBLE = "not_reversible"  # reverse: not verified (any more); ``view`` shows its status


@dataclass(frozen=True)
class RepaymentResult(Generic[N]):
    outcome: Outcome
    repayment: Repayment | None = None
    #: verify/reject/reverse: the repayment as stored now (or as found, when refused)
    view: RepaymentView | None = None
    #: OVERPAYMENT: the verified balance, and that minus the other pending reports
    outstanding: int | None = None
    still_owed: int | None = None
    #: report_repayment: what the QueueNotice callback returned, one per treasurer told
    notices: tuple[N, ...] = ()

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.STORED, Outcome.DUPLICATE)


def _overpaid(exc: repayments.Overpayment) -> RepaymentResult[Any]:
    return RepaymentResult(Outcome.OVERPAYMENT, outstanding=exc.outstanding, still_owed=exc.still_owed)


async def _summary(tx: Queryable, loan_id: int) -> LoanSummary:
    summary = await loans.summary(tx, loan_id)
    assert summary is not None
    return summary


# --- borrower: report --------------------------------------------------------------------------------------
async def report_repayment(
    db: Database,
    *,
    loan_id: int,
    reported_by: int,
    amount: int,
    paid_on: date,
    method: str,
    idempotency_key: str,
    receipt_file_id: str | None = None,
    installment_id: int | None = None,
    now: datetime,
    notify: QueueNotice[N] | None = None,
    draft_of: int | None = None,
) -> RepaymentResult[N]:
    """A borrower's report, stored ``pending``, with its audit row and (``notify``) the treasurers' notices in
    the same transaction. A repeated ``idempotency_key`` stores nothing and notifies nobody (``DUPLICATE``).
    ``draft_of``: the Telegram user whose form draft this finishes, deleted in the same transaction unless the
    amount is refused (``OVERPAYMENT``: the form asks it again)."""
    async with db.transaction() as tx:
        loan = await loans.get(tx, loan_id)
        if loan is None or loan.borrower_id != reported_by or loan.status != "active":
            if draft_of is not None:
                await drafts.delete(tx, draft_of)
            return RepaymentResult(Outcome.NOT_OWNED)
        existing = await repayments.by_key(tx, idempotency_key)
        if existing is not None:
            if draft_of is not None:
                await drafts.delete(tx, draft_of)
            return RepaymentResult(Outcome.DUPLICATE, existing)
        summary = await _summary(tx, loan_id)
        try:
            repayment, _ = await repayments.report(
                tx, loan_id=loan_id, amount=amount, paid_on=paid_on, method=method, reported_by=reported_by,
                idempotency_key=idempotency_key, receipt_file_id=receipt_file_id, installment_id=installment_id,
                summary=summary, now=now,
            )
        except repayments.Overpayment as exc:
            return _overpaid(exc)
        await audit.record(
            tx, "repayment.reported", actor_person_id=reported_by, entity="repayment", entity_id=repayment.id,
            kelurahan_code=loan.kelurahan_code,
            details={"loan_id": loan_id, "amount": amount, "paid_on": paid_on, "method": method,
                     "receipt": receipt_file_id is not None, "outstanding": summary.outstanding,
                     "pending_before": summary.pending_total, "pending_after": summary.pending_total + amount},
        )
        notices = await _announce(tx, repayment.id, notify) if notify is not None else ()
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return RepaymentResult(Outcome.STORED, repayment, notices=notices)


async def announce_pending(db: Database, repayment_id: int, notify: QueueNotice[N]) -> tuple[N, ...]:
    """Announce a pending repayment stored earlier to its treasurers (one transaction for the notices)."""
    async with db.transaction() as tx:
        return await _announce(tx, repayment_id, notify)


async def _announce(tx: Queryable, repayment_id: int, notify: QueueNotice[N]) -> tuple[N, ...]:
    view = await repayments.view(tx, repayment_id)
    if view is None or view.repayment.status != "pending":
        return ()
    queued = []
    for treasurer in await people.with_role(tx, Role.TREASURER, view.kelurahan_code):
        if treasurer.id in (view.borrower_id, view.repayment.reported_by):
            continue  # maker-checker: nobody checks their own payment
        notice = await notify(tx, treasurer, view)
        if notice is not None:
            queued.append(notice)
    return tuple(queued)


# --- treasurer: verify, reject -----------------------------------------------------------------------------
async def verify_repayment(db: Database, repayment_id: int, *, by: int, kelurahan_code: str | None, now: datetime
                           ) -> RepaymentResult[Any]:
    """Approve a pending repayment: it counts from now on and the loan is re-allocated."""
    return await _decide(db, repayment_id, approve=True, by=by, kelurahan_code=kelurahan_code, reason=None, now=now)


async def reject_repayment(db: Database, repayment_id: int, *, by: int, kelurahan_code: str | None, reason: str,
                           now: datetime, draft_of: int | None = None) -> RepaymentResult[Any]:
    """Reject a pending repayment with a reason (``ValueError`` without one: the caller asks for it first).
    ``draft_of``: the Telegram user whose form draft (the reason form) this finishes, deleted in the transaction
    that stores the rejection."""
    return await _decide(db, repayment_id, approve=False, by=by, kelurahan_code=kelurahan_code, reason=reason,
                         now=now, draft_of=draft_of)


async def _decide(db: Database, repayment_id: int, *, approve: bool, by: int, kelurahan_code: str | None,
                  reason: str | None, now: datetime, draft_of: int | None = None) -> RepaymentResult[Any]:
    async with db.transaction() as tx:
        current = await repayments.view(tx, repayment_id)
        if current is None or current.kelurahan_code != kelurahan_code:
            return RepaymentResult(Outcome.NOT_FOUND)
        if by in (current.borrower_id, current.repayment.reported_by):
            return RepaymentResult(Outcome.OWN_PAYMENT, current.repayment, current)
        before = await _summary(tx, current.repayment.loan_id)
        try:
            decided = await repayments.decide(tx, repayment_id, approve=approve, by=by, now=now,
                                              reason=reason, summary=before)
        except repayments.AlreadyDecided as exc:
            return RepaymentResult(Outcome.ALREADY_DECIDED, exc.view.repayment, exc.view)
        except repayments.Overpayment as exc:
            return RepaymentResult(Outcome.OVERPAYMENT, current.repayment, current, outstanding=exc.outstanding,
                                   still_owed=exc.still_owed)
        rep = decided.repayment
        after = (await _summary(tx, rep.loan_id)).state if approve else before.state
        await audit.record(
            tx, "repayment.verified" if approve else "repayment.rejected", actor_person_id=by, entity="repayment",
            entity_id=repayment_id, kelurahan_code=current.kelurahan_code,
            details={"loan_id": rep.loan_id, "amount": rep.amount, "outstanding_before": before.outstanding,
                     "outstanding_after": after.outstanding, **({} if approve else {"reason": rep.reason})},
        )
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return RepaymentResult(Outcome.STORED, rep, decided)


# --- treasurer/admin: reverse ------------------------------------------------------------------------------
async def reverse_repayment(db: Database, repayment_id: int, *, by: int, kelurahan_code: str | None, reason: str,
                            now: datetime, draft_of: int | None = None) -> RepaymentResult[Any]:
    """Reverse a verified repayment with a reason (never deleted) and re-allocate the loan (``ValueError``
    without a reason). ``draft_of``: the Telegram user whose form draft this finishes, deleted in the same
    transaction as the reversal."""
    async with db.transaction() as tx:
        current = await repayments.view(tx, repayment_id)
        if current is None or current.kelurahan_code != kelurahan_code:
            return RepaymentResult(Outcome.NOT_FOUND)
        before = await _summary(tx, current.repayment.loan_id)
        try:
            view = await repayments.reverse(tx, repayment_id, by=by, now=now, reason=reason)
        except repayments.NotReversible as exc:
            return RepaymentResult(Outcome.NOT_REVERSIBLE, exc.view.repayment, exc.view)
        rep = view.repayment
        after = (await _summary(tx, rep.loan_id)).state
        await audit.record(
            tx, "repayment.reversed", actor_person_id=by, entity="repayment", entity_id=repayment_id,
            kelurahan_code=current.kelurahan_code,
            details={"loan_id": rep.loan_id, "amount": rep.amount, "reason": rep.reversal_reason,
                     "outstanding_before": before.outstanding, "outstanding_after": after.outstanding,
                     "loan_status_before": before.loan.status,
                     "loan_status_after": "paid_off" if after.is_paid_off else "active"},
        )
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return RepaymentResult(Outcome.STORED, rep, view)


# --- treasurer: record cash --------------------------------------------------------------------------------
async def record_cash_payment(
    db: Database,
    *,
    loan_id: int,
    recorded_by: int,
    kelurahan_code: str | None,
    amount: int,
    paid_on: date,
    idempotency_key: str,
    note: str | None = None,
    now: datetime,
    method: str = "cash",
    draft_of: int | None = None,
) -> RepaymentResult[Any]:
    """A treasurer's own entry (cash from a borrower without a phone): verified at entry and allocated at once.
    Only the verified balance limits it (a doubtful pending report must not block cash in hand). ``draft_of``:
    the Telegram user whose form draft this finishes, deleted in the same transaction as the entry (also when
    the idempotency key was used before: that form is finished too)."""
    async with db.transaction() as tx:
        loan = await loans.get(tx, loan_id)
        if loan is None or loan.kelurahan_code != kelurahan_code:
            return RepaymentResult(Outcome.NOT_FOUND)
        if loan.borrower_id == recorded_by:
            return RepaymentResult(Outcome.OWN_PAYMENT)
        existing = await repayments.by_key(tx, idempotency_key)
        if existing is not None:
            if draft_of is not None:
                await drafts.delete(tx, draft_of)
            return RepaymentResult(Outcome.DUPLICATE, existing)
        before = await _summary(tx, loan_id)
        try:
            repayment, _ = await repayments.record_verified(
                tx, loan_id=loan_id, amount=amount, paid_on=paid_on, method=method, recorded_by=recorded_by,
                idempotency_key=idempotency_key, note=note, summary=before, now=now,
            )
        except repayments.Overpayment as exc:
            return _overpaid(exc)
        after = (await _summary(tx, loan_id)).state
        await audit.record(
            tx, "repayment.recorded", actor_person_id=recorded_by, entity="repayment", entity_id=repayment.id,
            kelurahan_code=loan.kelurahan_code,
            details={"loan_id": loan_id, "amount": amount, "paid_on": paid_on, "method": method,
                     "outstanding_before": before.outstanding, "outstanding_after": after.outstanding},
        )
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return RepaymentResult(Outcome.STORED, repayment)
