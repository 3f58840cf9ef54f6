"""``pem-bot audit --person ID``: a person's history, including who saw their full phone or NIK (issue 18)."""

from __future__ import annotations

from bot.cli.run import main
from bot.domain.roles import Role
from bot.services import privacy as privacy_service
from storage import people
from storage.db import Database
from storage.migrate import migrate
from tests.conftest import TEST_KEY
from tests.handlers.loan_fixtures import make_loan, record
from tests.storage.event_fixtures import make_event, make_participant, register


async def _fill(path):
    db = await Database(path, data_key=TEST_KEY).open()
    await migrate(db)
    try:
        async with db.transaction() as tx:
            maria = await people.create(tx, name="Maria Bria", kelurahan_code="53.71.05.1004",
                                        roles=[Role.BORROWER], phone="+6281234567890")
            other = await people.create(tx, name="Beni Lake", kelurahan_code="53.71.05.1004",
                                        roles=[Role.BORROWER], phone="+6281234567891")
            treasurer = await people.create(tx, name="Yohanes Ndun", kelurahan_code="53.71.05.1004",
                                            roles=[Role.TREASURER])
        loan = await make_loan(db, maria, created_by=treasurer.id)
        payment = await record(db, loan, treasurer, 500_000)
        await privacy_service.record_view(db, "person.viewed_full", actor_person_id=treasurer.id,
                                          kelurahan_code="53.71.05.1004", people_ids=[maria.id, other.id])
        await privacy_service.record_view(db, "person.viewed_full", actor_person_id=treasurer.id,
                                          kelurahan_code="53.71.05.1004", people_ids=[other.id])
        event = await make_event(db)
        participant = await make_participant(db, 5)
        await register(db, event, participant)
        await privacy_service.record_view(db, "event.exported", actor_person_id=treasurer.id,
                                          kelurahan_code="53.71.05.1004", participant_ids=[participant.id],
                                          entity="event", entity_id=event.id)
        return maria.id, treasurer.id, payment.id, participant.id
    finally:
        await db.close()


async def test_audit_person_shows_history_and_who_saw_what(db_path, monkeypatch, capsys):
    maria, treasurer, _, participant = await _fill(db_path)
    monkeypatch.setenv("PEM_DATABASE", str(db_path))
    monkeypatch.setenv("PEM_LANGUAGE", "en")
    monkeypatch.chdir(db_path.parent)
    assert await _run(["audit", "--person", str(maria)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Audit history of #{maria} Maria Bria (")
    views = [line for line in out.splitlines() if "person.viewed_full" in line]
    assert len(views) == 1 and f"by #{treasurer} (treasurer)" in views[0]  # the view of Beni alone is not hers
    assert "loan.created  loan#" in out
    # reading the history is logged too, and a participant's history works without a Telegram link
    assert await _run(["audit", "--participant", str(participant)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Audit history of participant #{participant} Peserta 5 (1 entries")
    assert "event.exported  event#" in out
    assert await _run(["audit", "--person", "999"]) == 2


async def _run(argv):
    import asyncio

    return await asyncio.to_thread(main, argv)
