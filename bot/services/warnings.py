"""Use cases of the warning letters (surat peringatan SP-1..SP-3, issue 16 part 1). Each owns its transaction and
its audit row; the rules are :mod:`bot.domain.warnings`.

* :func:`open_due_steps` (the daily job, :mod:`bot.jobs.warnings`): for every active loan in arrears, the letter
  due (:func:`bot.domain.warnings.due_level`) opens a step, audited ``warning.step_opened``, and each reachable
  treasurer of the kelurahan gets ONE task through the outbox (kind ``warning_task``, template
  ``warnings/task``, buttons *Terbitkan* ``spl:go:<step>`` and *Tunda 7 hari* ``spl:wait:<step>``, dedupe
  ``sp:<step>:<round>:<treasurer>``). A loan has at most one open step: while SP-1 waits (or is postponed), no
  SP-2 is offered. A postponed step's task is sent again, as a new message, on the day its week is over.
* :func:`issue` (*Terbitkan*): the letter number from the kelurahan's register, what it says (arrears in figures,
  the instalments missed, the deadline) stored with it, audited ``warning.issued``; the other treasurers' queued
  tasks are cancelled. A step whose arrears were cleared meanwhile is closed instead (``CLEARED``).
* :func:`postpone` (*Tunda 7 hari*, with a reason): audited ``warning.postponed``.
* :func:`close_cleared` (a clean-up before every send, and the daily job): open steps of loans no longer in
  arrears (or no longer active) are closed, audited ``warning.step_closed``, and their queued tasks cancelled.

Who may act: a treasurer (or admin) of the loan's kelurahan. Maker-checker is not required for letters (issue 16).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.domain import warnings as rules
from bot.domain.receipts import receipt_year
from bot.domain.roles import Role
from storage import audit, drafts, loans, outbox, outbox_keys, people, receipts
from storage import pauses as pause_repo
from storage import warnings as repo
from storage.db import Database, Queryable
from storage.people import Person
from storage.warnings import MissedInstallment, WarningStep

TASK_TEMPLATE = "warnings/task"
ACTORS = frozenset({Role.TREASURER, Role.ADMIN})


def task_buttons(step_id: int) -> list[list[tuple[str, str]]]:
    return [[("warnings.issue", f"spl:go:{step_id}"), ("warnings.postpone", f"spl:wait:{step_id}")]]


def task_context(step: WarningStep, summary: loans.LoanSummary, today: date) -> dict[str, object]:
    return {"step_id": step.id, "level": step.level, "roman": rules.roman(step.level),
            "borrower": summary.borrower_name, "principal": summary.loan.principal,
            "days_late": summary.days_in_arrears(today), "arrears": summary.overdue_amount(today),
            "disbursed_on": summary.loan.disbursed_on.isoformat()}


async def _queue_tasks(tx: Queryable, step: WarningStep, summary: loans.LoanSummary, today: date,
                       now: datetime) -> int:
    queued = 0
    for treasurer in await people.with_role(tx, Role.TREASURER, step.kelurahan_code):
        if treasurer.telegram_chat_id is None or not treasurer.reachable:
            continue
        queued += await outbox.enqueue(
            tx, kind=outbox_keys.WARNING_TASK_KIND, recipient_id=treasurer.id,
            dedupe_key=outbox_keys.warning_task_key(step.id, step.round, treasurer.id), template=TASK_TEMPLATE,
            context=task_context(step, summary, today), not_before=now, buttons=task_buttons(step.id))
    return queued


async def open_due_steps(db: Database, *, today: date, now: datetime, steps: tuple[int, ...]) -> int:
    """The daily run: close what was cleared, open the steps now due, (re)send the tasks; returns messages queued.
    Nothing is opened or sent in a kelurahan while a pause covers today (issue 16 part 4)."""
    await close_cleared(db, now=now, today=today)
    queued = 0
    async with db.transaction() as tx:
        paused = await pause_repo.paused_kelurahan(tx, today)  # a pause after a disaster: no task goes out there
        for loan_id in await repo.active_loans_in_arrears(tx, today):
            summary = await loans.summary(tx, loan_id)
            if summary is None or summary.loan.kelurahan_code in paused:
                continue
            days_late = summary.days_in_arrears(today)
            step = await repo.open_for_loan(tx, loan_id)
            if step is None:
                level = rules.due_level(days_late, await repo.issued_levels(tx, loan_id), steps)
                if level is None:
                    continue
                step = await repo.open_step(tx, loan_id=loan_id, kelurahan_code=summary.loan.kelurahan_code,
                                            level=level, today=today, days_late=days_late, now=now)
                await audit.record(tx, "warning.step_opened", entity="warning_step", entity_id=step.id,
                                   kelurahan_code=step.kelurahan_code,
                                   details={"loan_id": loan_id, "level": level, "days_late": days_late})
            elif step.postponed_until is not None and step.postponed_until > today:
                continue  # postponed: its task comes again once the week is over
            queued += await _queue_tasks(tx, step, summary, today, now)
    return queued


class Outcome(StrEnum):
    ISSUED = "issued"
    POSTPONED = "postponed"
    ALREADY = "already"  # issued (or postponed) by someone else, or closed: ``step`` shows how
    CLEARED = "cleared"  # the arrears were cleared meanwhile: the step is closed, no letter
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    step: WarningStep | None = None
    borrower: Person | None = None


def may_act(person: Person | None, step: WarningStep | None) -> bool:
    return (step is not None and person is not None and person.active and person.has_any(ACTORS)
            and person.kelurahan_code == step.kelurahan_code)


async def _load(tx: Queryable, step_id: int, by: int) -> tuple[WarningStep | None, Person | None]:
    return await repo.get(tx, step_id), await people.get(tx, by)


async def _close_in(tx: Queryable, step: WarningStep, *, now: datetime, reason: str, by: int | None) -> None:
    if await repo.close(tx, step.id, now=now, reason=reason):
        await outbox.cancel(tx, await repo.queued_task_ids(tx, step.id), f"warning step {reason}")
        await audit.record(tx, "warning.step_closed", actor_person_id=by, entity="warning_step", entity_id=step.id,
                           kelurahan_code=step.kelurahan_code,
                           details={"loan_id": step.loan_id, "level": step.level, "reason": reason})


async def issue(db: Database, step_id: int, *, by: int, now: datetime, today: date, deadline_days: int) -> Result:
    """*Terbitkan*: number the letter and record what it says, in one transaction."""
    async with db.transaction() as tx:
        step, person = await _load(tx, step_id, by)
        if not may_act(person, step):
            return Result(Outcome.NOT_ALLOWED)
        assert step is not None
        if step.status != "open":
            return Result(Outcome.ALREADY, step)
        summary = await loans.summary(tx, step.loan_id)
        assert summary is not None
        days_late = summary.days_in_arrears(today)
        if summary.loan.status != "active" or not rules.step_still_open(days_late):
            await _close_in(tx, step, now=now, reason="cleared", by=by)
            return Result(Outcome.CLEARED, await repo.get(tx, step.id))
        year = receipt_year(now)
        seq = await repo.next_seq(tx, step.kelurahan_code, year)
        number = rules.format_number(await receipts.short_code(tx, step.kelurahan_code), step.level, year, seq)
        missed = [MissedInstallment(s.installment.number, s.installment.due_date, s.remaining)
                  for s in summary.state.installments if s.installment.due_date < today and s.remaining > 0]
        deadline = rules.deadline(today, deadline_days)
        arrears = summary.overdue_amount(today)
        await repo.mark_issued(tx, step.id, number=number, year=year, seq=seq, now=now, issued_on=today, by=by,
                               deadline=deadline, days_late=days_late, arrears_amount=arrears,
                               outstanding=summary.outstanding, missed=missed)
        await outbox.cancel(tx, await repo.queued_task_ids(tx, step.id), "warning letter issued")
        await audit.record(tx, "warning.issued", actor_person_id=by, entity="warning_step", entity_id=step.id,
                           kelurahan_code=step.kelurahan_code,
                           details={"loan_id": step.loan_id, "level": step.level, "number": number,
                                    "arrears": arrears, "days_late": days_late, "deadline": deadline.isoformat(),
                                    "missed": [m.number for m in missed]})
        issued = await repo.get(tx, step.id)
        borrower = await people.get(tx, summary.loan.borrower_id)
    return Result(Outcome.ISSUED, issued, borrower)


async def postpone(db: Database, step_id: int, *, by: int, reason: str, today: date, now: datetime,
                   draft_of: int | None = None) -> Result:
    """*Tunda 7 hari* with a reason (``ValueError`` when it is empty: the form asks it first)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValueError("a postponement needs a reason")
    async with db.transaction() as tx:
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
        step, person = await _load(tx, step_id, by)
        if not may_act(person, step):
            return Result(Outcome.NOT_ALLOWED)
        assert step is not None
        if step.status != "open" or (step.postponed_until is not None and step.postponed_until > today):
            return Result(Outcome.ALREADY, step)
        until = rules.postponed_until(today)
        await repo.postpone(tx, step.id, until=until, reason=reason[:rules.REASON_MAX], by=by)
        await outbox.cancel(tx, await repo.queued_task_ids(tx, step.id), "warning step postponed")
        await audit.record(tx, "warning.postponed", actor_person_id=by, entity="warning_step", entity_id=step.id,
                           kelurahan_code=step.kelurahan_code,
                           details={"loan_id": step.loan_id, "level": step.level, "until": until.isoformat(),
                                    "reason": reason[:rules.REASON_MAX]})
        return Result(Outcome.POSTPONED, await repo.get(tx, step.id))


