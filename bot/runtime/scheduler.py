"""Wires the jobs into PTB's JobQueue (APScheduler underneath). The scheduler only *triggers* ticks; what is
due is decided by :func:`bot.runtime.tick.run_due` from the database, so nothing is lost when a trigger is late or the
bot was down.

- One repeating job, ``pem-tick``, every 60 s, starting on the next full minute. APScheduler's default
  ``misfire_grace_time`` is 1 s: a tick that fires later than that (a busy event loop, a suspended laptop,
  a slow database) is *silently skipped*. We allow an hour, and ``coalesce`` runs a pile of missed ticks only
  once; ``max_instances=1`` keeps ticks from overlapping (a slow send run delays the next tick instead).
- At start-up (``post_init``) one catch-up tick runs today's missed slots (see :mod:`bot.jobs`). It runs as a
  background task (:func:`start_catch_up`), not inside ``post_init``: on the synthetic city (15,000 loans) the
  catch-up plans and sends hundreds of messages, which kept the first ``getUpdates`` waiting for minutes
  (bench/startup.py, docs/performance.md section 5). ``Application.shutdown`` waits for it
  (:func:`finish_catch_up`) while the bot and the database are still open.
- The catch-up and the minute tick never overlap: both hold the application's tick lock (:func:`tick_lock`),
  so two sender runs can never pick up the same queued message.
- Both take (or renew) the sender lease first (:mod:`bot.runtime.lease`): only its holder sends the outbox, so
  a ``pem-bot tick`` next to the bot enqueues and leaves the sending to the bot. A tick that finds the lease
  held elsewhere (a ``pem-bot tick`` still sending) runs the jobs and sends nothing; the next one tries again.
  Shutdown releases it (:func:`release_lease`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from telegram.ext import CallbackContext

from bot.jobs.drafts import expire_stale_forms
from bot.runtime import clock
from bot.runtime.lease import SenderLease
from bot.runtime.tick import TickReport, run_due

if TYPE_CHECKING:
    from bot.runtime.app import PemApplication

log = logging.getLogger(__name__)

TICK_INTERVAL = 60
TICK_JOB_NAME = "pem-tick"
JOB_KWARGS = {"misfire_grace_time": 3600, "coalesce": True, "max_instances": 1}


def tick_lock(app: object) -> asyncio.Lock:
    """The application's tick lock (created on first use, in the running loop)."""
    lock = getattr(app, "_pem_tick_lock", None)
    if lock is None:
        lock = asyncio.Lock()
        app._pem_tick_lock = lock  # type: ignore[attr-defined]
    return lock


def sender_lease(app: object) -> SenderLease:
    """The application's sender lease (created on first use)."""
    lease = getattr(app, "_pem_sender_lease", None)
    if lease is None:
        lease = SenderLease(app.db, "run")  # type: ignore[attr-defined]
        app._pem_sender_lease = lease  # type: ignore[attr-defined]
    return lease


async def _tick(app: PemApplication, *, catch_up: bool) -> TickReport:
    """One tick under the tick lock: the jobs always, the outbox only while this process holds the lease."""
    async with tick_lock(app):
        lease = sender_lease(app)
        held = await lease.acquire()
        if not held:
            log.info("the sender lease is held by another process; this tick only enqueues")
        return await run_due(app.db, app.bot, app.settings, clock.utcnow(), catch_up=catch_up, send=held,
                             lease=lease)


async def release_lease(app: object) -> None:
    """At shutdown, while the database is still open: the next sender need not wait for the lease to run out."""
    lease = getattr(app, "_pem_sender_lease", None)
    if lease is not None:
        try:
            await lease.release()
        except Exception:
            log.exception("releasing the sender lease failed; it runs out by itself")


async def tick_job(context: CallbackContext) -> None:
    app = context.application
    try:
        await _tick(app, catch_up=False)  # type: ignore[arg-type]
    except Exception:
        log.exception("scheduled tick failed")
    try:
        await expire_stale_forms(app.db, clock.utcnow(),  # type: ignore[attr-defined]
                                 timedelta(hours=app.settings.retention_draft_hours))  # type: ignore[attr-defined]
    except Exception:
        log.exception("expiring stale form drafts failed")


async def catch_up(app: PemApplication) -> TickReport | None:
    """The start-up tick; errors are logged, never stop the bot from starting."""
    try:
        report = await _tick(app, catch_up=True)
    except Exception:
        log.exception("start-up catch-up failed")
        return None
    log.info("start-up catch-up: %s", report)
    return report


def start_catch_up(app: PemApplication) -> asyncio.Task:
    """Run :func:`catch_up` in the background (polling starts meanwhile); kept on the app for shutdown."""
    task = asyncio.get_running_loop().create_task(catch_up(app), name="pem-catch-up")
    app._pem_catch_up = task  # type: ignore[attr-defined]
    return task


async def finish_catch_up(app: PemApplication) -> None:
    """Wait for a start-up catch-up still running (called before the database closes). The sender marks each
    message sent right after its call, so even a catch-up cut short by a second Ctrl+C repeats at most one."""
    task: asyncio.Task | None = getattr(app, "_pem_catch_up", None)
    if task is not None and not task.done():
        log.info("waiting for the start-up catch-up to finish")
        await task


def setup_scheduler(app: PemApplication) -> bool:
    """Schedule the tick on the app's JobQueue; False (and a warning) when there is no JobQueue."""
    job_queue = app.job_queue
    if job_queue is None:
        log.warning("no JobQueue (install python-telegram-bot[job-queue]); scheduled messages are not sent")
        return False
    now = clock.utcnow()
    first = timedelta(seconds=TICK_INTERVAL - now.second - now.microsecond / 1_000_000)
    job_queue.run_repeating(tick_job, interval=TICK_INTERVAL, first=first, name=TICK_JOB_NAME,
                            job_kwargs=dict(JOB_KWARGS))
    return True
