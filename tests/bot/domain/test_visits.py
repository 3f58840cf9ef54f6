"""Visit and promise rules (bot/domain/visits.py)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.visits import (
    VisitError,
    check_promise_amount,
    check_promise_date,
    check_visit_date,
    clean_note,
    promise_kept,
    promise_possible,
)

TODAY = date(2026, 11, 28)


def test_promise_kept_counts_payments_since_the_visit_only():
    payments = [(date(2026, 11, 20), 300_000), (date(2026, 11, 28), 200_000), (date(2026, 12, 1), 100_000)]
    assert promise_kept(300_000, TODAY, payments) == (True, 300_000)
    assert promise_kept(300_001, TODAY, payments) == (False, 300_000)
    assert promise_kept(100_000, date(2026, 12, 2), payments) == (False, 0)


def test_checks():
    assert check_visit_date(TODAY, TODAY) == TODAY
    for bad, code in ((date(2026, 11, 29), "future"), (date(2026, 9, 28), "too_old")):
        with pytest.raises(VisitError) as err:
            check_visit_date(bad, TODAY)
        assert err.value.code == code
    assert clean_note("  tidak   ada  ") == "tidak ada"
    with pytest.raises(VisitError):
        clean_note("x" * 501)
    assert promise_possible("met") and not promise_possible("moved") and not promise_possible("refused")
    with pytest.raises(VisitError) as err:
        check_promise_amount(600_000, 500_000)
    assert err.value.code == "promise_too_much"
    assert check_promise_date(TODAY, date(2026, 11, 27), TODAY) == TODAY
    with pytest.raises(VisitError) as err:
        check_promise_date(date(2026, 11, 27), date(2026, 11, 27), TODAY)
    assert err.value.code == "promise_past"
    with pytest.raises(VisitError) as err:
        check_promise_date(date(2027, 1, 28), TODAY, TODAY)
    assert err.value.code == "promise_too_far"
