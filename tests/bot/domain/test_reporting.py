"""bot.domain.reporting: what is still unreported, and which reports look like one payment twice."""

from __future__ import annotations

from datetime import date

from bot.domain.loans import LoanTerms, Payment, allocate, build_schedule
from bot.domain.reporting import (
    ReportedPayment,
    matching_report,
    next_unreported,
    overdue_unreported,
    possible_duplicates,
)

TERMS = LoanTerms(principal=6_000_000, disbursed_on=date(2026, 8, 15), tenor_months=12)
TODAY = date(2026, 11, 28)


def _state(*paid: int):
    payments = [Payment(id=i, amount=a, paid_on=date(2026, 9, 1)) for i, a in enumerate(paid, start=1)]
    return allocate(build_schedule(TERMS), payments)


def test_pending_reports_cover_the_oldest_instalments_first():
    state = _state(200_000)  # instalment 1 has Rp300.000 left
    assert next_unreported(state, 0).state.installment.number == 1
    assert next_unreported(state, 0).remaining == 300_000
    assert not next_unreported(state, 0).partly_reported
    after = next_unreported(state, 300_000 + 450_000)  # covers the rest of 1 and Rp450.000 of 2
    assert (after.state.installment.number, after.remaining, after.partly_reported) == (2, 50_000, True)
    assert next_unreported(state, 5_800_000) is None
    assert overdue_unreported(state, 0, TODAY) == 1_300_000
    assert overdue_unreported(state, 800_000, TODAY) == 500_000
    assert overdue_unreported(state, 2_000_000, TODAY) == 0


def test_duplicates_same_loan_amount_and_a_few_days():
    pending = [ReportedPayment(1, 7, 278_000, date(2026, 11, 20)), ReportedPayment(2, 7, 278_000, date(2026, 11, 1)),
               ReportedPayment(3, 8, 278_000, date(2026, 11, 24)), ReportedPayment(4, 7, 300_000, date(2026, 11, 24))]
    assert matching_report(pending, loan_id=7, amount=278_000, paid_on=date(2026, 11, 25)).id == 1
    assert matching_report(pending, loan_id=7, amount=278_000, paid_on=date(2026, 11, 26)) is None  # 6 days
    assert matching_report(pending, loan_id=9, amount=278_000, paid_on=date(2026, 11, 20)) is None
    assert possible_duplicates(pending) == {}
    twins = [*pending, ReportedPayment(5, 7, 278_000, date(2026, 11, 22))]
    assert possible_duplicates(twins) == {1: [5], 5: [1]}


def test_reports_naming_different_instalments_are_two_payments():
    pending = [ReportedPayment(1, 7, 500_000, date(2026, 11, 26), installment_id=11)]
    assert matching_report(pending, loan_id=7, amount=500_000, paid_on=date(2026, 11, 28), installment_id=12) is None
    assert matching_report(pending, loan_id=7, amount=500_000, paid_on=date(2026, 11, 28), installment_id=11).id == 1
    assert matching_report(pending, loan_id=7, amount=500_000, paid_on=date(2026, 11, 28)).id == 1
