"""bot.services.repayments directly against a migrated database: outcomes, rows, audit rows, and the
treasurers' notices committing (or rolling back) with the report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.domain.loans import LoanTerms
from bot.domain.roles import Role
from bot.runtime import clock
from bot.services import repayments as svc
from bot.services.repayments import Outcome
from storage import audit, loans, outbox, people, repayments
from storage.db import Database
from tests.conftest import NAIKOTEN_SATU, NOW

KEL = NAIKOTEN_SATU
OTHER_KEL = "53.71.01.1001"
TOTAL = 6_000_000 + 12 * 60_000  # 12 x 500.000 + a 1% fee (60.000) a month


@pytest.fixture
async def world(db: Database, frozen_clock):
    async with db.transaction() as tx:
        maria = await people.create(tx, name="Maria Bria", kelurahan_code=KEL, roles=[Role.BORROWER])
        t1 = await people.create(tx, name="Bendahara Satu", kelurahan_code=KEL, roles=[Role.TREASURER])
        t2 = await people.create(tx, name="Bendahara Dua", kelurahan_code=KEL, roles=[Role.TREASURER])
        # a treasurer who is also a borrower, and one of another kelurahan
        tb = await people.create(tx, name="Yosef Bendahara", kelurahan_code=KEL,
                                 roles=[Role.TREASURER, Role.BORROWER])
        elsewhere = await people.create(tx, name="Bendahara Lain", kelurahan_code=OTHER_KEL, roles=[Role.TREASURER])
        loan = await loans.create(tx, borrower_id=maria.id, kelurahan_code=KEL, business="warung",
                                  terms=LoanTerms(6_000_000, date(2026, 5, 15), 12, 0, Decimal(1)),
                                  created_by=t1.id, now=clock.utcnow())
        own_loan = await loans.create(tx, borrower_id=tb.id, kelurahan_code=KEL, business="bengkel",
                                      terms=LoanTerms(1_200_000, date(2026, 5, 15), 12, 0, Decimal(0)),
                                      created_by=t1.id, now=clock.utcnow())
        # on Telegram: only someone who opened their invite can check a report (bot.domain.roles.checkers)
        for n, person in enumerate((maria, t1, t2, tb, elsewhere), start=1):
            await people.link_telegram(tx, person.id, 9_000 + n, 9_000 + n)
    return {"db": db, "maria": maria, "t1": t1, "t2": t2, "tb": tb, "elsewhere": elsewhere, "loan": loan,
            "own_loan": own_loan}


async def _audit(db, action: str):
    return await audit.recent(db, action=action)


async def _report(w, amount: int = 560_000, key: str = "k1", *, notify=None, reporter=None, loan=None):
    return await svc.report_repayment(
        w["db"], loan_id=(loan or w["loan"]).id, reported_by=(reporter or w["maria"]).id, amount=amount,
        paid_on=date(2026, 6, 15), method="cash", idempotency_key=key, notify=notify, now=clock.utcnow())


def _recording_notify(calls: list):
    """A QueueNotice that puts an outbox row in the transaction it is given, like the bot's."""

    async def notify(tx, recipient, view):
        calls.append((recipient.id, view.repayment.id))
        return await outbox.enqueue_notice(tx, recipient_id=recipient.id,
                                           dedupe_key=f"t:{recipient.id}:{view.repayment.id}",
                                           text=view.repayment.reference, not_before=clock.utcnow())

    return notify


async def test_report_stores_pending_with_audit_and_notices_in_one_transaction(world):
    db, calls = world["db"], []
    result = await _report(world, notify=_recording_notify(calls))
    assert result.outcome is Outcome.STORED and result.ok
    rep = result.repayment
    assert rep.status == "pending" and rep.amount == 560_000
    [entry] = await _audit(db, "repayment.reported")
    assert (entry.actor_person_id, entry.entity_id, entry.kelurahan_code) == (world["maria"].id, rep.id, KEL)
    assert entry.details["outstanding"] == TOTAL
    assert (entry.details["pending_before"], entry.details["pending_after"]) == (0, 560_000)
    # every treasurer of the kelurahan, not the one of another kelurahan; the borrower is not a treasurer
    assert sorted(c[0] for c in calls) == sorted([world["t1"].id, world["t2"].id, world["tb"].id])
    assert len(result.notices) == 3
    assert {m.recipient_id for m in await _all_outbox(db)} == {c[0] for c in calls}

    again = await _report(world, notify=_recording_notify(calls))
    assert again.outcome is Outcome.DUPLICATE and again.repayment.id == rep.id and again.notices == ()
    assert len(calls) == 3 and len(await _audit(db, "repayment.reported")) == 1
    assert await db.fetchval("SELECT count(*) FROM repayments") == 1


