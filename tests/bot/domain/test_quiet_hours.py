"""Quiet hours: the window, half-open, crossing midnight or not."""

from __future__ import annotations

from datetime import UTC, time

import pytest

from bot.domain.quiet_hours import is_quiet, next_allowed
from tests.jobs_fixtures import WITA, wita

NIGHT = (time(20, 0), time(7, 0))


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [(time(19, 59), False), (time(20, 0), True), (time(23, 59), True), (time(0, 0), True), (time(6, 59), True),
     (time(7, 0), False), (time(12, 0), False)],
)
def test_window_crossing_midnight(clock: time, quiet: bool):
    assert is_quiet(clock, *NIGHT) is quiet


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [(time(12, 59), False), (time(13, 0), True), (time(13, 30), True), (time(14, 0), False), (time(2, 0), False)],
)
def test_window_within_a_day(clock: time, quiet: bool):
    assert is_quiet(clock, time(13, 0), time(14, 0)) is quiet


def test_outside_the_window_nothing_moves():
    moment = wita(2026, 12, 5, 8, 0)
    assert next_allowed(moment, *NIGHT, WITA) == moment


def test_evening_goes_to_next_morning():
    assert next_allowed(wita(2026, 12, 5, 21, 30), *NIGHT, WITA) == wita(2026, 12, 6, 7, 0)
    assert next_allowed(wita(2026, 12, 31, 20, 0), *NIGHT, WITA) == wita(2027, 1, 1, 7, 0)


def test_after_midnight_goes_to_the_same_morning():
    assert next_allowed(wita(2026, 12, 6, 0, 15), *NIGHT, WITA) == wita(2026, 12, 6, 7, 0)
    assert next_allowed(wita(2026, 12, 6, 6, 59), *NIGHT, WITA) == wita(2026, 12, 6, 7, 0)


def test_utc_in_utc_out():
    # 21:00 WITA is 13:00 UTC; the answer is 07:00 WITA next day = 23:00 UTC, still in UTC
    result = next_allowed(wita(2026, 12, 5, 21, 0).astimezone(UTC), *NIGHT, WITA)
    assert result.tzinfo is UTC
    assert result == wita(2026, 12, 6, 7, 0)


def test_daytime_window():
    assert next_allowed(wita(2026, 12, 5, 13, 10), time(13, 0), time(14, 0), WITA) == wita(2026, 12, 5, 14, 0)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        next_allowed(wita(2026, 12, 5).replace(tzinfo=None), *NIGHT, WITA)
