"""Visits to borrowers and promises to pay (janji bayar), the pure rules (issue 16, part 2). Stdlib only.

* A visit has a date (not in the future, at most :data:`MAX_PAST_DAYS` back), one of :data:`OUTCOMES`, a note
  (:data:`NOTE_MAX` characters at most) and optionally a photo and a promise to pay.
* A promise is asked only when someone could make it: not when the borrower moved away or refused
  (:func:`promise_possible`). Its amount is 1 rupiah up to what the loan still owes; its date is from the
  visit's day up to :data:`PROMISE_MAX_DAYS` ahead.
* **Kept or broken** (:func:`promise_kept`), judged on the day after the promise date: kept when the
  verified payments on the loan paid on or after the visit's date add up to at least the promised amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal

OUTCOMES = ("met", "not_home", "moved", "closed", "refused")
Outcome = Literal["met", "not_home", "moved", "closed", "refused"]
NOTE_MAX = 500
MAX_PAST_DAYS = 60
PROMISE_MAX_DAYS = 60


class VisitError(ValueError):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def check_visit_date(day: date, today: date) -> date:
    if day > today:
        raise VisitError("future", day=day)
    if day < today - timedelta(days=MAX_PAST_DAYS):
        raise VisitError("too_old", day=day, max=MAX_PAST_DAYS)
    return day


def clean_note(text: str) -> str:
    note = " ".join(text.split())
    if not note:
        raise VisitError("note_empty")
    if len(note) > NOTE_MAX:
        raise VisitError("note_too_long", max=NOTE_MAX)
    return note


def promise_possible(outcome: str) -> bool:
    return outcome not in ("moved", "refused")


def check_promise_amount(amount: int, outstanding: int) -> int:
    if amount <= 0:
        raise VisitError("promise_zero")
    if amount > outstanding:
        raise VisitError("promise_too_much", outstanding=outstanding)
    return amount


def check_promise_date(day: date, visited_on: date, today: date) -> date:
    if day < max(visited_on, today):
        raise VisitError("promise_past", day=day)
    if day > today + timedelta(days=PROMISE_MAX_DAYS):
        raise VisitError("promise_too_far", day=day, max=PROMISE_MAX_DAYS)
    return day


def promise_kept(promised: int, visited_on: date, payments: Iterable[tuple[date, int]]) -> tuple[bool, int]:
    """``(kept, paid)``: ``paid`` is the sum of the verified payments ``(paid_on, amount)`` on or after
    ``visited_on``; kept when it reaches ``promised``."""
    paid = sum(amount for paid_on, amount in payments if paid_on >= visited_on)
    return paid >= promised, paid
