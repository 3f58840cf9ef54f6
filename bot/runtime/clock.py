"""The current time, in one place so tests can travel in time by replacing :func:`utcnow`.

Domain code takes ``now``/``today`` as arguments; only the edges (handlers, the CLI, the scheduler) ask here.

``pem-bot try`` moves this clock forward (:func:`travel_to`, the page's clock control): from then on the whole
process, handlers, scheduler and storage alike, lives at the shifted time, which keeps running. Production never
calls it (the offset stays zero).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


def travel_to(instant: datetime) -> timedelta:
    """Shift the clock so that :func:`utcnow` is ``instant`` now (``pem-bot try`` only); returns the offset."""
    global _offset
    _offset = instant - datetime.now(UTC)
    return _offset


def offset() -> timedelta:
    return _offset


def local_now(tz: ZoneInfo) -> datetime:
    return utcnow().astimezone(tz)


def local_today(tz: ZoneInfo) -> date:
    return local_now(tz).date()
