"""The monthly report (laporan perkembangan dana bergulir / LPJ) of a kelurahan's fund: pure calculation.

:func:`monthly_report` takes the facts of one kelurahan (loans with their schedules, repayments, receipts, the
treasurer's cash entries, the bank statement) and a month, and returns every figure of the report. No SQL, no
text: :mod:`storage.reports.lpj` reads the facts, ``messages/reports`` draws the XLSX and the PDF.

Definitions (the report's own sheet repeats them):

* **As of the month's end.** A loan counts when disbursed on or before the last day ``E``. A repayment counts when
  it is verified now and was paid (``paid_on``) on or before ``E``. A later payment therefore never changes the
  month; running the report twice gives the same figures. Later events that do change a past month are listed
  under *later changes* (:class:`LaterChange`): a payment made by ``E`` but verified after it (it counts), a
  payment made by ``E`` and reversed after it (it no longer counts, since the truth is that it did not stand), a
  cash entry dated by ``E`` but typed after it, and a receipt of the month voided after ``E``.
* **Cash book.** The cash book is a book of record: a reversal is a correcting entry *dated the day it was made*
  (:mod:`bot.domain.cash_book`), so a reversal in December leaves November's cash book as it was closed and appears
  in December's. The portfolio figures (outstanding, arrears, collected) use the corrected truth.
* **The month's collection.** ``due`` = principal + fee of the instalments due in the month. ``on time`` = what
  payments made on or before each instalment's due date paid against those instalments (early payments included);
  ``late`` = what payments made after the due date but by ``E`` paid against them. Two rates: on time ÷ due, and
  (on time + late) ÷ due. ``received`` is every rupiah paid in the month, whatever instalment it went to (arrears
  of earlier months included).
* **Days late** = ``E`` − due date of the oldest instalment not fully paid as of ``E`` (0 if not overdue);
  **kolektibilitas** by POJK 40/2019 (:func:`bot.domain.loans.collectibility`); a paid-off loan is in no bucket.
  The bucket amounts are outstanding principal (baki debet).
* **PAR30** = outstanding principal of loans more than 30 days late ÷ all outstanding principal (the loan's whole
  outstanding principal counts, not just the overdue part). It is *not* the PNPM "PAR" (three instalments behind).
* **Borrowers**: *active* has a loan with something outstanding; *paid off* has loans, all repaid (none written
  off); *in arrears* has a loan more than 0 days late.
* **Disbursement confirmation** as of ``E``: a loan whose answer came after ``E`` (or never) is unconfirmed.
* **Receipts**: those issued in the month (WITA), void ones included; a receipt voided after ``E`` counts as valid
  for the month and is listed as a later change.

A loan's life (issue 16), as of ``E`` too:

* **Written off** (hapus buku): a loan whose write-off was approved on or before ``E`` (WITA) is outside the
  portfolio: not in the outstanding figures, PAR, the kolektibilitas buckets, nor the active or in-arrears
  borrowers. It still counts in what was disbursed and in what was repaid before. The report shows it apart: how
  many loans, the amount written off (the outstanding at the write-off), what was recovered since, what is still
  owed; and how many were written off in the month, for how much.
* **Recoveries** (pemulihan): a verified payment of kind ``recovery`` (a payment on a written-off loan) is never
  an ordinary repayment: it is not in *repaid*, *received* nor the collection, but in its own lines (the month's
  count and amount, the amount to date) and, in the cash book, its own movement kind ``recovery``.
* **Rescheduled** (restrukturisasi): a loan with a reschedule approved on or before ``E`` runs on its new
  schedule; a month before the approval uses the schedule as it was then (the archived version), so a closed
  month keeps its figures. The report counts the rescheduled loans still in the portfolio apart (how many, their
  outstanding principal) and the reschedules approved in the month.
* **Pauses** (penundaan): days late leave out the paused days between the oldest unpaid due date and ``E``
  (:func:`bot.domain.pauses.days_in_arrears`; the kolektibilitas and PAR follow); the pauses sharing a day with
  the month are listed with their dates and reason.
* **Warning letters**: how many of each level (SP-1, SP-2, SP-3) were issued in the month (their issue date).
"""

from __future__ import annotations

import calendar
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import NamedTuple

from bot.domain import cash_book
from bot.domain import pauses as pause_rules
from bot.domain.cash_book import MonthBook, Movement
from bot.domain.loans import (
    Installment,
    LoanState,
    OverpaymentError,
    Payment,
    allocate,
    collectibility,
    effective_schedule,
)

