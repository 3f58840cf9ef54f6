"""Use cases of a loan's life after disbursement (issue 16, part 3): reschedule and write-off proposals, the
lurah's decision, and their effects. Recovery (a payment on a written-off loan) is
:func:`bot.services.repayments.record_cash_payment`.

Maker-checker (:func:`bot.domain.roles.proposal_checkers`): a treasurer proposes; the kelurahan's lurah decides;
when the lurah is a maker (proposed it, or it is their loan) or there is no lurah on Telegram, the kelurahan's
admins decide. Nobody ever decides their own proposal, nor a proposal on their own loan; treasurers never decide.

Each function owns one transaction and writes its audit row with the amounts before and after:
``loan.reschedule_proposed``, ``loan.write_off_proposed``, ``loan.proposal_rejected``, ``loan.rescheduled``
(outstanding, days in arrears and kolektibilitas before and after, the archived version) and
``loan.written_off``. A rejection needs a reason (stored in ``loan_proposals.decision_note``, audited, told to
the proposer). Notices to the checkers are queued through the caller's :class:`QueueProposal` callback
inside the proposing transaction (the outbox rows commit with the proposal), as
:mod:`bot.services.repayments` does for reported payments.

A reschedule is planned by :func:`bot.domain.loans.plan_reschedule` against the loan as it stands: when the form
shows the schedule, and again at approval (payments verified meanwhile make the new instalments smaller). It
runs from the day of approval (WITA ``today``). Approval is refused while the loan has pending reports
(``PENDING_REPORTS``): they must be verified or rejected first, so the kept allocations cannot move.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from bot.domain.loans import RescheduleError, ReschedulePlan, collectibility, fee_per_installment, plan_reschedule
from bot.domain.pauses import move_plan
from bot.domain.roles import CheckedBy, Role, proposal_checkers
from storage import audit, drafts, lifecycle, loans, people
from storage.db import Database, Queryable
from storage.lifecycle import Proposal
from storage.loans import LoanSummary
from storage.people import Person

N = TypeVar("N")
N_co = TypeVar("N_co", covariant=True)

#: who may be asked to decide a proposal (bot.domain.roles.proposal_checkers picks among them)
DECIDER_ROLES: frozenset[Role] = frozenset({Role.LURAH, Role.ADMIN})


class QueueProposal(Protocol[N_co]):
    """Queue one notice about ``proposal`` (with ``plan`` for a reschedule) to ``recipient`` in ``tx``."""

    def __call__(self, tx: Queryable, recipient: Person, proposal: Proposal, plan: ReschedulePlan | None, /
                 ) -> Awaitable[N_co | None]: ...


class Outcome(StrEnum):
    STORED = "stored"
    NOT_FOUND = "not_found"  # no such loan/proposal in the actor's kelurahan
    NOT_ACTIVE = "not_active"  # the loan is not active (paid off or written off)
    OWN_LOAN = "own_loan"  # the actor's own loan
    ALREADY_PENDING = "already_pending"  # propose: the loan has a pending proposal (``proposal``)
    INVALID = "invalid"  # reschedule terms refused: ``error`` says why
    OWN_PROPOSAL = "own_proposal"  # decide: the actor proposed it
    NOT_CHECKER = "not_checker"  # decide: the actor is not the one who decides it
    ALREADY_DECIDED = "already_decided"  # decide: no longer pending (``proposal`` shows who decided)
    PENDING_REPORTS = "pending_reports"  # approve a reschedule: the loan has pending reports
    REASON_NEEDED = "reason_needed"  # reject: a reason (REJECT_REASON_MIN–MAX characters) is required


REJECT_REASON_MIN, REJECT_REASON_MAX = 3, 200


def clean_reject_reason(text: str | None) -> str | None:
    """The rejection's reason, whitespace folded; None when it is too short, too long or has no letter."""
    reason = " ".join((text or "").split())
    if not REJECT_REASON_MIN <= len(reason) <= REJECT_REASON_MAX or not any(c.isalpha() for c in reason):
        return None
    return reason


