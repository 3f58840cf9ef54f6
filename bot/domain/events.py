"""Pure rules for Karang Taruna events, trainings and sign-ups (no Telegram, no SQL).

Decisions
---------
- **Registration deadline**: typed as a date; registration closes at the end of that WITA day, or at the start
  of the event when the deadline is the event's own day. It may not be after the start date nor before today.
- **Age limits**: typed as ``17-40``, ``17 – 40``, ``17 sd 40`` or ``17 s/d 40`` (ages 10–80, min ≤ max), or
  skipped. A participant's age is checked on the event's WITA date.
- **Seats**: ``registered``, ``attended`` and ``no_show`` registrations hold a seat; past capacity a new
  registration is ``waitlisted``. The waiting list is first come, first served.
- **RT/RW**: ``003/002``, ``3/2``, ``RT 3 RW 2``, ``rt.03/rw.02`` → stored as ``003/002``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.parsing.errors import ParseError
from bot.domain.parsing.nik import age_on

MIN_AGE = 10
MAX_AGE = 80
TITLE_MAX = 100
PLACE_MAX = 100
CAPACITY_MAX = 1000
BUSINESS_MAX = 80


class EventKind(StrEnum):
    TRAINING = "training"
    EVENT = "event"


class Organiser(StrEnum):
    DISNAKER = "disnaker"
    KARANG_TARUNA = "karang_taruna"
    PEMKOT = "pemkot"
    OTHER = "other"


class EventStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    DONE = "done"


class RegStatus(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


#: Statuses that hold a seat.
SEATED = (RegStatus.REGISTERED, RegStatus.ATTENDED, RegStatus.NO_SHOW)
#: Statuses of a live registration (a second one for the same event is a duplicate).
ACTIVE = (*SEATED, RegStatus.WAITLISTED)

EDUCATION = ("sd", "smp", "sma", "d3", "s1", "none")
WORK_STATUS = ("not_working", "working", "own_business", "school")
OUTCOMES = ("own_business", "employed", "still_looking", "other")


class EventFormError(ParseError):
    """A bad answer in the event or registration forms; ``code`` picks the message."""


def clean_text(text: str, max_len: int, code: str) -> str:
    """Collapse spaces; 3..max_len characters with at least one letter or digit."""
    value = " ".join(text.split())
    if not (3 <= len(value) <= max_len) or not any(ch.isalnum() for ch in value):
        raise EventFormError(code, max=max_len)
    return value


def parse_capacity(text: str) -> int:
    value = text.strip().replace(".", "")
    if not value.isdigit():
        raise EventFormError("capacity_not_number")
    number = int(value)
    if number < 1:
        raise EventFormError("capacity_zero")
    if number > CAPACITY_MAX:
        raise EventFormError("capacity_large", max=CAPACITY_MAX)
    return number


_AGE_RANGE = re.compile(r"^(\d{1,3})\s*(?:-|–|—|s\.?d\.?|s/d|sampai|to)\s*(\d{1,3})(?:\s*(?:tahun|thn|th))?$")


def parse_age_range(text: str) -> tuple[int, int]:
    match = _AGE_RANGE.match(" ".join(text.lower().split()))
    if match is None:
        raise EventFormError("ages_format")
    low, high = int(match[1]), int(match[2])
    if not (MIN_AGE <= low <= MAX_AGE and MIN_AGE <= high <= MAX_AGE):
        raise EventFormError("ages_bounds", min=MIN_AGE, max=MAX_AGE)
    if low > high:
        raise EventFormError("ages_order", low=low, high=high)
    return low, high


def check_start(start_day: date, start_time: time | None, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The aware start (None while the time is not known yet); raises when it is not in the future."""
    today = now.astimezone(tz).date()
    if start_day < today:
        raise EventFormError("date_past")
    if start_time is None:
        return None
    start = datetime.combine(start_day, start_time, tzinfo=tz)
    if start <= now:
        raise EventFormError("time_past")
    return start


def deadline_for(day: date, start: datetime, now: datetime, tz: ZoneInfo) -> datetime:
    """When registration closes for a deadline typed as ``day`` (see the module docstring)."""
    start_day = start.astimezone(tz).date()
    if day > start_day:
        raise EventFormError("deadline_after_start")
    if day < now.astimezone(tz).date():
        raise EventFormError("deadline_past")
    if day == start_day:
        return start
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz) - timedelta(seconds=1)


@dataclass(frozen=True)
class AgeCheck:
    age: int
    ok: bool


def check_age(birth_date: date, event_day: date, min_age: int | None, max_age: int | None) -> AgeCheck:
    """Age on the event's date against its limits (either limit may be absent)."""
    age = age_on(birth_date, event_day) if birth_date <= event_day else 0
    ok = (min_age is None or age >= min_age) and (max_age is None or age <= max_age)
    return AgeCheck(age, ok)


def seat_status(seated: int, capacity: int) -> RegStatus:
    """Where a new registration goes: a seat while one is free, else the waiting list."""
    return RegStatus.REGISTERED if seated < capacity else RegStatus.WAITLISTED


_RT_RW = re.compile(r"^(?:rt\.?\s*)?(\d{1,3})\s*(?:/|\s|,|-)\s*(?:rw\.?\s*)?(\d{1,3})$")


def parse_rt_rw(text: str) -> str:
    """``003/002`` from the usual ways of writing RT/RW; raises ``EventFormError('rt_rw')``."""
    match = _RT_RW.match(" ".join(text.lower().replace("rt/rw", "").split()).strip())
    if match is None or int(match[1]) == 0 or int(match[2]) == 0:
        raise EventFormError("rt_rw")
    return f"{int(match[1]):03d}/{int(match[2]):03d}"


def clean_business(text: str) -> str:
    return clean_text(text, BUSINESS_MAX, "business_invalid")