PAR_DAYS = 30


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def parse_month(text: str) -> tuple[int, int]:
    """``2026-11`` → (2026, 11); ``ValueError`` otherwise."""
    year, sep, month = text.strip().partition("-")
    if not sep or not (year.isdigit() and month.isdigit()) or len(year) != 4:
        raise ValueError("month")
    y, m = int(year), int(month)
    if not 1 <= m <= 12 or not 2000 <= y <= 2100:
        raise ValueError("month")
    return y, m


def previous_months(today: date, count: int = 3) -> list[tuple[int, int]]:
    """The ``count`` months before ``today``'s month, the latest first (the current month is not finished)."""
    out = []
    y, m = today.year, today.month
    for _ in range(count):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        out.append((y, m))
    return out


# --- the facts ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoanFacts:
    id: int
    borrower_id: int
    borrower_name: str
    principal: int
    disbursed_on: date
    schedule: tuple[Installment, ...]
    disbursement_status: str  # as stored now: unconfirmed | confirmed | disputed
    disbursement_answered_on: date | None  # WITA date of the borrower's answer
    written_off_on: date | None = None  # WITA date the write-off was approved
    written_off_amount: int = 0  # the outstanding amount at the write-off
    #: the schedules replaced by reschedules, oldest first: (WITA date of the approval, the schedule before it)
    replaced: tuple[tuple[date, tuple[Installment, ...]], ...] = ()

    def written_off_by(self, last: date) -> bool:
        return self.written_off_on is not None and self.written_off_on <= last

    def rescheduled_by(self, last: date) -> bool:
        return any(on <= last for on, _ in self.replaced)

    def schedule_on(self, last: date) -> tuple[Installment, ...]:
        """The schedule in force at the end of ``last``: the one a later reschedule replaced, else today's."""
        for on, schedule in self.replaced:
            if on > last:
                return schedule
        return self.schedule


class RepaymentFacts(NamedTuple):
    """A NamedTuple, not a dataclass: the city report builds half a million of them (built in C, ~5× faster)."""

    id: int
    loan_id: int
    amount: int
    paid_on: date
    method: str
    status: str  # verified | reversed (pending and rejected ones never count)
    verified_on: date | None  # WITA dates
    reversed_on: date | None
    reversal_reason: str | None = None
    kind: str = "repayment"  # or "recovery": a payment on a written-off loan (issue 16)


@dataclass(frozen=True)
class ReceiptFacts:
    number: str
    loan_id: int
    repayment_id: int
    borrower_name: str
    amount: int
    paid_on: date
    issued_on: date
    voided_on: date | None
    void_reason: str | None


@dataclass(frozen=True)
class CashEntryFacts:
    id: int
    kind: str
    account: str | None
    amount: int
    entry_date: date
    description: str
    round_label: str | None
    reverses_id: int | None
    reason: str | None
    recorded_on: date  # WITA date it was typed


@dataclass(frozen=True)
class PauseFacts:
    starts_on: date
    ends_on: date  # included
    reason: str


@dataclass(frozen=True)
class KelurahanFacts:
    code: str
    name: str
    kecamatan: str
    loans: tuple[LoanFacts, ...] = ()
    repayments: tuple[RepaymentFacts, ...] = ()
    receipts: tuple[ReceiptFacts, ...] = ()  # those issued in the month
    entries: tuple[CashEntryFacts, ...] = ()
    statement_balance: int | None = None  # the month's bank statement, latest recorded
    pauses: tuple[PauseFacts, ...] = ()  # the kelurahan's pauses that started by the month's end
    letters: tuple[int, int, int] = (0, 0, 0)  # warning letters SP-1, SP-2, SP-3 issued in the month


# --- the report ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoanLine:
    loan_id: int
    borrower_name: str
    principal: int
    disbursed_on: date
    target_month: int
    paid_month: int
    paid_to_date: int
    outstanding: int
    outstanding_principal: int
    days_late: int
    kol: int | None  # None when paid off or written off
    disbursement: str  # as of the month's end
    status: str = "active"  # as of the month's end: active | paid_off | rescheduled | written_off
    recovered_month: int = 0  # recoveries paid in the month (a written-off loan)


@dataclass(frozen=True)
class Bucket:
    kol: int
    loans: int
    amount: int  # outstanding principal


