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

Receipts (issue 15): a payment that starts to count (verified, or recorded by a treasurer) gets its numbered
receipt in the same transaction (:func:`bot.services.receipts.issue_in`), and a reversal voids it
(:func:`bot.services.receipts.void_in`); ``receipt_key`` is ``PEM_RECEIPT_KEY`` (None: the key beside the
database).

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

from bot.domain.reporting import ReportedPayment, matching_report, possible_duplicates
from bot.domain.roles import FALLBACK_CHECKERS, CheckedBy, Role, checkers
from bot.services import receipts as receipt_service
from storage import audit, drafts, loans, people, repayments
from storage.db import Database, Queryable
from storage.loans import LoanSummary
from storage.people import Person
from storage.receipts import Receipt
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
    NOT_CHECKER = "not_checker"  # verify/reject: the actor is not one who checks it (a lurah while treasurers can)
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
    #: report_repayment: what the QueueNotice callback returned, one per checker told
    notices: tuple[N, ...] = ()
    #: report_repayment: who checks it (another treasurer; the lurah and admins; nobody), for the reporter
    checked_by: CheckedBy | None = None
    #: verify/record: the receipt issued in the same transaction; reverse: that receipt, now void (None for a
    #: payment verified before receipts existed)
    receipt: Receipt | None = None

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
        checked_by, told = await _checkers(tx, loan.kelurahan_code, {loan.borrower_id, reported_by})
        notices = await _announce(tx, repayment.id, notify, told) if notify is not None else ()
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return RepaymentResult(Outcome.STORED, repayment, notices=notices, checked_by=checked_by)


def _reported(r: Repayment) -> ReportedPayment:
    return ReportedPayment(id=r.id, loan_id=r.loan_id, amount=r.amount, paid_on=r.paid_on,
                           installment_id=r.installment_id)


async def matching_pending_report(q: Queryable, *, loan_id: int, amount: int, paid_on: date,
                                  installment_id: int | None = None) -> Repayment | None:
    """A pending report of the same loan and amount, paid within a few days of ``paid_on``
    (:func:`bot.domain.reporting.matching_report`): the borrower is asked before reporting it again."""
    pending = {r.id: r for r in await repayments.pending_for_loans(q, [loan_id])}
    found = matching_report([_reported(r) for r in pending.values()], loan_id=loan_id, amount=amount,
                            paid_on=paid_on, installment_id=installment_id)
    return None if found is None else pending[found.id]


async def duplicate_references(q: Queryable, shown: list[RepaymentView]) -> dict[int, list[str]]:
    """For the pending repayments ``shown`` (a /verifikasi page): the references of the other pending reports
    of their loans that may be the same payment (:func:`bot.domain.reporting.possible_duplicates`)."""
    pending = await repayments.pending_for_loans(q, sorted({v.repayment.loan_id for v in shown}))
    by_id = {r.id: r for r in pending}
    twins = possible_duplicates([_reported(r) for r in pending])
    return {v.repayment.id: [by_id[t].reference for t in twins[v.repayment.id]]
            for v in shown if v.repayment.id in twins}


async def announce_pending(db: Database, repayment_id: int, notify: QueueNotice[N]) -> tuple[N, ...]:
    """Announce a pending repayment stored earlier to its treasurers (one transaction for the notices)."""
    async with db.transaction() as tx:
        return await _announce(tx, repayment_id, notify)


async def _announce(tx: Queryable, repayment_id: int, notify: QueueNotice[N], told: list[Person] | None = None
                    ) -> tuple[N, ...]:
    """Queue the notices of a pending repayment to its checkers (``told``, when the caller computed them)."""
    view = await repayments.view(tx, repayment_id)
    if view is None or view.repayment.status != "pending":
        return ()
    queued = []
    if told is None:
        _, told = await _checkers(tx, view.kelurahan_code, _makers(view))
    for checker in told:  # maker-checker: never the borrower or the reporter (bot.domain.roles.checkers)
        notice = await notify(tx, checker, view)
        if notice is not None:
            queued.append(notice)
    return tuple(queued)