async def _all_outbox(db):
    rows = await db.fetchall("SELECT id FROM outbox")
    return [await outbox.get(db, r["id"]) for r in rows]


async def test_a_failing_notice_rolls_the_report_back(world):
    db = world["db"]

    async def broken(tx, recipient, view):
        await outbox.enqueue_notice(tx, recipient_id=recipient.id, dedupe_key="x", text="x",
                                    not_before=clock.utcnow())
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        await _report(world, notify=broken)
    assert await db.fetchval("SELECT count(*) FROM repayments") == 0
    assert await db.fetchval("SELECT count(*) FROM outbox") == 0
    assert not await _audit(db, "repayment.reported")


async def test_reporter_who_is_a_treasurer_is_not_told_about_their_own_report(world):
    calls: list = []
    result = await _report(world, 100_000, reporter=world["tb"], loan=world["own_loan"],
                           notify=_recording_notify(calls))
    assert result.outcome is Outcome.STORED
    assert sorted(c[0] for c in calls) == sorted([world["t1"].id, world["t2"].id])


async def test_report_refusals_store_nothing(world):
    db = world["db"]
    assert (await _report(world, reporter=world["t1"])).outcome is Outcome.NOT_OWNED  # not their loan
    over = await _report(world, TOTAL + 1)
    assert over.outcome is Outcome.OVERPAYMENT and (over.outstanding, over.still_owed) == (TOTAL, TOTAL)
    async with db.transaction() as tx:
        await db_set_status(tx, world["loan"].id, "written_off")
    assert (await _report(world, key="k2")).outcome is Outcome.NOT_OWNED  # not active any more
    assert await db.fetchval("SELECT count(*) FROM repayments") == 0
    assert not await _audit(db, "repayment.reported")


async def db_set_status(tx, loan_id: int, status: str) -> None:
    await tx.execute("UPDATE loans SET status = :s WHERE id = :id", {"s": status, "id": loan_id})


async def test_verify_and_reject_write_their_audit_rows(world):
    db, t1 = world["db"], world["t1"]
    rep = (await _report(world, 600_000, "a")).repayment
    result = await svc.verify_repayment(db, rep.id, now=NOW, by=t1.id, kelurahan_code=KEL)
    assert result.outcome is Outcome.STORED and result.view.repayment.status == "verified"
    [entry] = await _audit(db, "repayment.verified")
    assert entry.actor_person_id == t1.id
    assert (entry.details["outstanding_before"], entry.details["outstanding_after"]) == (TOTAL, TOTAL - 600_000)

    rep2 = (await _report(world, 560_000, "b")).repayment
    with pytest.raises(ValueError, match="reason"):
        await svc.reject_repayment(db, rep2.id, now=NOW, by=t1.id, kelurahan_code=KEL, reason="  ")
    rejected = await svc.reject_repayment(db, rep2.id, now=NOW, by=t1.id, kelurahan_code=KEL,
                                          reason=" Bukti tidak jelas ")
    assert rejected.outcome is Outcome.STORED and rejected.view.repayment.status == "rejected"
    [entry] = await _audit(db, "repayment.rejected")
    assert entry.details["reason"] == "Bukti tidak jelas"
    assert entry.details["outstanding_before"] == entry.details["outstanding_after"] == TOTAL - 600_000

    late = await svc.verify_repayment(db, rep2.id, now=NOW, by=world["t2"].id, kelurahan_code=KEL)
    assert late.outcome is Outcome.ALREADY_DECIDED and late.view.decided_by_name == "Bendahara Satu"
    assert len(await _audit(db, "repayment.verified")) == 1