@dataclass(frozen=True)
class LaterChange:
    kind: str  # reversal | late_verification | late_entry | late_void
    on: date  # when it was recorded
    ref: str
    day: date  # the day of the month (or before) it changes
    amount: int
    reason: str | None = None


@dataclass(frozen=True)
class Summary:
    grants: int
    opening_balance: int
    disbursed_to_date: int
    loans_to_date: int
    repaid_to_date: int
    repaid_principal: int
    repaid_fee: int
    outstanding: int
    outstanding_principal: int
    cash: int
    bank: int
    borrowers_active: int
    borrowers_paid_off: int
    borrowers_in_arrears: int
    due_month: int
    collected_on_time: int
    collected_late: int
    received_month: int
    par30_amount: int
    buckets: tuple[Bucket, ...]
    receipts_issued: int
    receipts_amount: int
    receipts_void: int
    unconfirmed: int
    unconfirmed_amount: int
    disputed: int
    disputed_amount: int
    statement_balance: int | None
    # issue 16: a loan's life
    rescheduled_loans: int = 0  # rescheduled by the month's end, still in the portfolio with something owed
    rescheduled_outstanding: int = 0  # their outstanding principal
    rescheduled_month: int = 0  # reschedules approved in the month
    written_off_loans: int = 0  # written off by the month's end
    written_off_amount: int = 0  # the amounts written off (outstanding at each write-off)
    written_off_month: int = 0  # written off in the month
    written_off_month_amount: int = 0
    recovered_to_date: int = 0  # recoveries on those loans, paid by the month's end
    recoveries_month: int = 0  # how many recoveries were paid in the month
    recoveries_month_amount: int = 0
    letters_sp1: int = 0  # warning letters issued in the month
    letters_sp2: int = 0
    letters_sp3: int = 0

    @property
    def written_off_outstanding(self) -> int:
        """What is still owed on the written-off loans (written off minus recovered)."""
        return self.written_off_amount - self.recovered_to_date

    @property
    def letters_total(self) -> int:
        return self.letters_sp1 + self.letters_sp2 + self.letters_sp3

    @property
    def total_balance(self) -> int:
        return self.cash + self.bank

    @property
    def collected(self) -> int:
        return self.collected_on_time + self.collected_late

    @property
    def rate_on_time(self) -> Fraction | None:
        return None if not self.due_month else Fraction(self.collected_on_time, self.due_month)

    @property
    def rate_with_late(self) -> Fraction | None:
        return None if not self.due_month else Fraction(self.collected, self.due_month)

    @property
    def par30(self) -> Fraction | None:
        return None if not self.outstanding_principal else Fraction(self.par30_amount, self.outstanding_principal)

    @property
    def arrears(self) -> int:
        """Outstanding principal of loans more than 0 days late (the city report's sort key)."""
        return sum(b.amount for b in self.buckets if b.kol > 1)

    @property
    def reconciliation(self) -> int | None:
        return cash_book.reconciliation(self.statement_balance, self.bank)


@dataclass(frozen=True)
class MonthPause:
    """A pause sharing at least one day with the month."""

    starts_on: date
    ends_on: date
    reason: str
    days_in_month: int


@dataclass(frozen=True)
class MonthlyReport:
    code: str
    name: str
    kecamatan: str
    year: int
    month: int
    first: date
    last: date
    summary: Summary
    lines: tuple[LoanLine, ...]
    book: MonthBook
    receipts: tuple[ReceiptFacts, ...]
    later: tuple[LaterChange, ...] = field(default_factory=tuple)
    pauses: tuple[MonthPause, ...] = field(default_factory=tuple)

    @property
    def month_key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# --- the calculation ----------------------------------------------------------------------------------------
def counts(r: RepaymentFacts, last: date) -> bool:
    """Whether a repayment counts in the portfolio as of ``last``: verified now, paid by then."""
    return r.status == "verified" and r.paid_on <= last


