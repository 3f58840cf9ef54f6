"""Warning letters (surat peringatan, SP-1 to SP-3), issue 16 part 1: the pure rules. Stdlib only, no I/O.

The juknis sanctions start with three warning letters, in order. The rules:

* **Steps.** ``PEM_WARNING_STEPS`` (default ``30,60,90``) are the days in arrears at which SP-1, SP-2 and SP-3
  fall due: one to three strictly increasing positive numbers (:func:`parse_steps`).
* **Which letter is due** (:func:`due_level`): the next level is one above the highest already issued for the
  loan (SP-1 when none was). It is due once the loan is at least that step's days late. So an SP-2 is never due
  before an SP-1 has been issued, nor an SP-3 before an SP-2, however late the loan is: a loan 95 days late with
  no letter is offered SP-1, then (once SP-1 is issued) SP-2 at the next daily run.
* **Escalation does not restart.** Letters count over the loan's whole life: a borrower who cleared the arrears
  after SP-1 and falls behind again is next offered SP-2, once at least the SP-2 step late (a cleared arrear is
  not forgiven history). After SP-3 no letter is offered; the juknis' next steps are a negotiated solution.
* **The deadline** printed on a letter is its issue day plus ``PEM_WARNING_DEADLINE_DAYS`` (default 14).
* **The number** is ``<short code>/SP-<level>/<year>/<seq>`` (``NKT1/SP-1/2026/0007``): one register per
  kelurahan and WITA year for all three levels, gap-free (``warning_counters``, storage/warnings.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from itertools import pairwise

MAX_LEVEL = 3
DEFAULT_STEPS = (30, 60, 90)
DEFAULT_DEADLINE_DAYS = 14
POSTPONE_DAYS = 7
REASON_MIN, REASON_MAX = 3, 200
ROMAN = {1: "I", 2: "II", 3: "III"}


def parse_steps(text: str) -> tuple[int, ...]:
    """``"30,60,90"`` → ``(30, 60, 90)``; ValueError unless one to three strictly increasing numbers 1–365."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not 1 <= len(parts) <= MAX_LEVEL or not all(p.isdigit() for p in parts):
        raise ValueError(f"bad warning steps: {text!r}")
    steps = tuple(int(p) for p in parts)
    if any(not 1 <= s <= 365 for s in steps) or any(a >= b for a, b in pairwise(steps)):
        raise ValueError(f"bad warning steps: {text!r}")
    return steps


def next_level(issued_levels: Iterable[int]) -> int:
    """The level of the next letter: one above the highest issued (1 when none was)."""
    return max(issued_levels, default=0) + 1


def due_level(days_late: int, issued_levels: Iterable[int], steps: tuple[int, ...]) -> int | None:
    """The level of the letter due now, or None (not late enough, or every level issued)."""
    level = next_level(issued_levels)
    if level > len(steps) or level > MAX_LEVEL:
        return None
    return level if days_late >= steps[level - 1] else None


def step_still_open(days_late: int) -> bool:
    """Whether an open step still applies: the loan is still in arrears. A payment that clears the arrears closes
    any open step; one that pays only part (the loan is now less late than the step) keeps it, since the
    arrears are not cleared."""
    return days_late > 0


def deadline(issued_on: date, days: int) -> date:
    return issued_on + timedelta(days=days)


def postponed_until(today: date, days: int = POSTPONE_DAYS) -> date:
    return today + timedelta(days=days)


def format_number(short_code: str, level: int, year: int, seq: int) -> str:
    if seq < 1 or level not in ROMAN:
        raise ValueError(f"bad letter number parts: level {level}, seq {seq}")
    return f"{short_code}/SP-{level}/{year:04d}/{seq:04d}"


def roman(level: int) -> str:
    return ROMAN[level]
