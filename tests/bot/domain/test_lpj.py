"""bot.domain.lpj: the cumulative-sum loan figures equal the allocation's; months; the cash book's balances."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import cash_book
from bot.domain.loans import LoanTerms, Payment, allocate, build_schedule
from bot.domain.lpj import loan_figures, month_bounds, parse_month, previous_months


@settings(max_examples=300, deadline=None)
@given(
    principal=st.integers(1_000, 25_000).map(lambda k: k * 1_000),
    tenor=st.integers(1, 18),
    fee=st.sampled_from([Decimal(0), Decimal("0.5"), Decimal(1), Decimal("1.5")]),
    offsets=st.lists(st.tuples(st.integers(0, 600), st.integers(1, 3_000)), max_size=25),
    month_offset=st.integers(0, 24),
)
def test_loan_figures_equal_the_allocation(principal, tenor, fee, offsets, month_offset):
    start = date(2025, 1, 31)
    schedule = build_schedule(LoanTerms(principal, start, tenor, 0, fee))
    payments: list[Payment] = []
    for n, (days, thousands) in enumerate(sorted(offsets), start=1):
        # never more than settles the loan that day (the early-payoff rule: fees of months not begun are waived)
        paid_on = start + timedelta(days=days)
        amount = min(thousands * 1_000, allocate(schedule, payments).payoff_amount(paid_on))
        if amount <= 0:
            break
        payments.append(Payment(n, amount, paid_on))
    y, m = divmod(2025 * 12 + month_offset, 12)
    first, last = month_bounds(y, m + 1)
    counted = [p for p in payments if p.paid_on <= last]
    state = allocate(schedule, counted)
    f = loan_figures(schedule, counted, first, last)
    assert f.paid == state.total_paid
    assert f.fee_paid == sum(s.fee_paid for s in state.installments)
    assert f.outstanding == state.outstanding
    assert f.outstanding_principal == state.outstanding_principal
    assert f.days_late == state.days_in_arrears(last)
    month = {s.installment.number: s.installment.due_date for s in state.installments
             if first <= s.installment.due_date <= last}
    assert f.target == sum(s.total_owed for s in state.installments if s.installment.number in month)
    paid_on = {p.id: p.paid_on for p in counted}
    in_month = [a for a in state.allocations if a.installment_number in month]
    assert f.on_time == sum(a.amount for a in in_month if paid_on[a.payment_id] <= month[a.installment_number])
    assert f.late == sum(a.amount for a in in_month if paid_on[a.payment_id] > month[a.installment_number])


def test_months():
    assert parse_month("2026-11") == (2026, 11)
    for bad in ("2026-13", "11-2026", "2026/11", "26-11", "x"):
        with pytest.raises(ValueError, match="month"):
            parse_month(bad)
    assert month_bounds(2028, 2) == (date(2028, 2, 1), date(2028, 2, 29))
    assert previous_months(date(2027, 1, 1)) == [(2026, 12), (2026, 11), (2026, 10)]


def test_cash_book_effects_and_running_balances():
    assert cash_book.manual_effect("grant", "bank", 5) == cash_book.Effect(0, 5)
    assert cash_book.manual_effect("opening", "cash", 5) == cash_book.Effect(5, 0)
    assert cash_book.manual_effect("to_bank", None, 5) == cash_book.Effect(-5, 5)
    assert cash_book.manual_effect("to_cash", None, 5) == cash_book.Effect(5, -5)
    assert cash_book.manual_effect("bank_charge", None, 5) == cash_book.Effect(0, -5)
    with pytest.raises(ValueError, match="needs an account"):
        cash_book.manual_effect("grant", None, 5)
    with pytest.raises(ValueError, match="positive"):
        cash_book.manual_effect("bank_charge", None, 0)
    moves = [cash_book.Movement(date(2026, 10, 31), "grant", cash_book.Effect(0, 100), "KAS-00001", "x"),
             cash_book.Movement(date(2026, 11, 2), "to_cash", cash_book.Effect(30, -30), "KAS-00002", "x"),
             cash_book.Movement(date(2026, 11, 2), "repayment", cash_book.Effect(5, 0), "PB-00001", "x",
                                order=(2, 1)),
             cash_book.Movement(date(2026, 12, 1), "bank_charge", cash_book.Effect(0, -1), "KAS-00003", "x")]
    book = cash_book.month_book(moves, date(2026, 11, 1), date(2026, 11, 30))
    assert book.opening == cash_book.Effect(0, 100)
    assert [ln.balance for ln in book.lines] == [cash_book.Effect(30, 70), cash_book.Effect(35, 70)]
    assert book.closing == cash_book.Effect(35, 70) == cash_book.balance_at(moves, date(2026, 11, 30))
    assert cash_book.reconciliation(71, 70) == 1 and cash_book.reconciliation(None, 70) is None
    assert cash_book.check_round("2") == "Tahap 2" and cash_book.check_round(" Putaran  3 ") == "Putaran 3"
