"""Shared fixtures of the Karang Taruna storage tests: an event, participants, a registration, a linked
participant (a ``people`` row with a Telegram account)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from storage import events, participants, people, registrations

KEL = "53.71.05.1004"
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


async def make_event(db, *, capacity=2, starts_at=datetime(2026, 12, 15, 1, 0, tzinfo=UTC), kind="training"):
    async with db.transaction() as tx:
        return await events.create_event(
            tx, kelurahan_code=KEL, title="Servis AC", kind=kind, organiser="disnaker", starts_at=starts_at,
            place="Aula", capacity=capacity, registration_deadline=starts_at - timedelta(hours=1), min_age=None,
            max_age=None, created_by=None)


async def make_participant(db, n: int, person_id=None):
    async with db.transaction() as tx:
        p = await participants.create_participant(
            tx, kelurahan_code=KEL, name=f"Peserta {n}", nik=f"53710512079900{n:02d}", birth_date=date(1999, 7, 12),
            sex="M", phone="+6281234567890", address="003/002", education="sma", work_status="working",
            consent_at=NOW, created_by=None)
    if person_id is not None:
        await participants.link_person(db, p.id, person_id)
    return p


async def register(db, event, p, now=NOW):
    async with db.transaction() as tx:
        return await registrations.register(tx, event_id=event.id, participant_id=p.id, registered_by=None, now=now)


async def linked_participant(db, *extra_roles):
    from bot.domain.roles import Role

    async with db.transaction() as tx:
        participant = await participants.create_participant(
            tx, kelurahan_code="53.71.05.1004", name="Ana Seran", nik="5371051207990011", birth_date=None,
            sex="F", phone="+6281234567890", address="003/002", education=None, work_status=None,
            consent_at=datetime.now(UTC), created_by=None)
        person = await people.create(tx, name="Ana Seran", kelurahan_code="53.71.05.1004", phone="+6281234567890",
                                     roles=[Role.PARTICIPANT, *extra_roles])
        await people.link_telegram(tx, person.id, 555, 555)
        await participants.link_person(tx, participant.id, person.id)
    return participant, person
