"""Quiet hours: a daily WITA window (20:00-07:00 by default, ``PEM_QUIET_HOURS``) when no scheduled message
goes out. Direct replies to a user are not scheduled messages and are never held back.

The window is half-open, ``[start, end)``: at 20:00 it is quiet, at 07:00 sending is allowed again. It may
cross midnight (start > end) or not (e.g. 13:00-14:00).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def is_quiet(local: time, quiet_start: time, quiet_end: time) -> bool:
    """Whether a WITA time of day falls in the window."""
    if quiet_start <= quiet_end:
        return quiet_start <= local < quiet_end
    return local >= quiet_start or local < quiet_end


def next_allowed(moment: datetime, quiet_start: time, quiet_end: time, tz: ZoneInfo) -> datetime:
    """``moment`` itself when it is outside quiet hours, else the end of the window it falls in (the next
    allowed minute), in ``moment``'s time zone."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime; pass an aware one")
    local = moment.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if not is_quiet(clock, quiet_start, quiet_end):
        return moment
    day = local.date()
    if quiet_start > quiet_end and clock >= quiet_start:
        day += timedelta(days=1)  # the evening part of a window crossing midnight ends tomorrow morning
    return datetime.combine(day, quiet_end, tzinfo=tz).astimezone(moment.tzinfo)
