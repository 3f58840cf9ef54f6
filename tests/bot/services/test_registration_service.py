"""bot.services.registrations.register_participant directly against a migrated database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.roles import Role
from bot.services.registrations import (
    ContactUpdate,
    NewParticipant,
    RegistrationOutcome,
    cancel_registration,
    register_participant,
)
from storage import audit, events, people
from tests.conftest import NAIKOTEN_SATU, NOW

OTHER_KEL = "53.71.01.1001"
MARIA = NewParticipant(name="Maria Bria", nik="5371055207990001", birth_date=date(1999, 7, 12), sex="F",
                       phone="+6281234567890", address="003/002", education="sma", work_status="working")


@pytest.fixture
async def world(db, frozen_clock):
    starts = datetime(2026, 12, 15, 1, 0, tzinfo=UTC)
    async with db.transaction() as tx:
        coord = await people.create(tx, name="Koordinator", kelurahan_code=NAIKOTEN_SATU, roles=[Role.COORDINATOR])
        event = await events.create_event(
            tx, kelurahan_code=NAIKOTEN_SATU, title="Servis AC", kind="training", organiser="disnaker",
            starts_at=starts, place="Aula", capacity=1, registration_deadline=starts - timedelta(hours=1),
            min_age=None, max_age=None, created_by=coord.id)
    return db, coord, event


async def _register(db, coord, event, **target):
    return await register_participant(db, event_id=event.id, registered_by=coord.id,
                                      kelurahan_code=NAIKOTEN_SATU, now=NOW, **target)


async def test_new_participant_seat_then_duplicate_then_waiting_list(world):
    db, coord, event = world
    first = await _register(db, coord, event, new=MARIA)
    assert first.outcome is RegistrationOutcome.REGISTERED and first.registration.status == "registered"
    [created] = await audit.recent(db, action="participant.created")
    [registered] = await audit.recent(db, action="registration.created")
    assert created.entity_id == first.participant.id and created.details == {"consent": True}
    assert registered.details["new_participant"] is True and registered.details["status"] == "registered"

    again = await _register(db, coord, event, new=MARIA)  # the same NIK: the same participant, already in
    assert again.outcome is RegistrationOutcome.DUPLICATE and again.registration.id == first.registration.id
    assert len(await audit.recent(db, action="registration.created")) == 1

    other = NewParticipant(**{**MARIA.__dict__, "name": "Yosef Ndun", "nik": "5371051207990002", "sex": "M"})
    waiting = await _register(db, coord, event, new=other)
    assert waiting.registration.status == "waitlisted"


async def test_existing_participant_with_contact_update(world):
    db, coord, event = world
    made = await _register(db, coord, event, new=MARIA)
    async with db.transaction() as tx:
        await events.cancel_registration(tx, made.registration.id, NOW)
    result = await _register(db, coord, event, participant_id=made.participant.id,
                             contact=ContactUpdate("+6281234567899", "003/002"))
    assert result.outcome is RegistrationOutcome.REGISTERED
    [updated] = await audit.recent(db, action="participant.updated")
    assert (updated.details["phone_changed"], updated.details["address_changed"]) == (True, False)
    assert (await events.get_participant(db, made.participant.id)).phone == "+6281234567899"


async def test_refusals_store_nothing(world):
    db, coord, event = world
    async with db.transaction() as tx:
        await events.create_participant(
            tx, kelurahan_code=OTHER_KEL, name="Maria Bria", nik=MARIA.nik, birth_date=MARIA.birth_date, sex="F",
            phone=None, address=None, education=None, work_status=None, consent_at=NOW, created_by=None)
    assert (await _register(db, coord, event, new=MARIA)).outcome is RegistrationOutcome.NIK_ELSEWHERE
    late = await register_participant(db, event_id=event.id, registered_by=coord.id, kelurahan_code=NAIKOTEN_SATU,
                                      now=event.registration_deadline, new=MARIA)
    assert late.outcome is RegistrationOutcome.EVENT_CLOSED
    wrong_kel = await register_participant(db, event_id=event.id, registered_by=coord.id, kelurahan_code=OTHER_KEL,
                                           now=NOW, new=MARIA)
    assert wrong_kel.outcome is RegistrationOutcome.EVENT_CLOSED
    assert await db.fetchval("SELECT count(*) FROM registrations") == 0
    assert not [e for e in await audit.recent(db) if e.action.startswith(("registration.", "participant."))]


async def test_cancel_moves_the_waiting_list_up_and_is_audited_once(world):
    db, coord, event = world
    seat = await _register(db, coord, event, new=MARIA)
    other = NewParticipant(**{**MARIA.__dict__, "name": "Yosef Ndun", "nik": "5371051207990002", "sex": "M"})
    waiting = await _register(db, coord, event, new=other)
    result = await cancel_registration(db, seat.registration.id, by=coord.id, event=event, now=NOW)
    assert result is not None and result.promoted.id == waiting.registration.id
    [entry] = await audit.recent(db, action="registration.cancelled")
    assert entry.details == {"event_id": event.id, "status_before": "registered",
                             "promoted_registration": waiting.registration.id}
    assert await cancel_registration(db, seat.registration.id, by=coord.id, event=event, now=NOW) is None
    assert len(await audit.recent(db, action="registration.cancelled")) == 1
