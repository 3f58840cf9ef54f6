"""The sender lease (issue 13, item 3): one sender at a time, across processes, so the limits hold.

Each "process" here is its own database connection (and its own recording request), as ``pem-bot run`` and
``pem-bot tick`` are: the bot's scheduler tick (:func:`bot.runtime.scheduler.catch_up`, the tick the bot runs
at start-up and, without catch-up, every minute) and the CLI's :func:`bot.cli.run.tick_outcome`.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from bot.cli.run import settings_bot, tick_outcome
from bot.runtime import clock
from bot.runtime.lease import LEASE_TTL, SenderLease
from bot.runtime.scheduler import catch_up, release_lease
from bot.runtime.sender import send_due
from storage import outbox, sender_lease
from storage.db import Database
from tests.conftest import TEST_KEY
from tests.harness import RecordingRequest
from tests.jobs_fixtures import add_person, recording_bot


async def _queue(db: Database, n: int, prefix: str = "k") -> list[int]:
    ids = []
    for i in range(n):
        person = await add_person(db, f"Penerima {prefix}{i}")
        await outbox.enqueue(db, kind="note", recipient_id=person.id, dedupe_key=f"{prefix}{i}",
                             template="common/cancelled", context={}, not_before=clock.utcnow())
        ids.append(person.telegram_chat_id)
    return ids


@pytest.mark.usefixtures("no_pacing")
async def test_a_tick_next_to_the_running_bot_only_enqueues_and_the_bot_sends(running, settings):
    app, bot_calls = running.app, running.request
    await catch_up(app)  # the bot's start-up tick takes the lease
    chats = await _queue(app.db, 3)

    rec = RecordingRequest()
    tick_bot = await recording_bot(rec)
    try:
        outcome = await tick_outcome(settings, clock.utcnow(), bot=tick_bot)
    finally:
        await tick_bot.shutdown()
    assert outcome.left_to == "run"
    assert outcome.report.send.sent == 0
    assert rec.sent() == []  # the tick sent nothing
    assert (await outbox.counts(app.db)) == {"queued": 3}

    await catch_up(app)  # the bot's next tick renews the lease and sends what the tick queued
    assert sorted(c.chat_id for c in bot_calls.sent()) == sorted(chats)
    assert (await outbox.counts(app.db)) == {"sent": 3}


@pytest.mark.usefixtures("no_pacing")
async def test_while_a_tick_holds_the_lease_the_bot_enqueues_and_sends_after_it_is_released(running, db_path):
    app, bot_calls = running.app, running.request
    other = await Database(db_path, data_key=TEST_KEY).open()
    try:
        tick_lease = SenderLease(other, "tick", host="operator-box")
        assert await tick_lease.acquire()
        await _queue(app.db, 2)
        await catch_up(app)
        assert bot_calls.sent() == []  # only the lease holder sends
        assert (await outbox.counts(app.db)) == {"queued": 2}

        rec = RecordingRequest()
        tick_bot = await recording_bot(rec)
        try:
            assert (await send_due(other, tick_bot, app.settings, clock.utcnow(), lease=tick_lease)).sent == 2
        finally:
            await tick_bot.shutdown()
        await tick_lease.release()
        await _queue(app.db, 1, prefix="later")
        await catch_up(app)
        assert len(bot_calls.sent()) == 1 and len(rec.sent()) == 2
    finally:
        await other.close()


async def test_a_lease_is_exclusive_renewable_and_runs_out(db, frozen_clock):
    a = SenderLease(db, "run", host="a")
    b = SenderLease(db, "tick", host="b")
    assert await a.acquire()
    assert not await b.acquire()
    frozen_clock.advance(seconds=LEASE_TTL.total_seconds() - 1)
    assert await a.acquire()  # renewed: a full TTL from now
    frozen_clock.advance(seconds=LEASE_TTL.total_seconds() - 1)
    assert not await b.acquire()
    frozen_clock.advance(seconds=2)  # a did not renew: it ran out
    assert await b.acquire()
    assert not await a.acquire()
    assert (await b.holder_now()).role == "tick"
    await b.release()
    assert await b.holder_now() is None
    assert await a.acquire()


def _a_pid_nobody_has() -> int:
    import os

    for pid in range(4_000_000, 3_000_000, -1):  # above the usual pid_max (4194304 at most): free, or found below
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    raise AssertionError("no free pid")


async def test_the_lease_of_a_dead_process_on_this_host_is_taken_over_at_once(db, frozen_clock):
    dead_pid = _a_pid_nobody_has()
    crashed = SenderLease(db, "run", pid=dead_pid)  # this host, a pid that no longer exists
    assert await crashed.acquire()
    restarted = SenderLease(db, "run")
    assert await restarted.acquire()  # no two-minute wait after a crash
    elsewhere = SenderLease(db, "run", host="another-host", pid=dead_pid)
    assert not await elsewhere.acquire()  # a pid on another host can't be checked: wait for the lease to run out


async def test_a_sender_that_lost_its_lease_stops_its_run(db, bot, rec, settings, frozen_clock, no_pacing):
    await _queue(db, 3)
    lease = SenderLease(db, "tick", host="a", renew_every=0)  # renews before every message
    assert await lease.acquire()
    # Another sender takes over (say the lease ran out while this one was stuck): the run stops at once.
    await db.execute("UPDATE sender_lease SET holder = 'run:b:1:x', host = 'b'")
    assert (await send_due(db, bot, settings, clock.utcnow(), lease=lease)).sent == 0
    assert rec.sent() == []


async def test_the_bot_releases_the_lease_at_shutdown(running):
    await catch_up(running.app)
    assert (await sender_lease.current(running.app.db, sender_lease.OUTBOX)).role == "run"
    await release_lease(running.app)
    assert await sender_lease.current(running.app.db, sender_lease.OUTBOX) is None


class _Timed(RecordingRequest):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.times: list[float] = []

    async def do_request(self, url, method, request_data=None, **kwargs):
        if url.endswith("/sendMessage"):
            self.times.append(time.monotonic())
        return await super().do_request(url, method, request_data, **kwargs)


async def test_the_tick_uses_the_bots_rate_limiter_never_more_than_30_in_a_second(settings):
    """`pem-bot tick` used to build "30 per 1 s", whose full bucket lets a burst of 30 out at once on top of the
    steady rate (about 60 in the first second). The bot's limiter spaces them evenly."""
    request = _Timed()
    async with settings_bot(settings, request=request, get_updates_request=request) as tick_bot:
        await asyncio.gather(*(tick_bot.send_message(1000 + i, "x") for i in range(45)))
    times = sorted(request.times)
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 31  # 30/s; one more only if the 31st lands within float jitter of the one-second mark


