"""Scheduled jobs (the tick that runs them is the runtime's: :mod:`bot.runtime.tick`).

A job (:class:`~bot.jobs.base.JobSpec`) is a plain async function of (database, now, settings) that works
out what is due and *enqueues* messages into the outbox with dedupe keys; it never talks to Telegram. The
sender (:func:`bot.runtime.sender.send_due`) then empties the outbox.

Registering a job: a job module (``bot/jobs/<name>.py``) exposes ``JOBS: list[JobSpec]`` and optionally
``CLEANUPS: list[Cleanup]``; add the module to the import below and to :data:`ALL_JOBS` / :data:`CLEANUPS`.

:func:`bot.runtime.tick.run_due` is one *tick*, at ``now`` (jobs, then cleanups, then the sender):

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
from datetime import datetime, timedelta

from bot.domain.settings import Settings
from bot.jobs import backup, digest, lpj, promises, reminders, retention, warnings
from bot.jobs import events as event_jobs
from bot.jobs.base import Cleanup, JobSpec
from storage import outbox
from storage.db import Database

log = logging.getLogger(__name__)

MISFIRE_GRACE = timedelta(hours=1)

#: Every scheduled job, in the order they run within one tick.
ALL_JOBS: list[JobSpec] = [*retention.JOBS, *backup.JOBS, *reminders.JOBS, *warnings.JOBS, *promises.JOBS,
                           *digest.JOBS, *event_jobs.JOBS, *lpj.JOBS]
#: Run before every send.
CLEANUPS: list[Cleanup] = [*reminders.CLEANUPS, *warnings.CLEANUPS, *event_jobs.CLEANUPS]


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


async def run_cleanups(db: Database, now: datetime, settings: Settings) -> int:
    """Cancel queued messages that no longer matter (every cleanup; one that raises is logged, not fatal)."""
    stale = 0
    for cleanup in CLEANUPS:
        try:
            stale += await cleanup(db, now, settings)
        except Exception:
            log.exception("cleanup %s failed", getattr(cleanup, "__qualname__", cleanup))
    return stale


__all__ = ["ALL_JOBS", "CLEANUPS", "MISFIRE_GRACE", "JobSpec", "run_cleanups", "run_jobs", "slot_for"]