@dataclass(frozen=True)
class LifecycleResult(Generic[N]):
    outcome: Outcome
    proposal: Proposal | None = None
    plan: ReschedulePlan | None = None
    error: RescheduleError | None = None
    notices: tuple[N, ...] = ()
    checked_by: CheckedBy | None = None
    #: decide: the loan after the effect (approve) or as it was (reject)
    summary: LoanSummary | None = None
    #: approve a reschedule: the archived version number of the old schedule
    version: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.STORED


async def _summary(q: Queryable, loan_id: int) -> LoanSummary:
    summary = await loans.summary(q, loan_id)
    assert summary is not None
    return summary


def plan_for(summary: LoanSummary, *, today: date, tenor_months: int, grace_months: int, first_due_on: date
             ) -> ReschedulePlan:
    """The reschedule of this loan as it stands (raises :class:`RescheduleError`). The fee of each new instalment
    is the loan's flat monthly fee; a new instalment due inside a pause of the kelurahan moves by the pause's
    length (rule 4 of :mod:`bot.domain.pauses`)."""
    loan = summary.loan
    plan = plan_reschedule(summary.state, effective_on=today, tenor_months=tenor_months, grace_months=grace_months,
                           first_due_on=first_due_on,
                           fee_per_month=fee_per_installment(loan.principal, loan.fee_percent_monthly))
    return move_plan(plan, summary.pauses)


async def preview_reschedule(q: Queryable, loan_id: int, *, today: date, tenor_months: int, grace_months: int,
                             first_due_on: date) -> ReschedulePlan:
    """What the form shows before the proposal is sent (read-only; raises :class:`RescheduleError`)."""
    return plan_for(await _summary(q, loan_id), today=today, tenor_months=tenor_months, grace_months=grace_months,
                    first_due_on=first_due_on)


# --- who decides ---------------------------------------------------------------------------------------------
async def _deciders(q: Queryable, kelurahan_code: str, makers: set[int], actor: int | None = None
                    ) -> tuple[CheckedBy, list[Person]]:
    found = [p for p in await people.with_any_role(q, DECIDER_ROLES, kelurahan_code)
             if p.linked or p.id == actor]
    group, ids = proposal_checkers([(p.id, p.roles) for p in found], makers)
    return group, [p for p in found if p.id in ids]


def _makers(proposal: Proposal) -> set[int]:
    return {proposal.proposed_by, proposal.borrower_id}


async def may_decide(q: Queryable, proposal: Proposal, person_id: int) -> bool:
    _, found = await _deciders(q, proposal.kelurahan_code, _makers(proposal), actor=person_id)
    return any(p.id == person_id for p in found)


async def decidable(q: Queryable, *, person_id: int, kelurahan_code: str) -> list[Proposal]:
    """The kelurahan's pending proposals this person decides, oldest first (``/persetujuan``)."""
    return [p for p in await lifecycle.pending_for_kelurahan(q, kelurahan_code)
            if await may_decide(q, p, person_id)]