async def test_maker_checker_and_kelurahan_isolation_on_decisions(world):
    db = world["db"]
    own = (await _report(world, 100_000, reporter=world["tb"], loan=world["own_loan"])).repayment
    assert (await svc.verify_repayment(db, own.id, now=NOW, by=world["tb"].id, kelurahan_code=KEL)).outcome \
        is Outcome.OWN_PAYMENT
    rep = (await _report(world)).repayment
    elsewhere = await svc.verify_repayment(db, rep.id, now=NOW, by=world["elsewhere"].id, kelurahan_code=OTHER_KEL)
    assert elsewhere.outcome is Outcome.NOT_FOUND
    unknown = await svc.reject_repayment(db, 999, now=NOW, by=world["t1"].id, kelurahan_code=KEL, reason="salah")
    assert unknown.outcome is Outcome.NOT_FOUND
    assert (await repayments.get(db, rep.id)).status == "pending"
    assert not [e for e in await audit.recent(db) if e.action in ("repayment.verified", "repayment.rejected")]


async def test_verifying_more_than_owed_changes_nothing(world):
    db, t1 = world["db"], world["t1"]
    rep = (await _report(world, TOTAL, "all")).repayment
    await svc.record_cash_payment(db, loan_id=world["loan"].id, recorded_by=t1.id, kelurahan_code=KEL,
                                  amount=1_000_000, paid_on=date(2026, 6, 20), idempotency_key="cash",
                                  now=clock.utcnow())
    result = await svc.verify_repayment(db, rep.id, now=NOW, by=t1.id, kelurahan_code=KEL)
    assert result.outcome is Outcome.OVERPAYMENT and result.outstanding == TOTAL - 1_000_000
    assert (await repayments.get(db, rep.id)).status == "pending"
    assert not await _audit(db, "repayment.verified")


async def test_record_cash_payment(world):
    db, t1 = world["db"], world["t1"]

    async def cash(amount: int, key: str, by=None, loan=None, kel=KEL):
        return await svc.record_cash_payment(db, loan_id=(loan or world["loan"]).id, recorded_by=(by or t1).id,
                                             kelurahan_code=kel, amount=amount, paid_on=date(2026, 7, 16),
                                             idempotency_key=key, note="tunai", now=clock.utcnow())

    result = await cash(1_120_000, "rec-1")
    assert result.outcome is Outcome.STORED and result.repayment.status == "verified"
    assert result.repayment.note == "tunai" and result.repayment.method == "cash"
    [entry] = await _audit(db, "repayment.recorded")
    assert (entry.details["outstanding_before"], entry.details["outstanding_after"]) == (TOTAL, TOTAL - 1_120_000)
    again = await cash(1_120_000, "rec-1")
    assert again.outcome is Outcome.DUPLICATE and again.repayment.id == result.repayment.id
    over = await cash(TOTAL - 1_120_000 + 1, "rec-2")
    assert over.outcome is Outcome.OVERPAYMENT and over.outstanding == TOTAL - 1_120_000
    assert (await cash(100_000, "rec-3", by=world["tb"], loan=world["own_loan"])).outcome is Outcome.OWN_PAYMENT
    assert (await cash(100_000, "rec-4", by=world["elsewhere"], kel=OTHER_KEL)).outcome is Outcome.NOT_FOUND
    assert len(await _audit(db, "repayment.recorded")) == 1
    assert await db.fetchval("SELECT count(*) FROM repayments") == 1


async def test_reverse_repayment(world):
    db, t1 = world["db"], world["t1"]
    rep = (await _report(world, TOTAL, "all")).repayment
    await svc.verify_repayment(db, rep.id, now=NOW, by=t1.id, kelurahan_code=KEL)
    assert (await loans.get(db, world["loan"].id)).status == "paid_off"

    assert (await svc.reverse_repayment(db, rep.id, now=NOW, by=world["elsewhere"].id, kelurahan_code=OTHER_KEL,
                                        reason="salah")).outcome is Outcome.NOT_FOUND
    result = await svc.reverse_repayment(db, rep.id, now=NOW, by=t1.id, kelurahan_code=KEL, reason=" transfer gagal ")
    assert result.outcome is Outcome.STORED and result.view.repayment.status == "reversed"
    assert (await loans.get(db, world["loan"].id)).status == "active"
    [entry] = await _audit(db, "repayment.reversed")
    assert entry.details["reason"] == "transfer gagal"
    assert (entry.details["outstanding_before"], entry.details["outstanding_after"]) == (0, TOTAL)
    assert (entry.details["loan_status_before"], entry.details["loan_status_after"]) == ("paid_off", "active")

    again = await svc.reverse_repayment(db, rep.id, now=NOW, by=t1.id, kelurahan_code=KEL, reason="lagi")
    assert again.outcome is Outcome.NOT_REVERSIBLE and again.view.repayment.status == "reversed"
    assert len(await _audit(db, "repayment.reversed")) == 1