# --- maker-checker: who checks -----------------------------------------------------------------------------
#: The roles that may check a repayment: treasurers, and when none of them can, the lurah and admins.
CHECKER_ROLES: frozenset[Role] = frozenset({Role.TREASURER}) | FALLBACK_CHECKERS


def _makers(view: RepaymentView) -> set[int]:
    return {view.borrower_id, view.repayment.reported_by}


async def _candidates(q: Queryable, kelurahan_code: str, actor: int | None = None) -> list[Person]:
    """Who could check in a kelurahan: active treasurers, lurahs and admins on Telegram (someone who never
    opened their invite can't check anything; the actor deciding now obviously can)."""
    return [p for p in await people.with_any_role(q, CHECKER_ROLES, kelurahan_code) if p.linked or p.id == actor]


async def _checkers(q: Queryable, kelurahan_code: str, makers: set[int], actor: int | None = None
                    ) -> tuple[CheckedBy, list[Person]]:
    found = await _candidates(q, kelurahan_code, actor)
    group, ids = checkers([(p.id, p.roles) for p in found], makers)
    return group, [p for p in found if p.id in ids]


async def may_check(q: Queryable, view: RepaymentView, person_id: int) -> bool:
    """Whether ``person_id`` checks this repayment (:func:`bot.domain.roles.checkers`)."""
    _, found = await _checkers(q, view.kelurahan_code, _makers(view), actor=person_id)
    return any(p.id == person_id for p in found)


async def checkable_pending(q: Queryable, *, person_id: int, kelurahan_code: str, offset: int = 0,
                            limit: int = 5) -> tuple[list[RepaymentView], int]:
    """The kelurahan's pending repayments this person checks, oldest report first: one page and the total.
    A treasurer's own reports and loans are left out; a lurah or admin sees only those no treasurer can check.
    A kelurahan has tens of pending reports at most, so they are filtered here rather than in SQL."""
    everything, _ = await repayments.pending_for_kelurahan(q, kelurahan_code, limit=10_000)
    candidates = [(p.id, p.roles) for p in await _candidates(q, kelurahan_code, person_id)]
    mine = [v for v in everything if person_id in checkers(candidates, _makers(v))[1]]
    return mine[offset:offset + limit], len(mine)


async def checkers_to_nudge(q: Queryable, cutoff: datetime) -> list[tuple[Person, int, str]]:
    """Who should be nudged about repayments pending since before ``cutoff``: ``(checker, how many, oldest
    reported_at)``, by the same rule as the notices, so nobody is nudged about their own report and a lurah
    is nudged when no treasurer can check. Only people who can be reached."""
    found: dict[int, tuple[Person, int, str]] = {}
    by_kelurahan: dict[str, list[Person]] = {}
    for view in await repayments.pending_reported_before(q, cutoff):
        kel = view.kelurahan_code
        if kel not in by_kelurahan:
            by_kelurahan[kel] = await _candidates(q, kel)
        _, ids = checkers([(p.id, p.roles) for p in by_kelurahan[kel]], _makers(view))
        for person in by_kelurahan[kel]:
            if person.id in ids and person.reachable and person.telegram_chat_id is not None:
                _, count, oldest = found.get(person.id, (person, 0, view.repayment.reported_at))
                found[person.id] = (person, count + 1, min(oldest, view.repayment.reported_at))
    return [found[k] for k in sorted(found)]


# --- treasurer: verify, reject -----------------------------------------------------------------------------
async def verify_repayment(db: Database, repayment_id: int, *, by: int, kelurahan_code: str | None, now: datetime,
                           receipt_key: bytes | None = None) -> RepaymentResult[Any]:
    """Approve a pending repayment: it counts from now on, the loan is re-allocated and its receipt issued."""
    return await _decide(db, repayment_id, approve=True, by=by, kelurahan_code=kelurahan_code, reason=None, now=now,
                         receipt_key=receipt_key)