# --- propose -------------------------------------------------------------------------------------------------
async def _propose(db: Database, *, kind: str, loan_id: int, by: int, kelurahan_code: str | None, now: datetime,
                   today: date, notify: QueueProposal[N] | None, draft_of: int | None,
                   terms: dict[str, Any]) -> LifecycleResult[N]:
    async with db.transaction() as tx:
        loan = await loans.get(tx, loan_id)
        if loan is None or loan.kelurahan_code != kelurahan_code:
            return LifecycleResult(Outcome.NOT_FOUND)
        if loan.borrower_id == by:
            return LifecycleResult(Outcome.OWN_LOAN)
        if loan.status != "active":
            return LifecycleResult(Outcome.NOT_ACTIVE)
        existing = await lifecycle.pending_for_loan(tx, loan_id)
        if existing is not None:
            if draft_of is not None:
                await drafts.delete(tx, draft_of)
            return LifecycleResult(Outcome.ALREADY_PENDING, existing)
        summary = await _summary(tx, loan_id)
        plan = None
        if kind == "reschedule":
            try:
                plan = plan_for(summary, today=today, tenor_months=terms["tenor_months"],
                                grace_months=terms["grace_months"], first_due_on=terms["first_due_on"])
            except RescheduleError as exc:
                return LifecycleResult(Outcome.INVALID, error=exc)
        proposal = await lifecycle.propose(tx, loan_id=loan_id, kelurahan_code=loan.kelurahan_code, kind=kind,
                                           proposed_by=by, now=now, outstanding_before=summary.outstanding, **terms)
        details: dict[str, Any] = {"loan_id": loan_id, "outstanding_before": summary.outstanding,
                                   "days_in_arrears": summary.days_in_arrears(today), **terms}
        if plan is not None:
            details.update(outstanding_after=plan.outstanding_after, principal_left=plan.principal_left,
                           fee_carried=plan.fee_carried, new_installments=len(plan.new))
        await audit.record(tx, f"loan.{kind}_proposed", actor_person_id=by, entity="loan_proposal",
                           entity_id=proposal.id, kelurahan_code=loan.kelurahan_code, details=details)
        checked_by, told = await _deciders(tx, loan.kelurahan_code, _makers(proposal))
        queued = []
        if notify is not None:
            for person in told:
                notice = await notify(tx, person, proposal, plan)
                if notice is not None:
                    queued.append(notice)
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return LifecycleResult(Outcome.STORED, proposal, plan, notices=tuple(queued), checked_by=checked_by)


async def propose_reschedule(db: Database, *, loan_id: int, by: int, kelurahan_code: str | None,
                             tenor_months: int, grace_months: int, first_due_on: date, now: datetime, today: date,
                             notify: QueueProposal[N] | None = None, draft_of: int | None = None
                             ) -> LifecycleResult[N]:
    """A treasurer proposes new terms for the unpaid part of an active loan; the deciders are told."""
    return await _propose(db, kind="reschedule", loan_id=loan_id, by=by, kelurahan_code=kelurahan_code, now=now,
                          today=today, notify=notify, draft_of=draft_of,
                          terms={"tenor_months": tenor_months, "grace_months": grace_months,
                                 "first_due_on": first_due_on})


async def propose_write_off(db: Database, *, loan_id: int, by: int, kelurahan_code: str | None, reason: str,
                            note: str | None, now: datetime, today: date, notify: QueueProposal[N] | None = None,
                            draft_of: int | None = None) -> LifecycleResult[N]:
    """A treasurer proposes writing an active loan off, with a reason (``storage.lifecycle.REASONS``)."""
    return await _propose(db, kind="write_off", loan_id=loan_id, by=by, kelurahan_code=kelurahan_code, now=now,
                          today=today, notify=notify, draft_of=draft_of, terms={"reason": reason, "note": note})


# --- decide --------------------------------------------------------------------------------------------------
async def _refusal(q: Queryable, proposal_id: int, by: int, kelurahan_code: str | None
                   ) -> tuple[Proposal | None, LifecycleResult[Any] | None]:
    proposal = await lifecycle.get(q, proposal_id)
    if proposal is None or proposal.kelurahan_code != kelurahan_code:
        return None, LifecycleResult(Outcome.NOT_FOUND)
    if by == proposal.borrower_id:
        return proposal, LifecycleResult(Outcome.OWN_LOAN, proposal)
    if by in _makers(proposal):
        return proposal, LifecycleResult(Outcome.OWN_PROPOSAL, proposal)
    if proposal.status != "pending":
        return proposal, LifecycleResult(Outcome.ALREADY_DECIDED, proposal)
    if not await may_decide(q, proposal, by):
        return proposal, LifecycleResult(Outcome.NOT_CHECKER, proposal)
    return proposal, None


async def check_decider(q: Queryable, proposal_id: int, *, by: int, kelurahan_code: str | None
                        ) -> LifecycleResult[Any]:
    """Whether ``by`` may decide the proposal now (read-only): ``STORED`` with the proposal when so, else the
    refusal :func:`decide` would give (Tolak asks the reason only of someone who may decide)."""
    proposal, refused = await _refusal(q, proposal_id, by, kelurahan_code)
    return refused or LifecycleResult(Outcome.STORED, proposal)


