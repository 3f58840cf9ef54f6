"""The pause rules (bot/domain/pauses.py), with hand-computed dates."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.loans import Installment
from bot.domain.pauses import (
    Pause,
    PauseError,
    active_on,
    check_pause,
    clean_reason,
    days_in_arrears,
    move_due_date,
    move_schedule,
    overlapping,
    paused_days,
)

#: Seroja: 4 April – 3 May 2021, 30 days.
SEROJA = Pause(date(2021, 4, 4), date(2021, 5, 3))


def test_length_counts_both_ends():
    assert SEROJA.days == 30
    assert Pause(date(2026, 12, 1), date(2026, 12, 1)).days == 1


def test_a_due_date_inside_moves_by_the_length_and_outside_does_not():
    assert move_due_date(date(2021, 4, 4), [SEROJA]) == date(2021, 5, 4)  # first day: +30
    assert move_due_date(date(2021, 4, 10), [SEROJA]) == date(2021, 5, 10)
    assert move_due_date(date(2021, 5, 3), [SEROJA]) == date(2021, 6, 2)  # last day: +30
    assert move_due_date(date(2021, 4, 3), [SEROJA]) == date(2021, 4, 3)
    assert move_due_date(date(2021, 5, 4), [SEROJA]) == date(2021, 5, 4)


def test_a_date_moved_into_a_later_pause_moves_again():
    later = Pause(date(2021, 5, 8), date(2021, 5, 17))  # 10 days
    assert move_due_date(date(2021, 4, 10), [later, SEROJA]) == date(2021, 5, 20)  # 10 Apr +30 = 10 May, +10


def test_move_schedule_keeps_amounts_and_numbers():
    schedule = [Installment(1, date(2021, 3, 10), 500_000, 0), Installment(2, date(2021, 4, 10), 500_000, 0),
                Installment(3, date(2021, 5, 10), 500_000, 0)]
    moved = move_schedule(schedule, [SEROJA])
    assert [i.due_date for i in moved] == [date(2021, 3, 10), date(2021, 5, 10), date(2021, 5, 10)]
    assert [(i.number, i.principal_due) for i in moved] == [(1, 500_000), (2, 500_000), (3, 500_000)]


def test_days_in_arrears_freeze_during_the_pause():
    due = date(2021, 3, 25)  # 10 days late on 4 April, the first day of the pause
    assert days_in_arrears(due, date(2021, 4, 3), [SEROJA]) == 9
    assert days_in_arrears(due, date(2021, 4, 4), [SEROJA]) == 9  # the pause's first day does not count
    assert days_in_arrears(due, date(2021, 5, 3), [SEROJA]) == 9
    assert days_in_arrears(due, date(2021, 5, 4), [SEROJA]) == 10
    assert days_in_arrears(due, date(2021, 5, 4), []) == 40
    assert days_in_arrears(None, date(2021, 5, 4), [SEROJA]) == 0
    assert days_in_arrears(date(2021, 5, 4), date(2021, 5, 4), [SEROJA]) == 0


def test_paused_days_between():
    assert paused_days(date(2021, 3, 25), date(2021, 4, 10), [SEROJA]) == 7  # 4..10 April
    assert paused_days(date(2021, 4, 20), date(2021, 6, 1), [SEROJA]) == 13  # 21 April .. 3 May
    assert paused_days(date(2021, 5, 3), date(2021, 6, 1), [SEROJA]) == 0


def test_active_on_and_overlap():
    assert active_on(date(2021, 4, 4), [SEROJA]) and not active_on(date(2021, 5, 4), [SEROJA])
    assert overlapping(Pause(date(2021, 5, 3), date(2021, 5, 9)), [SEROJA]) == SEROJA
    assert overlapping(Pause(date(2021, 5, 4), date(2021, 5, 9)), [SEROJA]) is None


def test_checks():
    today = date(2026, 11, 28)
    assert check_pause(date(2026, 11, 20), date(2026, 12, 19), today).days == 30
    with pytest.raises(PauseError) as err:
        check_pause(date(2026, 12, 19), date(2026, 11, 20), today)
    assert err.value.code == "end_before_start"
    with pytest.raises(PauseError) as err:
        check_pause(date(2026, 11, 28), date(2027, 5, 27), today)  # 181 days
    assert err.value.code == "too_long"
    with pytest.raises(PauseError) as err:
        check_pause(date(2026, 9, 28), date(2026, 11, 30), today)  # 61 days back
    assert err.value.code == "too_old"
    assert clean_reason("  Siklon   Seroja ") == "Siklon Seroja"
    with pytest.raises(PauseError):
        clean_reason("12")