def movements(facts: KelurahanFacts, states: dict[int, LoanState] | None = None, last: date | None = None
              ) -> list[Movement]:
    """Every cash-book movement of the kelurahan (manual entries, disbursements, repayments, recoveries, their
    reversals). ``states`` (loan id → state) gives the principal/fee split of the repayments that still stand;
    ``last`` the month's end whose schedules split a reversed one (today's schedules without it). A recovery is a
    movement of its own kind (``recovery``), never split into principal and fee."""
    out: list[Movement] = []
    by_id = {e.id: e for e in facts.entries}
    for e in facts.entries:
        if e.kind == cash_book.REVERSAL:
            original = by_id.get(e.reverses_id or -1)
            if original is None:
                continue
            effect = -cash_book.manual_effect(original.kind, original.account, original.amount)
            out.append(Movement(e.entry_date, e.kind, effect, cash_book.entry_ref(e.id), e.reason or "",
                                order=(1, e.id), reverses=cash_book.entry_ref(original.id)))
        else:
            out.append(Movement(e.entry_date, e.kind, cash_book.manual_effect(e.kind, e.account, e.amount),
                                cash_book.entry_ref(e.id), e.description, order=(1, e.id)))
    names = {}
    for loan in facts.loans:
        names[loan.id] = loan.borrower_name
        out.append(Movement(loan.disbursed_on, cash_book.DISBURSEMENT, cash_book.disbursement_effect(loan.principal),
                            cash_book.loan_ref(loan.id), loan.borrower_name, order=(0, loan.id)))
    splits: dict[int, tuple[int, int]] = {}
    for state in (states or {}).values():
        for a in state.allocations:
            fee, principal = splits.get(a.payment_id, (0, 0))
            splits[a.payment_id] = (fee + a.fee_paid, principal + a.principal_paid)
    schedules = {loan.id: loan.schedule if last is None else loan.schedule_on(last) for loan in facts.loans}
    by_loan: dict[int, list[RepaymentFacts]] = {}
    for r in facts.repayments:
        if r.kind != cash_book.RECOVERY:
            by_loan.setdefault(r.loan_id, []).append(r)
    for r in facts.repayments:
        if r.status not in ("verified", "reversed"):
            continue
        effect = cash_book.repayment_effect(r.method, r.amount)
        ref = cash_book.repayment_ref(r.id)
        name = names.get(r.loan_id, "")
        if r.kind == cash_book.RECOVERY:
            out.append(Movement(r.paid_on, cash_book.RECOVERY, effect, ref, name, order=(2, r.id)))
            if r.status == "reversed" and r.reversed_on is not None:
                out.append(Movement(r.reversed_on, cash_book.RECOVERY_REVERSAL, -effect, ref,
                                    r.reversal_reason or "", order=(3, r.id), reverses=ref))
            continue
        if r.id not in splits and states is not None and r.loan_id in schedules:
            split = _split_as_it_stood(schedules[r.loan_id], by_loan[r.loan_id], r)
            if split is not None:
                splits[r.id] = split
        fee, principal = splits.get(r.id, (None, None))
        out.append(Movement(r.paid_on, cash_book.REPAYMENT, effect, ref, name, order=(2, r.id),
                            principal=principal, fee=fee))
        if r.status == "reversed" and r.reversed_on is not None:
            out.append(Movement(r.reversed_on, cash_book.REPAYMENT_REVERSAL, -effect, ref, r.reversal_reason or "",
                                order=(3, r.id), reverses=ref))
    return out


class LoanFigures(NamedTuple):
    paid: int
    fee_paid: int
    outstanding: int
    outstanding_principal: int
    days_late: int
    target: int  # due in [first, last]
    on_time: int  # of ``target``, paid by each instalment's due date
    late: int  # of ``target``, paid after the due date, by ``last``


