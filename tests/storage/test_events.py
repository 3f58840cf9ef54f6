"""The Event aggregate: seat counts, the events listed to a kelurahan and those still open for registration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.events import EventStatus
from storage import events
from tests.storage.event_fixtures import KEL, NOW, make_event, make_participant, register


async def test_an_event_counts_its_seats_and_its_waiting_list(db):
    event = await make_event(db, capacity=1)
    assert (event.seated, event.waitlisted, event.seats_left) == (0, 0, 1)
    for n in (1, 2, 3):
        await register(db, event, await make_participant(db, n))
    got = await events.get_event(db, event.id)
    assert (got.seated, got.waitlisted, got.seats_left) == (1, 2, 0)
    assert await events.get_event(db, event.id + 1000) is None


async def test_listed_and_registrable_events(db):
    upcoming = await make_event(db, starts_at=NOW + timedelta(days=3))
    closed = await make_event(db, starts_at=NOW + timedelta(days=4))
    recent = await make_event(db, starts_at=NOW - timedelta(days=13))  # still needs attendance
    await make_event(db, starts_at=NOW - timedelta(days=15))  # too old to list
    cancelled = await make_event(db, starts_at=NOW + timedelta(days=5))
    async with db.transaction() as tx:
        await events.set_event_status(tx, closed.id, EventStatus.CLOSED)
        await events.set_event_status(tx, cancelled.id, EventStatus.CANCELLED)
    assert [e.id for e in await events.listed_events(db, KEL, NOW)] == [recent.id, upcoming.id, closed.id]
    assert [e.id for e in await events.registrable_events(db, KEL, NOW)] == [upcoming.id]
    assert await events.listed_events(db, "53.71.04.1001", NOW) == []
    assert (await events.get_event(db, cancelled.id)).status == "cancelled"


async def test_registration_is_open_until_the_deadline_while_the_event_is_open(db):
    event = await make_event(db, starts_at=datetime(2026, 12, 15, 1, 0, tzinfo=UTC))
    assert event.registration_open(event.registration_deadline - timedelta(seconds=1))
    assert not event.registration_open(event.registration_deadline)
    async with db.transaction() as tx:
        await events.set_event_status(tx, event.id, EventStatus.CLOSED)
    assert not (await events.get_event(db, event.id)).registration_open(NOW)
