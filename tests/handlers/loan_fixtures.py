"""Test setup shared by the treasurer-side tests: a loan and a borrower's pending report."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from bot.domain.loans import LoanTerms
from bot.runtime import clock
from storage import loans, repayments
from storage.people import Person

_keys = itertools.count(1)


async def make_loan(db, borrower: Person, *, principal: int = 6_000_000,
                    disbursed_on: date = date(2026, 9, 28), tenor: int = 12, grace: int = 0,
                    fee: Decimal = Decimal(0), created_by: int | None = None):
    terms = LoanTerms(principal, disbursed_on, tenor, grace, fee)
    async with db.transaction() as tx:
        return await loans.create(tx, borrower_id=borrower.id, kelurahan_code=borrower.kelurahan_code,
                                  terms=terms, business="Warung", created_by=created_by, now=clock.utcnow())


async def report(db, loan, reporter: Person, amount: int = 500_000, *, paid_on: date = date(2026, 11, 27),
                 method: str = "cash", photo: str | None = None):
    async with db.transaction() as tx:
        rep, _ = await repayments.report(tx, loan_id=loan.id, amount=amount, paid_on=paid_on, method=method,
                                         reported_by=reporter.id, idempotency_key=f"test-{next(_keys)}",
                                         receipt_file_id=photo, now=clock.utcnow())
    return rep


async def record(db, loan, treasurer: Person, amount: int, paid_on: date = date(2026, 10, 28)):
    async with db.transaction() as tx:
        rep, _ = await repayments.record_verified(tx, loan_id=loan.id, amount=amount, paid_on=paid_on,
                                                  method="cash", recorded_by=treasurer.id,
                                                  idempotency_key=f"test-{next(_keys)}", now=clock.utcnow())
    return rep