def loan_figures(schedule: Sequence[Installment], payments: Sequence[Payment], first: date, last: date,
                 pauses: Sequence[PauseFacts] = ()) -> LoanFigures:
    """A loan's figures as of ``last`` from its payments made by then, without building the allocation.

    Oldest-first allocation, fee before principal (:func:`bot.domain.loans.allocate`), fills the schedule as one
    sequence ``fee₁, principal₁, fee₂, principal₂, …``; so what covers instalment *k* depends only on the
    cumulative amount paid: with ``C`` the schedule's total before *k*, the payments made by a date ``d`` cover
    ``clamp(paid_by(d) − C, 0, due_k)`` of it. The same figures as :func:`allocate` (checked against it in
    tests/bot/domain/test_lpj.py), at a tenth of the cost for the city's half a million payments.
    ``pauses``: the kelurahan's pauses, whose days do not count as days late
    (:func:`bot.domain.pauses.days_in_arrears`).
    """
    schedule = effective_schedule(schedule, payments)  # an early payoff waives the fees of months not begun
    dated = sorted((p.paid_on, p.amount) for p in payments)
    days = [d for d, _ in dated]
    running = []
    total = 0
    for _, amount in dated:
        total += amount
        running.append(total)

    def paid_by(day: date) -> int:
        i = bisect_right(days, day)
        return running[i - 1] if i else 0

    before = fee_paid = principal_paid = target = on_time = late = 0
    oldest = None
    for inst in sorted(schedule, key=lambda i: (i.due_date, i.number)):
        due = inst.principal_due + inst.fee_due
        covered = min(max(total - before, 0), due)
        fee_part = min(covered, inst.fee_due)
        fee_paid += fee_part
        principal_paid += covered - fee_part
        if oldest is None and covered < due:
            oldest = inst.due_date
        if first <= inst.due_date <= last:
            target += due
            in_time = min(max(paid_by(inst.due_date) - before, 0), due)
            on_time += in_time
            late += covered - in_time
        before += due
    principal = before - sum(i.fee_due for i in schedule)
    if oldest is None or oldest >= last:
        days_late = 0
    elif pauses:
        days_late = pause_rules.days_in_arrears(oldest, last, [pause_rules.Pause(p.starts_on, p.ends_on)
                                                               for p in pauses])
    else:
        days_late = (last - oldest).days
    return LoanFigures(paid=total, fee_paid=fee_paid, outstanding=before - total,
                       outstanding_principal=principal - principal_paid, days_late=days_late, target=target,
                       on_time=on_time, late=late)


def closing_balance(facts: KelurahanFacts, last: date) -> cash_book.Effect:
    """The cash book's balances at the end of ``last``, summed without building its lines (the city report)."""
    cash = bank = 0
    by_id = {e.id: e for e in facts.entries}
    for e in facts.entries:
        if e.entry_date > last:
            continue
        if e.kind == cash_book.REVERSAL:
            original = by_id.get(e.reverses_id or -1)
            if original is None:
                continue
            effect = -cash_book.manual_effect(original.kind, original.account, original.amount)
        else:
            effect = cash_book.manual_effect(e.kind, e.account, e.amount)
        cash += effect.cash
        bank += effect.bank
    for loan in facts.loans:
        if loan.disbursed_on <= last:
            bank -= loan.principal
    for r in facts.repayments:
        if r.status not in ("verified", "reversed") or r.paid_on > last:
            continue
        if r.status == "reversed" and r.reversed_on is not None and r.reversed_on <= last:
            continue  # in, and corrected by then: nothing
        if r.method == "transfer":
            bank += r.amount
        else:
            cash += r.amount
    return cash_book.Effect(cash, bank)


def _split_as_it_stood(schedule: Sequence[Installment], repayments: Sequence[RepaymentFacts],
                       payment: RepaymentFacts) -> tuple[int, int] | None:
    """(fee, principal) of a reversed payment as it was allocated while it stood: a payment's allocation depends
    only on the payments before it (oldest instalment first), so allocate those that still stand and it."""
    key = (payment.paid_on, payment.id)
    before = [Payment(r.id, r.amount, r.paid_on) for r in repayments
              if r.status == "verified" and (r.paid_on, r.id) < key]
    try:
        state = allocate(schedule, [*before, Payment(payment.id, payment.amount, payment.paid_on)])
    except OverpaymentError:
        return None
    mine = [a for a in state.allocations if a.payment_id == payment.id]
    return sum(a.fee_paid for a in mine), sum(a.principal_paid for a in mine)


def _state(loan: LoanFacts, payments: Sequence[Payment], last: date) -> LoanState:
    return allocate(loan.schedule_on(last), payments)


def _disbursement_as_of(loan: LoanFacts, last: date) -> str:
    if loan.disbursement_answered_on is None or loan.disbursement_answered_on > last:
        return "unconfirmed"
    return loan.disbursement_status


