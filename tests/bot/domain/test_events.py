"""Pure event rules: age ranges, capacity, deadline, age on the event date, seats, RT/RW."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain.events import (
    EventFormError,
    RegStatus,
    check_age,
    check_start,
    deadline_for,
    parse_age_range,
    parse_capacity,
    parse_rt_rw,
    seat_status,
)

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [("17-40", (17, 40)), ("17 – 40", (17, 40)), ("17 s/d 40", (17, 40)),
                                                ("18 sampai 35 tahun", (18, 35)), ("20-20", (20, 20))])
def test_age_range(text, expected):
    assert parse_age_range(text) == expected


@pytest.mark.parametrize(("text", "code"), [("muda", "ages_format"), ("40-17", "ages_order"), ("5-40", "ages_bounds"),
                                            ("17-81", "ages_bounds")])
def test_age_range_errors(text, code):
    with pytest.raises(EventFormError) as exc:
        parse_age_range(text)
    assert exc.value.code == code


def test_capacity():
    assert parse_capacity(" 25 ") == 25
    for text, code in [("0", "capacity_zero"), ("dua", "capacity_not_number"), ("-3", "capacity_not_number"),
                       ("5000", "capacity_large")]:
        with pytest.raises(EventFormError) as exc:
            parse_capacity(text)
        assert exc.value.code == code


def test_start_and_deadline():
    with pytest.raises(EventFormError, match="date_past"):
        check_start(date(2026, 11, 27), None, NOW, WITA)
    with pytest.raises(EventFormError, match="time_past"):
        check_start(date(2026, 11, 28), time(9, 59), NOW, WITA)
    start = check_start(date(2026, 12, 15), time(9, 0), NOW, WITA)
    assert start == datetime(2026, 12, 15, 9, 0, tzinfo=WITA)
    assert deadline_for(date(2026, 12, 15), start, NOW, WITA) == start
    assert deadline_for(date(2026, 12, 13), start, NOW, WITA) == datetime(2026, 12, 13, 23, 59, 59, tzinfo=WITA)
    with pytest.raises(EventFormError, match="deadline_after_start"):
        deadline_for(date(2026, 12, 16), start, NOW, WITA)
    with pytest.raises(EventFormError, match="deadline_past"):
        deadline_for(date(2026, 11, 27), start, NOW, WITA)


def test_age_on_event_day():
    born = date(2009, 12, 16)
    assert check_age(born, date(2026, 12, 15), 17, 40) == check_age(born, date(2026, 12, 15), 17, 40)
    assert not check_age(born, date(2026, 12, 15), 17, 40).ok  # turns 17 the day after
    assert check_age(born, date(2026, 12, 16), 17, 40).ok
    assert check_age(date(1986, 1, 1), date(2026, 12, 15), None, 40).age == 40
    assert not check_age(date(1985, 1, 1), date(2026, 12, 15), None, 40).ok


def test_seats_and_rt_rw():
    assert seat_status(1, 2) is RegStatus.REGISTERED and seat_status(2, 2) is RegStatus.WAITLISTED
    for text in ("003/002", "3/2", "RT 3 RW 2", "rt.03/rw.02", "RT/RW 003/002"):
        assert parse_rt_rw(text) == "003/002"
    for bad in ("rumah", "0/2", "1234/1"):
        with pytest.raises(EventFormError):
            parse_rt_rw(bad)
