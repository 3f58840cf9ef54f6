"""The digest's contexts, built the same way for the 07:00 job (:mod:`bot.jobs.digest`) and for /ringkasan on
demand: figures from :mod:`storage.reports.digest` (SQL aggregates, each read once for the whole city),
assembled per kelurahan by :mod:`bot.domain.digest`. Read only: no transaction, no audit row."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from bot.domain import digest as assemble
from storage import disbursements as disbursement_repo
from storage import events as event_repo
from storage.db import Queryable
from storage.reports import digest as repo
from storage.reports import events as event_reports

#: A report waiting longer than this counts as "pending too long" (the treasurer nudge, the digest).
PENDING_NUDGE_AFTER = timedelta(hours=24)


def _local_midnight(day: date, tz) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


async def kelurahan_contexts(
    q: Queryable, today: date, now: datetime, tz, kelurahan_code: str | None = None
) -> dict[str, dict[str, Any]]:
    """``digest/daily`` contexts per kelurahan (every kelurahan that has any figure, or just
    ``kelurahan_code``, which is always present, with zeros when nothing is there)."""
    start, end = assemble.month_to_date(today)
    week_start, week_end = assemble.promise_week(today)
    figures = {
        "yesterday": await repo.verified_between(
            q, _local_midnight(today - timedelta(days=1), tz), _local_midnight(today, tz), kelurahan_code),
        "pending": await repo.pending(q, now - PENDING_NUDGE_AFTER, kelurahan_code),
        "collection": await repo.collection(q, start, end, kelurahan_code),
        "portfolio": await repo.portfolio(q, today, kelurahan_code),
        "overdue": await repo.most_overdue(q, today, kelurahan_code, limit=assemble.LIST_LIMIT),
        "unreachable": await repo.unreachable_borrowers(q, kelurahan_code, limit=assemble.LIST_LIMIT),
        "promises": await repo.promises(q, week_start, week_end, assemble.broken_since(today), today,
                                        kelurahan_code),
    }
    names = await repo.kelurahan_names(q)
    codes = set().union(*(f.keys() for f in figures.values()))
    if kelurahan_code is not None:
        codes = {kelurahan_code}
    return {
        code: {**assemble.daily_context(assemble.DailyFigures(
            kelurahan_name=names.get(code, code), today=today, now=now,
            yesterday=figures["yesterday"].get(code), pending=figures["pending"].get(code),
            collection=figures["collection"].get(code), portfolio=figures["portfolio"].get(code),
            overdue=figures["overdue"].get(code, ()), unreachable=figures["unreachable"].get(code, ()),
            promises=figures["promises"].get(code),
            events=await event_reports.digest_section(q, code, today, tz, now), tz=tz,  # Karang Taruna (issue 5)
        )), **disbursement_section(await disbursement_repo.open_for_kelurahan(q, code, limit=DISBURSEMENT_LINES))}
        for code in codes
    }


#: Disbursements listed in the digest (issue 15 part 3): the newest disputed and the oldest unconfirmed, each
#: with the total; the message must stay under Telegram's 4,096 characters with every other list full.
DISBURSEMENT_LINES = 2
DISBURSEMENT_NOTE_CHARS = 50


def disbursement_section(open_: disbursement_repo.OpenDisbursements) -> dict[str, Any]:
    """The ``dsb_*`` keys of ``digest/daily`` (JSON types only: the digest waits in the outbox)."""
    def line(d: disbursement_repo.Disbursement) -> dict[str, Any]:
        note = d.note or ""
        if len(note) > DISBURSEMENT_NOTE_CHARS:
            note = note[:DISBURSEMENT_NOTE_CHARS - 1] + "…"
        return {"name": d.borrower_name, "principal": d.principal, "disbursed_on": d.disbursed_on.isoformat(),
                "note": note}

    return {
        "dsb_disputed": [line(d) for d in open_.disputed[:DISBURSEMENT_LINES]],
        "dsb_disputed_total": len(open_.disputed),
        "dsb_unconfirmed": [line(d) for d in open_.unconfirmed[:DISBURSEMENT_LINES]],
        "dsb_unconfirmed_total": open_.unconfirmed_total,
        "dsb_unconfirmed_principal": open_.unconfirmed_principal,
    }


async def city_context(q: Queryable, today: date, tz=event_repo.WITA) -> dict[str, Any]:
    start, end = assemble.month_to_date(today)
    names = await repo.kelurahan_names(q)
    return assemble.city_context(
        today, names, await repo.portfolio(q, today), await repo.collection(q, start, end),
        signups=await event_reports.signups_since(q, today - timedelta(days=1), tz),
    )
