"""Pure assembly of the digests: figures in, a JSON-ready template context out (no SQL, no Telegram).

The daily digest (``digest/daily``) and the city-wide one (``digest/city``) are rendered from the contexts
built here. Contexts hold only JSON types (ints, floats, strings, lists, dicts) because the scheduled digest is
stored in the outbox and rendered at send time in the recipient's language.

Decisions:

* "Yesterday" and "month to date" are as of the digest's data cut, the end of *yesterday* (WITA): the
  morning digest reports complete days. Month to date is therefore the instalments due from the 1st of
  yesterday's month through yesterday; on the 1st the digest shows the whole previous month. ``None`` rates
  (nothing due) show "-".
* The overdue list and the unreachable list hold at most :data:`LIST_LIMIT` names, then "dan N lainnya", so
  the message stays far below Telegram's 4096 characters whatever the size of the kelurahan.
* The city version is one line per kelurahan that has loans, sorted by PAR30 (worst first), then name.
* Karang Taruna (issue 5, :func:`events_context`): sign-ups since 00:00 WITA yesterday, the events of the next
  7 days (today included, cancelled ones left out) with seats taken/capacity and the waiting list, at most
  :data:`EVENT_LIST_LIMIT` then "dan N lainnya", titles cut to :data:`EVENT_TITLE_MAX` characters; and the
  latest outcome per trainee recorded in the last 90 days, counted by status. The city version adds one
  total line of sign-ups only (counts, no names, no titles).
* Promises to pay (issue 16, ``/kunjungan``): "due this week" counts the promises whose date falls Monday to
  Sunday of ``today``'s week (:func:`promise_week`), "broken" those judged broken whose date was in the 7
  days before ``today`` (:func:`broken_since`), so a broken promise shows in a week of digests, then drops.
* The weekly chart's figures come from here; the PNG is drawn by :mod:`bot.jobs.charts` (matplotlib is no
  part of the pure rules).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

LIST_LIMIT = 10
#: Upcoming events listed in the daily digest, and the length their titles are cut to.
EVENT_LIST_LIMIT = 10
EVENT_TITLE_MAX = 60
OUTCOME_STATUSES = ("own_business", "employed", "still_looking", "other")
#: Weeks shown in the weekly chart.
CHART_WEEKS = 12


def ratio(part: int, whole: int) -> float | None:
    return None if not whole else part / whole


def month_to_date(today: date) -> tuple[date, date]:
    """``(first, last)`` due dates of the month-to-date period as of the end of yesterday."""
    yesterday = today - timedelta(days=1)
    return yesterday.replace(day=1), yesterday


def chart_start(today: date, weeks: int = CHART_WEEKS) -> date:
    """The Monday starting the chart: ``weeks`` whole weeks ending on the Sunday before ``today``'s week."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(weeks=weeks)