async def close_cleared(db: Database, *, now: datetime, today: date) -> int:
    """Close the open steps whose loan is no longer in arrears (a payment cleared them) or no longer active. Runs
    before every send: one query finds the candidates, and a write transaction is opened only when there is
    something to close."""
    to_close: list[tuple[WarningStep, str]] = []
    for step in await repo.open_steps_maybe_cleared(db, today):
        summary = await loans.summary(db, step.loan_id)
        if summary is None:
            continue
        active = summary.loan.status == "active"
        if not active or not rules.step_still_open(summary.days_in_arrears(today)):
            to_close.append((step, "cleared" if active else summary.loan.status))
    if not to_close:
        return 0
    async with db.transaction() as tx:
        for step, reason in to_close:
            await _close_in(tx, step, now=now, reason=reason, by=None)
    return len(to_close)


async def open_tasks(db: Database, kelurahan_code: str, *, today: date) -> list[tuple[WarningStep, dict[str, object]]]:
    """``/surat_peringatan``: the kelurahan's open steps that can be acted on today (not postponed), oldest
    first, each with the context of its task message."""
    out = []
    for step in await repo.open_steps(db):
        if step.kelurahan_code != kelurahan_code or (step.postponed_until is not None
                                                     and step.postponed_until > today):
            continue
        summary = await loans.summary(db, step.loan_id)
        if summary is not None and rules.step_still_open(summary.days_in_arrears(today)):
            out.append((step, task_context(step, summary, today)))
    return out


async def letters_of_loan(q: Queryable, loan_id: int) -> list[WarningStep]:
    return await repo.letters_for_loan(q, loan_id)


async def letter(q: Queryable, step_id: int) -> WarningStep | None:
    return await repo.get(q, step_id)
