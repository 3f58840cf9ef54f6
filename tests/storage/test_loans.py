"""storage.loans: create writes the schedule, summary is computed from verified payments, the overview ranks by
risk from SQL aggregates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.domain.loans import LoanTerms, LoanTermsError, build_schedule
from bot.domain.roles import Role
from bot.runtime import clock
from storage import audit, loans, people, repayments
from storage.db import Database
from tests.conftest import NAIKOTEN_SATU, NOW

KEL = NAIKOTEN_SATU


async def new_borrower(db: Database, name: str = "Maria Bria", linked: bool = False) -> people.Person:
    async with db.transaction() as tx:
        person = await people.create(tx, name=name, kelurahan_code=KEL, roles=[Role.BORROWER])
        if linked:
            await people.link_telegram(tx, person.id, 900_000 + person.id, 900_000 + person.id)
    return person


async def new_loan(db: Database, borrower: people.Person, principal: int = 6_000_000,
                   disbursed_on: date = date(2026, 5, 15), tenor: int = 12, grace: int = 0,
                   fee: Decimal = Decimal(0)) -> loans.Loan:
    async with db.transaction() as tx:
        return await loans.create(
            tx, borrower_id=borrower.id, kelurahan_code=KEL, business="warung",
            terms=LoanTerms(principal, disbursed_on, tenor, grace, fee), created_by=None, now=clock.utcnow(),
        )


async def test_create_writes_loan_schedule_and_audit(db: Database):
    maria = await new_borrower(db)
    terms = LoanTerms(7_000_000, date(2026, 1, 31), 18, 2, Decimal("1.5"))
    async with db.transaction() as tx:
        loan = await loans.create(tx, borrower_id=maria.id, kelurahan_code=KEL, terms=terms,
                                  business=" kios pulsa ", created_by=None, now=clock.utcnow())
    assert loan.principal == 7_000_000 and loan.status == "active" and loan.business == "kios pulsa"
    assert loan.fee_percent_monthly == Decimal("1.5") and loan.terms == terms
    stored = await loans.schedule(db, loan.id)
    assert stored == build_schedule(terms)
    assert sum(i.principal_due for i in stored) == 7_000_000
    assert stored[0].due_date == date(2026, 4, 30)  # 31 Jan + 1 month + 2 grace, clamped
    rows = await db.fetchall("SELECT * FROM installments WHERE loan_id = :id ORDER BY number", {"id": loan.id})
    assert len(rows) == 18 and rows[0]["fee_due"] == 105_000 and rows[0]["principal_paid"] == 0
    [entry] = await audit.recent(db, action="loan.created")
    assert entry.entity_id == loan.id and entry.details["principal"] == 7_000_000
    assert await loans.get(db, loan.id) == loan
    assert await loans.for_borrower(db, maria.id) == [loan]


async def test_create_refuses_bad_terms_and_writes_nothing(db: Database):
    maria = await new_borrower(db)
    with pytest.raises(LoanTermsError) as err:
        await new_loan(db, maria, principal=30_000_000)
    assert err.value.code == "principal_range"
    assert await db.fetchval("SELECT COUNT(*) FROM loans") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM installments") == 0


async def test_summary_from_verified_payments_only(db: Database):
    maria = await new_borrower(db)
    treasurer = await new_borrower(db, "Bendahara")
    loan = await new_loan(db, maria)  # 12 x 500.000 from 15 Jun 2026
    async with db.transaction() as tx:
        await repayments.record_verified(tx, loan_id=loan.id, amount=700_000, paid_on=date(2026, 6, 15),
                                         method="cash", recorded_by=treasurer.id, idempotency_key="k1",
                                         now=clock.utcnow())
        await repayments.report(tx, loan_id=loan.id, amount=300_000, paid_on=date(2026, 7, 15), method="cash",
                                reported_by=maria.id, idempotency_key="k2", now=clock.utcnow())
    s = await loans.summary(db, loan.id)
    assert s is not None
    assert s.borrower_name == "Maria Bria"
    assert s.paid == 700_000 and s.outstanding == 5_300_000 and s.pending_total == 300_000
    assert s.still_owed == 5_000_000
    assert s.next_due is not None and s.next_due.installment.number == 2 and s.next_due.paid == 200_000
    today = date(2026, 11, 28)  # instalments 1..6 (Jun..Nov 15) are due; 700k paid
    assert s.days_in_arrears(today) == (today - date(2026, 7, 15)).days
    assert s.overdue_amount(today) == 6 * 500_000 - 700_000
    assert set(s.installment_ids) == set(range(1, 13))
    assert await loans.summary(db, 999) is None


async def test_for_borrower_hides_closed_loans_unless_asked(db: Database):
    maria = await new_borrower(db)
    first = await new_loan(db, maria, principal=1_200_000, tenor=12)
    second = await new_loan(db, maria, disbursed_on=date(2026, 8, 1))
    async with db.transaction() as tx:
        await repayments.record_verified(tx, loan_id=first.id, amount=1_200_000, paid_on=date(2026, 9, 1),
                                         method="cash", recorded_by=maria.id, idempotency_key="all", now=clock.utcnow())
    assert [loan.id for loan in await loans.for_borrower(db, maria.id)] == [second.id]
    assert [loan.id for loan in await loans.for_borrower(db, maria.id, include_closed=True)] == [first.id, second.id]


async def test_borrowers_overview_riskiest_first_with_counts(db: Database):
    today = NOW.date()  # 2026-11-28
    a = await new_borrower(db, "Agustinus Nalle", linked=True)
    b = await new_borrower(db, "Yohanes Ndun")
    c = await new_borrower(db, "Fransiska Tefa")
    d = await new_borrower(db, "Benediktus Lake")
    la = await new_loan(db, a, disbursed_on=date(2026, 5, 15))   # due 15 Jun..: nothing paid → 166 days
    lb = await new_loan(db, b, disbursed_on=date(2026, 5, 15))   # pays 2 instalments → oldest unpaid 15 Aug
    lc = await new_loan(db, c, disbursed_on=date(2026, 10, 20))  # first due 20 Nov, unpaid → 8 days
    ld = await new_loan(db, d, disbursed_on=date(2026, 11, 1))   # nothing due yet
    async with db.transaction() as tx:
        await repayments.record_verified(tx, loan_id=lb.id, amount=1_000_000, paid_on=date(2026, 7, 15),
                                         method="cash", recorded_by=b.id, idempotency_key="b", now=clock.utcnow())
        # another kelurahan's loan must not appear
        other = await people.create(tx, name="Orang Lain", kelurahan_code="53.71.05.1005")
        await loans.create(tx, borrower_id=other.id, kelurahan_code="53.71.05.1005", business=None,
                           terms=LoanTerms(2_000_000, date(2026, 1, 1), 12), created_by=None, now=clock.utcnow())
    rows, total = await loans.borrowers_overview(db, KEL, today)
    assert total == 4
    assert [r.loan_id for r in rows] == [la.id, lb.id, lc.id, ld.id]
    assert [r.days_in_arrears for r in rows] == [
        (today - date(2026, 6, 15)).days, (today - date(2026, 8, 15)).days, 8, 0]
    assert rows[0].overdue_amount == 6 * 500_000 and rows[0].outstanding == 6_000_000 and rows[0].linked
    assert rows[1].overdue_amount == 4 * 500_000 and rows[1].outstanding == 5_000_000 and not rows[1].linked
    assert rows[3].overdue_amount == 0 and rows[3].name == "Benediktus Lake"
    # each row agrees with the computed summary
    for r in rows:
        s = await loans.summary(db, r.loan_id)
        assert (r.outstanding, r.overdue_amount, r.days_in_arrears) == (
            s.outstanding, s.overdue_amount(today), s.days_in_arrears(today))
    page, total = await loans.borrowers_overview(db, KEL, today, offset=2, limit=10)
    assert [r.loan_id for r in page] == [lc.id, ld.id] and total == 4


async def test_overview_orders_equal_arrears_by_overdue_then_name(db: Database):
    today = NOW.date()
    names = ["Yohana", "Adi", "Beni"]
    made = {}
    for name, principal in zip(names, [6_000_000, 6_000_000, 12_000_000], strict=True):
        person = await new_borrower(db, name)
        made[name] = await new_loan(db, person, principal=principal, disbursed_on=date(2026, 10, 1))
    rows, _ = await loans.borrowers_overview(db, KEL, today)
    # all 27 days late; Beni owes more overdue, then Adi before Yohana by name
    assert [r.name for r in rows] == ["Beni", "Adi", "Yohana"]
    assert {r.days_in_arrears for r in rows} == {(today - date(2026, 11, 1)).days}


async def test_paid_off_loans_leave_the_overview(db: Database):
    maria = await new_borrower(db)
    loan = await new_loan(db, maria, principal=1_200_000)
    async with db.transaction() as tx:
        await repayments.record_verified(tx, loan_id=loan.id, amount=1_200_000, paid_on=date(2026, 6, 1),
                                         method="cash", recorded_by=maria.id, idempotency_key="x", now=clock.utcnow())
    assert await loans.borrowers_overview(db, KEL, NOW.date()) == ([], 0)