def promise_week(today: date) -> tuple[date, date]:
    """Monday and Sunday of ``today``'s week."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def broken_since(today: date) -> date:
    return today - timedelta(days=7)


def age_hours(reported_at_utc: str | None, now: datetime) -> int | None:
    if reported_at_utc is None:
        return None
    reported = datetime.strptime(reported_at_utc[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return max(int((now - reported).total_seconds() // 3600), 0)


@dataclass(frozen=True)
class DailyFigures:
    """The figures of one kelurahan, as read by :mod:`storage.reports.digest` (any may be None: nothing happened)."""

    kelurahan_name: str
    today: date
    now: datetime
    yesterday: Any = None  # storage.reports.digest.Flow | None
    pending: Any = None  # storage.reports.digest.Pending | None
    collection: Any = None  # storage.reports.digest.Collection | None
    portfolio: Any = None  # storage.reports.digest.Portfolio | None
    overdue: Sequence[Any] = ()  # storage.reports.digest.OverdueBorrower, at most LIST_LIMIT
    unreachable: Sequence[Any] = ()  # storage.reports.digest.Unreachable, at most LIST_LIMIT
    events: Any = None  # storage.reports.events.EventDigest | None
    tz: Any = None  # the WITA zone, to show event start times (None: Asia/Makassar)
    promises: Any = None  # storage.reports.digest.Promises | None


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def events_context(section: Any, tz: Any = None) -> dict[str, Any]:
    """The Karang Taruna part of the daily digest from a :class:`storage.reports.events.EventDigest` (or None)."""
    from zoneinfo import ZoneInfo

    zone = tz or ZoneInfo("Asia/Makassar")
    upcoming = list(section.upcoming) if section else []
    outcomes = dict(section.outcomes_90d) if section else {}
    return {
        "signups": section.signups_since_yesterday if section else 0,
        "upcoming": [
            {"title": _short(u.title, EVENT_TITLE_MAX), "day": u.starts_at.astimezone(zone).date().isoformat(),
             "time": u.starts_at.astimezone(zone).strftime("%H.%M"), "registered": u.registered,
             "capacity": u.capacity, "waitlisted": getattr(u, "waitlisted", 0)}
            for u in upcoming[:EVENT_LIST_LIMIT]
        ],
        "upcoming_more": max(len(upcoming) - EVENT_LIST_LIMIT, 0),
        "outcomes": {s: int(outcomes.get(s, 0)) for s in OUTCOME_STATUSES},
        "outcomes_total": int(sum(outcomes.values())),
    }


def daily_context(f: DailyFigures) -> dict[str, Any]:
    start, end = month_to_date(f.today)
    due = f.collection.due if f.collection else 0
    on_time = f.collection.on_time if f.collection else 0
    late = f.collection.late if f.collection else 0
    p = f.portfolio
    overdue_total = f.overdue[0].total_in_kelurahan if f.overdue else 0
    unreachable_total = f.unreachable[0].total_in_kelurahan if f.unreachable else 0
    return {
        "kelurahan": f.kelurahan_name,
        "day": f.today.isoformat(),
        "yesterday": (f.today - timedelta(days=1)).isoformat(),
        "verified_count": f.yesterday.count if f.yesterday else 0,
        "verified_total": f.yesterday.total if f.yesterday else 0,
        "pending_count": f.pending.count if f.pending else 0,
        "pending_oldest_hours": age_hours(f.pending.oldest_reported_at, f.now) if f.pending else None,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "due": due,
        "collected_on_time": on_time,
        "collected_late": late,
        "rate": ratio(on_time + late, due),
        "rate_on_time": ratio(on_time, due),
        "rate_late": ratio(late, due),
        "loans": p.loans if p else 0,
        "outstanding": p.outstanding if p else 0,
        "outstanding_principal": p.outstanding_principal if p else 0,
        "par30": ratio(p.par30_principal, p.outstanding_principal) if p else None,
        "par1": ratio(p.par1_principal, p.outstanding_principal) if p else None,
        "buckets": list(p.buckets) if p else [0, 0, 0, 0, 0],
        "overdue": [{"name": o.name, "days": o.days, "amount": o.overdue} for o in f.overdue[:LIST_LIMIT]],
        "overdue_more": max(overdue_total - LIST_LIMIT, 0),
        "overdue_total": overdue_total,
        "unreachable": [{"name": u.name, "linked": u.linked} for u in f.unreachable[:LIST_LIMIT]],
        "unreachable_more": max(unreachable_total - LIST_LIMIT, 0),
        "unreachable_total": unreachable_total,
        "promises_due_week": f.promises.due_this_week if f.promises else 0,
        "promises_broken": f.promises.broken if f.promises else 0,
        **events_context(f.events, f.tz),
    }


def city_context(
    today: date,
    names: Mapping[str, str],
    portfolios: Mapping[str, Any],
    collections: Mapping[str, Any],
    signups: int = 0,
) -> dict[str, Any]:
    """One line per kelurahan with loans (active portfolio or instalments due this month), worst PAR30
    first."""
    start, end = month_to_date(today)
    lines = []
    for code in set(portfolios) | set(collections):
        p, c = portfolios.get(code), collections.get(code)
        par30 = ratio(p.par30_principal, p.outstanding_principal) if p else None
        lines.append({
            "name": names.get(code, code),
            "rate": ratio(c.on_time + c.late, c.due) if c else None,
            "par30": par30,
            "outstanding": p.outstanding if p else 0,
        })
    lines.sort(key=lambda line: (-(line["par30"] or 0.0), line["name"]))
    total_principal = sum(p.outstanding_principal for p in portfolios.values())
    total_due = sum(c.due for c in collections.values())
    return {
        "day": today.isoformat(),
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "lines": lines,
        "outstanding": sum(p.outstanding for p in portfolios.values()),
        "par30": ratio(sum(p.par30_principal for p in portfolios.values()), total_principal),
        "rate": ratio(sum(c.on_time + c.late for c in collections.values()), total_due),
        "signups": signups,
    }
