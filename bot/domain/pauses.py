"""A pause (penundaan) after a disaster: the pure rules (issue 16, part 4). Stdlib only; pauses are data.

A :class:`Pause` covers the calendar days ``starts_on`` … ``ends_on`` (WITA, both included) in one or more
kelurahan. Its length is ``ends_on - starts_on + 1`` days. The rules, as documented in the README:

1. **Due dates inside a pause move by its length.** An unpaid instalment due on a day inside the pause is due
   ``length`` days later (:func:`move_due_date`). A due date before or after the pause does not move. Pauses
   are applied oldest first, so a date moved into a later pause moves again. Paid instalments keep their
   date (nothing is owed, and the on-time record of a paid one must not change).
2. **Days in arrears do not grow during a pause.** Days in arrears = days from the due date of the oldest
   unpaid instalment to today, *minus the paused days in between* (:func:`days_in_arrears`); the
   kolektibilitas bucket follows from that figure. A loan 9 days late the day before a pause starts is still 9
   days late on the pause's last day, and 10 the day after.
3. **Silence.** While a pause covers today (:func:`active_on`), no D+ reminder, escalation or promise reminder
   goes out in its kelurahan.

4. **A reschedule and a pause.** A reschedule keeps every instalment something was paid on with the due date it
   has (moved or not) and replaces the rest; the new instalments follow rule 1 too (:func:`move_plan`): one that
   falls inside a pause already declared moves by its length. Days in arrears then start again from the new
   schedule, with paused days still taken out (rule 2).

Two pauses of the same kelurahan may not overlap (:func:`overlapping`), so no day is counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from bot.domain.loans import Installment, ReschedulePlan

__all__ = ["MAX_PAST_DAYS", "MAX_PAUSE_DAYS", "REASON_MAX", "REASON_MIN", "Pause", "PauseError", "active_on",
           "check_pause", "clean_reason", "days_in_arrears", "move_due_date", "move_plan", "move_schedule",
           "overlapping",
           "paused_days"]

#: The longest pause one declaration may cover, in days.
MAX_PAUSE_DAYS = 180
#: How far back a pause may start (a pause is often declared some days after the disaster).
MAX_PAST_DAYS = 60
REASON_MIN, REASON_MAX = 3, 200

PauseErrorCode = Literal["end_before_start", "too_long", "too_old", "reason"]


class PauseError(ValueError):
    def __init__(self, code: PauseErrorCode, **params: object) -> None:
        super().__init__(code)
        self.code: PauseErrorCode = code
        self.params = params


@dataclass(frozen=True)
class Pause:
    starts_on: date
    ends_on: date  # included

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def check_pause(starts_on: date, ends_on: date, today: date) -> Pause:
    """The pause from ``starts_on`` to ``ends_on``, or :class:`PauseError` (end before start, longer than
    :data:`MAX_PAUSE_DAYS`, starting more than :data:`MAX_PAST_DAYS` before ``today``)."""
    if ends_on < starts_on:
        raise PauseError("end_before_start", starts_on=starts_on, ends_on=ends_on)
    pause = Pause(starts_on, ends_on)
    if pause.days > MAX_PAUSE_DAYS:
        raise PauseError("too_long", days=pause.days, max=MAX_PAUSE_DAYS)
    if starts_on < today - timedelta(days=MAX_PAST_DAYS):
        raise PauseError("too_old", starts_on=starts_on, max=MAX_PAST_DAYS)
    return pause


def clean_reason(text: str) -> str:
    reason = " ".join(text.split())
    if not REASON_MIN <= len(reason) <= REASON_MAX or not any(c.isalpha() for c in reason):
        raise PauseError("reason", min=REASON_MIN, max=REASON_MAX)
    return reason


def overlapping(pause: Pause, others: Iterable[Pause]) -> Pause | None:
    """The first of ``others`` sharing a day with ``pause``, or None."""
    return next((o for o in others if o.starts_on <= pause.ends_on and pause.starts_on <= o.ends_on), None)


def _ordered(pauses: Iterable[Pause]) -> list[Pause]:
    return sorted(pauses, key=lambda p: (p.starts_on, p.ends_on))


def move_due_date(due: date, pauses: Iterable[Pause]) -> date:
    """Rule 1: a due date inside a pause moves by the pause's length (oldest pause first)."""
    for pause in _ordered(pauses):
        if pause.covers(due):
            due += timedelta(days=pause.days)
    return due


def move_schedule(schedule: Sequence[Installment], pauses: Iterable[Pause]) -> list[Installment]:
    """The schedule with rule 1 applied to every instalment (a schedule written after a pause was declared)."""
    ordered = _ordered(pauses)
    return [replace(i, due_date=move_due_date(i.due_date, ordered)) for i in schedule]


def move_plan(plan: ReschedulePlan, pauses: Iterable[Pause]) -> ReschedulePlan:
    """Rule 4: the reschedule with rule 1 applied to its new instalments (the kept ones keep their dates);
    ``plan.paused_from`` records the date each moved one was planned for."""
    ordered = _ordered(pauses)
    new = tuple(replace(i, due_date=move_due_date(i.due_date, ordered)) for i in plan.new)
    moved = tuple((n.number, p.due_date) for n, p in zip(new, plan.new, strict=True) if n.due_date != p.due_date)
    return replace(plan, new=new, paused_from=moved)


def paused_days(after: date, through: date, pauses: Iterable[Pause]) -> int:
    """How many days ``d`` with ``after < d <= through`` lie inside a pause."""
    total = 0
    for pause in pauses:
        first = max(after + timedelta(days=1), pause.starts_on)
        last = min(through, pause.ends_on)
        if last >= first:
            total += (last - first).days + 1
    return total


def days_in_arrears(oldest_unpaid_due: date | None, today: date, pauses: Iterable[Pause]) -> int:
    """Rule 2: ``today`` − the oldest unpaid due date, minus the paused days in between; 0 when not overdue."""
    if oldest_unpaid_due is None or oldest_unpaid_due >= today:
        return 0
    return max((today - oldest_unpaid_due).days - paused_days(oldest_unpaid_due, today, list(pauses)), 0)


def active_on(day: date, pauses: Iterable[Pause]) -> bool:
    """Rule 3: whether a pause covers ``day``."""
    return any(p.covers(day) for p in pauses)
