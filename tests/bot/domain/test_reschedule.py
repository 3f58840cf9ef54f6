"""A reschedule replaces the unpaid part of a schedule and keeps earlier allocations, to the rupiah
(hand-computed fixture; README "Restrukturisasi")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.domain.loans import (
    Installment,
    LoanTerms,
    Payment,
    RescheduleError,
    allocate,
    build_schedule,
    collectibility,
    plan_reschedule,
    suggested_first_due,
)
from bot.domain.roles import CheckedBy, Role, proposal_checkers

# Rp6.000.000 over 12 months from 15 Jan 2026 with a 1% monthly fee: 500.000 principal + 60.000 fee a month.
TERMS = LoanTerms(6_000_000, date(2026, 1, 15), 12, 0, Decimal(1))
PAYMENTS = [Payment(1, 560_000, date(2026, 2, 15)), Payment(2, 560_000, date(2026, 3, 14)),
            Payment(3, 300_000, date(2026, 4, 20))]  # #3: fee 60.000 + principal 240.000 of instalment 3
TODAY = date(2026, 7, 1)


def _plan(**kw):
    state = allocate(build_schedule(TERMS), PAYMENTS)
    args = {"effective_on": TODAY, "tenor_months": 9, "grace_months": 1, "first_due_on": date(2026, 9, 1),
            "fee_per_month": 60_000, **kw}
    return state, plan_reschedule(state, **args)


def test_the_hand_computed_reschedule():
    before, plan = _plan()
    assert before.outstanding == 12 * 560_000 - 1_420_000 == 5_300_000
    assert before.days_in_arrears(TODAY) == 77 and collectibility(77) == 2  # instalment 3 was due 15 April

    # kept: 1 and 2 as they were, 3 cut down to what was paid on it
    assert plan.kept == (Installment(1, date(2026, 2, 15), 500_000, 60_000),
                         Installment(2, date(2026, 3, 15), 500_000, 60_000),
                         Installment(3, date(2026, 4, 15), 240_000, 60_000))
    assert [s.installment.number for s in plan.replaced] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    # principal left: 6.000.000 - 500.000 - 500.000 - 240.000; fees of May and June (due, unpaid) carried
    assert plan.principal_left == 4_760_000
    assert plan.fee_carried == 120_000
    # 4.760.000 / 9 = 528.888,9 -> 529.000 x 8, the last 4.760.000 - 4.232.000 = 528.000
    expected = [Installment(4, date(2026, 9, 1), 529_000, 180_000)]
    expected += [Installment(4 + k, d, 529_000, 60_000) for k, d in enumerate(
        [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1),
         date(2027, 3, 1), date(2027, 4, 1)], start=1)]
    expected.append(Installment(12, date(2027, 5, 1), 528_000, 60_000))
    assert list(plan.new) == expected
    assert plan.outstanding_after == 4_760_000 + 120_000 + 9 * 60_000 == 5_420_000

    after = allocate(plan.schedule, PAYMENTS)
    # the same payments give exactly the same allocations
    assert after.allocations == before.allocations
    assert [(a.payment_id, a.installment_number, a.fee_paid, a.principal_paid) for a in after.allocations] == [
        (1, 1, 60_000, 500_000), (2, 2, 60_000, 500_000), (3, 3, 60_000, 240_000)]
    assert after.outstanding == 5_420_000
    # re-aged: nothing overdue until the first new instalment
    assert after.days_in_arrears(TODAY) == 0 and collectibility(after.days_in_arrears(TODAY)) == 1
    assert after.days_in_arrears(date(2026, 9, 2)) == 1

    # a later payment goes to the new instalments, fee first
    later = allocate(plan.schedule, [*PAYMENTS, Payment(4, 700_000, date(2026, 9, 1))])
    assert later.allocations[:3] == before.allocations
    assert later.allocations[3:] == (type(later.allocations[0])(4, 4, 180_000, 520_000),)


def test_suggested_date_and_refusals():
    assert suggested_first_due(TODAY, 1) == date(2026, 9, 1)
    assert suggested_first_due(date(2026, 1, 31), 0) == date(2026, 2, 28)
    with pytest.raises(RescheduleError) as err:
        _plan(first_due_on=TODAY)
    assert err.value.code == "first_not_future"
    with pytest.raises(RescheduleError) as err:
        _plan(tenor_months=0)
    assert err.value.code == "tenor_range"
    with pytest.raises(RescheduleError) as err:
        _plan(grace_months=13)
    assert err.value.code == "grace_range"
    state = allocate(build_schedule(TERMS), [Payment(1, 6 * 560_000, date(2026, 2, 1))])  # 6 months prepaid
    with pytest.raises(RescheduleError) as err:
        plan_reschedule(state, effective_on=date(2026, 3, 1), tenor_months=6, grace_months=0,
                        first_due_on=date(2026, 4, 1), fee_per_month=60_000)
    assert err.value.code == "first_before_kept"
    schedule = build_schedule(TERMS)  # paid off early: the payoff that day (issue 14's early-payoff rule)
    payoff = allocate(schedule, []).payoff_amount(date(2026, 2, 1))
    paid = allocate(schedule, [Payment(1, payoff, date(2026, 2, 1))])
    with pytest.raises(RescheduleError) as err:
        plan_reschedule(paid, effective_on=TODAY, tenor_months=6, grace_months=0, first_due_on=date(2026, 8, 1),
                        fee_per_month=0)
    assert err.value.code == "nothing_left"


def test_nothing_paid_yet_replaces_everything():
    state = allocate(build_schedule(TERMS), [])
    plan = plan_reschedule(state, effective_on=date(2026, 1, 20), tenor_months=18, grace_months=0,
                           first_due_on=date(2026, 2, 20), fee_per_month=0)
    assert plan.kept == () and plan.fee_carried == 0 and plan.new[0].number == 1
    assert sum(i.principal_due for i in plan.new) == 6_000_000
    assert [i.principal_due for i in plan.new] == [333_000] * 17 + [339_000]


def test_who_decides_a_proposal_the_lurah_else_the_admins_never_a_maker():
    t, lurah, admin = (1, frozenset({Role.TREASURER})), (2, frozenset({Role.LURAH})), (3, frozenset({Role.ADMIN}))
    lurah_t = (4, frozenset({Role.LURAH, Role.TREASURER}))
    assert proposal_checkers([t, lurah, admin], {1}) == (CheckedBy.LURAH, frozenset({2}))
    assert proposal_checkers([t, admin], {1}) == (CheckedBy.FALLBACK, frozenset({3}))  # no lurah
    assert proposal_checkers([lurah_t, admin], {4}) == (CheckedBy.FALLBACK, frozenset({3}))  # the lurah proposed
    assert proposal_checkers([t, lurah], {1, 2}) == (CheckedBy.NOBODY, frozenset())  # the lurah's own loan
    assert proposal_checkers([t, (5, frozenset({Role.TREASURER}))], {1}) == (CheckedBy.NOBODY, frozenset())
