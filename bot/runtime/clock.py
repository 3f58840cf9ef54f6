"""The current time, in one place so tests can travel in time by replacing :func:`utcnow`.

Domain code takes ``now``/``today`` as arguments; only the edges (handlers, the CLI, the scheduler) ask here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_now(tz: ZoneInfo) -> datetime:
    return utcnow().astimezone(tz)


def local_today(tz: ZoneInfo) -> date:
    return local_now(tz).date()
