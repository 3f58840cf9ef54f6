"""Parse dates and times of day typed by people (Indonesian or English).

Dates (:func:`parse_date`)::

    hari ini / hr ini / today / sekarang      kemarin / kmrn / kemaren / yesterday      kemarin lusa
    besok / bsk / tomorrow                    lusa
    28/11   28-11   28.11   28/11/2026   28-11-2026   28.11.2026   28/11/26   2026-11-28   2026/11/28
    28 Nov   28 nov 2026   28-Nov-2026   28 November 2026   28 Nopember 2026   Nov 28   November 28, 2026

    25   tgl 25   tanggal 25                2 hari lalu   2 hari yang lalu   3 hari yg lalu   dua hari lalu
    sehari yang lalu   1 minggu lalu   seminggu yang lalu   3 hari lagi
    jumat   jum'at   Jumat kemarin   hari senin   senin lalu   selasa yang lalu   minggu   ahad   friday

An optional leading ``tgl``/``tgl.``/``tanggal`` is ignored. A two-digit year means 20yy. Without a year the
date is resolved relative to ``today``: with ``prefer="past"`` the latest such date on or before ``today``,
with ``prefer="future"`` the earliest on or after it (29/02 looks as far as the nearest leap year).

The forms added for what people type on phones (:func:`parse_date_ex` reports them as ``inferred``):

* A bare day of the month (``25``, ``tgl 25``) is, with ``prefer="past"``, the latest day 25 on or before
  ``today`` (``prefer="future"``: the earliest on or after). Months without that day are skipped:
  ``tgl 31`` on 15 April is 31 March, ``tgl 30`` on 10 March is 30 January, ``tgl 29`` on 10 March 2027 is
  29 January 2027. Days outside 1..31 are ``'invalid_date'``.
* ``N hari lalu`` / ``N hari yang lalu`` / ``N hari yg lalu`` (also ``hr``, ``sebelumnya``) is ``today - N``
  and ``N hari lagi`` is ``today + N``, whatever ``prefer`` says; ``N minggu lalu`` is N weeks. N is 1..999,
  in digits or words (``dua``, ``sepuluh``, ``se-``: ``sehari``, ``seminggu``). ``0 hari lalu`` is refused.
* A weekday name (``senin`` … ``minggu``, ``ahad``, ``jumat``/``jum'at``, English names), optionally after
  ``hari``, is the latest such day strictly *before* ``today`` with ``prefer="past"`` and the earliest strictly
  *after* it with ``prefer="future"``: ``jumat`` typed on a Friday is the Friday a week ago (past) or a week
  ahead (future), never today; for today people type ``hari ini``. Followed by ``kemarin``/``lalu``/``yang
  lalu`` it is always the past one.
* ``minggu lalu`` / ``minggu kemarin`` can mean "last Sunday" or "last week", so it is ``'ambiguous'``;
  ``hari minggu lalu`` is last Sunday. ``jumat ini`` is ``'ambiguous'`` too (this week's past or next one?).

Times (:func:`parse_time`): ``9``, ``09``, ``9:30``, ``09:00``, ``9.00``, ``19.30``, optionally preceded by
``jam``/``pukul``/``pkl`` and followed by ``WITA``. All times are WITA (Asia/Makassar); the result is a naive
:class:`datetime.time`.

Errors: :class:`DateError` with code ``'empty'``, ``'unrecognized'``, ``'ambiguous'`` or ``'invalid_date'``
(params ``day``, ``month`` and, when typed, ``year``; a bare day has only ``day``); :class:`TimeParseError`
with code ``'empty'``, ``'unrecognized'`` or ``'invalid_time'`` (params ``hour``, ``minute``). All errors
carry ``text`` (the input, stripped).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, time, timedelta
from typing import Final, Literal, NamedTuple

from bot.domain.parsing.errors import AmountError, DateError, TimeParseError
from bot.domain.parsing.money import parse_number_words

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

_WEEKDAYS: Final[dict[str, int]] = {
    "senin": 0,
    "monday": 0,
    "selasa": 1,
    "tuesday": 1,
    "rabu": 2,
    "wednesday": 2,
    "kamis": 3,
    "thursday": 3,
    "jumat": 4,
    "jum'at": 4,
    "friday": 4,
    "sabtu": 5,
    "saturday": 5,
    "minggu": 6,
    "ahad": 6,
    "sunday": 6,
}
_PAST_WORDS = r"kemarin|kemaren|kmrn|kmarin|lalu|(?:yang|yg) lalu"
_WEEKDAY = re.compile(rf"^(?P<hari>hari )?(?P<wd>[a-z']+)(?: (?P<rel>{_PAST_WORDS}|ini))?$", re.ASCII)
_COUNT = re.compile(
    r"^(?P<n>[a-z0-9 ]+?) ?(?P<unit>hari|hr|minggu|mgg)"
    r" (?P<rel>lalu|(?:yang|yg) lalu|sebelumnya|lagi)$",
    re.ASCII,
)
_SE_COUNT = re.compile(r"^se(?P<unit>hari|minggu) (?P<rel>lalu|(?:yang|yg) lalu|sebelumnya|lagi)$", re.ASCII)
_BARE_DAY = re.compile(r"^\d{1,2}$", re.ASCII)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})

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


class ParsedDate(NamedTuple):
    """A date and how it was typed."""

    value: date
    inferred: bool
    """True for a bare day, a count of days or weeks, or a weekday: show the date back before using it."""


def parse_date(text: str, today: date, prefer: Literal["past", "future"] = "past") -> date:
    """Parse a typed date; ``today`` is the current WITA date used for relative words and missing years.

    Raises :class:`DateError` with code ``'empty'``, ``'unrecognized'``, ``'ambiguous'`` or ``'invalid_date'``.
    """
    return parse_date_ex(text, today, prefer).value


def parse_date_ex(text: str, today: date, prefer: Literal["past", "future"] = "past") -> ParsedDate:
    """Like :func:`parse_date`, and tell whether the date was inferred (bare day, weekday, "2 hari lalu")."""
    original = text.strip()
    s = _normalise(text)
    if s.endswith(".") and not s.endswith(".."):
        s = s[:-1].rstrip()  # "28.11." or a sentence-ending full stop
    if not s:
        raise DateError("empty", text=original)

    if s in _RELATIVE:
        return ParsedDate(today + timedelta(days=_RELATIVE[s]), False)
    inferred = _relative_words(s.translate(_APOSTROPHES), today, prefer, original)
    if inferred is not None:
        return ParsedDate(inferred, True)

    s = _PREFIX.sub("", s, count=1)
    if not s:
        raise DateError("empty", text=original)
    if _BARE_DAY.match(s):
        return ParsedDate(_bare_day(int(s), today, prefer, original), True)

    month: int | None
    for pattern in (_DMY, _YMD):
        match = pattern.match(s)
        if match:
            day, month = int(match["d"]), int(match["m"])
            return ParsedDate(_build(day, month, match["y"], today, prefer, original), False)

    for pattern in (_D_MONTH_Y, _MONTH_D_Y):
        match = pattern.match(s)
        if match:
            month = _MONTHS.get(match["mon"])
            if month is None:
                break
            return ParsedDate(_build(int(match["d"]), month, match["y"], today, prefer, original), False)

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


def _relative_words(s: str, today: date, prefer: Literal["past", "future"], original: str) -> date | None:
    """A weekday or a count of days/weeks, or None when ``s`` is neither."""
    match = _WEEKDAY.match(s)
    if match and match["wd"] in _WEEKDAYS:
        rel = match["rel"]
        if rel == "ini" or (match["wd"] == "minggu" and rel is not None and not match["hari"]):
            # "jumat ini" (this week's, past or coming?), "minggu lalu" (last Sunday, or last week?)
            raise DateError("ambiguous", text=original, reason="this_week" if rel == "ini" else "sunday")
        past = prefer == "past" or rel is not None
        weekday = _WEEKDAYS[match["wd"]]
        if past:
            return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)

    match = _SE_COUNT.match(s)
    if match:
        count: int | None = 1
    else:
        match = _COUNT.match(s)
        if not match:
            return None
        count = _count(match["n"])
        if count is None:
            return None
    days = count * (7 if match["unit"] in ("minggu", "mgg") else 1)
    try:
        return today + timedelta(days=days if match["rel"] == "lagi" else -days)
    except OverflowError:
        raise DateError("invalid_date", text=original) from None


def _count(text: str) -> int | None:
    """A count 1..999 in digits or Indonesian words, or None."""
    text = text.strip()
    if text.isdigit():
        return int(text) if 1 <= int(text) <= 999 and len(text) <= 3 else None
    if not re.fullmatch(r"[a-z ]+", text):
        return None
    try:
        value = parse_number_words(text)
    except AmountError:
        return None
    return value if 1 <= value <= 999 else None


def _bare_day(day: int, today: date, prefer: Literal["past", "future"], original: str) -> date:
    """The latest day ``day`` of a month on or before ``today`` (past), or the earliest on or after it."""
    if not 1 <= day <= 31:
        raise DateError("invalid_date", text=original, day=day)
    step = -1 if prefer == "past" else 1
    year, month = today.year, today.month
    for _ in range(12):  # a day 29..31 exists in at least one month of any three
        candidate = _try_date(year, month, day)
        if candidate is not None and (candidate <= today if prefer == "past" else candidate >= today):
            return candidate
        month += step
        if month == 0:
            year, month = year - 1, 12
        elif month == 13:
            year, month = year + 1, 1
    raise DateError("invalid_date", text=original, day=day)  # only near date.min / date.max


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


__all__ = ["MONTH_NAMES_ID", "ParsedDate", "format_date_id", "parse_date", "parse_date_ex", "parse_time"]
