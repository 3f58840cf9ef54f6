"""storage.repayments: maker-checker, idempotency, overpayment, races, reversal with exact re-allocation.

The audit rows are written by the use cases (bot.services.repayments): tests/bot/services/test_repayment_service.py.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.domain.loans import LoanTerms, Payment, allocate
from bot.domain.roles import Role
from bot.runtime import clock
from storage import audit, loans, people, repayments
from storage.db import Database
from tests.conftest import NAIKOTEN_SATU, NOW

KEL = NAIKOTEN_SATU


@pytest.fixture
async def setup(db: Database):
    async with db.transaction() as tx:
        maria = await people.create(tx, name="Maria Bria", kelurahan_code=KEL, roles=[Role.BORROWER])
        t1 = await people.create(tx, name="Bendahara Satu", kelurahan_code=KEL, roles=[Role.TREASURER])
        t2 = await people.create(tx, name="Bendahara Dua", kelurahan_code=KEL, roles=[Role.TREASURER])
        # 12 x 500.000 + fee 1% (60.000) = 560.000 a month, first due 15 Jun 2026
        loan = await loans.create(tx, borrower_id=maria.id, kelurahan_code=KEL, business="warung",
                                  terms=LoanTerms(6_000_000, date(2026, 5, 15), 12, 0, Decimal(1)),
                                  created_by=t1.id, now=clock.utcnow())
    return db, maria, t1, t2, loan


async def report(db: Database, loan, who, amount: int, key: str, paid_on: date = date(2026, 6, 15)):
    async with db.transaction() as tx:
        return await repayments.report(tx, loan_id=loan.id, amount=amount, paid_on=paid_on, method="cash",
                                       reported_by=who.id, idempotency_key=key, now=clock.utcnow())


async def installment_paid(db: Database, loan_id: int) -> list[tuple[int, int, str | None]]:
    rows = await db.fetchall(
        "SELECT fee_paid, principal_paid, paid_on FROM installments WHERE loan_id = :l ORDER BY number",
        {"l": loan_id})
    return [(r["fee_paid"], r["principal_paid"], r["paid_on"]) for r in rows]


def expected_paid(schedule, payments) -> list[tuple[int, int, str | None]]:
    state = allocate(schedule, payments)
    return [(s.fee_paid, s.principal_paid, s.fully_paid_on and s.fully_paid_on.isoformat())
            for s in state.installments]


async def test_report_is_pending_and_idempotent(setup):
    db, maria, _t1, _t2, loan = setup
    rep, created = await report(db, loan, maria, 560_000, "tg:1:abc")
    assert created and rep.status == "pending" and rep.reference == f"PB-{rep.id:05d}"
    again, created_again = await report(db, loan, maria, 560_000, "tg:1:abc")
    assert not created_again and again == rep
    assert await db.fetchval("SELECT COUNT(*) FROM repayments") == 1
    # pending does not count: nothing allocated
    assert await installment_paid(db, loan.id) == [(0, 0, None)] * 12
    assert not [e for e in await audit.recent(db) if e.action.startswith("repayment.")]  # the use case's
    assert await repayments.last_method(db, maria.id) == "cash"


async def test_report_refuses_more_than_still_owed(setup):
    db, maria, _t1, _t2, loan = setup
    total = 6_000_000 + 12 * 60_000
    await report(db, loan, maria, 1_000_000, "a")
    with pytest.raises(repayments.Overpayment) as err:
        await report(db, loan, maria, total - 1_000_000 + 1, "b")
    assert err.value.outstanding == total and err.value.still_owed == total - 1_000_000
    rep, _ = await report(db, loan, maria, total - 1_000_000, "c")  # exactly what is still owed is fine
    assert rep.status == "pending"
    assert await db.fetchval("SELECT COUNT(*) FROM repayments") == 2
    with pytest.raises(ValueError, match="positive"):
        await report(db, loan, maria, 0, "zero")


async def test_approve_allocates_and_reject_needs_reason(setup):
    db, maria, t1, _t2, loan = setup
    rep, _ = await report(db, loan, maria, 600_000, "a")
    async with db.transaction() as tx:
        view = await repayments.decide(tx, rep.id, approve=True, by=t1.id, now=NOW)
    assert view.repayment.status == "verified" and view.decided_by_name == "Bendahara Satu"
    assert view.borrower_name == "Maria Bria" and view.reporter_name == "Maria Bria"
    assert view.repayment.verified_at == "2026-11-28 02:00:00"
    paid = await installment_paid(db, loan.id)
    assert paid[0] == (60_000, 500_000, "2026-06-15") and paid[1] == (40_000, 0, None)
    allocs = await db.fetchall("SELECT * FROM allocations WHERE repayment_id = :r", {"r": rep.id})
    assert sum(a["fee_paid"] + a["principal_paid"] for a in allocs) == 600_000

    rep2, _ = await report(db, loan, maria, 560_000, "b")
    with pytest.raises(ValueError, match="reason"):
        async with db.transaction() as tx:
            await repayments.decide(tx, rep2.id, approve=False, by=t1.id, now=NOW, reason="  ")
    async with db.transaction() as tx:
        view = await repayments.decide(tx, rep2.id, approve=False, by=t1.id, now=NOW, reason="Bukti tidak jelas")
    assert view.repayment.status == "rejected" and view.repayment.reason == "Bukti tidak jelas"
    assert await installment_paid(db, loan.id) == paid  # a rejection allocates nothing
    with pytest.raises(repayments.AlreadyDecided):
        async with db.transaction() as tx:
            await repayments.decide(tx, rep2.id, approve=True, by=t1.id, now=NOW)


async def test_two_treasurers_decide_at_once_exactly_one_wins(setup):
    db, maria, t1, t2, loan = setup
    rep, _ = await report(db, loan, maria, 560_000, "a")

    async def decide(by, approve):
        async with db.transaction() as tx:
            return await repayments.decide(tx, rep.id, approve=approve, by=by.id, now=NOW, reason="salah")

    results = await asyncio.gather(decide(t1, True), decide(t2, False), return_exceptions=True)
    winners = [r for r in results if isinstance(r, repayments.RepaymentView)]
    losers = [r for r in results if isinstance(r, repayments.AlreadyDecided)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].view.decided_by_name == winners[0].decided_by_name
    assert losers[0].view.repayment.status == winners[0].repayment.status
    row = await db.fetchone("SELECT status, verified_by FROM repayments WHERE id = :id", {"id": rep.id})
    assert (row["status"], row["verified_by"]) == (
        winners[0].repayment.status, winners[0].repayment.verified_by)


async def test_approving_a_racing_overpayment_changes_nothing(setup):
    db, maria, t1, _t2, loan = setup
    first, _ = await report(db, loan, maria, 6_000_000, "a")
    async with db.transaction() as tx:  # the treasurer records cash while the report waits
        await repayments.record_verified(tx, loan_id=loan.id, amount=1_000_000, paid_on=date(2026, 6, 20),
                                         method="cash", recorded_by=t1.id, idempotency_key="cash", now=clock.utcnow())
    with pytest.raises(repayments.Overpayment) as err:
        async with db.transaction() as tx:
            await repayments.decide(tx, first.id, approve=True, by=t1.id, now=NOW)
    assert err.value.outstanding == 5_720_000
    assert (await repayments.get(db, first.id)).status == "pending"
    assert sum(f + p for f, p, _ in await installment_paid(db, loan.id)) == 1_000_000


async def test_record_verified_is_verified_at_entry_and_idempotent(setup):
    db, _maria, t1, _t2, loan = setup
    async with db.transaction() as tx:
        rep, created = await repayments.record_verified(
            tx, loan_id=loan.id, amount=1_120_000, paid_on=date(2026, 7, 16), method="cash",
            recorded_by=t1.id, idempotency_key="rec-1", note="tunai", now=clock.utcnow())
        again, created_again = await repayments.record_verified(
            tx, loan_id=loan.id, amount=1_120_000, paid_on=date(2026, 7, 16), method="cash",
            recorded_by=t1.id, idempotency_key="rec-1", now=clock.utcnow())
    assert created and not created_again and again.id == rep.id
    assert rep.status == "verified" and rep.verified_by == t1.id and rep.reported_by == t1.id
    paid = await installment_paid(db, loan.id)
    assert paid[:3] == [(60_000, 500_000, "2026-07-16"), (60_000, 500_000, "2026-07-16"), (0, 0, None)]
    assert not [e for e in await audit.recent(db) if e.action.startswith("repayment.")]
    with pytest.raises(repayments.Overpayment):
        async with db.transaction() as tx:
            await repayments.record_verified(tx, loan_id=loan.id, amount=5_600_001, paid_on=date(2026, 8, 1),
                                             method="cash", recorded_by=t1.id, idempotency_key="rec-2",
                                             now=clock.utcnow())


async def test_reversal_reallocates_exactly(setup):
    db, maria, t1, _t2, loan = setup
    schedule = await loans.schedule(db, loan.id)
    amounts = [(300_000, date(2026, 6, 10)), (700_000, date(2026, 6, 20)), (450_000, date(2026, 8, 1)),
               (990_000, date(2026, 9, 30))]
    made = []
    for n, (amount, paid_on) in enumerate(amounts):
        async with db.transaction() as tx:
            rep, _ = await repayments.record_verified(tx, loan_id=loan.id, amount=amount, paid_on=paid_on,
                                                      method="cash", recorded_by=t1.id, idempotency_key=f"k{n}",
                                                      now=clock.utcnow())
        made.append(rep)
    payments = [Payment(r.id, r.amount, r.paid_on) for r in made]
    assert await installment_paid(db, loan.id) == expected_paid(schedule, payments)

    async with db.transaction() as tx:
        view = await repayments.reverse(tx, made[1].id, by=t1.id, now=NOW, reason="dobel dicatat")
    assert view.repayment.status == "reversed" and view.repayment.reversal_reason == "dobel dicatat"
    assert view.decided_by_name == "Bendahara Satu"
    without = [p for p in payments if p.id != made[1].id]
    assert await installment_paid(db, loan.id) == expected_paid(schedule, without)
    alloc_total = await db.fetchval("SELECT SUM(fee_paid + principal_paid) FROM allocations")
    assert alloc_total == sum(p.amount for p in without)
    assert await db.fetchval("SELECT COUNT(*) FROM allocations WHERE repayment_id = :r", {"r": made[1].id}) == 0
    assert await db.fetchval("SELECT COUNT(*) FROM repayments") == 4  # never deleted
    summary = await loans.summary(db, loan.id)
    assert summary.paid == sum(p.amount for p in without)

    with pytest.raises(repayments.NotReversible) as err:
        async with db.transaction() as tx:
            await repayments.reverse(tx, made[1].id, by=t1.id, now=NOW, reason="lagi")
    assert err.value.view.repayment.status == "reversed"
    pending, _ = await report(db, loan, maria, 10_000, "p")
    with pytest.raises(repayments.NotReversible):
        async with db.transaction() as tx:
            await repayments.reverse(tx, pending.id, by=t1.id, now=NOW, reason="x")
    with pytest.raises(ValueError, match="reason"):
        async with db.transaction() as tx:
            await repayments.reverse(tx, made[0].id, by=t1.id, now=NOW, reason=" ")


async def test_paid_off_and_back_to_active(setup):
    db, maria, t1, _t2, loan = setup
    rep, _ = await report(db, loan, maria, 6_720_000, "all")
    async with db.transaction() as tx:
        await repayments.decide(tx, rep.id, approve=True, by=t1.id, now=NOW)
    assert (await loans.get(db, loan.id)).status == "paid_off"
    assert all(p is not None for _, _, p in await installment_paid(db, loan.id))
    with pytest.raises(repayments.Overpayment) as err:
        await report(db, loan, maria, 1_000, "more")
    assert err.value.still_owed == 0
    async with db.transaction() as tx:
        await repayments.reverse(tx, rep.id, by=t1.id, now=NOW + timedelta(hours=1), reason="transfer gagal")
    assert (await loans.get(db, loan.id)).status == "active"
    assert await installment_paid(db, loan.id) == [(0, 0, None)] * 12
    assert not [e for e in await audit.recent(db) if e.action.startswith("repayment.")]


async def test_lists_for_kelurahan_and_loan(setup):
    db, maria, t1, _t2, loan = setup
    a, _ = await report(db, loan, maria, 100_000, "a", paid_on=date(2026, 6, 1))
    b, _ = await report(db, loan, maria, 200_000, "b", paid_on=date(2026, 6, 2))
    c, _ = await report(db, loan, maria, 300_000, "c", paid_on=date(2026, 6, 3))
    pending, total = await repayments.pending_for_kelurahan(db, KEL, limit=2)
    assert [v.repayment.id for v in pending] == [a.id, b.id] and total == 3
    pending, total = await repayments.pending_for_kelurahan(db, KEL, offset=2, limit=2)
    assert [v.repayment.id for v in pending] == [c.id] and total == 3
    assert await repayments.pending_for_kelurahan(db, "53.71.05.1005") == ([], 0)
    for rep in (a, c):
        async with db.transaction() as tx:
            await repayments.decide(tx, rep.id, approve=True, by=t1.id, now=NOW)
    verified, total = await repayments.verified_for_kelurahan(db, KEL, borrower_id=maria.id)
    assert [v.repayment.id for v in verified] == [c.id, a.id] and total == 2
    assert await repayments.verified_for_kelurahan(db, KEL, borrower_id=t1.id) == ([], 0)
    assert [r.id for r in await repayments.recent_for_loan(db, loan.id, limit=2)] == [c.id, b.id]
    assert (await repayments.view(db, b.id)).decided_by_name is None
    assert await repayments.view(db, 999) is None


async def test_one_borrowers_verified_payments_are_found_from_their_loans_not_by_scanning_the_city(setup):
    """/batalkan_bayar lists one borrower's verified payments. The plan must start from the borrower's loans: the
    city-wide index on verified repayments made it walk every verified payment (1.1 s on bench's synthetic city).
    SQLite has no statistics here (no ANALYZE), so the plan on an empty database is the plan on a big one."""
    db, maria, *_ = setup
    statements: list[str] = []
    await db.connection.set_trace_callback(statements.append)
    await repayments.verified_for_kelurahan(db, KEL, borrower_id=maria.id)
    await db.connection.set_trace_callback(None)
    [page_sql, count_sql] = [s for s in statements if "FROM repayments AS r" in s]
    for sql in (page_sql, count_sql):
        plan = " | ".join(r[3] for r in await db.fetchall("EXPLAIN QUERY PLAN " + sql))
        assert "loans_borrower" in plan and "repayments_loan" in plan, plan
        assert "repayments_status_verified_at" not in plan, plan
