"""The nightly retention job (issue 18): what is due is anonymised, what is not stays, counts stay, one audit line
per person, the configured periods count, and a second run changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from bot.domain.loans import LoanTerms
from bot.domain.roles import Role
from bot.jobs import retention as retention_job
from bot.jobs import run_jobs
from bot.runtime import clock
from bot.services.privacy import years_before
from storage import loans, participants, people, registrations, repayments
from tests.conftest import make_settings
from tests.jobs_fixtures import wita
from tests.storage.event_fixtures import make_event, make_participant

NIGHT = wita(2026, 11, 28, 1, 30)


async def _registered_on(db, event, participant, moment: datetime) -> None:
    async with db.transaction() as tx:
        await registrations.register(tx, event_id=event.id, participant_id=participant.id, registered_by=None,
                                     now=moment)
    await db.execute("UPDATE participants SET created_at = :at WHERE id = :id",
                     {"at": moment.strftime("%Y-%m-%d %H:%M:%S"), "id": participant.id})


async def _paid_off_borrower(db, name: str, phone: str, disbursed: date, *, roles=(Role.BORROWER,)):
    async with db.transaction() as tx:
        person = await people.create(tx, name=name, kelurahan_code="53.71.05.1004", roles=roles, phone=phone)
        await people.link_telegram(tx, person.id, abs(hash(name)) % 10**8 + 10**6, abs(hash(name)) % 10**8 + 10**6)
        loan = await loans.create(tx, borrower_id=person.id, kelurahan_code="53.71.05.1004",
                                  terms=LoanTerms(1_200_000, disbursed, 12, 0, Decimal(0)), business="Warung",
                                  created_by=None, now=clock.utcnow())
        await repayments.record_verified(tx, loan_id=loan.id, amount=1_200_000,
                                         paid_on=date(disbursed.year + 1, disbursed.month, disbursed.day),
                                         method="cash", recorded_by=person.id, idempotency_key=f"ret-{name}",
                                         now=clock.utcnow())
    assert (await loans.get(db, loan.id)).status == "paid_off"
    return person, loan


def test_years_before_handles_the_leap_day():
    assert years_before(date(2028, 2, 29), 2) == date(2026, 2, 28)
    assert years_before(date(2026, 11, 28), 5) == date(2021, 11, 28)


async def test_nightly_job_anonymises_what_is_due_and_keeps_the_rest(db, db_path):
    settings = make_settings(db_path)
    event = await make_event(db)
    old = await make_participant(db, 1)
    recent = await make_participant(db, 2)
    await _registered_on(db, event, old, datetime(2024, 11, 27, 0, 0, tzinfo=UTC))  # 2 years + 1 day before
    await _registered_on(db, event, recent, datetime(2024, 11, 29, 0, 0, tzinfo=UTC))  # 1 day short of 2 years
    done, _ = await _paid_off_borrower(db, "Maria Bria", "+6281211110001", date(2020, 1, 10))  # ended 2021-01-10
    active_long_ago = await _paid_off_borrower(db, "Beni Lake", "+6281211110002", date(2022, 1, 10))  # ended 2023
    staff, _ = await _paid_off_borrower(db, "Yohanes Ndun", "+6281211110003", date(2019, 1, 10),
                                        roles=(Role.BORROWER, Role.TREASURER))
    loans_before = await db.fetchval("SELECT count(*) || '/' || sum(principal) FROM loans")

    ran, enqueued, failed = await run_jobs(db, settings, NIGHT, catch_up=False, jobs=retention_job.JOBS)
    assert (ran, enqueued, failed) == (["retention"], 0, [])

    gone = await participants.get_participant(db, old.id)
    assert gone.erased and gone.nik is None and gone.phone is None and gone.name == f"Peserta terhapus #{old.id}"
    kept = await participants.get_participant(db, recent.id)
    assert not kept.erased and kept.nik == recent.nik
    anonymous = await people.get(db, done.id)
    assert (anonymous.name, anonymous.phone, anonymous.telegram_user_id, anonymous.roles) == (
        f"Dihapus #{done.id}", None, None, frozenset())
    assert await db.fetchval("SELECT nik FROM people WHERE id = :id", {"id": done.id}) is None
    assert (await people.get(db, active_long_ago[0].id)).name == "Beni Lake"
    assert (await people.get(db, staff.id)).name == "Yohanes Ndun"  # staff are never anonymised by the job
    # nothing deleted: the counts stay
    assert await db.fetchval("SELECT count(*) || '/' || sum(principal) FROM loans") == loans_before
    assert await db.fetchval("SELECT count(*) FROM registrations") == 2
    assert await db.fetchval("SELECT count(*) FROM repayments WHERE status = 'verified'") == 3
    lines = await db.fetchall("SELECT * FROM audit_log WHERE action = 'retention.anonymised' ORDER BY id")
    assert [(r["entity"], r["entity_id"]) for r in lines] == [("participant", old.id), ("person", done.id)]
    summary = await db.fetchone("SELECT details FROM audit_log WHERE action = 'retention.run'")
    assert json.loads(summary["details"])["participants"] == 1 and json.loads(summary["details"])["borrowers"] == 1

    # the next night: nothing new is due, nothing changes
    await run_jobs(db, settings, wita(2026, 11, 29, 1, 30), catch_up=False, jobs=retention_job.JOBS)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'retention.anonymised'") == 2


async def test_configured_periods_are_used(db, db_path):
    settings = make_settings(db_path, PEM_RETENTION_PARTICIPANT_YEARS="1", PEM_RETENTION_BORROWER_YEARS="3")
    event = await make_event(db)
    p = await make_participant(db, 3)
    await _registered_on(db, event, p, datetime(2025, 6, 1, tzinfo=UTC))
    borrower, _ = await _paid_off_borrower(db, "Beni Lake", "+6281211110002", date(2022, 1, 10))  # ended 2023-01
    await run_jobs(db, settings, NIGHT, catch_up=False, jobs=retention_job.JOBS)
    assert (await participants.get_participant(db, p.id)).erased
    assert (await people.get(db, borrower.id)).name == f"Dihapus #{borrower.id}"
