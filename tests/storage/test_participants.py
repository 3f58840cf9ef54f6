"""Participants: erasure keeps the counts, reaches the linked Telegram account (unless it is also a
borrower's), the outbox messages about them and their unused invites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.roles import Role
from bot.runtime import clock
from storage import invites, outbox, participants, people, registrations
from tests.storage.event_fixtures import KEL, NOW, linked_participant, make_event, make_participant, register


async def test_erase_participant_keeps_counts(db):
    event = await make_event(db)
    p = await make_participant(db, 1)
    await register(db, event, p)
    async with db.transaction() as tx:
        before = await participants.erase_participant(tx, p.id, NOW)
    assert before.nik is not None
    after = await participants.get_participant(db, p.id)
    assert after.name == f"Peserta terhapus #{p.id}" and after.nik is None and after.phone is None
    assert after.birth_date is None and after.address is None and after.erased_at is not None
    assert await registrations.count_registrations(db, event.id) == 1
    assert await participants.search_participants(db, KEL, "Peserta") == []


async def test_erasing_a_linked_participant_erases_their_telegram_link_and_identity(db):
    participant, person = await linked_participant(db)
    async with db.transaction() as tx:
        await participants.erase_participant(tx, participant.id, datetime.now(UTC))
    erased = await people.get(db, person.id)
    assert erased is not None
    assert (erased.name, erased.phone, erased.telegram_user_id, erased.active, erased.roles) == (
        f"Dihapus #{person.id}", None, None, False, frozenset())
    assert await people.by_telegram_user(db, 555) is None


async def test_erasing_a_participant_who_is_also_a_borrower_keeps_the_borrower(db):
    participant, person = await linked_participant(db, Role.BORROWER)
    async with db.transaction() as tx:
        await participants.erase_participant(tx, participant.id, datetime.now(UTC))
    kept = await people.get(db, person.id)
    assert kept is not None and kept.name == "Ana Seran" and kept.roles == {Role.BORROWER}
    assert kept.telegram_user_id == 555


async def test_erasure_also_clears_what_the_outbox_and_invites_hold_about_them(db):
    participant, person = await linked_participant(db)
    coordinator = await people.create(db, name="Koordinator", kelurahan_code="53.71.05.1004",
                                      roles=[Role.COORDINATOR])
    now = datetime.now(UTC)
    event = await make_event(db)
    async with db.transaction() as tx:
        reg = await tx.execute(
            "INSERT INTO registrations (event_id, participant_id, status, registered_by) "
            "VALUES (:e, :p, 'registered', NULL)", {"e": event.id, "p": participant.id})
        reg_id = reg.lastrowid
        await outbox.enqueue(tx, kind="event_reminder", recipient_id=person.id, dedupe_key=f"evrem:{reg_id}",
                             template="events/reminder", context={"title": "Pelatihan"}, not_before=now)
        await outbox.enqueue(tx, kind="followup", recipient_id=coordinator.id, dedupe_key=f"fu:{reg_id}:30:1",
                             template="followup/prompt", context={"name": "Ana Seran"}, not_before=now)
        await outbox.enqueue(tx, kind="notice", recipient_id=coordinator.id,
                             dedupe_key=f"notice:unreg:reg:{reg_id}:reg:0:to:{coordinator.id}",
                             template="common/notice", context={"text": "<b>Ana Seran</b> batal"}, not_before=now)
        await outbox.enqueue(tx, kind="notice", recipient_id=coordinator.id,  # another registration (id …0)
                             dedupe_key=f"notice:unreg:reg:{reg_id}0:reg:0:to:{coordinator.id}",
                             template="common/notice", context={"text": "Ana Seranita batal"}, not_before=now)
        await invites.create(tx, person_id=person.id, role=Role.PARTICIPANT, now=now - timedelta(hours=1))

    async with db.transaction() as tx:
        await participants.erase_participant(tx, participant.id, now)

    rows = {r["dedupe_key"]: r for r in await db.fetchall("SELECT dedupe_key, context, status FROM outbox")}
    for key in (f"evrem:{reg_id}", f"fu:{reg_id}:30:1", f"notice:unreg:reg:{reg_id}:reg:0:to:{coordinator.id}"):
        assert (rows[key]["context"], rows[key]["status"]) == ("{}", "cancelled"), key
    other = rows[f"notice:unreg:reg:{reg_id}0:reg:0:to:{coordinator.id}"]
    assert other["status"] == "queued" and "Seranita" in db.key.reveal(other["context"])  # about someone else: kept
    assert await db.fetchval("SELECT count(*) FROM invites WHERE expires_at > :now",
                             {"now": clock.utcnow().strftime("%Y-%m-%d %H:%M:%S")}) == 0
