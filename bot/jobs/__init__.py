"""Scheduled jobs and the tick that runs them.

A job (:class:`~bot.jobs.base.JobSpec`) is a plain async function of (database, now, settings) that works
out what is due and *enqueues* messages into the outbox with dedupe keys; it never talks to Telegram. The
sender (:func:`bot.runtime.sender.send_due`) then empties the outbox.

Registering a job: a job module (``bot/jobs/<name>.py``) exposes ``JOBS: list[JobSpec]`` and optionally
``CLEANUPS: list[Cleanup]``; add the module to the import below and to :data:`ALL_JOBS` / :data:`CLEANUPS`.

:func:`run_due` is one *tick*, at ``now``:

1. every job whose WITA time today has come and whose slot ``(job name, WITA date)`` is not in ``job_runs``
   runs, then its slot is recorded. The slot is recorded *after* the job succeeded: a crash mid-job re-runs it
   at the next tick, which is safe because enqueueing is idempotent (dedupe keys). A job that raises is
   logged and retried at the next tick;
2. every cleanup runs (cancel queued messages that no longer matter);
3. the outbox is sent.

``catch_up`` decides how late a job may still run:

- ``catch_up=False`` (the scheduler's tick every minute): only within :data:`MISFIRE_GRACE` (1 hour) of its
  time, the same grace the APScheduler job has;
- ``catch_up=True`` (start-up, ``pem-bot tick``): any time later the same WITA day. A 07:00 digest missed
  while the bot was down goes out at start-up, once; yesterday's does not (its slot date has passed).
"""

from __future__ import annotations

import logging
from dataclasses import astuple, dataclass, field
from datetime import datetime, timedelta

from telegram import Bot

from bot.domain.settings import Settings
from bot.jobs import backup, digest, lpj, promises, reminders, retention, warnings
from bot.jobs import events as event_jobs
from bot.jobs.base import Cleanup, JobSpec
from bot.runtime.sender import SendLease, SendReport, send_due
from storage import outbox
from storage.db import Database

log = logging.getLogger(__name__)

MISFIRE_GRACE = timedelta(hours=1)

#: Every scheduled job, in the order they run within one tick.
ALL_JOBS: list[JobSpec] = [*retention.JOBS, *backup.JOBS, *reminders.JOBS, *warnings.JOBS, *promises.JOBS,
                           *digest.JOBS, *event_jobs.JOBS, *lpj.JOBS]
#: Run before every send.
CLEANUPS: list[Cleanup] = [*reminders.CLEANUPS, *warnings.CLEANUPS, *event_jobs.CLEANUPS]


@dataclass(frozen=True)
class TickReport:
    ran: tuple[str, ...] = ()
    enqueued: int = 0
    failed_jobs: tuple[str, ...] = ()
    stale_cancelled: int = 0
    send: SendReport = field(default_factory=SendReport)


def slot_for(spec: JobSpec, now: datetime, settings: Settings, *, catch_up: bool) -> str | None:
    """The slot key (WITA date) of ``spec`` if it is due at ``now``, else None."""
    local = now.astimezone(settings.timezone)
    today = local.date()
    if not spec.runs_on(today.weekday()):
        return None
    scheduled = datetime.combine(today, spec.at(settings), tzinfo=settings.timezone)
    if scheduled > local:
        return None
    if not catch_up and local - scheduled > MISFIRE_GRACE:
        return None
    return today.isoformat()


async def run_jobs(
    db: Database, settings: Settings, now: datetime, *, catch_up: bool, jobs: list[JobSpec] | None = None
) -> tuple[list[str], int, list[str]]:
    """Run every due job whose slot is free; returns (names run, messages enqueued, names that raised)."""
    ran: list[str] = []
    failed: list[str] = []
    enqueued = 0
    for spec in ALL_JOBS if jobs is None else jobs:
        slot = slot_for(spec, now, settings, catch_up=catch_up)
        if slot is None or await outbox.slot_taken(db, spec.name, slot):
            continue
        try:
            count = await spec.run(db, now, settings)
        except Exception:
            log.exception("job %s for %s failed; it will be retried at the next tick", spec.name, slot)
            failed.append(spec.name)
            continue
        if await outbox.claim_job_slot(db, spec.name, slot, now, count):
            log.info("job %s ran for %s: %d message(s) enqueued", spec.name, slot, count)
        ran.append(spec.name)
        enqueued += count
    return ran, enqueued, failed


async def run_due(
    db: Database, bot: Bot, settings: Settings, now: datetime, *, catch_up: bool,
    jobs: list[JobSpec] | None = None, limit: int | None = None, send: bool = True,
    lease: SendLease | None = None,
) -> TickReport:
    """One tick: run due jobs, cancel what no longer matters, send the outbox (unless ``send`` is False: another
    process holds the sender lease, bot/runtime/lease.py; ``lease`` is renewed during the send runs).

    The outbox is drained to the end (in runs of :data:`SEND_BATCH`), at the budget the rate limiter leaves
    the sender: a backlog of 5,000 reminders goes out in about three minutes, not 500 a minute (issue 13,
    item 6). A run that makes no progress (flood control postponed the rest, Telegram unreachable, quiet hours)
    ends the drain; ``limit`` caps it (tests)."""
    ran, enqueued, failed = await run_jobs(db, settings, now, catch_up=catch_up, jobs=jobs)
    stale = 0
    for cleanup in CLEANUPS:
        try:
            stale += await cleanup(db, now, settings)
        except Exception:
            log.exception("cleanup %s failed", getattr(cleanup, "__qualname__", cleanup))
    sent = await drain(db, bot, settings, now, limit=limit, lease=lease) if send else SendReport()
    return TickReport(tuple(ran), enqueued, tuple(failed), stale, sent)


#: Messages read from the outbox per sender run while draining.
SEND_BATCH = 500


async def drain(db: Database, bot: Bot, settings: Settings, now: datetime, *, limit: int | None = None,
                lease: SendLease | None = None) -> SendReport:
    """Send runs one after the other while messages due at ``now`` remain and each run moves something."""
    total = SendReport()
    while True:
        batch = SEND_BATCH if limit is None else min(SEND_BATCH, limit - total.sent - total.failed - total.cancelled)
        if batch <= 0:
            return total
        report = await send_due(db, bot, settings, now, limit=batch, lease=lease)
        total = SendReport(*(a + b for a, b in zip(astuple(total), astuple(report), strict=True)))
        if report.sent + report.failed + report.cancelled + report.deferred == 0:
            return total
        if not await outbox.due(db, now, 1):
            return total


__all__ = ["ALL_JOBS", "CLEANUPS", "MISFIRE_GRACE", "SEND_BATCH", "JobSpec", "TickReport", "drain", "run_due",
           "run_jobs", "slot_for"]
