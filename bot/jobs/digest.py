"""Jobs: the morning digest (daily), its weekly chart (Mondays) and the treasurer nudge.

* :func:`run_daily` at ``settings.digest_time`` (07:00 WITA): every lurah gets ``digest/daily`` for their
  kelurahan, admins only after opting in (``people.digest_opt_in``, the button of /ringkasan), city staff get
  ``digest/city``. It goes out every day, even when nothing happened. Only reachable people (linked, not
  blocked). Dedupe ``digest:<kelurahan|city>:<date>:<person_id>``.
* :func:`run_weekly` on Mondays at the same time: the same recipients get a PNG chart (collections per week
  vs the amount due, last 12 weeks) as a photo through the outbox, as a separate message with a short caption.
  Dedupe ``digestchart:<kel|city>:<date>:<pid>``. The chart's labels are drawn in the recipient's language
  when it is enqueued (a photo cannot be re-rendered at send time; its caption can).
* :func:`run_nudge`: each reachable treasurer of a kelurahan where a repayment has waited more than 24 hours
  for verification gets ``digest/nudge``, once a day (dedupe ``nudge:<pid>:<date>``).

All figures come from :mod:`storage.reports.digest` (SQL aggregates); each is read once for the whole city and then
assembled per kelurahan by :mod:`bot.domain.digest`.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.domain import digest as assemble
from bot.jobs.base import JobSpec
from bot.jobs.charts import weekly_chart_png
from messages import label, normalise_language
from storage import events as event_repo
from storage import outbox
from storage.db import Queryable
from storage.reports import digest as repo
from storage.reports import events as event_reports

log = logging.getLogger(__name__)

DIGEST_KIND = "digest"
CHART_KIND = "digest_chart"
NUDGE_KIND = "nudge"
PENDING_NUDGE_AFTER = timedelta(hours=24)


def _local_midnight(day: date, tz) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


async def kelurahan_contexts(
    q: Queryable, today: date, now: datetime, tz, kelurahan_code: str | None = None
) -> dict[str, dict[str, Any]]:
    """``digest/daily`` contexts per kelurahan (every kelurahan that has any figure, or just
    ``kelurahan_code``, which is always present, with zeros when nothing is there)."""
    start, end = assemble.month_to_date(today)
    figures = {
        "yesterday": await repo.verified_between(
            q, _local_midnight(today - timedelta(days=1), tz), _local_midnight(today, tz), kelurahan_code),
        "pending": await repo.pending(q, now - PENDING_NUDGE_AFTER, kelurahan_code),
        "collection": await repo.collection(q, start, end, kelurahan_code),
        "portfolio": await repo.portfolio(q, today, kelurahan_code),
        "overdue": await repo.most_overdue(q, today, kelurahan_code, limit=assemble.LIST_LIMIT),
        "unreachable": await repo.unreachable_borrowers(q, kelurahan_code, limit=assemble.LIST_LIMIT),
    }
    names = await repo.kelurahan_names(q)
    codes = set().union(*(f.keys() for f in figures.values()))
    if kelurahan_code is not None:
        codes = {kelurahan_code}
    return {
        code: assemble.daily_context(assemble.DailyFigures(
            kelurahan_name=names.get(code, code), today=today, now=now,
            yesterday=figures["yesterday"].get(code), pending=figures["pending"].get(code),
            collection=figures["collection"].get(code), portfolio=figures["portfolio"].get(code),
            overdue=figures["overdue"].get(code, ()), unreachable=figures["unreachable"].get(code, ()),
            events=await event_reports.digest_section(q, code, today, tz), tz=tz,  # Karang Taruna (issue 5)
        ))
        for code in codes
    }


async def city_context(q: Queryable, today: date, tz=event_repo.WITA) -> dict[str, Any]:
    start, end = assemble.month_to_date(today)
    names = await repo.kelurahan_names(q)
    return assemble.city_context(
        today, names, await repo.portfolio(q, today), await repo.collection(q, start, end),
        signups=await event_reports.signups_since(q, today - timedelta(days=1), tz),
    )


async def run_daily(db, now: datetime, settings: Any) -> int:
    tz = settings.timezone
    today = now.astimezone(tz).date()
    recipients = await repo.digest_recipients(db)
    if not recipients:
        return 0
    async with db.snapshot() as reads:  # the read-only connection: replies meanwhile don't wait (issue 12)
        contexts = await kelurahan_contexts(reads, today, now, tz)
        city = await city_context(reads, today, tz) if any(r.role == "city" for r in recipients) else None
    queued = 0
    async with db.transaction() as tx:
        for r in recipients:
            if r.role == "city":
                template, scope, context = "digest/city", "city", city
            elif r.kelurahan_code is None:
                continue
            else:
                template, scope = "digest/daily", r.kelurahan_code
                context = contexts.get(r.kelurahan_code)
                if context is None:  # a kelurahan without any loan yet: the digest still goes out
                    alone = await kelurahan_contexts(tx, today, now, tz, r.kelurahan_code)
                    context = alone[r.kelurahan_code]
            assert context is not None
            queued += await outbox.enqueue(
                tx, kind=DIGEST_KIND, recipient_id=r.person_id,
                dedupe_key=f"digest:{scope}:{today.isoformat()}:{r.person_id}", template=template,
                context={**context, "scheduled": True}, not_before=now,
            )
    log.info("daily digest for %s: %d queued", today, queued)
    return queued


async def run_weekly(db, now: datetime, settings: Any) -> int:
    """The Monday chart (the job registry runs it on Mondays only; it does not check the weekday itself)."""
    tz = settings.timezone
    today = now.astimezone(tz).date()
    first = assemble.chart_start(today)
    recipients = await repo.digest_recipients(db)
    charts: dict[tuple[str, str], bytes] = {}
    queued = 0
    for r in recipients:
        scope = "city" if r.role == "city" else r.kelurahan_code
        if scope is None:
            continue
        lang = normalise_language(r.language)
        if (scope, lang) not in charts:
            async with db.snapshot() as reads:
                weeks = await repo.weekly(reads, first, assemble.CHART_WEEKS, None if scope == "city" else scope)
            charts[(scope, lang)] = weekly_chart_png(
                weeks, title=label("digest.chart_title", lang),
                collected_label=label("digest.chart_collected", lang),
                due_label=label("digest.chart_due", lang), unit_label=label("digest.chart_unit", lang),
            )
        queued += await outbox.enqueue(
            db, kind=CHART_KIND, recipient_id=r.person_id,
            dedupe_key=f"digestchart:{scope}:{today.isoformat()}:{r.person_id}",
            template="digest/weekly_chart",
            context={"first": first.isoformat(), "last": (today - timedelta(days=1)).isoformat(),
                     "weeks": assemble.CHART_WEEKS},
            not_before=now, photo=charts[(scope, lang)],
        )
    log.info("weekly chart for %s: %d queued", today, queued)
    return queued


async def run_nudge(db, now: datetime, settings: Any) -> int:
    today = now.astimezone(settings.timezone).date()
    queued = 0
    async with db.transaction() as tx:
        for treasurer, count, oldest in await repo.treasurers_to_nudge(tx, now - PENDING_NUDGE_AFTER):
            queued += await outbox.enqueue(
                tx, kind=NUDGE_KIND, recipient_id=treasurer.person_id,
                dedupe_key=f"nudge:{treasurer.person_id}:{today.isoformat()}", template="digest/nudge",
                context={"count": count, "oldest_hours": assemble.age_hours(oldest, now)}, not_before=now,
            )
    return queued


def _digest_time(settings: Any) -> time:
    return settings.digest_time


JOBS: list[JobSpec] = [
    JobSpec("digest", _digest_time, run_daily),
    JobSpec("digest_weekly", _digest_time, run_weekly, weekdays=frozenset({0})),
    JobSpec("treasurer_nudge", _digest_time, run_nudge),
]