def monthly_report(facts: KelurahanFacts, year: int, month: int, *, summary_only: bool = False) -> MonthlyReport:
    """The month's report. ``summary_only`` (the city report): the summary and the later changes only, no rekap
    lines and no cash-book lines (the closing balances are summed directly)."""
    first, last = month_bounds(year, month)
    loans = [ln for ln in facts.loans if ln.disbursed_on <= last]
    known = {ln.id for ln in loans}
    payments: dict[int, list[Payment]] = {ln.id: [] for ln in loans}
    paid_month: dict[int, int] = {ln.id: 0 for ln in loans}
    recovered: dict[int, int] = {}  # loan id → recoveries paid by the month's end
    recovered_month: dict[int, int] = {}
    recoveries_month = 0
    later: list[LaterChange] = []
    for r in facts.repayments:
        if r.loan_id not in known or r.paid_on > last:
            continue
        if counts(r, last):
            if r.kind == cash_book.RECOVERY:  # apart from the repayments: never in the portfolio's allocation
                recovered[r.loan_id] = recovered.get(r.loan_id, 0) + r.amount
                if r.paid_on >= first:
                    recovered_month[r.loan_id] = recovered_month.get(r.loan_id, 0) + r.amount
                    recoveries_month += 1
            else:
                payments[r.loan_id].append(Payment(r.id, r.amount, r.paid_on))
                if r.paid_on >= first:
                    paid_month[r.loan_id] += r.amount
            if r.verified_on is not None and r.verified_on > last:  # any payment by then: "to date" changes
                later.append(LaterChange("late_verification", r.verified_on, cash_book.repayment_ref(r.id),
                                         r.paid_on, r.amount))
        elif (r.status == "reversed" and r.reversed_on is not None and r.reversed_on > last
              and r.verified_on is not None and r.verified_on <= last):
            later.append(LaterChange("reversal", r.reversed_on, cash_book.repayment_ref(r.id), r.paid_on,
                                     r.amount, r.reversal_reason))

    states = {} if summary_only else {ln.id: _state(ln, payments[ln.id], last) for ln in loans}
    lines = []
    due_month = on_time = late = 0
    par30 = repaid = repaid_fee = outstanding_all = outstanding_principal_all = 0
    buckets = {k: [0, 0] for k in range(1, 6)}
    borrower_active: set[int] = set()
    borrower_any: set[int] = set()
    borrower_late: set[int] = set()
    borrower_written_off: set[int] = set()
    disb = {"unconfirmed": [0, 0], "disputed": [0, 0], "confirmed": [0, 0]}
    resch_loans = resch_outstanding = resch_month = 0
    wo_loans = wo_amount = wo_month = wo_month_amount = wo_recovered = 0
    for loan in loans:
        f = loan_figures(loan.schedule_on(last), payments[loan.id], first, last, facts.pauses)
        repaid += f.paid
        repaid_fee += f.fee_paid
        resch_month += sum(1 for on, _ in loan.replaced if first <= on <= last)
        borrower_any.add(loan.borrower_id)
        status = _disbursement_as_of(loan, last)
        disb[status][0] += 1
        disb[status][1] += loan.principal
        if loan.written_off_by(last):  # out of the portfolio: its own total
            assert loan.written_off_on is not None
            wo_loans += 1
            borrower_written_off.add(loan.borrower_id)
            wo_amount += loan.written_off_amount
            wo_recovered += recovered.get(loan.id, 0)
            if loan.written_off_on >= first:
                wo_month += 1
                wo_month_amount += loan.written_off_amount
            days, kol, life = 0, None, "written_off"
            outstanding = loan.written_off_amount - recovered.get(loan.id, 0)
            outstanding_principal = outstanding
        else:
            due_month += f.target
            on_time += f.on_time
            late += f.late
            outstanding_all += f.outstanding
            outstanding_principal_all += f.outstanding_principal
            days = f.days_late
            outstanding, outstanding_principal = f.outstanding, f.outstanding_principal
            kol = None if outstanding == 0 else collectibility(days)
            life = "paid_off" if outstanding == 0 else "rescheduled" if loan.rescheduled_by(last) else "active"
            if outstanding > 0:
                borrower_active.add(loan.borrower_id)
                assert kol is not None
                buckets[kol][0] += 1
                buckets[kol][1] += f.outstanding_principal
                if days > PAR_DAYS:
                    par30 += f.outstanding_principal
                if life == "rescheduled":
                    resch_loans += 1
                    resch_outstanding += f.outstanding_principal
            if days > 0:
                borrower_late.add(loan.borrower_id)
        if summary_only:
            continue
        lines.append(LoanLine(
            loan_id=loan.id, borrower_name=loan.borrower_name, principal=loan.principal,
            disbursed_on=loan.disbursed_on, target_month=0 if life == "written_off" else f.target,
            paid_month=paid_month[loan.id], paid_to_date=f.paid, outstanding=outstanding,
            outstanding_principal=outstanding_principal, days_late=days, kol=kol, disbursement=status, status=life,
            recovered_month=recovered_month.get(loan.id, 0),
        ))
    lines.sort(key=lambda ln: (ln.borrower_name.casefold(), ln.loan_id))

    entries = facts.entries
    for e in entries:
        if e.entry_date <= last and e.recorded_on > last:
            later.append(LaterChange("late_entry", e.recorded_on, cash_book.entry_ref(e.id), e.entry_date,
                                     e.amount, e.reason if e.kind == cash_book.REVERSAL else e.description))
    if summary_only:
        closing = closing_balance(facts, last)
        book = MonthBook(closing, (), closing)
    else:
        book = cash_book.month_book(movements(facts, states, last), first, last)
    grants = opening = 0
    reversed_ids = {e.reverses_id for e in entries if e.kind == cash_book.REVERSAL and e.entry_date <= last}
    for e in entries:
        if e.entry_date > last or e.id in reversed_ids:
            continue
        if e.kind == "grant":
            grants += e.amount
        elif e.kind == "opening":
            opening += e.amount

    receipts = tuple(sorted(facts.receipts, key=lambda r: r.number))
    void_now = 0
    for rc in receipts:
        if rc.voided_on is not None and rc.voided_on <= last:
            void_now += 1
        elif rc.voided_on is not None:
            later.append(LaterChange("late_void", rc.voided_on, rc.number, rc.paid_on, rc.amount, rc.void_reason))
    valid = [rc for rc in receipts if rc.voided_on is None or rc.voided_on > last]

    summary = Summary(
        grants=grants,
        opening_balance=opening,
        disbursed_to_date=sum(ln.principal for ln in loans),
        loans_to_date=len(loans),
        repaid_to_date=repaid,
        repaid_principal=repaid - repaid_fee,
        repaid_fee=repaid_fee,
        outstanding=outstanding_all,
        outstanding_principal=outstanding_principal_all,
        cash=book.closing.cash,
        bank=book.closing.bank,
        borrowers_active=len(borrower_active),
        borrowers_paid_off=len(borrower_any - borrower_active - borrower_written_off),
        borrowers_in_arrears=len(borrower_late),
        due_month=due_month,
        collected_on_time=on_time,
        collected_late=late,
        received_month=sum(paid_month.values()),
        par30_amount=par30,
        buckets=tuple(Bucket(k, v[0], v[1]) for k, v in buckets.items()),
        receipts_issued=len(receipts),
        receipts_amount=sum(rc.amount for rc in valid),
        receipts_void=void_now,
        unconfirmed=disb["unconfirmed"][0],
        unconfirmed_amount=disb["unconfirmed"][1],
        disputed=disb["disputed"][0],
        disputed_amount=disb["disputed"][1],
        statement_balance=facts.statement_balance,
        rescheduled_loans=resch_loans,
        rescheduled_outstanding=resch_outstanding,
        rescheduled_month=resch_month,
        written_off_loans=wo_loans,
        written_off_amount=wo_amount,
        written_off_month=wo_month,
        written_off_month_amount=wo_month_amount,
        recovered_to_date=wo_recovered,
        recoveries_month=recoveries_month,
        recoveries_month_amount=sum(recovered_month.values()),
        letters_sp1=facts.letters[0],
        letters_sp2=facts.letters[1],
        letters_sp3=facts.letters[2],
    )
    later.sort(key=lambda c: (c.on, c.ref))
    month_pauses = tuple(
        MonthPause(p.starts_on, p.ends_on, p.reason, (min(p.ends_on, last) - max(p.starts_on, first)).days + 1)
        for p in sorted(facts.pauses, key=lambda p: (p.starts_on, p.ends_on))
        if p.starts_on <= last and p.ends_on >= first
    )
    return MonthlyReport(facts.code, facts.name, facts.kecamatan, year, month, first, last, summary, tuple(lines),
                         book, receipts, tuple(later), month_pauses)


def city_rows(reports: Iterable[MonthlyReport]) -> list[MonthlyReport]:
    """The city report's order: arrears (outstanding principal of late loans) first, largest first; then PAR30,
    then the name."""
    return sorted(reports, key=lambda r: (-r.summary.arrears, -(r.summary.par30 or 0), r.name))

