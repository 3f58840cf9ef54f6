"""Jobs: the morning digest (daily), its weekly chart (Mondays) and the treasurer nudge.

* :func:`run_daily` at ``settings.digest_time`` (07:00 WITA): every lurah gets ``digest/daily`` for their
  kelurahan, admins only after opting in (``people.digest_opt_in``, the button of /ringkasan), city staff get
  ``digest/city``. It goes out every day, even when nothing happened. Only reachable people (linked, not
  blocked). Dedupe ``digest:<kelurahan|city>:<date>:<person_id>``.
* :func:`run_weekly` on Mondays at the same time: the same recipients get a PNG chart (collections per week
  vs the amount due, last 12 weeks) as a photo through the outbox, as a separate message with a short caption.
  Dedupe ``digestchart:<kel|city>:<date>:<pid>``. The chart's labels are drawn in the recipient's language
  when it is enqueued (a photo cannot be re-rendered at send time; its caption can).
* :func:`run_nudge`: each reachable checker of a repayment that has waited more than 24 hours for verification
  (another treasurer; the lurah and admins when no treasurer can check it: :func:`bot.domain.roles.checkers`)
  gets ``digest/nudge``, once a day (dedupe ``nudge:<pid>:<date>``); nobody is nudged about their own report.

The contexts are built by :mod:`bot.services.digest` (shared with /ringkasan). All figures come from
:mod:`storage.reports.digest` (SQL aggregates); each is read once for the whole city and then
assembled per kelurahan by :mod:`bot.domain.digest`.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.domain import digest as assemble
from bot.jobs.base import JobSpec
from bot.jobs.charts import weekly_chart_png
from bot.services import repayments as repayment_service
from bot.services.digest import PENDING_NUDGE_AFTER, city_context, kelurahan_contexts
from messages import label, normalise_language
from storage import outbox
from storage.reports import digest as repo

log = logging.getLogger(__name__)

DIGEST_KIND = "digest"
CHART_KIND = "digest_chart"
NUDGE_KIND = "nudge"


async def _contexts(reads: Any, today: date, now: datetime, tz: Any, with_city: bool) -> tuple[Any, Any]:
    """Every kelurahan's digest context and the city's (run by :meth:`storage.db.Database.off_loop`)."""
    contexts = await kelurahan_contexts(reads, today, now, tz)
    return contexts, (await city_context(reads, today, tz) if with_city else None)


async def run_daily(db, now: datetime, settings: Any) -> int:
    tz = settings.timezone
    today = now.astimezone(tz).date()
    recipients = await repo.digest_recipients(db)
    if not recipients:
        return 0
    # Long work (51 kelurahan, ~1 s of reads and CPU): in the worker process on its own read-only connection, so
    # the replies to people meanwhile don't wait for it (issue 12; bench/latency.py run 4).
    contexts, city = await db.off_loop(_contexts, today, now, tz, any(r.role == "city" for r in recipients))
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


async def _chart(reads: Any, first: date, scope: str | None, lang: str) -> bytes:
    """One weekly chart as a PNG (run by :meth:`storage.db.Database.off_loop`)."""
    weeks = await repo.weekly(reads, first, assemble.CHART_WEEKS, scope)
    return weekly_chart_png(weeks, title=label("digest.chart_title", lang),
                            collected_label=label("digest.chart_collected", lang),
                            due_label=label("digest.chart_due", lang), unit_label=label("digest.chart_unit", lang))


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
            # matplotlib is CPU-bound (~0.1 s a chart, one per scope and language): read and drawn in the worker
            # process (a thread held the GIL: every reply waited for it; issue 12, bench/latency.py run 5)
            charts[(scope, lang)] = await db.off_loop(_chart, first, None if scope == "city" else scope, lang)
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
        for checker, count, oldest in await repayment_service.checkers_to_nudge(tx, now - PENDING_NUDGE_AFTER):
            queued += await outbox.enqueue(
                tx, kind=NUDGE_KIND, recipient_id=checker.id,
                dedupe_key=f"nudge:{checker.id}:{today.isoformat()}", template="digest/nudge",
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