async def decide(db: Database, proposal_id: int, *, approve: bool, by: int, kelurahan_code: str | None,
                 now: datetime, today: date, reason: str | None = None, draft_of: int | None = None
                 ) -> LifecycleResult[Any]:
    """The lurah (or an admin) approves or rejects a pending proposal; on approval its effect is applied in the
    same transaction. A rejection needs a ``reason`` (:func:`clean_reject_reason`), stored and audited."""
    note = None if approve else clean_reject_reason(reason)
    async with db.transaction() as tx:
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
        proposal, refused = await _refusal(tx, proposal_id, by, kelurahan_code)
        if refused is not None:
            return refused
        assert proposal is not None
        if not approve and note is None:
            return LifecycleResult(Outcome.REASON_NEEDED, proposal)
        before = await _summary(tx, proposal.loan_id)
        base = {"loan_id": proposal.loan_id, "kind": proposal.kind, "outstanding_before": before.outstanding,
                "days_in_arrears_before": before.days_in_arrears(today),
                "kolektibilitas_before": collectibility(before.days_in_arrears(today))}
        plan = version = None
        if approve:  # every refusal before anything is written (a return commits the transaction)
            if before.loan.status != "active":
                return LifecycleResult(Outcome.NOT_ACTIVE, proposal)
            if proposal.kind == "reschedule":
                if before.pending_total:
                    return LifecycleResult(Outcome.PENDING_REPORTS, proposal, summary=before)
                assert proposal.tenor_months is not None and proposal.first_due_on is not None
                try:
                    plan = plan_for(before, today=today, tenor_months=proposal.tenor_months,
                                    grace_months=proposal.grace_months or 0, first_due_on=proposal.first_due_on)
                except RescheduleError as exc:
                    return LifecycleResult(Outcome.INVALID, proposal, error=exc)
        if not await lifecycle.decide(tx, proposal_id, approve=approve, by=by, now=now, note=note):
            # cannot happen under BEGIN IMMEDIATE (checked above), kept as the guard; nothing is written
            return LifecycleResult(Outcome.ALREADY_DECIDED, await lifecycle.get(tx, proposal_id))
        if not approve:
            await audit.record(tx, "loan.proposal_rejected", actor_person_id=by, entity="loan_proposal",
                               entity_id=proposal_id, kelurahan_code=proposal.kelurahan_code,
                               details={**base, "outstanding_after": before.outstanding, "reason": note})
            return LifecycleResult(Outcome.STORED, await lifecycle.get(tx, proposal_id), summary=before)
        if plan is not None:
            version = await lifecycle.apply_reschedule(tx, proposal.loan_id, plan, proposal_id=proposal_id, now=now)
        else:
            written = await lifecycle.write_off(tx, proposal.loan_id, amount=before.outstanding, now=now)
            assert written  # the loan was active, checked above, in this transaction
        after = await _summary(tx, proposal.loan_id)
        details = {**base, "outstanding_after": after.outstanding,
                   "days_in_arrears_after": after.days_in_arrears(today),
                   "kolektibilitas_after": collectibility(after.days_in_arrears(today)),
                   "status_before": before.loan.status, "status_after": after.loan.status}
        if plan is not None:
            details.update(version=version, installments_replaced=len(plan.replaced),
                           installments_new=len(plan.new), principal_left=plan.principal_left,
                           fee_carried=plan.fee_carried, first_due_on=plan.new[0].due_date,
                           moved_by_pause={str(n): planned for n, planned in plan.paused_from})
        else:
            details.update(written_off_amount=before.outstanding, reason=proposal.reason)
        await audit.record(tx, "loan.rescheduled" if plan is not None else "loan.written_off",
                           actor_person_id=by, entity="loan", entity_id=proposal.loan_id,
                           kelurahan_code=proposal.kelurahan_code, details={**details, "proposal_id": proposal_id})
        return LifecycleResult(Outcome.STORED, await lifecycle.get(tx, proposal_id), plan, summary=after,
                               version=version)