async def test_announce_pending_tells_the_treasurers_of_a_stored_report(world):
    calls: list = []
    rep = (await _report(world)).repayment
    queued = await svc.announce_pending(world["db"], rep.id, _recording_notify(calls))
    assert len(queued) == 3 and {c[1] for c in calls} == {rep.id}
    await svc.verify_repayment(world["db"], rep.id, now=NOW, by=world["t1"].id, kelurahan_code=KEL)
    assert await svc.announce_pending(world["db"], rep.id, _recording_notify(calls)) == ()  # not pending


async def test_the_cash_and_reverse_forms_drafts_go_in_the_writing_transaction(world):
    """``draft_of``: the form's draft is deleted with the entry (or the reversal), and kept when refused."""
    from storage import drafts
    from storage.drafts import Draft

    db, t1 = world["db"], world["t1"]

    async def draft(user: int) -> None:
        await drafts.save(db, Draft(telegram_user_id=user, kind="cash", form_id="abc123", step="summary",
                                    started_at=NOW, data={}), NOW)

    await draft(501)
    over = await svc.record_cash_payment(db, loan_id=world["loan"].id, recorded_by=t1.id, kelurahan_code=KEL,
                                         amount=TOTAL + 1, paid_on=date(2026, 7, 16), idempotency_key="d-1",
                                         draft_of=501, now=clock.utcnow())
    assert over.outcome is Outcome.OVERPAYMENT and await drafts.get(db, 501) is not None
    stored = await svc.record_cash_payment(db, loan_id=world["loan"].id, recorded_by=t1.id, kelurahan_code=KEL,
                                           amount=100_000, paid_on=date(2026, 7, 16), idempotency_key="d-1",
                                           draft_of=501, now=clock.utcnow())
    assert stored.outcome is Outcome.STORED and await drafts.get(db, 501) is None

    await draft(502)
    refused = await svc.reverse_repayment(db, stored.repayment.id, now=NOW, by=world["elsewhere"].id,
                                          kelurahan_code=OTHER_KEL, reason="salah", draft_of=502)
    assert refused.outcome is Outcome.NOT_FOUND and await drafts.get(db, 502) is not None
    reversed_ = await svc.reverse_repayment(db, stored.repayment.id, now=NOW, by=t1.id, kelurahan_code=KEL,
                                            reason="salah catat", draft_of=502)
    assert reversed_.outcome is Outcome.STORED and await drafts.get(db, 502) is None


async def test_report_deletes_the_form_draft_in_its_transaction_unless_the_amount_is_refused(world, db):
    """``draft_of``: the /bayar draft goes with a stored (or duplicate, or no longer owned) report, in the same
    transaction; an overpayment keeps it, so the form asks the amount again."""
    from storage import drafts
    from storage.drafts import Draft

    async def draft(user_id: int) -> None:
        await drafts.save(db, Draft(telegram_user_id=user_id, kind="pay", form_id="f1", step="summary",
                                    started_at=clock.utcnow(), data={}), clock.utcnow())

    w = world
    await draft(7)
    refused = await svc.report_repayment(db, loan_id=w["loan"].id, reported_by=w["maria"].id, amount=99_000_000,
                                         paid_on=date(2026, 6, 15), method="cash", idempotency_key="d0", draft_of=7,
                                         now=clock.utcnow())
    assert refused.outcome is Outcome.OVERPAYMENT and await drafts.get(db, 7) is not None
    for key, reporter, outcome in (("d1", w["maria"], Outcome.STORED), ("d1", w["maria"], Outcome.DUPLICATE),
                                   ("d2", w["t1"], Outcome.NOT_OWNED)):
        await draft(7)
        result = await svc.report_repayment(db, loan_id=w["loan"].id, reported_by=reporter.id, amount=560_000,
                                            paid_on=date(2026, 6, 15), method="cash", idempotency_key=key,
                                            draft_of=7, now=clock.utcnow())
        assert result.outcome is outcome and await drafts.get(db, 7) is None, outcome
