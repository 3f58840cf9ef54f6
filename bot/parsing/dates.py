"""Parse dates and times of day typed by people (Indonesian or English).

Dates (:func:`parse_date`)::

    hari ini / hr ini / today / sekarang      kemarin / kmrn / kemaren / yesterday      kemarin lusa
    besok / bsk / tomorrow                    lusa
    28/11   28-11   28.11   28/11/2026   28-11-2026   28.11.2026   28/11/26   2026-11-28   2026/11/28
    28 Nov   28 nov 2026   28-Nov-2026   28 November 2026   28 Nopember 2026   Nov 28   November 28, 2026

An optional leading ``tgl``/``tgl.``/``tanggal`` is ignored. A two-digit year means 20yy. Without a year the
date is resolved relative to ``today``: with ``prefer="past"`` the latest such date on or before ``today``,
with ``prefer="future"`` the earliest on or after it (29/02 looks as far as the nearest leap year).

Times (:func:`parse_time`): ``9``, ``09``, ``9:30``, ``09:00``, ``9.00``, ``19.30``, optionally preceded by
``jam``/``pukul``/``pkl`` and followed by ``WITA``. All times are WITA (Asia/Makassar); the result is a naive
:class:`datetime.time`.

Errors: :class:`DateError` with code ``'empty'``, ``'unrecognized'`` or ``'invalid_date'`` (params ``day``,
``month`` and, when typed, ``year``); :class:`TimeParseError` with code ``'empty'``, ``'unrecognized'`` or
``'invalid_time'`` (params ``hour``, ``minute``). All errors carry ``text`` (the input, stripped).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, time, timedelta
from typing import Final, Literal

from bot.parsing.errors import DateError, TimeParseError

MONTH_NAMES_ID: Final[tuple[str, ...]] = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
"""Indonesian month names, January first (index 0)."""

_MONTH_WORDS: Final[dict[int, tuple[str, ...]]] = {
    1: ("januari", "january", "jan"),
    2: ("februari", "pebruari", "february", "feb", "peb"),
    3: ("maret", "march", "mar"),
    4: ("april", "apr"),
    5: ("mei", "may"),
    6: ("juni", "june", "jun"),
    7: ("juli", "july", "jul"),
    8: ("agustus", "august", "agu", "agt", "agst", "agus", "aug"),
    9: ("september", "sep", "sept"),
    10: ("oktober", "october", "okt", "oct"),
    11: ("november", "nopember", "nov", "nop"),
    12: ("desember", "december", "des", "dec"),
}
_MONTHS: Final[dict[str, int]] = {word: month for month, words in _MONTH_WORDS.items() for word in words}

_RELATIVE: Final[dict[str, int]] = {
    "hari ini": 0,
    "hr ini": 0,
    "hri ini": 0,
    "today": 0,
    "sekarang": 0,
    "skrg": 0,
    "kemarin": -1,
    "kemaren": -1,
    "kmrn": -1,
    "kmarin": -1,
    "yesterday": -1,
    "kemarin lusa": -2,
    "besok": 1,
    "bsk": 1,
    "tomorrow": 1,
    "lusa": 2,
}

_PREFIX = re.compile(r"^(?:tgl\.?|tanggal)\s*", re.ASCII)
# 28/11, 28-11-2026, 28.11.26 (one separator kind, optional spaces around it)
_DMY = re.compile(
    r"^(?P<d>\d{1,2})\s*(?P<sep>[/.\-])\s*(?P<m>\d{1,2})(?:\s*(?P=sep)\s*(?P<y>\d{4}|\d{2}))?$",
    re.ASCII,
)
# 2026-11-28, 2026/11/28
_YMD = re.compile(
    r"^(?P<y>\d{4})(?P<sep>[/.\-])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})$",
    re.ASCII,
)
# 28 Nov, 28 nov. 2026, 28-Nov-2026, 28nov26
_D_MONTH_Y = re.compile(
    r"^(?P<d>\d{1,2})[\s\-]*(?P<mon>[a-z]+)\.?(?:[\s,\-]*(?P<y>\d{4}|\d{2}))?$",
    re.ASCII,
)
# Nov 28, November 28, 2026, Nov 28th
_MONTH_D_Y = re.compile(
    r"^(?P<mon>[a-z]+)\.?\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:\s*,?\s*(?P<y>\d{4}))?$",
    re.ASCII,
)

_TIME = re.compile(
    r"^(?:(?:jam|pukul|pkl\.?)\s*)?(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?(?:\s*wita)?$",
    re.ASCII,
)


def _normalise(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).lower().strip()
    s = re.sub(r"\s+", " ", s)
    return s


def parse_date(text: str, today: date, prefer: Literal["past", "future"] = "past") -> date:
    """Parse a typed date; ``today`` is the current WITA date used for relative words and missing years.

    Raises :class:`DateError` with code ``'empty'``, ``'unrecognized'`` or ``'invalid_date'``.
    """
    original = text.strip()
    s = _normalise(text)
    if s.endswith(".") and not s.endswith(".."):
        s = s[:-1].rstrip()  # "28.11." or a sentence-ending full stop
    if not s:
        raise DateError("empty", text=original)

    if s in _RELATIVE:
        return today + timedelta(days=_RELATIVE[s])

    s = _PREFIX.sub("", s, count=1)
    if not s:
        raise DateError("empty", text=original)

    month: int | None
    for pattern in (_DMY, _YMD):
        match = pattern.match(s)
        if match:
            day, month = int(match["d"]), int(match["m"])
            return _build(day, month, match["y"], today, prefer, original)

    for pattern in (_D_MONTH_Y, _MONTH_D_Y):
        match = pattern.match(s)
        if match:
            month = _MONTHS.get(match["mon"])
            if month is None:
                break
            return _build(int(match["d"]), month, match["y"], today, prefer, original)

    raise DateError("unrecognized", text=original)


def _build(
    day: int, month: int, year_text: str | None, today: date, prefer: Literal["past", "future"], original: str
) -> date:
    if year_text is not None:
        year = int(year_text)
        if len(year_text) == 2:
            year += 2000
        try:
            return date(year, month, day)
        except ValueError:
            raise DateError("invalid_date", text=original, day=day, month=month, year=year) from None

    # No year: the day/month must exist in some (leap) year.
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:
        raise DateError("invalid_date", text=original, day=day, month=month)
    step = -1 if prefer == "past" else 1
    # Eight years always reach a leap year (2096 -> 2104), so nine candidates suffice for 29/02.
    for offset in range(9):
        candidate = _try_date(today.year + step * offset, month, day)
        if candidate is not None and (candidate <= today if prefer == "past" else candidate >= today):
            return candidate
    raise DateError("invalid_date", text=original, day=day, month=month)  # only near date.min / date.max


def _try_date(year: int, month: int, day: int) -> date | None:
    if not 1 <= year <= 9999:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_time(text: str) -> time:
    """Parse a WITA time of day such as ``9``, ``09:00``, ``19.30`` or ``pukul 09.30 WITA``.

    Raises :class:`TimeParseError` with code ``'empty'``, ``'unrecognized'`` or ``'invalid_time'``.
    """
    original = text.strip()
    s = _normalise(text)
    if s.endswith(".") and not s.endswith(".."):
        s = s[:-1].rstrip()
    if not s:
        raise TimeParseError("empty", text=original)
    match = _TIME.match(s)
    if match is None:
        raise TimeParseError("unrecognized", text=original)
    hour = int(match["h"])
    minute = int(match["m"]) if match["m"] is not None else 0
    if hour > 23 or minute > 59:
        raise TimeParseError("invalid_time", text=original, hour=hour, minute=minute)
    return time(hour, minute)


def format_date_id(d: date) -> str:
    """Format a date the standard Indonesian way: ``28 November 2026``."""
    return f"{d.day} {MONTH_NAMES_ID[d.month - 1]} {d.year}"


__all__ = ["MONTH_NAMES_ID", "format_date_id", "parse_date", "parse_time"]
