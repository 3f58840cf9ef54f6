"""bot.services.disbursements against a migrated database: who is asked (once), the answers and their rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.domain.loans import LoanTerms
from bot.domain.roles import Role
from bot.runtime import clock
from bot.services import disbursements as svc
from bot.services.disbursements import Answer
from storage import disbursements, loans, outbox, people
from storage.db import Database
from tests.conftest import NAIKOTEN_SATU, NOW

KEL = NAIKOTEN_SATU


async def _world(db: Database):
    async with db.transaction() as tx:
        linked = await people.create(tx, name="Maria Bria", kelurahan_code=KEL, roles=[Role.BORROWER])
        await people.link_telegram(tx, linked.id, 9001, 9001)
        offline = await people.create(tx, name="Mama Ina", kelurahan_code=KEL, roles=[Role.BORROWER])
        lurah = await people.create(tx, name="Pak Lurah", kelurahan_code=KEL, roles=[Role.LURAH])
        admin = await people.create(tx, name="Ibu Admin", kelurahan_code=KEL, roles=[Role.ADMIN, Role.LURAH])
        created = [await loans.create(tx, borrower_id=p.id, kelurahan_code=KEL, business=None, created_by=None,
                                      terms=LoanTerms(6_000_000, date(2026, 5, 15), 12, 0, Decimal(0)),
                                      now=clock.utcnow())
                   for p in (linked, linked, offline)]
    return linked, offline, lurah, admin, created


async def test_an_import_asks_the_linked_borrowers_once_per_loan(db, frozen_clock):
    linked, offline, _, _, created = await _world(db)
    async with db.transaction() as tx:
        assert await svc.ask_imported(tx, created, now=NOW) == 2
        assert await svc.ask_imported(tx, created, now=NOW) == 0
    asks = await outbox.for_recipient(db, linked.id)
    assert sorted(m.dedupe_key for m in asks) == sorted(f"dsb:ask:{ln.id}" for ln in created[:2])
    assert asks[0].buttons == [[("disbursement.yes", f"dsb:yes:{created[0].id}")],
                               [("disbursement.no", f"dsb:no:{created[0].id}")]]
    assert asks[0].context == {"loan_id": created[0].id, "principal": 6_000_000, "disbursed_on": date(2026, 5, 15)}
    assert await outbox.for_recipient(db, offline.id) == []


async def test_answers_once_and_the_dispute_names_whom_to_alert(db, frozen_clock):
    linked, offline, lurah, admin, created = await _world(db)
    assert (await svc.confirm(db, created[0].id, by=offline.id, now=NOW)).outcome is Answer.NOT_OWNED
    assert (await svc.confirm(db, created[0].id, by=linked.id, now=NOW)).outcome is Answer.STORED
    again = await svc.dispute(db, created[0].id, by=linked.id, note="eh", now=NOW)
    assert again.outcome is Answer.ALREADY and again.disbursement.status == "confirmed"
    disputed = await svc.dispute(db, created[1].id, by=linked.id, note="  hanya   terima separuh ", now=NOW)
    assert disputed.outcome is Answer.STORED and disputed.disbursement.note == "hanya terima separuh"
    assert sorted(p.id for p in disputed.alert) == sorted([lurah.id, admin.id])  # the admin who is lurah once
    open_ = await disbursements.open_for_kelurahan(db, KEL)
    assert [d.loan_id for d in open_.disputed] == [created[1].id]
    assert (open_.unconfirmed_total, open_.unconfirmed_principal) == (1, 6_000_000)
    assert [d.loan_id for d in await svc.open_questions(db, linked.id)] == []
