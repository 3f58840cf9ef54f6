"""Registrations: seats and the waiting list under concurrency, cancelling (the first waiting moves up),
attendance."""

from __future__ import annotations

import asyncio

from storage import events, registrations
from tests.storage.event_fixtures import NOW, make_event, make_participant, register


async def test_concurrent_registrations_never_overfill(db):
    event = await make_event(db, capacity=3)
    ps = [await make_participant(db, n) for n in range(1, 9)]
    results = await asyncio.gather(*(register(db, event, p) for p in ps))
    statuses = [r.registration.status for r in results]
    assert statuses.count("registered") == 3 and statuses.count("waitlisted") == 5
    ranks = sorted(r.registration.rank for r in results if r.registration.rank)
    assert ranks == [1, 2, 3, 4, 5]
    assert (await events.get_event(db, event.id)).seated == 3


async def test_cancel_moves_first_waiting_up_and_revive(db):
    event = await make_event(db, capacity=1)
    a, b, c = [await make_participant(db, n) for n in (1, 2, 3)]
    ra, rb, rc = [(await register(db, event, p)).registration for p in (a, b, c)]
    assert (ra.status, rb.rank, rc.rank) == ("registered", 1, 2)
    async with db.transaction() as tx:
        result = await registrations.cancel_registration(tx, ra.id, NOW)
    assert result.promoted.id == rb.id and result.promoted.status == "registered"
    assert (await registrations.get_registration(db, rc.id)).rank == 1
    # cancelling a waitlisted one promotes nobody
    async with db.transaction() as tx:
        assert (await registrations.cancel_registration(tx, rc.id, NOW)).promoted is None
        assert await registrations.cancel_registration(tx, rc.id, NOW) is None
    again = await register(db, event, a)
    assert again.created and again.registration.status == "waitlisted"
    dup = await register(db, event, a)
    assert not dup.created


async def test_save_attendance_changes_only_the_registrations_shown(db):
    event = await make_event(db, capacity=5)
    regs = [(await register(db, event, await make_participant(db, n))).registration for n in range(1, 6)]
    shown = {regs[0].id, regs[1].id, regs[2].id}
    async with db.transaction() as tx:
        saved = await registrations.save_attendance(tx, event.id, {regs[0].id, regs[4].id}, NOW, shown=shown)
    # regs[4] is marked present but was never shown: untouched, like regs[3]
    assert (saved.attended, saved.no_show, saved.unchecked) == (1, 2, 2)
    got = [(await registrations.get_registration(db, r.id)).status for r in regs]
    assert got == ["attended", "no_show", "no_show", "registered", "registered"]
    assert (await events.get_event(db, event.id)).status == "open"
    async with db.transaction() as tx:  # the rest, later: counts over all, and the event is done
        saved = await registrations.save_attendance(tx, event.id, {regs[3].id}, NOW, shown={regs[3].id, regs[4].id})
    assert (saved.attended, saved.no_show, saved.unchecked) == (2, 3, 0)
    assert (await events.get_event(db, event.id)).status == "done"
