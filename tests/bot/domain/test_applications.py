"""The application rules: status transitions, who may act, the lending limit and the repaid share."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain.applications import (
    Action,
    ApplicationError,
    Status,
    check_amount,
    lending_check,
    may_act,
    next_status,
)
from bot.domain.roles import Role


@pytest.mark.parametrize(("current", "action", "after"), [
    ("submitted", Action.VERIFY, Status.VERIFIED),
    ("verified", Action.APPROVE, Status.APPROVED),
    ("verified", Action.REJECT, Status.REJECTED),
    ("approved", Action.DISBURSE, Status.DISBURSED),
])
def test_transitions(current, action, after):
    assert next_status(current, action) == after


@pytest.mark.parametrize(("current", "action"), [
    ("submitted", Action.APPROVE), ("submitted", Action.DISBURSE), ("verified", Action.VERIFY),
    ("rejected", Action.APPROVE), ("disbursed", Action.DISBURSE), ("approved", Action.REJECT),
])
def test_wrong_transitions_are_refused(current, action):
    with pytest.raises(ApplicationError) as caught:
        next_status(current, action)
    assert caught.value.code == "wrong_status"


def test_amount_limits():
    assert check_amount(1_000_000) == 1_000_000 and check_amount(25_000_000) == 25_000_000
    for bad in (999_999, 25_000_001):
        with pytest.raises(ApplicationError):
            check_amount(bad)


T, L, A = frozenset({Role.TREASURER}), frozenset({Role.LURAH}), frozenset({Role.ADMIN})


def test_who_may_act():
    makers = {1, 2}
    assert may_act(Action.VERIFY, T, 3, makers, lurah_available=True)
    assert may_act(Action.VERIFY, A, 3, makers, lurah_available=True)
    assert not may_act(Action.VERIFY, L, 3, makers, lurah_available=True)
    assert not may_act(Action.VERIFY, T, 2, makers, lurah_available=True)  # the treasurer who entered it
    assert may_act(Action.APPROVE, L, 3, makers, lurah_available=True)
    assert not may_act(Action.APPROVE, A, 4, makers, lurah_available=True)  # the lurah can: not the admin
    assert may_act(Action.REJECT, A, 4, makers, lurah_available=False)  # the lurah is a maker or absent
    assert not may_act(Action.APPROVE, L, 1, makers, lurah_available=False)  # the lurah applied herself
    assert not may_act(Action.APPROVE, T, 3, makers, lurah_available=False)
    assert may_act(Action.DISBURSE, T, 3, makers, lurah_available=True)
    assert not may_act(Action.DISBURSE, T | A, 1, makers, lurah_available=True)


def test_the_lending_limit():
    ok = lending_check(5_000_000, 5_000_000, 0, 0, 60)
    assert ok.blocked is None and ok.shortfall == 0 and ok.repaid_percent is None  # no earlier loans
    short = lending_check(5_000_000, 4_999_999, 9, 10, 0)
    assert (short.blocked, short.shortfall) == ("balance", 1)
    both = lending_check(5_000_000, 1_000, 0, 100, 60)
    assert both.blocked == "balance"  # the balance first


def test_the_repaid_share_is_compared_exactly():
    # 59.999…% is below 60 %, and shows as 59.9 (rounded down)
    below = lending_check(1_000_000, 10_000_000, 5_999_999, 10_000_000, 60)
    assert below.blocked == "repaid_share" and below.repaid_percent == Decimal("59.9")
    at = lending_check(1_000_000, 10_000_000, 6_000_000, 10_000_000, 60)
    assert at.blocked is None and at.repaid_percent == Decimal("60.0")
    assert lending_check(1_000_000, 10_000_000, 0, 10_000_000, 0).blocked is None  # the rule off
