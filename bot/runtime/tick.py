"""One *tick* of scheduled work, the runtime's: the jobs queue outbox rows (:mod:`bot.jobs`, which never talks to
Telegram), then the sender empties the outbox (:mod:`bot.runtime.sender`). The scheduler runs it every minute and
at start-up, ``pem-bot tick`` once. See :mod:`bot.jobs` for which jobs run and how late they may still run."""

from __future__ import annotations

import logging
from dataclasses import astuple, dataclass, field
from datetime import datetime

from telegram import Bot

from bot.domain.settings import Settings
from bot.jobs import JobSpec, run_cleanups, run_jobs
from bot.runtime.sender import SendLease, SendReport, send_due
from storage import outbox
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TickReport:
    ran: tuple[str, ...] = ()
    enqueued: int = 0
    failed_jobs: tuple[str, ...] = ()
    stale_cancelled: int = 0
    send: SendReport = field(default_factory=SendReport)


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
    stale = await run_cleanups(db, now, settings)
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
