"""What a scheduled job is. Kept apart from :mod:`bot.jobs` so job modules can import it without a cycle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time

from bot.domain.settings import Settings
from storage.db import Database

#: ``run(db, now, settings)`` enqueues what is due at ``now`` (aware UTC) and returns how many messages it
#: enqueued (0 for jobs that send nothing, like the backup). It must be idempotent: every message carries a
#: dedupe key, so running it twice for the same instant enqueues nothing new.
JobRun = Callable[[Database, datetime, Settings], Awaitable[int]]

#: ``cleanup(db, now, settings)`` runs before every send and cancels queued messages that no longer matter
#: (e.g. a reminder for an instalment paid meanwhile); returns how many it cancelled.
Cleanup = Callable[[Database, datetime, Settings], Awaitable[int]]


@dataclass(frozen=True)
class JobSpec:
    """A daily job: ``run`` at WITA time ``at(settings)``, on ``weekdays`` (Monday = 0) or every day."""

    name: str
    at: Callable[[Settings], time]
    run: JobRun
    weekdays: frozenset[int] | None = None

    def runs_on(self, weekday: int) -> bool:
        return self.weekdays is None or weekday in self.weekdays