async def test_a_lease_is_stored_with_its_expiry(db, frozen_clock):
    lease = SenderLease(db, "tick", host="h", pid=42)
    await lease.acquire()
    row = await sender_lease.current(db, sender_lease.OUTBOX)
    assert (row.role, row.host, row.pid) == ("tick", "h", 42)
    assert row.expires_at == (clock.utcnow() + LEASE_TTL).replace(microsecond=0)
    assert row.taken_at <= clock.utcnow() < row.expires_at
    frozen_clock.advance(seconds=30)
    await lease.acquire()
    renewed = await sender_lease.current(db, sender_lease.OUTBOX)
    assert renewed.taken_at == row.taken_at and renewed.expires_at == row.expires_at + timedelta(seconds=30)


def test_the_tick_command_next_to_the_running_bot_says_the_bot_will_send(tmp_path, monkeypatch, capsys):
    """The real `pem-bot tick` (no Telegram needed: it sends nothing, not even getMe)."""
    from bot.cli.run import main

    database = tmp_path / "pem.sqlite3"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:not-a-real-token")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")  # nothing listens there
    monkeypatch.setenv("PEM_DATABASE", str(database))

    async def the_bot_holds_the_lease() -> None:
        from storage.migrate import migrate

        db = await Database(database, data_key=TEST_KEY).open()
        try:
            await migrate(db)
            assert await SenderLease(db, "run", host="bot-box").acquire()
        finally:
            await db.close()

    asyncio.run(the_bot_holds_the_lease())
    assert main(["tick"]) == 0
    out = capsys.readouterr().out
    assert "Tidak ada yang dikirim oleh tick ini" in out and "bot yang sedang berjalan" in out
