"""Job slots, the tick, start-up catch-up and ``pem-bot tick``: every job runs once per slot, whatever the
number of ticks and restarts, and a missed morning job goes out at start-up but yesterday's does not."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

import bot.jobs as jobs
from bot.cli.run import parse_at, tick
from bot.domain.roles import Role
from bot.jobs import JobSpec
from bot.runtime.app import build_application
from bot.runtime.config import Settings
from bot.runtime.scheduler import JOB_KWARGS, TICK_JOB_NAME
from bot.runtime.tick import run_due
from storage import outbox
from storage.db import Database
from storage.outbox import Status
from tests.harness import RecordingRequest
from tests.jobs_fixtures import WITA, add_person, wita


class MorningNote:
    """A test job at 07:00 WITA: one ``invites/ask_phone`` per recipient and day (dedupe ``note:<date>:<id>``)."""

    def __init__(self, name: str = "note", at: time = time(7, 0), weekdays: frozenset[int] | None = None):
        self.calls: list[datetime] = []
        self.spec = JobSpec(name, at=lambda s: at, run=self.run, weekdays=weekdays)
        self.fail_next = False

    async def run(self, db: Database, now: datetime, settings: Settings) -> int:
        self.calls.append(now)
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("boom")
        day = now.astimezone(settings.timezone).date().isoformat()
        queued = 0
        for row in await db.fetchall("SELECT id FROM people ORDER BY id"):
            queued += await outbox.enqueue(db, kind="note", recipient_id=row["id"],
                                           dedupe_key=f"{self.spec.name}:{day}:{row['id']}",
                                           template="invites/ask_phone", context={"name": day}, not_before=now)
        return queued


@pytest.fixture
def note(monkeypatch: pytest.MonkeyPatch) -> MorningNote:
    """The test job is the only registered job (part 2's jobs are tested on their own)."""
    job = MorningNote()
    monkeypatch.setattr(jobs, "ALL_JOBS", [job.spec])
    monkeypatch.setattr(jobs, "CLEANUPS", [])
    return job


async def test_job_runs_once_per_slot_however_often_the_tick_runs(db, bot, rec, settings, note, frozen_clock):
    person = await add_person(db)
    early = await run_due(db, bot, settings, wita(2026, 12, 5, 6, 59), catch_up=False)
    assert (early.ran, note.calls) == ((), [])

    first = await run_due(db, bot, settings, wita(2026, 12, 5, 7, 0), catch_up=False)
    assert first.ran == ("note",)
    assert (first.enqueued, first.send.sent) == (1, 1)
    for moment in (wita(2026, 12, 5, 7, 0), wita(2026, 12, 5, 7, 1), wita(2026, 12, 5, 13, 0)):
        again = await run_due(db, bot, settings, moment, catch_up=True)
        assert (again.ran, again.enqueued, again.send.sent) == ((), 0, 0)
    assert len(note.calls) == 1
    assert [c.chat_id for c in rec.sent()] == [person.telegram_chat_id]
    assert await outbox.job_slots(db) == [("note", "2026-12-05")]

    next_day = await run_due(db, bot, settings, wita(2026, 12, 6, 7, 0), catch_up=False)
    assert next_day.send.sent == 1
    assert len(rec.sent()) == 2


async def test_same_slot_run_again_enqueues_nothing_new_even_if_the_slot_record_is_lost(
        db, bot, rec, settings, note, frozen_clock):
    await add_person(db)
    await run_due(db, bot, settings, wita(2026, 12, 5, 7, 0), catch_up=False)
    await db.execute("DELETE FROM job_runs")  # as after a crash between the job and its slot record
    report = await run_due(db, bot, settings, wita(2026, 12, 5, 7, 0), catch_up=False)
    assert report.ran == ("note",)
    assert (report.enqueued, report.send.sent) == (0, 0)  # the dedupe keys hold
    assert len(rec.sent()) == 1


async def test_a_regular_tick_more_than_an_hour_late_leaves_the_job_to_catch_up(
        db, bot, rec, settings, note, frozen_clock):
    await add_person(db)
    late = await run_due(db, bot, settings, wita(2026, 12, 5, 8, 1), catch_up=False)
    assert late.ran == ()
    caught = await run_due(db, bot, settings, wita(2026, 12, 5, 8, 1), catch_up=True)
    assert caught.ran == ("note",)
    assert caught.send.sent == 1


async def test_catch_up_runs_todays_missed_slot_not_yesterdays(db, bot, rec, settings, note, frozen_clock):
    await add_person(db)
    # the bot was down from 5 December 06:00 to 6 December 09:30
    report = await run_due(db, bot, settings, wita(2026, 12, 6, 9, 30), catch_up=True)
    assert report.ran == ("note",)
    assert await outbox.job_slots(db) == [("note", "2026-12-06")]
    assert [c.text.split("?")[0][-10:] for c in rec.sent()] == ["2026-12-06"]


async def test_weekly_job_runs_on_its_weekday_only(db, bot, rec, settings, monkeypatch, frozen_clock):
    monday = MorningNote("weekly", weekdays=frozenset({0}))
    monkeypatch.setattr(jobs, "ALL_JOBS", [monday.spec])
    await add_person(db)
    assert (await run_due(db, bot, settings, wita(2026, 12, 6, 7, 0), catch_up=True)).ran == ()  # Sunday
    assert (await run_due(db, bot, settings, wita(2026, 12, 7, 7, 0), catch_up=True)).ran == ("weekly",)


async def test_a_failing_job_is_not_recorded_and_runs_again_at_the_next_tick(
        db, bot, rec, settings, note, frozen_clock):
    await add_person(db)
    note.fail_next = True
    failed = await run_due(db, bot, settings, wita(2026, 12, 5, 7, 0), catch_up=False)
    assert (failed.ran, failed.failed_jobs) == ((), ("note",))
    assert await outbox.job_slots(db) == []
    retried = await run_due(db, bot, settings, wita(2026, 12, 5, 7, 1), catch_up=False)
    assert retried.ran == ("note",)
    assert retried.send.sent == 1


async def test_cleanups_run_before_sending(db, bot, rec, settings, note, monkeypatch, frozen_clock):
    person = await add_person(db)
    await outbox.enqueue(db, kind="reminder", recipient_id=person.id, dedupe_key="rem:1:0",
                         template="invites/ask_phone", context={"name": "x"}, not_before=wita(2026, 12, 5, 6, 0))

    async def paid_meanwhile(db: Database, now: datetime, settings: Settings) -> int:
        return await outbox.cancel_keys(db, ["rem:1:0"], "paid")

    monkeypatch.setattr(jobs, "CLEANUPS", [paid_meanwhile])
    report = await run_due(db, bot, settings, wita(2026, 12, 5, 7, 0), catch_up=False)
    assert report.stale_cancelled == 1
    assert report.send.sent == 1  # only the note
    assert (await outbox.by_key(db, "rem:1:0")).status == Status.CANCELLED


async def test_quiet_hours_hold_what_a_late_evening_tick_enqueues(db, bot, rec, settings, monkeypatch,
                                                                  frozen_clock):
    evening = MorningNote("evening", at=time(21, 0))
    monkeypatch.setattr(jobs, "ALL_JOBS", [evening.spec])
    await add_person(db)
    report = await run_due(db, bot, settings, wita(2026, 12, 5, 21, 0), catch_up=False)
    assert (report.ran, report.send.deferred, report.send.sent) == (("evening",), 1, 0)
    morning = await run_due(db, bot, settings, wita(2026, 12, 6, 7, 0), catch_up=False)
    assert (morning.ran, morning.send.sent) == ((), 1)


# --- the application: scheduler and start-up catch-up ----------------------------------------------------------
async def test_restart_after_a_missed_morning_sends_once_at_start_up(settings, note, frozen_clock):
    rec = RecordingRequest()

    async def start():
        app = build_application(settings, request=rec, with_updater=False, rate_limit=False, scheduler=True)
        await app.initialize()
        await app.post_init(app)
        return app

    async def stop(app):
        await app.shutdown()
        await app.post_shutdown(app)

    frozen_clock.set(wita(2026, 12, 5, 6, 0))
    app = await start()
    try:
        [job] = app.job_queue.jobs()
        assert job.name == TICK_JOB_NAME
        assert job.job.misfire_grace_time == JOB_KWARGS["misfire_grace_time"]
        assert job.job.coalesce is True
        assert job.job.max_instances == 1
        person = await add_person(app.db)
    finally:
        await stop(app)

    frozen_clock.set(wita(2026, 12, 5, 9, 15))  # the bot was down at 07:00
    for _ in range(2):  # started, then restarted again
        app = await start()
        await stop(app)
    sent = [c for c in rec.sent() if c.method == "sendMessage"]
    assert [c.chat_id for c in sent] == [person.telegram_chat_id]
    assert len(note.calls) == 1


async def test_test_apps_have_no_scheduler(running):
    assert running.app.scheduled is False
    assert running.app.job_queue.jobs() == ()


# --- pem-bot tick ---------------------------------------------------------------------------------------------
async def test_cli_tick_at_an_instant_twice_sends_nothing_new(settings, bot, rec, note, frozen_clock):
    from storage.db import Database as Db

    db = await Db(settings.database).open()
    try:
        from storage.migrate import migrate

        await migrate(db)
        await add_person(db, "Lurah", roles=(Role.LURAH,))
    finally:
        await db.close()
    frozen_clock.set(wita(2026, 12, 5, 9, 0))
    at = parse_at("2026-12-05T07:00", settings)
    assert at == wita(2026, 12, 5, 7, 0)
    first = await tick(settings, at, bot=bot)
    second = await tick(settings, at, bot=bot)
    assert (first.ran, first.send.sent) == (("note",), 1)
    assert (second.ran, second.enqueued, second.send.sent) == ((), 0, 0)
    assert len(rec.sent()) == 1


def test_parse_at_reads_wita_unless_an_offset_is_given(settings, frozen_clock):
    frozen_clock.set(wita(2026, 12, 5, 9, 0))
    assert parse_at("2026-12-05T07:00", settings) == datetime(2026, 12, 5, 7, 0, tzinfo=WITA)
    assert parse_at("2026-12-05 07:00", settings) == datetime(2026, 12, 5, 7, 0, tzinfo=WITA)
    assert parse_at("2026-12-04T23:00+00:00", settings) == wita(2026, 12, 5, 7, 0)
    from bot.cli.main import CliError

    with pytest.raises(CliError) as caught:
        parse_at("besok pagi", settings)
    assert caught.value.code == "bad_at"


def test_cli_tick_with_a_bad_instant_exits_2(tmp_path: Path, monkeypatch, capsys):
    from bot.cli.run import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("PEM_DATABASE", str(tmp_path / "pem.sqlite3"))
    assert main(["tick", "--at", "kemarin"]) == 2
    assert "kemarin" in capsys.readouterr().err


def test_misfire_grace_matches_the_scheduler():
    assert timedelta(seconds=JOB_KWARGS["misfire_grace_time"]) == jobs.MISFIRE_GRACE


async def test_restart_after_a_missed_07_00_sends_the_real_digest_once(settings, frozen_clock, monkeypatch):
    """The same promise with the real job list: the lurah gets exactly one daily digest at start-up."""
    from bot.runtime import sender

    monkeypatch.setattr(sender, "DEFAULT_PACER", sender.ChatPacer(0))
    rec = RecordingRequest()

    async def start_and_stop():
        app = build_application(settings, request=rec, with_updater=False, rate_limit=False, scheduler=True)
        await app.initialize()
        await app.post_init(app)
        await app.shutdown()  # waits for the start-up catch-up
        await app.post_shutdown(app)
        return app

    frozen_clock.set(wita(2026, 12, 5, 6, 0))
    app = build_application(settings, request=rec, with_updater=False, rate_limit=False, scheduler=False)
    await app.initialize()
    try:
        lurah = await add_person(app.db, "Lurah Naikoten", roles=(Role.LURAH,))
    finally:
        await app.shutdown()
        await app.post_shutdown(app)

    frozen_clock.set(wita(2026, 12, 5, 9, 15))  # the bot was down at 07:00
    await start_and_stop()
    await start_and_stop()

    to_lurah = [c for c in rec.sent(lurah.telegram_chat_id) if c.method == "sendMessage"]
    assert len(to_lurah) == 1
    assert "Kemarin tidak ada pembayaran masuk" in to_lurah[0].text


def test_parse_at_refuses_an_instant_in_the_future(settings, frozen_clock):
    """A typo in --at would run a future day's jobs now and record them as done (review of issue 10)."""
    from bot.cli.main import CliError

    frozen_clock.set(wita(2026, 11, 28, 10, 0))
    assert parse_at("2026-11-28T10:10", settings) == wita(2026, 11, 28, 10, 10)  # a tick started a bit early
    with pytest.raises(CliError) as caught:
        parse_at("2026-11-28T10:11", settings)
    assert caught.value.code == "at_future"
    from messages import render

    said = render("plain/cli/error", "id", tz=WITA, code=caught.value.code, **caught.value.params)
    assert '"2026-11-28T10:11" masih di masa depan (sekarang 28 November 2026, 10.00 WITA)' in said
    with pytest.raises(CliError):
        parse_at("2026-12-25T09:00", settings)
    assert parse_at("2026-11-01T07:00", settings) == wita(2026, 11, 1, 7, 0)  # a missed morning: fine