async def reject_repayment(db: Database, repayment_id: int, *, by: int, kelurahan_code: str | None, reason: str,
                           now: datetime, draft_of: int | None = None) -> RepaymentResult[Any]:
    """Reject a pending repayment with a reason (``ValueError`` without one: the caller asks for it first).
    ``draft_of``: the Telegram user whose form draft (the reason form) this finishes, deleted in the transaction
    that stores the rejection."""
    return await _decide(db, repayment_id, approve=False, by=by, kelurahan_code=kelurahan_code, reason=reason,
                         now=now, draft_of=draft_of)


async def _decide(db: Database, repayment_id: int, *, approve: bool, by: int, kelurahan_code: str | None,
                  reason: str | None, now: datetime, draft_of: int | None = None,
                  receipt_key: bytes | None = None) -> RepaymentResult[Any]:
    async with db.transaction() as tx:
        current = await repayments.view(tx, repayment_id)
        if current is None or current.kelurahan_code != kelurahan_code:
            return RepaymentResult(Outcome.NOT_FOUND)
        if by in _makers(current):
            return RepaymentResult(Outcome.OWN_PAYMENT, current.repayment, current)
        if not await may_check(tx, current, by):  # a lurah or admin while a treasurer can check it
            return RepaymentResult(Outcome.NOT_CHECKER, current.repayment, current)
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
        receipt = None
        if approve:
            receipt = await receipt_service.issue_in(tx, db, repayment_id=repayment_id, by=by, now=now,
                                                     receipt_key=receipt_key, kelurahan_code=current.kelurahan_code)
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return RepaymentResult(Outcome.STORED, rep, decided, receipt=receipt)


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
        receipt = await receipt_service.void_in(tx, repayment_id=repayment_id, by=by, now=now,
                                                reason=rep.reversal_reason or reason,
                                                kelurahan_code=current.kelurahan_code)
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return RepaymentResult(Outcome.STORED, rep, view, receipt=receipt)


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
    receipt_key: bytes | None = None,
) -> RepaymentResult[Any]:
    """A treasurer's own entry (cash from a borrower without a phone): verified at entry and allocated at once.
    Only the verified balance limits it (a doubtful pending report must not block cash in hand). ``draft_of``:
    the Telegram user whose form draft this finishes, deleted in the same transaction as the entry (also when
    the idempotency key was used before: that form is finished too). The receipt is issued in the same transaction,
    at ``now``. On a written-off loan the payment is a **recovery** (``repayments.kind = 'recovery'``, audited
    ``repayment.recovered``, with its own receipt); the loan stays written off."""
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
            return RepaymentResult(Outcome.DUPLICATE, existing,
                                   receipt=await receipt_service.receipt_of(tx, existing.id))
        before = await _summary(tx, loan_id)
        kind = "recovery" if loan.status == "written_off" else "repayment"  # issue 16: counted apart
        try:
            repayment, _ = await repayments.record_verified(
                tx, loan_id=loan_id, amount=amount, paid_on=paid_on, method=method, recorded_by=recorded_by,
                idempotency_key=idempotency_key, note=note, summary=before, now=now, kind=kind,
            )
        except repayments.Overpayment as exc:
            return _overpaid(exc)
        after = (await _summary(tx, loan_id)).state
        await audit.record(
            tx, "repayment.recovered" if kind == "recovery" else "repayment.recorded", actor_person_id=recorded_by,
            entity="repayment", entity_id=repayment.id, kelurahan_code=loan.kelurahan_code,
            details={"loan_id": loan_id, "amount": amount, "paid_on": paid_on, "method": method, "kind": kind,
                     "outstanding_before": before.outstanding, "outstanding_after": after.outstanding},
        )
        assert repayment.verified_at is not None
        receipt = await receipt_service.issue_in(
            tx, db, repayment_id=repayment.id, by=recorded_by, now=now,
            receipt_key=receipt_key, kelurahan_code=loan.kelurahan_code)
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return RepaymentResult(Outcome.STORED, repayment, receipt=receipt)
