"""Tests for bot.domain.parsing.dates: table-driven cases plus hypothesis round-trips."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.parsing.dates import MONTH_NAMES_ID, format_date_id, parse_date, parse_time
from bot.domain.parsing.errors import DateError, ParseError, TimeParseError

TODAY = date(2026, 11, 28)  # a Saturday
NEW_YEAR = date(2027, 1, 5)

Prefer = Literal["past", "future"]

VALID_DATES: list[tuple[str, date, Prefer, date]] = [
    # relative words
    ("hari ini", TODAY, "past", TODAY),
    ("Hari Ini", TODAY, "future", TODAY),
    ("hr ini", TODAY, "past", TODAY),
    ("hari  ini", TODAY, "past", TODAY),
    ("today", TODAY, "past", TODAY),
    ("sekarang", TODAY, "past", TODAY),
    ("kemarin", TODAY, "past", date(2026, 11, 27)),
    ("Kemarin.", TODAY, "past", date(2026, 11, 27)),
    ("kmrn", TODAY, "past", date(2026, 11, 27)),
    ("kemaren", TODAY, "past", date(2026, 11, 27)),
    ("yesterday", NEW_YEAR.replace(day=1), "past", date(2026, 12, 31)),
    ("kemarin lusa", TODAY, "past", date(2026, 11, 26)),
    ("besok", TODAY, "future", date(2026, 11, 29)),
    ("BESOK", date(2026, 12, 31), "future", date(2027, 1, 1)),
    ("tomorrow", TODAY, "past", date(2026, 11, 29)),
    ("lusa", TODAY, "future", date(2026, 11, 30)),
    # numeric with year
    ("28/11/2026", TODAY, "past", date(2026, 11, 28)),
    ("28-11-2026", TODAY, "past", date(2026, 11, 28)),
    ("28.11.2026", TODAY, "past", date(2026, 11, 28)),
    ("1/2/2025", TODAY, "future", date(2025, 2, 1)),
    ("01/02/2025", TODAY, "past", date(2025, 2, 1)),
    ("28/11/26", TODAY, "past", date(2026, 11, 28)),
    ("5-1-27", TODAY, "past", date(2027, 1, 5)),
    ("28 / 11 / 2026", TODAY, "past", date(2026, 11, 28)),
    ("29/02/2028", TODAY, "past", date(2028, 2, 29)),
    ("2026-11-28", TODAY, "past", date(2026, 11, 28)),
    ("2026/1/5", TODAY, "past", date(2026, 1, 5)),
    ("tgl 28/11/2026", TODAY, "past", date(2026, 11, 28)),
    ("Tanggal 3 Mei 2026", TODAY, "past", date(2026, 5, 3)),
    # numeric without year
    ("28/11", TODAY, "past", date(2026, 11, 28)),
    ("28/11", TODAY, "future", date(2026, 11, 28)),
    ("28-11", TODAY, "past", date(2026, 11, 28)),
    ("28.11", TODAY, "past", date(2026, 11, 28)),
    ("28.11.", TODAY, "past", date(2026, 11, 28)),
    ("29/11", TODAY, "past", date(2025, 11, 29)),
    ("29/11", TODAY, "future", date(2026, 11, 29)),
    ("27/11", TODAY, "future", date(2027, 11, 27)),
    ("28/12", NEW_YEAR, "past", date(2026, 12, 28)),
    ("28/12", NEW_YEAR, "future", date(2027, 12, 28)),
    ("3/1", NEW_YEAR, "past", date(2027, 1, 3)),
    ("29/02", TODAY, "past", date(2024, 2, 29)),
    ("29/02", TODAY, "future", date(2028, 2, 29)),
    ("29/2", date(2100, 3, 1), "past", date(2096, 2, 29)),
    ("29/2", date(2096, 3, 1), "future", date(2104, 2, 29)),
    # month names
    ("28 Nov", TODAY, "past", date(2026, 11, 28)),
    ("28 nov 2026", TODAY, "past", date(2026, 11, 28)),
    ("28 November 2026", TODAY, "past", date(2026, 11, 28)),
    ("28 Nopember 2026", TODAY, "past", date(2026, 11, 28)),
    ("28 nop", TODAY, "past", date(2026, 11, 28)),
    ("28-Nov-2026", TODAY, "past", date(2026, 11, 28)),
    ("28 nov. 2026", TODAY, "past", date(2026, 11, 28)),
    ("28nov26", TODAY, "past", date(2026, 11, 28)),
    ("28 Nov, 2026", TODAY, "past", date(2026, 11, 28)),
    ("1 Januari 2026", TODAY, "past", date(2026, 1, 1)),
    ("1 jan", TODAY, "future", date(2027, 1, 1)),
    ("14 Februari 2026", TODAY, "past", date(2026, 2, 14)),
    ("14 Pebruari 2026", TODAY, "past", date(2026, 2, 14)),
    ("14 feb", TODAY, "past", date(2026, 2, 14)),
    ("17 Maret", TODAY, "past", date(2026, 3, 17)),
    ("17 mar 2025", TODAY, "past", date(2025, 3, 17)),
    ("21 April 2026", TODAY, "past", date(2026, 4, 21)),
    ("21 apr", TODAY, "past", date(2026, 4, 21)),
    ("1 Mei 2026", TODAY, "past", date(2026, 5, 1)),
    ("1 May", TODAY, "past", date(2026, 5, 1)),
    ("1 Juni 2026", TODAY, "past", date(2026, 6, 1)),
    ("1 jun", TODAY, "past", date(2026, 6, 1)),
    ("9 Juli 2026", TODAY, "past", date(2026, 7, 9)),
    ("9 jul", TODAY, "past", date(2026, 7, 9)),
    ("17 Agustus 2026", TODAY, "past", date(2026, 8, 17)),
    ("17 agu", TODAY, "past", date(2026, 8, 17)),
    ("17 agt", TODAY, "past", date(2026, 8, 17)),
    ("17 aug 2026", TODAY, "past", date(2026, 8, 17)),
    ("17 August 2026", TODAY, "past", date(2026, 8, 17)),
    ("5 September 2026", TODAY, "past", date(2026, 9, 5)),
    ("5 sep", TODAY, "past", date(2026, 9, 5)),
    ("5 sept", TODAY, "past", date(2026, 9, 5)),
    ("28 Oktober 2026", TODAY, "past", date(2026, 10, 28)),
    ("28 okt", TODAY, "past", date(2026, 10, 28)),
    ("28 oct", TODAY, "past", date(2026, 10, 28)),
    ("28 October 2026", TODAY, "past", date(2026, 10, 28)),
    ("25 Desember 2026", TODAY, "past", date(2026, 12, 25)),
    ("25 des", TODAY, "past", date(2025, 12, 25)),
    ("25 dec", TODAY, "future", date(2026, 12, 25)),
    ("25 December 2026", TODAY, "past", date(2026, 12, 25)),
    ("Nov 28", TODAY, "past", date(2026, 11, 28)),
    ("November 28, 2026", TODAY, "past", date(2026, 11, 28)),
    ("December 25th", TODAY, "future", date(2026, 12, 25)),
]


@pytest.mark.parametrize(("text", "today", "prefer", "expected"), VALID_DATES)
def test_parse_date_valid(text: str, today: date, prefer: Prefer, expected: date) -> None:
    assert parse_date(text, today, prefer) == expected


def test_parse_date_defaults_to_past() -> None:
    assert parse_date("28/12", NEW_YEAR) == date(2026, 12, 28)


DATE_ERRORS: list[tuple[str, str, dict[str, object]]] = [
    ("", "empty", {}),
    ("   ", "empty", {}),
    ("tgl", "empty", {}),
    ("foo", "unrecognized", {}),
    ("28 Foo 2026", "unrecognized", {}),
    ("28 28", "unrecognized", {}),
    ("28 11", "unrecognized", {}),
    ("28/11/2026/1", "unrecognized", {}),
    ("28/11-2026", "unrecognized", {}),
    ("28/11/202", "unrecognized", {}),
    ("minggu depan", "unrecognized", {}),
    ("\u0662\u0668/11", "unrecognized", {}),  # Arabic-Indic digits
    ("31/02", "invalid_date", {"day": 31, "month": 2}),
    ("30/2", "invalid_date", {"day": 30, "month": 2}),
    ("32/1", "invalid_date", {"day": 32, "month": 1}),
    ("0/1", "invalid_date", {"day": 0, "month": 1}),
    ("1/13", "invalid_date", {"day": 1, "month": 13}),
    ("1/0", "invalid_date", {"day": 1, "month": 0}),
    ("31/04/2026", "invalid_date", {"day": 31, "month": 4, "year": 2026}),
    ("29/02/2027", "invalid_date", {"day": 29, "month": 2, "year": 2027}),
    ("29/02/27", "invalid_date", {"day": 29, "month": 2, "year": 2027}),
    ("29 Feb 2100", "invalid_date", {"day": 29, "month": 2, "year": 2100}),
    ("2026-13-01", "invalid_date", {"day": 1, "month": 13, "year": 2026}),
    ("31 Juni", "invalid_date", {"day": 31, "month": 6}),
    ("9.30", "invalid_date", {"day": 9, "month": 30}),
]


@pytest.mark.parametrize(("text", "code", "params"), DATE_ERRORS)
def test_parse_date_errors(text: str, code: str, params: dict[str, object]) -> None:
    with pytest.raises(DateError) as info:
        parse_date(text, TODAY)
    assert info.value.code == code
    assert info.value.params == {"text": text.strip(), **params}


def test_every_date_error_code_is_covered_twice() -> None:
    codes = [code for _, code, _ in DATE_ERRORS]
    for code in ("empty", "unrecognized", "invalid_date"):
        assert codes.count(code) >= 2, code


def test_date_error_is_a_parse_error() -> None:
    assert issubclass(DateError, ParseError)
    assert issubclass(TimeParseError, ParseError)


VALID_TIMES: list[tuple[str, time]] = [
    ("9", time(9, 0)),
    ("09", time(9, 0)),
    ("0", time(0, 0)),
    ("23", time(23, 0)),
    ("09:00", time(9, 0)),
    ("9:00", time(9, 0)),
    ("9.00", time(9, 0)),
    ("9:30", time(9, 30)),
    ("19.30", time(19, 30)),
    ("19:05", time(19, 5)),
    ("00:00", time(0, 0)),
    ("23:59", time(23, 59)),
    ("jam 9", time(9, 0)),
    ("Jam 14.00", time(14, 0)),
    ("jam9", time(9, 0)),
    ("pukul 09.30", time(9, 30)),
    ("Pukul 9:30", time(9, 30)),
    ("pkl 10", time(10, 0)),
    ("pkl. 10.15", time(10, 15)),
    ("09.00 WITA", time(9, 0)),
    ("09:00wita", time(9, 0)),
    ("pukul 19.30 Wita", time(19, 30)),
    ("  8.45  ", time(8, 45)),
    ("10.00.", time(10, 0)),
]


@pytest.mark.parametrize(("text", "expected"), VALID_TIMES)
def test_parse_time_valid(text: str, expected: time) -> None:
    assert parse_time(text) == expected


TIME_ERRORS: list[tuple[str, str, dict[str, object]]] = [
    ("", "empty", {}),
    ("  ", "empty", {}),
    ("abc", "unrecognized", {}),
    ("jam", "unrecognized", {}),
    ("0930", "unrecognized", {}),
    ("9:5", "unrecognized", {}),
    ("9.30 WIB", "unrecognized", {}),
    ("jam 7 malam", "unrecognized", {}),
    ("9 pagi", "unrecognized", {}),
    ("24:00", "invalid_time", {"hour": 24, "minute": 0}),
    ("25", "invalid_time", {"hour": 25, "minute": 0}),
    ("9:60", "invalid_time", {"hour": 9, "minute": 60}),
    ("jam 99.99", "invalid_time", {"hour": 99, "minute": 99}),
]


@pytest.mark.parametrize(("text", "code", "params"), TIME_ERRORS)
def test_parse_time_errors(text: str, code: str, params: dict[str, object]) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_time(text)
    assert info.value.code == code
    assert info.value.params == {"text": text.strip(), **params}


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 11, 28), "28 November 2026"),
        (date(2027, 1, 5), "5 Januari 2027"),
        (date(2026, 5, 1), "1 Mei 2026"),
    ],
)
def test_format_date_id(d: date, expected: str) -> None:
    assert format_date_id(d) == expected


# Four-digit years only: strftime("%Y") does not zero-pad years below 1000.
_dates = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))


@given(_dates)
def test_numeric_round_trip(d: date) -> None:
    assert parse_date(d.strftime("%d/%m/%Y"), TODAY) == d
    assert parse_date(d.strftime("%d-%m-%Y"), TODAY) == d
    assert parse_date(d.isoformat(), TODAY) == d


@given(_dates)
def test_indonesian_month_name_round_trip(d: date) -> None:
    assert parse_date(f"{d.day} {MONTH_NAMES_ID[d.month - 1]} {d.year}", TODAY) == d
    assert parse_date(format_date_id(d), TODAY) == d
    assert parse_date(f"{d.day} {MONTH_NAMES_ID[d.month - 1][:3].upper()} {d.year}", TODAY) == d


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)), st.dates())
def test_yearless_date_is_nearest_in_the_preferred_direction(d: date, today: date) -> None:
    text = f"{d.day}/{d.month}"
    try:
        past = parse_date(text, today, "past")
        future = parse_date(text, today, "future")
    except DateError as error:  # only at the very edges of the date range
        code = error.code
        assert code == "invalid_date"
        assert today.year < 10 or today.year > 9990
        return
    assert (past.day, past.month) == (d.day, d.month) == (future.day, future.month)
    assert past <= today <= future
    # Nothing with the same day and month lies strictly between past and today (or today and future).
    for year in range(past.year + 1, today.year + 1):
        candidate = _try(year, d.month, d.day)
        assert candidate is None or candidate > today
    for year in range(today.year, future.year):
        candidate = _try(year, d.month, d.day)
        assert candidate is None or candidate < today


def _try(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


@given(st.dates(min_value=date(1, 1, 3), max_value=date(9999, 12, 29)))
def test_relative_words(today: date) -> None:
    assert parse_date("hari ini", today) == today
    assert parse_date("kemarin", today) == today - timedelta(days=1)
    assert parse_date("besok", today) == today + timedelta(days=1)
    assert parse_date("lusa", today) == today + timedelta(days=2)


@given(st.times())
def test_time_round_trip(t: time) -> None:
    assert parse_time(f"{t.hour:02d}:{t.minute:02d}") == time(t.hour, t.minute)
    assert parse_time(f"pukul {t.hour}.{t.minute:02d} WITA") == time(t.hour, t.minute)


@given(st.text(max_size=20))
def test_arbitrary_text_never_crashes(text: str) -> None:
    codes: list[str] = []
    try:
        parse_date(text, TODAY)
    except DateError as error:
        codes.append(error.code)
    try:
        parse_time(text)
    except TimeParseError as error:
        codes.append(error.code)
    assert set(codes) <= {"empty", "unrecognized", "invalid_date", "invalid_time"}
