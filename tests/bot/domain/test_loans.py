"""Tests for bot.domain.loans: hand-computed unit tests and hypothesis property tests."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.loans import (
    MAX_PRINCIPAL,
    MIN_PRINCIPAL,
    ROUNDING_UNIT,
    Allocation,
    Installment,
    LoanState,
    LoanTerms,
    LoanTermsError,
    OverpaymentError,
    Payment,
    add_months,
    allocate,
    build_schedule,
    check_new_payment,
    collectibility,
    fee_per_installment,
    repayment_rate,
    split_principal,
    validate_terms,
)

# A typical Naikoten Satu loan: Rp6.500.000 over 12 months, disbursed 10 January 2026.
TYPICAL = LoanTerms(principal=6_500_000, disbursed_on=date(2026, 1, 10), tenor_months=12)
TYPICAL_FEE = LoanTerms(
    principal=6_500_000, disbursed_on=date(2026, 1, 10), tenor_months=12, fee_percent_monthly=Decimal(1)
)


def pay(pid: int, amount: int, paid_on: date) -> Payment:
    return Payment(id=pid, amount=amount, paid_on=paid_on)


# ---------------------------------------------------------------------------------------------------
# validate_terms
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"principal": MIN_PRINCIPAL - 1}, "principal_range"),
        ({"principal": MAX_PRINCIPAL + 1}, "principal_range"),
        ({"tenor_months": 0}, "tenor_range"),
        ({"tenor_months": 37}, "tenor_range"),
        ({"grace_months": -1}, "grace_range"),
        ({"grace_months": 13}, "grace_range"),
        ({"fee_percent_monthly": Decimal("-0.01")}, "fee_range"),
        ({"fee_percent_monthly": Decimal("10.01")}, "fee_range"),
        ({"fee_percent_monthly": Decimal("NaN")}, "fee_range"),
        ({"fee_percent_monthly": Decimal("Infinity")}, "fee_range"),
    ],
)
def test_validate_terms_rejects_out_of_range(changes: dict[str, object], code: str) -> None:
    base = {"principal": 6_500_000, "disbursed_on": date(2026, 1, 10), "tenor_months": 12}
    terms = LoanTerms(**{**base, **changes})  # type: ignore[arg-type]
    with pytest.raises(LoanTermsError) as exc_info:
        validate_terms(terms)
    assert exc_info.value.code == code
    assert set(exc_info.value.params) == {"value", "min", "max"}
    with pytest.raises(LoanTermsError):
        build_schedule(terms)


def test_validate_terms_error_params() -> None:
    with pytest.raises(LoanTermsError) as exc_info:
        validate_terms(LoanTerms(principal=500_000, disbursed_on=date(2026, 1, 1), tenor_months=12))
    assert exc_info.value.params == {"value": 500_000, "min": 1_000_000, "max": 25_000_000}
    assert isinstance(exc_info.value, ValueError)


@pytest.mark.parametrize(
    "terms",
    [
        LoanTerms(principal=MIN_PRINCIPAL, disbursed_on=date(2026, 1, 1), tenor_months=1),
        LoanTerms(
            principal=MAX_PRINCIPAL,
            disbursed_on=date(2026, 1, 1),
            tenor_months=36,
            grace_months=12,
            fee_percent_monthly=Decimal(10),
        ),
        LoanTerms(principal=5_000_000, disbursed_on=date(2026, 1, 1), tenor_months=18, fee_percent_monthly=0),  # type: ignore[arg-type]
    ],
)
def test_validate_terms_accepts_boundaries(terms: LoanTerms) -> None:
    validate_terms(terms)


@pytest.mark.parametrize(
    "changes",
    [{"principal": 6_500_000.0}, {"principal": True}, {"tenor_months": "12"}, {"fee_percent_monthly": 1.5}],
)
def test_validate_terms_rejects_wrong_types(changes: dict[str, object]) -> None:
    base = {"principal": 6_500_000, "disbursed_on": date(2026, 1, 10), "tenor_months": 12}
    with pytest.raises(TypeError):
        validate_terms(LoanTerms(**{**base, **changes}))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------
# add_months
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2025, 1, 31), 2, date(2025, 3, 31)),  # back to 31, no drift
        (date(2025, 1, 31), 3, date(2025, 4, 30)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),  # across the year end
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 3, 10), 0, date(2025, 3, 10)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_months_explicit_day() -> None:
    assert add_months(date(2025, 2, 28), 1, day=31) == date(2025, 3, 31)
    assert add_months(date(2025, 2, 28), 2, day=31) == date(2025, 4, 30)
    with pytest.raises(ValueError, match="day"):
        add_months(date(2025, 2, 28), 1, day=32)


# ---------------------------------------------------------------------------------------------------
# Schedule
# ---------------------------------------------------------------------------------------------------


def test_schedule_typical_loan_nearest_thousand() -> None:
    # 6.500.000 / 12 = 541.666,67 -> 542.000; 11 x 542.000 = 5.962.000; last = 538.000.
    schedule = build_schedule(TYPICAL)
    assert [i.principal_due for i in schedule] == [542_000] * 11 + [538_000]
    assert sum(i.principal_due for i in schedule) == 6_500_000
    assert [i.number for i in schedule] == list(range(1, 13))
    assert all(i.fee_due == 0 for i in schedule)
    assert schedule[0].due_date == date(2026, 2, 10)
    assert schedule[-1].due_date == date(2027, 1, 10)


def test_schedule_small_loan_long_tenor() -> None:
    # 1.000.000 / 18 = 55.555,56 -> 56.000; 17 x 56.000 = 952.000; last = 48.000 (positive).
    schedule = build_schedule(LoanTerms(principal=1_000_000, disbursed_on=date(2026, 1, 10), tenor_months=18))
    assert [i.principal_due for i in schedule] == [56_000] * 17 + [48_000]
    assert sum(i.principal_due for i in schedule) == 1_000_000


def test_schedule_rounds_half_up() -> None:
    # 1.500.000 / 3 = 500.000 exactly; 1.501.500 / 3 = 500.500 -> 501.000, last 499.500.
    assert split_principal(1_500_000, 3) == [500_000] * 3
    assert split_principal(1_501_500, 3) == [501_000, 501_000, 499_500]
    # 1.001.499 / 2 = 500.749,5 -> 501.000, last 500.499.
    assert split_principal(1_001_499, 2) == [501_000, 500_499]


def test_split_principal_falls_back_to_floor_when_last_would_be_non_positive() -> None:
    # Outside the valid loan range, to exercise rule 3: 100.000 / 36 = 2.777,78 -> 3.000 would make the
    # last instalment 100.000 - 35 x 3.000 = -5.000, so floor to 2.000: last = 100.000 - 70.000 = 30.000.
    parts = split_principal(100_000, 36)
    assert parts == [2_000] * 35 + [30_000]
    # Exactly zero last: 8.000 / 5 = 1.600 -> 2.000 and 4 x 2.000 = 8.000 leaves 0, so floor to 1.000.
    assert split_principal(8_000, 5) == [1_000] * 4 + [4_000]
    # 2 instalments: 2.600 / 2 = 1.300 -> 1.000 (nearest), last 1.600.
    assert split_principal(2_600, 2) == [1_000, 1_600]


def test_split_principal_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="n must be"):
        split_principal(1_000_000, 0)
    with pytest.raises(ValueError, match="too small"):
        split_principal(35_999, 36)


def test_schedule_31_january_clamps_and_returns() -> None:
    schedule = build_schedule(LoanTerms(principal=3_000_000, disbursed_on=date(2025, 1, 31), tenor_months=4))
    assert [i.due_date for i in schedule] == [
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
        date(2025, 5, 31),
    ]


def test_schedule_leap_year() -> None:
    schedule = build_schedule(LoanTerms(principal=2_000_000, disbursed_on=date(2024, 1, 31), tenor_months=2))
    assert [i.due_date for i in schedule] == [date(2024, 2, 29), date(2024, 3, 31)]


def test_schedule_grace_shifts_first_instalment() -> None:
    terms = LoanTerms(principal=6_000_000, disbursed_on=date(2026, 3, 15), tenor_months=12, grace_months=3)
    schedule = build_schedule(terms)
    assert schedule[0].due_date == date(2026, 7, 15)  # 1 + 3 months after disbursement
    assert schedule[-1].due_date == date(2027, 6, 15)
    assert [i.principal_due for i in schedule] == [500_000] * 12


def test_schedule_one_percent_fee() -> None:
    schedule = build_schedule(TYPICAL_FEE)
    assert all(i.fee_due == 65_000 for i in schedule)
    assert schedule[0].total_due == 607_000
    assert schedule[-1].total_due == 603_000
    assert sum(i.total_due for i in schedule) == 6_500_000 + 12 * 65_000


@pytest.mark.parametrize(
    ("principal", "fee", "expected"),
    [
        (6_500_000, Decimal(1), 65_000),
        (1_000_000, Decimal("0.25"), 2_500),
        (1_000_100, Decimal("0.5"), 5_001),  # 5.000,5 rounds half up
        (1_234_567, Decimal("0.33"), 4_074),  # 4.074,07
        (1_000_000, Decimal(0), 0),
        (1_000_001, Decimal("0.0000001"), 0),
    ],
)
def test_fee_per_installment(principal: int, fee: Decimal, expected: int) -> None:
    assert fee_per_installment(principal, fee) == expected


# ---------------------------------------------------------------------------------------------------
# Allocation
# ---------------------------------------------------------------------------------------------------


def test_no_payments() -> None:
    state = allocate(build_schedule(TYPICAL_FEE), [])
    assert state.total_due == 7_280_000
    assert state.total_paid == 0
    assert state.outstanding == 7_280_000
    assert state.outstanding_principal == 6_500_000
    assert state.allocations == ()
    oldest = state.oldest_unpaid()
    assert oldest is not None
    assert oldest.installment.number == 1
    assert not state.is_paid_off


def test_partial_payment_pays_fee_first() -> None:
    schedule = build_schedule(TYPICAL_FEE)
    state = allocate(schedule, [pay(1, 50_000, date(2026, 2, 5))])
    first = state.installments[0]
    assert (first.fee_paid, first.principal_paid) == (50_000, 0)
    assert first.remaining == 557_000
    assert not first.is_paid
    assert first.fully_paid_on is None
    assert state.allocations == (Allocation(1, 1, 50_000, 0),)

    state = allocate(schedule, [pay(1, 50_000, date(2026, 2, 5)), pay(2, 100_000, date(2026, 2, 9))])
    first = state.installments[0]
    assert (first.fee_paid, first.principal_paid) == (65_000, 85_000)
    assert state.allocations == (Allocation(1, 1, 50_000, 0), Allocation(2, 1, 15_000, 85_000))
    assert state.outstanding == 7_280_000 - 150_000
    assert state.outstanding_principal == 6_500_000 - 85_000


def test_payment_spanning_three_instalments() -> None:
    schedule = build_schedule(TYPICAL_FEE)  # 607.000 per month (65.000 fee + 542.000 principal)
    state = allocate(schedule, [pay(7, 1_500_000, date(2026, 2, 10))])
    assert state.allocations == (
        Allocation(7, 1, 65_000, 542_000),
        Allocation(7, 2, 65_000, 542_000),
        Allocation(7, 3, 65_000, 221_000),  # 1.500.000 - 2 x 607.000 = 286.000 = 65.000 fee + 221.000
    )
    one, two, three, four = state.installments[:4]
    assert one.is_paid
    assert two.is_paid
    assert not three.is_paid
    assert one.fully_paid_on == two.fully_paid_on == date(2026, 2, 10)
    assert three.fully_paid_on is None
    assert three.remaining == 321_000
    assert four.paid == 0
    oldest = state.oldest_unpaid()
    assert oldest is not None
    assert oldest.installment.number == 3
    assert state.next_due(date(2026, 2, 11)) == oldest


def test_fully_paid_on_is_date_of_completing_payment() -> None:
    schedule = build_schedule(TYPICAL)
    state = allocate(schedule, [pay(1, 300_000, date(2026, 2, 1)), pay(2, 242_000, date(2026, 2, 20))])
    assert state.installments[0].fully_paid_on == date(2026, 2, 20)


def test_payments_ordered_by_date_then_id() -> None:
    schedule = build_schedule(TYPICAL)
    payments = [
        pay(5, 100_000, date(2026, 3, 1)),
        pay(9, 300_000, date(2026, 2, 1)),
        pay(3, 300_000, date(2026, 2, 1)),
    ]
    state = allocate(schedule, payments)
    assert [a.payment_id for a in state.allocations] == [3, 9, 9, 5]
    assert state.allocations[1] == Allocation(9, 1, 0, 242_000)
    assert state.allocations[2] == Allocation(9, 2, 0, 58_000)


def test_pay_off_exactly() -> None:
    """Updated for issue 14, item 10 (it asserted the old rule, a payoff paying every future month's fee): on
    1 May 2026 the months begun are the 1st to 4th (10 Jan, 10 Feb, 10 Mar, 10 Apr), so the payoff is
    6.500.000 + 4 x 65.000 = 6.760.000, and the 8 later fees (520.000) are waived."""
    schedule = build_schedule(TYPICAL_FEE)
    with pytest.raises(OverpaymentError) as exc_info:
        allocate(schedule, [pay(1, 7_280_000, date(2026, 5, 1))])
    assert exc_info.value.outstanding == 6_760_000
    state = allocate(schedule, [pay(1, 6_760_000, date(2026, 5, 1))])
    assert state.fees_waived == 520_000
    assert state.fees_paid == 260_000
    assert state.is_paid_off
    assert state.outstanding == 0
    assert state.outstanding_principal == 0
    assert state.oldest_unpaid() is None
    assert state.next_due(date(2026, 5, 1)) is None
    assert state.days_in_arrears(date(2030, 1, 1)) == 0
    assert all(s.fully_paid_on == date(2026, 5, 1) for s in state.installments)


def test_allocate_overpayment_raises_with_outstanding() -> None:
    schedule = build_schedule(TYPICAL)
    payments = [pay(1, 1_000_000, date(2026, 2, 10)), pay(2, 5_500_001, date(2026, 3, 10))]
    with pytest.raises(OverpaymentError) as exc_info:
        allocate(schedule, payments)
    assert exc_info.value.outstanding == 5_500_000
    assert exc_info.value.payment_id == 2


def test_allocate_rejects_bad_payments() -> None:
    schedule = build_schedule(TYPICAL)
    with pytest.raises(ValueError, match="duplicate"):
        allocate(schedule, [pay(1, 1_000, date(2026, 2, 1)), pay(1, 2_000, date(2026, 2, 2))])
    with pytest.raises(ValueError, match="positive"):
        allocate(schedule, [pay(1, 0, date(2026, 2, 1))])
    with pytest.raises(ValueError, match="positive"):
        allocate(schedule, [pay(1, -5, date(2026, 2, 1))])


def test_allocate_rejects_bad_schedule() -> None:
    inst = Installment(1, date(2026, 2, 1), 100_000, 0)
    with pytest.raises(ValueError, match="unique"):
        allocate([inst, inst], [])
    with pytest.raises(ValueError, match="negative"):
        allocate([Installment(1, date(2026, 2, 1), -1, 0)], [])


def test_check_new_payment() -> None:
    state = allocate(build_schedule(TYPICAL), [pay(1, 1_000_000, date(2026, 2, 10))])
    check_new_payment(state, 5_500_000)  # exactly what is owed: fine
    check_new_payment(state, 1)
    with pytest.raises(OverpaymentError) as exc_info:
        check_new_payment(state, 5_500_001)
    assert exc_info.value.outstanding == 5_500_000
    with pytest.raises(ValueError, match="positive"):
        check_new_payment(state, 0)
    with pytest.raises(ValueError, match="positive"):
        check_new_payment(state, -1)

    fresh = allocate(build_schedule(TYPICAL), [])
    with pytest.raises(OverpaymentError) as exc_info:
        check_new_payment(fresh, 6_500_001)
    assert exc_info.value.outstanding == 6_500_000


def test_reversal_reallocates_later_payments() -> None:
    schedule = build_schedule(TYPICAL_FEE)
    p1 = pay(1, 607_000, date(2026, 2, 10))
    p2 = pay(2, 100_000, date(2026, 3, 1))
    p3 = pay(3, 600_000, date(2026, 3, 10))
    full = allocate(schedule, [p1, p2, p3])
    assert full.allocations == (
        Allocation(1, 1, 65_000, 542_000),
        Allocation(2, 2, 65_000, 35_000),
        Allocation(3, 2, 0, 507_000),
        Allocation(3, 3, 65_000, 28_000),
    )
    reversed_state = allocate(schedule, [p2, p3])
    assert reversed_state.allocations == (
        Allocation(2, 1, 65_000, 35_000),
        Allocation(3, 1, 0, 507_000),
        Allocation(3, 2, 65_000, 28_000),
    )
    assert reversed_state.outstanding == full.outstanding + 607_000


# ---------------------------------------------------------------------------------------------------
# Arrears, collectibility, repayment rate
# ---------------------------------------------------------------------------------------------------


def test_days_in_arrears_around_due_date() -> None:
    schedule = build_schedule(TYPICAL)  # first due 10 Feb 2026, second 10 Mar 2026
    state = allocate(schedule, [])
    assert state.days_in_arrears(date(2026, 2, 9)) == 0
    assert state.days_in_arrears(date(2026, 2, 10)) == 0  # due today is not overdue
    assert state.days_in_arrears(date(2026, 2, 11)) == 1
    assert state.days_in_arrears(date(2026, 3, 12)) == 30  # counted from the oldest unpaid instalment
    assert state.overdue_amount(date(2026, 2, 10)) == 0
    assert state.overdue_amount(date(2026, 2, 11)) == 542_000
    assert state.due_through(date(2026, 2, 9)) == 0
    assert state.due_through(date(2026, 2, 10)) == 542_000
    assert state.due_through(date(2026, 3, 10)) == 1_084_000


def test_days_in_arrears_with_partial_and_full_payment() -> None:
    schedule = build_schedule(TYPICAL)
    partial = allocate(schedule, [pay(1, 500_000, date(2026, 2, 10))])
    assert partial.days_in_arrears(date(2026, 2, 20)) == 10  # a partial payment does not cure arrears
    assert partial.overdue_amount(date(2026, 2, 20)) == 42_000
    assert partial.due_through(date(2026, 3, 10)) == 42_000 + 542_000

    paid_first = allocate(schedule, [pay(1, 542_000, date(2026, 2, 10))])
    assert paid_first.days_in_arrears(date(2026, 2, 20)) == 0
    assert paid_first.days_in_arrears(date(2026, 3, 10)) == 0
    assert paid_first.days_in_arrears(date(2026, 3, 11)) == 1
    nxt = paid_first.next_due(date(2026, 2, 20))
    assert nxt is not None
    assert nxt.installment.due_date == date(2026, 3, 10)


@pytest.mark.parametrize(
    ("days", "kol"),
    [(0, 1), (1, 2), (90, 2), (91, 3), (120, 3), (121, 4), (180, 4), (181, 5), (5_000, 5)],
)
def test_collectibility_boundaries(days: int, kol: int) -> None:
    assert collectibility(days) == kol


def test_collectibility_rejects_negative() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        collectibility(-1)


def test_amount_due_by() -> None:
    state = allocate(build_schedule(TYPICAL_FEE), [pay(1, 2_000_000, date(2026, 2, 1))])
    assert state.amount_due_by(date(2026, 2, 9)) == 0
    assert state.amount_due_by(date(2026, 2, 10)) == 607_000
    assert state.amount_due_by(date(2026, 3, 10)) == 1_214_000  # scheduled, payments ignored
    assert state.amount_due_by(date(2030, 1, 1)) == 7_280_000


def test_repayment_rate() -> None:
    schedule = build_schedule(TYPICAL)
    nothing = allocate(schedule, [])
    assert repayment_rate(nothing, date(2026, 2, 9)) is None  # nothing due yet
    assert repayment_rate(nothing, date(2026, 2, 10)) == Decimal(0)

    half = allocate(schedule, [pay(1, 542_000, date(2026, 2, 10))])
    assert repayment_rate(half, date(2026, 3, 10)) == Decimal("0.5")

    ahead = allocate(schedule, [pay(1, 1_084_000, date(2026, 2, 1))])
    assert repayment_rate(ahead, date(2026, 2, 10)) == Decimal(1)  # capped
    assert repayment_rate(ahead, date(2026, 1, 31)) is None


# ---------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------

terms_strategy = st.builds(
    LoanTerms,
    principal=st.integers(MIN_PRINCIPAL, MAX_PRINCIPAL),
    disbursed_on=st.dates(date(2020, 1, 1), date(2035, 12, 31)),
    tenor_months=st.integers(1, 36),
    grace_months=st.integers(0, 12),
    fee_percent_monthly=st.one_of(
        st.just(Decimal(0)),
        st.decimals(min_value=0, max_value=10, places=2, allow_nan=False, allow_infinity=False),
    ),
)


@st.composite
def loans_with_payments(
    draw: st.DrawFn, max_payments: int = 8
) -> tuple[LoanTerms, list[Installment], list[Payment]]:
    """Valid terms, their schedule and a list of payments whose total never exceeds what is owed: each payment,
    in ``(paid_on, id)`` order, is at most what settles the loan on its date (the early-payoff rule)."""
    terms = draw(terms_strategy)
    schedule = build_schedule(terms)
    count = draw(st.integers(0, max_payments))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True))
    start = terms.disbursed_on
    # A narrow window as well as a wide one, so that equal dates (ordered by id) occur often.
    days = st.one_of(st.integers(0, 5), st.integers(0, 4 * 365))
    slots = sorted((start + timedelta(days=draw(days)), pid) for pid in ids)
    payments: list[Payment] = []
    for paid_on, pid in slots:
        limit = allocate(schedule, payments).payoff_amount(paid_on)
        if limit == 0:
            break
        amount = draw(
            st.one_of(
                st.integers(1, min(limit, 50_000)),  # small partial payments
                st.integers(1, min(limit, 3_000_000)),
                st.integers(1, limit),
                st.just(limit),  # pay off exactly
            )
        )
        payments.append(Payment(id=pid, amount=amount, paid_on=paid_on))
    order = draw(st.permutations(payments))
    return terms, schedule, list(order)


def _check_invariants(schedule: list[Installment], payments: list[Payment], state: LoanState) -> None:
    total_paid = sum(p.amount for p in payments)
    assert state.total_due == sum(i.total_due for i in schedule) - state.fees_waived
    assert state.fees_waived == 0 or state.is_paid_off  # fees are waived only by a payoff
    assert state.total_paid == total_paid
    assert sum(a.amount for a in state.allocations) == total_paid
    assert state.outstanding + state.total_paid == state.total_due
    assert state.outstanding >= 0
    assert state.outstanding_principal == sum(i.principal_due for i in schedule) - sum(
        a.principal_paid for a in state.allocations
    )
    for p in payments:
        assert sum(a.amount for a in state.allocations if a.payment_id == p.id) == p.amount
    assert all(a.fee_paid >= 0 and a.principal_paid >= 0 and a.amount > 0 for a in state.allocations)

    seen_unpaid = False
    for s in state.installments:
        number = s.installment.number
        assert s.fee_paid == sum(a.fee_paid for a in state.allocations if a.installment_number == number)
        assert s.principal_paid == sum(
            a.principal_paid for a in state.allocations if a.installment_number == number
        )
        assert 0 <= s.fee_paid <= s.fee_owed <= s.installment.fee_due
        assert 0 <= s.principal_paid <= s.installment.principal_due
        assert 0 <= s.remaining <= s.total_owed
        if s.principal_paid > 0:
            assert s.fee_paid == s.fee_owed  # fee before principal
        if seen_unpaid:
            assert s.paid == 0  # oldest first: nothing paid after the first unpaid instalment
        if not s.is_paid:
            seen_unpaid = True
        assert (s.fully_paid_on is not None) == s.is_paid
        if s.fully_paid_on is not None:
            assert s.fully_paid_on in {p.paid_on for p in payments}


@given(terms=terms_strategy)
def test_schedule_sums_to_principal(terms: LoanTerms) -> None:
    schedule = build_schedule(terms)
    assert len(schedule) == terms.tenor_months
    assert sum(i.principal_due for i in schedule) == terms.principal
    assert all(i.principal_due > 0 for i in schedule)
    assert [i.number for i in schedule] == list(range(1, terms.tenor_months + 1))
    assert len({i.fee_due for i in schedule}) == 1
    dates = [i.due_date for i in schedule]
    assert dates == sorted(set(dates))
    assert dates[0] > terms.disbursed_on
    for i in schedule:
        expected = add_months(terms.disbursed_on, terms.grace_months + i.number)
        assert i.due_date == expected
        month_end = add_months(date(expected.year, expected.month, 1), 1) - timedelta(days=1)
        assert i.due_date.day == min(terms.disbursed_on.day, month_end.day)
    first = schedule[0].principal_due
    assert all(i.principal_due == first for i in schedule[:-1])
    assert terms.tenor_months == 1 or first % ROUNDING_UNIT == 0
    assert abs(first * terms.tenor_months - terms.principal) <= 500 * terms.tenor_months


@given(principal=st.integers(1_000, 40_000_000), n=st.integers(1, 60))
def test_split_principal_properties(principal: int, n: int) -> None:
    if principal < n * ROUNDING_UNIT:
        with pytest.raises(ValueError, match="too small"):
            split_principal(principal, n)
        return
    parts = split_principal(principal, n)
    assert len(parts) == n
    assert sum(parts) == principal
    assert all(part > 0 for part in parts)
    assert all(part == parts[0] and part % ROUNDING_UNIT == 0 for part in parts[:-1])
    # Each regular part is within Rp1.000 of the exact share (Rp500 unless the floor fallback applied).
    assert abs(parts[0] * n - principal) < ROUNDING_UNIT * n


@given(data=loans_with_payments())
def test_allocation_invariants(data: tuple[LoanTerms, list[Installment], list[Payment]]) -> None:
    _, schedule, payments = data
    state = allocate(schedule, payments)
    _check_invariants(schedule, payments, state)


@given(data=loans_with_payments(), today=st.dates(date(2019, 1, 1), date(2040, 12, 31)))
def test_arrears_consistency(data: tuple[LoanTerms, list[Installment], list[Payment]], today: date) -> None:
    _, schedule, payments = data
    state = allocate(schedule, payments)
    dia = state.days_in_arrears(today)
    assert dia >= 0
    assert (dia > 0) == (state.overdue_amount(today) > 0)
    assert 0 <= state.overdue_amount(today) <= state.due_through(today) <= state.outstanding
    assert state.amount_due_by(today) <= state.total_due
    assert 1 <= collectibility(dia) <= 5
    rate = repayment_rate(state, today)
    if state.amount_due_by(today) == 0:
        assert rate is None
    else:
        assert rate is not None
        assert Decimal(0) <= rate <= Decimal(1)
        if state.due_through(today) == 0:
            assert rate == Decimal(1)  # current on everything due means 100 %


@given(data=loans_with_payments(), perm_seed=st.randoms(use_true_random=False))
def test_allocation_independent_of_input_order(
    data: tuple[LoanTerms, list[Installment], list[Payment]], perm_seed: random.Random
) -> None:
    _, schedule, payments = data
    shuffled = list(payments)
    perm_seed.shuffle(shuffled)
    assert allocate(schedule, shuffled) == allocate(schedule, payments)
    assert allocate(list(reversed(schedule)), payments) == allocate(schedule, payments)


@given(data=loans_with_payments(), pick=st.integers(0, 1_000))
def test_reversal_equals_fresh_allocation(
    data: tuple[LoanTerms, list[Installment], list[Payment]], pick: int
) -> None:
    _, schedule, payments = data
    if not payments:
        return
    full = allocate(schedule, payments)
    removed = payments[pick % len(payments)]
    rest = [p for p in payments if p.id != removed.id]
    after_reversal = allocate(schedule, rest)
    # Same as a fresh allocation of the remaining payments given in any other order.
    assert after_reversal == allocate(schedule, list(reversed(rest)))
    _check_invariants(schedule, rest, after_reversal)
    # A reversal that undoes an early payoff brings the waived fees back (issue 14, item 10).
    assert after_reversal.outstanding == full.outstanding + removed.amount + full.fees_waived \
        - after_reversal.fees_waived
    if full.fees_waived:
        return  # the payoff re-allocated the fees earlier payments had paid ahead: nothing more to compare
    # Payments before the reversed one keep exactly their allocations.
    key = (removed.paid_on, removed.id)
    earlier = {p.id for p in payments if (p.paid_on, p.id) < key}
    assert [a for a in full.allocations if a.payment_id in earlier] == [
        a for a in after_reversal.allocations if a.payment_id in earlier
    ]


@given(
    data=loans_with_payments(),
    amount_frac=st.floats(0, 1),
    offset=st.integers(0, 4 * 365),
)
def test_add_then_remove_payment_restores_state(
    data: tuple[LoanTerms, list[Installment], list[Payment]], amount_frac: float, offset: int
) -> None:
    terms, schedule, payments = data
    before = allocate(schedule, payments)
    paid_on = max((p.paid_on for p in payments), default=terms.disbursed_on) + timedelta(days=offset)
    limit = before.payoff_amount(paid_on)
    if limit == 0:
        with pytest.raises(OverpaymentError) as exc_info:
            check_new_payment(before, 1, paid_on)
        assert exc_info.value.outstanding == 0
        return
    amount = max(1, round(limit * amount_frac))
    check_new_payment(before, amount, paid_on)
    new = Payment(id=max((p.id for p in payments), default=0) + 1, amount=amount, paid_on=paid_on)
    added = allocate(schedule, [*payments, new])
    _check_invariants(schedule, [*payments, new], added)
    assert added.total_paid == before.total_paid + amount
    assert added.is_paid_off == (amount == limit)
    assert allocate(schedule, [p for p in [*payments, new] if p.id != new.id]) == before


@given(data=loans_with_payments(), extra=st.integers(1, 5_000_000), offset=st.integers(0, 4 * 365))
def test_overpayment_is_refused(
    data: tuple[LoanTerms, list[Installment], list[Payment]], extra: int, offset: int
) -> None:
    terms, schedule, payments = data
    before = allocate(schedule, payments)
    amount = before.outstanding + extra
    with pytest.raises(OverpaymentError) as exc_info:
        check_new_payment(before, amount)
    assert exc_info.value.outstanding == before.outstanding

    # After the last payment, a payment above what settles the loan that day is refused with that amount.
    paid_on = max((p.paid_on for p in payments), default=terms.disbursed_on) + timedelta(days=offset)
    limit = before.payoff_amount(paid_on)
    assert limit <= before.outstanding
    with pytest.raises(OverpaymentError) as exc_info:
        check_new_payment(before, limit + extra, paid_on)
    assert exc_info.value.outstanding == limit
    new = Payment(id=max((p.id for p in payments), default=0) + 1, amount=limit + extra, paid_on=paid_on)
    with pytest.raises(OverpaymentError) as exc_info:
        allocate(schedule, [*payments, new])
    assert exc_info.value.payment_id == new.id
    assert exc_info.value.outstanding == limit


@settings(max_examples=50)
@given(terms=terms_strategy)
def test_paying_each_instalment_on_time_keeps_loan_current(terms: LoanTerms) -> None:
    schedule = build_schedule(terms)
    payments = [Payment(id=i.number, amount=i.total_due, paid_on=i.due_date) for i in schedule]
    state = allocate(schedule, payments)
    assert state.is_paid_off
    for inst, s in zip(schedule, state.installments, strict=True):
        assert s.fully_paid_on == inst.due_date
        assert state.allocations[inst.number - 1] == Allocation(
            inst.number, inst.number, inst.fee_due, inst.principal_due
        )
    for k in range(len(schedule)):
        partial = allocate(schedule, payments[:k])
        assert partial.days_in_arrears(schedule[k].due_date) == 0
        assert partial.days_in_arrears(schedule[k].due_date + timedelta(days=1)) == 1
        assert repayment_rate(partial, schedule[k].due_date - timedelta(days=1)) in (None, Decimal(1))


# --- issue 14, item 10: an early payoff owes the principal and the fees of the months begun -----------------


def test_early_payoff_after_paying_ahead_hand_computed() -> None:
    """Rp6.500.000 from 10 Jan 2026, 12 months, jasa 1 % = Rp65.000 a month (542.000 principal a month, the
    12th 538.000). The months begin 10 Jan, 10 Feb, 10 Mar, …

    - 5 Feb: Rp607.000 (instalment 1);
    - 20 Feb: Rp1.214.000 (instalments 2 and 3 ahead, with their fees);
    - 5 Mar: the payoff. Months begun: the 1st and 2nd (the 3rd begins on 10 Mar). Payoff = 6.500.000 +
      2 x 65.000 - 607.000 - 1.214.000 = Rp4.809.000. The 3rd month's fee paid ahead on 20 Feb counts as
      principal; the fees of months 3-12 (10 x 65.000 = Rp650.000) are waived.
    """
    schedule = build_schedule(TYPICAL_FEE)
    p1, p2 = pay(1, 607_000, date(2026, 2, 5)), pay(2, 1_214_000, date(2026, 2, 20))
    before = allocate(schedule, [p1, p2])
    assert before.outstanding == 7_280_000 - 1_821_000
    assert before.payoff_amount(date(2026, 3, 5)) == 4_809_000
    assert before.payoff_amount(date(2026, 3, 10)) == 4_809_000  # the 3rd month begins the day after 10 Mar
    assert before.payoff_amount(date(2026, 3, 11)) == 4_874_000  # … and its fee is owed from then on
    with pytest.raises(OverpaymentError) as exc_info:
        check_new_payment(before, 4_809_001, date(2026, 3, 5))
    assert exc_info.value.outstanding == 4_809_000
    check_new_payment(before, 4_809_000, date(2026, 3, 5))

    state = allocate(schedule, [p1, p2, pay(3, 4_809_000, date(2026, 3, 5))])
    assert state.is_paid_off and state.outstanding == 0
    assert state.total_paid == 6_630_000 == 6_500_000 + 130_000
    assert (state.principal_paid, state.fees_paid, state.fees_waived) == (6_500_000, 130_000, 650_000)
    assert [s.fee_waived for s in state.installments] == [0, 0] + [65_000] * 10
    assert list(state.allocations) == [
        Allocation(1, 1, 65_000, 542_000),
        Allocation(2, 2, 65_000, 542_000),
        Allocation(2, 3, 0, 542_000),  # the 3rd month's fee, paid ahead, is waived: principal instead
        Allocation(2, 4, 0, 65_000),
        Allocation(3, 4, 0, 477_000),
        *[Allocation(3, n, 0, 542_000) for n in range(5, 12)],
        Allocation(3, 12, 0, 538_000),
    ]
    assert all(s.fully_paid_on is not None for s in state.installments)

    # Reversing the payoff brings every fee back: the loan owes its full schedule again.
    assert allocate(schedule, [p1, p2]) == before


def test_regular_payments_a_day_early_are_not_a_payoff() -> None:
    """Paying each instalment (with its fee) a day before its due date is allocated as before, and the last one
    a day early is accepted in full: its month has begun."""
    schedule = build_schedule(TYPICAL_FEE)
    payments = [pay(k, s.total_due, s.due_date - timedelta(days=1))
                for k, s in enumerate(schedule, start=1)]
    state = allocate(schedule, payments)
    assert state.is_paid_off and state.fees_waived == 0 and state.fees_paid == 12 * 65_000
