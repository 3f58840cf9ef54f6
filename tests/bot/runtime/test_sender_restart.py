"""Per-chat spacing survives a restart (issue 13, item 7): the sender learns from the outbox's ``sent_at`` when
each chat last got a message, not only from its memory."""

from __future__ import annotations

import time
from datetime import timedelta

from bot.runtime import clock
from bot.runtime.sender import ChatPacer, send_due
from storage import outbox
from tests.jobs_fixtures import add_person


async def _queue(db, person, key: str) -> None:
    await outbox.enqueue(db, kind="note", recipient_id=person.id, dedupe_key=key, template="common/cancelled",
                         context={}, not_before=clock.utcnow())


async def test_a_message_sent_half_a_second_before_a_restart_delays_the_next_one_to_that_chat(
        db, bot, rec, settings, frozen_clock):
    person, other = await add_person(db, "Yohana Bria"), await add_person(db, "Maria Fanggi")
    restart_at = frozen_clock.now
    frozen_clock.set(restart_at - timedelta(seconds=0.5))
    await _queue(db, person, "first")
    assert (await send_due(db, bot, settings, clock.utcnow(), pacer=ChatPacer(1.05))).sent == 1

    # kill -9 and a new process: a fresh pacer that remembers nothing, 0.5 s after that delivery.
    frozen_clock.set(restart_at)
    await _queue(db, person, "second")
    await _queue(db, other, "to-someone-else")
    started = time.monotonic()
    report = await send_due(db, bot, settings, clock.utcnow(), pacer=ChatPacer(1.05))
    elapsed = time.monotonic() - started

    assert report.sent == 2
    assert elapsed >= 0.5  # the second message to that chat waited for its second
    first, *rest = [c.chat_id for c in rec.sent()[1:]]
    assert (first, rest) == (other.telegram_chat_id, [person.telegram_chat_id])  # the other chat did not wait


async def test_a_message_sent_long_before_does_not_delay(db, bot, rec, settings, frozen_clock):
    person = await add_person(db)
    await _queue(db, person, "first")
    await send_due(db, bot, settings, clock.utcnow(), pacer=ChatPacer(1.05))
    frozen_clock.advance(seconds=3)
    await _queue(db, person, "second")
    started = time.monotonic()
    assert (await send_due(db, bot, settings, clock.utcnow(), pacer=ChatPacer(1.05))).sent == 1
    assert time.monotonic() - started < 0.5


async def test_last_sent_reads_the_latest_delivery_per_recipient_since_an_instant(db, bot, settings, frozen_clock):
    a, b = await add_person(db, "Ana"), await add_person(db, "Beni")
    for key, person in (("a1", a), ("b1", b)):
        await _queue(db, person, key)
    await send_due(db, bot, settings, clock.utcnow(), pacer=ChatPacer(0))
    frozen_clock.advance(seconds=5)
    await _queue(db, a, "a2")
    await send_due(db, bot, settings, clock.utcnow(), pacer=ChatPacer(0))
    now = clock.utcnow().replace(microsecond=0)
    assert await outbox.last_sent(db, {a.id, b.id}, since=now - timedelta(seconds=2)) == {a.id: now}
    assert await outbox.last_sent(db, {a.id, b.id}, since=now - timedelta(seconds=10)) == {
        a.id: now, b.id: now - timedelta(seconds=5)}
