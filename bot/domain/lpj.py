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
* **Borrowers**: *active* has a loan with something outstanding; *paid off* has loans, all repaid; *in arrears*
  has a loan more than 0 days late.
* **Disbursement confirmation** as of ``E``: a loan whose answer came after ``E`` (or never) is unconfirmed.
* **Receipts**: those issued in the month (WITA), void ones included; a receipt voided after ``E`` counts as valid
  for the month and is listed as a later change.
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
class KelurahanFacts:
    code: str
    name: str
    kecamatan: str
    loans: tuple[LoanFacts, ...] = ()
    repayments: tuple[RepaymentFacts, ...] = ()
    receipts: tuple[ReceiptFacts, ...] = ()  # those issued in the month
    entries: tuple[CashEntryFacts, ...] = ()
    statement_balance: int | None = None  # the month's bank statement, latest recorded


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
    kol: int | None  # None when paid off
    disbursement: str  # as of the month's end


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

    @property
    def month_key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# --- the calculation ----------------------------------------------------------------------------------------
def counts(r: RepaymentFacts, last: date) -> bool:
    """Whether a repayment counts in the portfolio as of ``last``: verified now, paid by then."""
    return r.status == "verified" and r.paid_on <= last


def movements(facts: KelurahanFacts, states: dict[int, LoanState] | None = None) -> list[Movement]:
    """Every cash-book movement of the kelurahan (manual entries, disbursements, repayments, their reversals).
    ``states`` (loan id → state) gives the principal/fee split of the repayments that still stand."""
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
    schedules = {loan.id: loan.schedule for loan in facts.loans}
    by_loan: dict[int, list[RepaymentFacts]] = {}
    for r in facts.repayments:
        by_loan.setdefault(r.loan_id, []).append(r)
    for r in facts.repayments:
        if r.status not in ("verified", "reversed"):
            continue
        effect = cash_book.repayment_effect(r.method, r.amount)
        if r.id not in splits and states is not None and r.loan_id in schedules:
            split = _split_as_it_stood(schedules[r.loan_id], by_loan[r.loan_id], r)
            if split is not None:
                splits[r.id] = split
        fee, principal = splits.get(r.id, (None, None))
        ref = cash_book.repayment_ref(r.id)
        name = names.get(r.loan_id, "")
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


def loan_figures(schedule: Sequence[Installment], payments: Sequence[Payment], first: date, last: date
                 ) -> LoanFigures:
    """A loan's figures as of ``last`` from its payments made by then, without building the allocation.

    Oldest-first allocation, fee before principal (:func:`bot.domain.loans.allocate`), fills the schedule as one
    sequence ``fee₁, principal₁, fee₂, principal₂, …``; so what covers instalment *k* depends only on the
    cumulative amount paid: with ``C`` the schedule's total before *k*, the payments made by a date ``d`` cover
    ``clamp(paid_by(d) − C, 0, due_k)`` of it. The same figures as :func:`allocate` (checked against it in
    tests/bot/domain/test_lpj.py), at a tenth of the cost for the city's half a million payments.
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
    days_late = 0 if oldest is None or oldest >= last else (last - oldest).days
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


def _state(loan: LoanFacts, payments: Sequence[Payment]) -> LoanState:
    return allocate(loan.schedule, payments)


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
    later: list[LaterChange] = []
    for r in facts.repayments:
        if r.loan_id not in known or r.paid_on > last:
            continue
        if counts(r, last):
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

    states = {} if summary_only else {ln.id: _state(ln, payments[ln.id]) for ln in loans}
    lines = []
    due_month = on_time = late = 0
    par30 = repaid = repaid_fee = outstanding_all = outstanding_principal_all = 0
    buckets = {k: [0, 0] for k in range(1, 6)}
    borrower_active: set[int] = set()
    borrower_any: set[int] = set()
    borrower_late: set[int] = set()
    disb = {"unconfirmed": [0, 0], "disputed": [0, 0], "confirmed": [0, 0]}
    for loan in loans:
        f = loan_figures(loan.schedule, payments[loan.id], first, last)
        due_month += f.target
        on_time += f.on_time
        late += f.late
        repaid += f.paid
        repaid_fee += f.fee_paid
        outstanding_all += f.outstanding
        outstanding_principal_all += f.outstanding_principal
        days = f.days_late
        outstanding = f.outstanding
        kol = None if outstanding == 0 else collectibility(days)
        borrower_any.add(loan.borrower_id)
        if outstanding > 0:
            borrower_active.add(loan.borrower_id)
            assert kol is not None
            buckets[kol][0] += 1
            buckets[kol][1] += f.outstanding_principal
            if days > PAR_DAYS:
                par30 += f.outstanding_principal
        if days > 0:
            borrower_late.add(loan.borrower_id)
        status = _disbursement_as_of(loan, last)
        disb[status][0] += 1
        disb[status][1] += loan.principal
        if summary_only:
            continue
        lines.append(LoanLine(
            loan_id=loan.id, borrower_name=loan.borrower_name, principal=loan.principal,
            disbursed_on=loan.disbursed_on, target_month=f.target, paid_month=paid_month[loan.id],
            paid_to_date=f.paid, outstanding=outstanding,
            outstanding_principal=f.outstanding_principal, days_late=days, kol=kol, disbursement=status,
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
        book = cash_book.month_book(movements(facts, states), first, last)
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
        borrowers_paid_off=len(borrower_any - borrower_active),
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
    )
    later.sort(key=lambda c: (c.on, c.ref))
    return MonthlyReport(facts.code, facts.name, facts.kecamatan, year, month, first, last, summary, tuple(lines),
                         book, receipts, tuple(later))


def city_rows(reports: Iterable[MonthlyReport]) -> list[MonthlyReport]:
    """The city report's order: arrears (outstanding principal of late loans) first, largest first; then PAR30,
    then the name."""
    return sorted(reports, key=lambda r: (-r.summary.arrears, -(r.summary.par30 or 0), r.name))

