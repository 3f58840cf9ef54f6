"""Job: warning-letter tasks for the treasurers (surat peringatan SP-1..SP-3, issue 16 part 1).

Runs daily at ``settings.reminder_time`` (08:00 WITA, with the reminders): :func:`bot.services.warnings.
open_due_steps` opens the step due for each active loan in arrears (``PEM_WARNING_STEPS``, default 30/60/90
days late; SP-2 only after SP-1 was issued, SP-3 only after SP-2) and queues ONE task per reachable treasurer
of the kelurahan (dedupe ``sp:<step>:<round>:<treasurer>``, :mod:`storage.outbox_keys`): running it twice a day
adds nothing. A postponed step's task comes again on the day its week is over.

:func:`close_cleared` is a clean-up (``bot.jobs.CLEANUPS``, before every send): an open step whose loan is no
longer in arrears (a payment cleared it) or no longer active is closed, and its queued tasks are cancelled. A
task already delivered stays in the chat; its buttons then answer that nothing is needed any more.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.jobs.base import Cleanup, JobSpec
from bot.services import warnings as service
from storage.db import Database

log = logging.getLogger(__name__)


async def run(db: Database, now: datetime, settings: Any) -> int:
    today = now.astimezone(settings.timezone).date()
    queued = await service.open_due_steps(db, today=today, now=now, steps=tuple(settings.warning_steps))
    log.info("warning-letter tasks for %s: %d queued", today, queued)
    return queued


async def close_cleared(db: Database, now: datetime, settings: Any) -> int:
    closed = await service.close_cleared(db, now=now, today=now.astimezone(settings.timezone).date())
    if closed:
        log.info("closed %d warning step(s) whose arrears were cleared", closed)
    return closed


def _time(settings: Any):
    return settings.reminder_time


JOBS: list[JobSpec] = [JobSpec("warning_letters", _time, run)]
CLEANUPS: list[Cleanup] = [close_cleared]
