"""The pure rules of the warning letters (bot/domain/warnings.py, issue 16 part 1)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.warnings import (
    deadline,
    due_level,
    format_number,
    next_level,
    parse_steps,
    postponed_until,
    step_still_open,
)

STEPS = (30, 60, 90)


@pytest.mark.parametrize(("text", "steps"), [("30,60,90", (30, 60, 90)), (" 15 , 45 ", (15, 45)), ("7", (7,))])
def test_parse_steps(text, steps):
    assert parse_steps(text) == steps


@pytest.mark.parametrize("text", ["", "30,30", "60,30", "30,60,90,120", "0,30", "30,abc", "-5", "400"])
def test_parse_steps_refuses(text):
    with pytest.raises(ValueError, match="bad warning steps"):
        parse_steps(text)


@pytest.mark.parametrize(("days", "issued", "due"), [
    (0, set(), None), (29, set(), None), (30, set(), 1), (31, set(), 1),
    (95, set(), 1),  # very late, no letter yet: SP-1 first, never SP-2 or SP-3
    (59, {1}, None), (60, {1}, 2), (200, {1}, 2),
    (89, {1, 2}, None), (90, {1, 2}, 3), (400, {1, 2, 3}, None),
    (95, {2}, 3), (65, {2}, None),  # the next level is one above the highest issued
])
def test_due_level(days, issued, due):
    assert due_level(days, issued, STEPS) == due


def test_sp2_never_before_sp1_for_any_days_late():
    for days in range(0, 400):
        assert due_level(days, set(), STEPS) in (None, 1)
        assert due_level(days, {1}, STEPS) in (None, 2)


def test_fewer_steps_offer_fewer_letters():
    assert due_level(100, {1}, (30,)) is None
    assert next_level([]) == 1 and next_level([1, 2]) == 3


def test_dates_and_number():
    assert deadline(date(2026, 11, 28), 14) == date(2026, 12, 12)
    assert postponed_until(date(2026, 12, 28)) == date(2027, 1, 4)
    assert format_number("NKT1", 2, 2026, 7) == "NKT1/SP-2/2026/0007"
    with pytest.raises(ValueError, match="bad letter number"):
        format_number("NKT1", 4, 2026, 1)
    assert step_still_open(1) and not step_still_open(0)
