"""The sender with the production limiter: several messages in flight, each sent once; the tick drains the whole
backlog (issue 12 item 3, issue 13 item 6). No timing is asserted: only what was sent, and how many at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from telegram.ext import ExtBot

from bot.runtime import tick as ticks
from bot.runtime.limiter import Budget, PemRateLimiter
from bot.runtime.sender import POOL_SIZE, ChatPacer, send_due
from storage import outbox
from storage.outbox import Status
from tests.harness import RecordingRequest
from tests.jobs_fixtures import add_person, wita

NOW = wita(2026, 12, 5, 8, 0)


class InFlight(RecordingRequest):
    """Counts the send calls in flight at once; every call takes a (tiny) real sleep so they overlap."""

    def __init__(self) -> None:
        super().__init__(delay=0.002)
        self.now_in_flight = 0
        self.peak = 0

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any, **kw: Any):
        self.now_in_flight += 1
        self.peak = max(self.peak, self.now_in_flight)
        try:
            return await super().do_request(url, method, request_data, *args, **kw)
        finally:
            self.now_in_flight -= 1


@pytest.fixture(autouse=True)
def _at_now(frozen_clock):
    frozen_clock.set(NOW)
    return frozen_clock


async def _queue_many(db, n: int) -> list[int]:
    ids = []
    for i in range(n):
        person = await add_person(db, f"Peminjam {i}")
        assert await outbox.enqueue(db, kind="reminder", recipient_id=person.id, dedupe_key=f"k{i}",
                                    template="invites/ask_phone", context={"name": "Maria"}, not_before=NOW)
        ids.append((await outbox.by_key(db, f"k{i}")).id)
    return ids


async def test_with_a_rate_limiter_several_messages_are_in_flight_and_each_is_sent_once(db, settings):
    request = InFlight()
    fast = PemRateLimiter(Budget(rate=100_000, chat_interval=0.0))  # the spacing is the limiter's tests' job
    bot = ExtBot("123456:TEST-token", request=request, get_updates_request=request, rate_limiter=fast)
    await bot.initialize()
    try:
        await _queue_many(db, 60)
        report = await send_due(db, bot, settings, NOW, pacer=ChatPacer(0))
    finally:
        await bot.shutdown()
    assert report.sent == 60
    assert 1 < request.peak <= POOL_SIZE
    per_chat = Counter(c.chat_id for c in request.sent())
    assert len(per_chat) == 60 and set(per_chat.values()) == {1}
    assert await outbox.counts(db) == {"sent": 60}


async def test_two_pooled_senders_at_once_still_send_each_message_once(db, settings):
    request = InFlight()
    bots = []
    for _ in range(2):
        limiter = PemRateLimiter(Budget(rate=100_000, chat_interval=0.0))
        bots.append(ExtBot("123456:TEST-token", request=request, get_updates_request=request,
                           rate_limiter=limiter))
        await bots[-1].initialize()
    try:
        await _queue_many(db, 40)
        await asyncio.gather(*(send_due(db, b, settings, NOW, pacer=ChatPacer(0)) for b in bots))
    finally:
        for b in bots:
            await b.shutdown()
    assert set(Counter(c.chat_id for c in request.sent()).values()) == {1}
    assert len(request.sent()) == 40


async def test_without_a_rate_limiter_one_at_a_time(db, settings):
    request = InFlight()
    bot = ExtBot("123456:TEST-token", request=request, get_updates_request=request)
    await bot.initialize()
    try:
        await _queue_many(db, 10)
        await send_due(db, bot, settings, NOW, pacer=ChatPacer(0))
    finally:
        await bot.shutdown()
    assert request.peak == 1 and len(request.sent()) == 10


async def test_the_tick_drains_the_whole_backlog_not_one_batch(db, bot, rec, settings, monkeypatch):
    """Issue 13, item 6: the running bot sent at most 500 a minute tick. Now a tick sends everything due."""
    monkeypatch.setattr(ticks, "SEND_BATCH", 7)
    await _queue_many(db, 30)
    report = await ticks.run_due(db, bot, settings, NOW, catch_up=False, jobs=[])
    assert report.send.sent == 30
    assert await outbox.counts(db) == {"sent": 30}
    assert await outbox.due(db, NOW, 1) == []


async def test_the_drain_stops_when_a_run_moves_nothing(db, bot, rec, settings, monkeypatch):
    monkeypatch.setattr(ticks, "SEND_BATCH", 5)
    ids = await _queue_many(db, 12)
    rec.fail("sendMessage", "network", times=100)  # Telegram unreachable: three errors end each run
    report = await ticks.run_due(db, bot, settings, NOW, catch_up=False, jobs=[])
    assert report.send.sent == 0
    statuses = {(await outbox.get(db, i)).status for i in ids}
    assert statuses == {Status.QUEUED}
