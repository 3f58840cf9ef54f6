"""bot.domain.demo: deterministic, realistic and internally consistent demo data."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.demo import generate
from bot.domain.loans import Payment, allocate, build_schedule


@pytest.mark.parametrize("seed", [1, 2, 3, 42])
def test_demo_data_is_consistent(seed: int):
    today = date(2026, 11, 28)
    data = generate(seed, today)
    assert data == generate(seed, today)
    assert data.total_principal == 200_000_000 and len(data.loans) == len(data.borrowers) == 30
    assert len({b.name for b in data.borrowers}) == 30
    assert {s.role for s in data.staff} == {"treasurer", "lurah", "admin", "coordinator"}
    assert 1 <= data.pending_count <= 4
    for loan in data.loans:
        assert 3_000_000 <= loan.terms.principal <= 12_000_000 and loan.terms.tenor_months in (12, 18)
        assert loan.terms.disbursed_on < today
        payments = [Payment(i, p.amount, p.paid_on) for i, p in enumerate(loan.payments, 1)]
        for p in loan.payments:
            assert loan.terms.disbursed_on <= p.paid_on <= today and p.amount % 1_000 == 0
        allocate(build_schedule(loan.terms), payments)  # never overpays, pending included
    assert {loan.profile for loan in data.loans} >= {"on_time", "late"}
    assert generate(seed + 100, today) != data
