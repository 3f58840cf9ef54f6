"""Job: the monthly report (LPJ) of the previous month to every lurah and treasurer, on the 1st at the digest
time (07:00 WITA).

The job runs daily (the registry's slot is the WITA date) and does something only on the 1st. Each reachable
(linked, active, not blocked) lurah and treasurer of a kelurahan gets ``lpj/monthly`` through the outbox: the
month's headline figures and two buttons, ``lpjf:<YYYY-MM>:xlsx`` and ``…:pdf``, which send the files
(:func:`handlers.report.file_pressed`). Dedupe ``lpj:<kelurahan>:<YYYY-MM>:<person id>``: exactly once per
person and month, whatever the ticks and restarts.

Why buttons and not the file in the outbox row: the report names every borrower with their loan and arrears
(specific personal data under UU 27/2022), and outbox rows are kept after sending (a photo BLOB stays); a file
built when the button is pressed is never copied into the outbox, and the presser's role is checked at that moment
(a lurah replaced since the 1st gets nothing). The outbox also carries only text and photos today. The file is the
same whenever it is built, since every figure is as of the month's end (bot/domain/lpj.py).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from bot.domain.lpj import previous_months
from bot.jobs.base import JobSpec
from bot.services import reports as report_service
from storage import outbox
from storage.reports import lpj as read_model

log = logging.getLogger(__name__)

KIND = "lpj"
FILE_PREFIX = "lpjf"


def _ratio(value: Any) -> float | None:
    return None if value is None else float(value)


async def run_monthly(db, now: datetime, settings: Any) -> int:
    today = now.astimezone(settings.timezone).date()
    if today.day != 1:
        return 0
    year, month = previous_months(today, 1)[0]
    key = f"{year:04d}-{month:02d}"
    recipients = await read_model.monthly_recipients(db)
    if not recipients:
        return 0
    wanted = {r.kelurahan_code for r in recipients}
    reports = {r.code: r for r in await report_service.city_report(db, year, month, settings.timezone)
               if r.code in wanted}
    queued = 0
    async with db.transaction() as tx:
        for r in recipients:
            report = reports.get(r.kelurahan_code)
            if report is None:
                continue
            s = report.summary
            queued += await outbox.enqueue(
                tx, kind=KIND, recipient_id=r.person_id, dedupe_key=f"lpj:{r.kelurahan_code}:{key}:{r.person_id}",
                template="lpj/monthly",
                context={"month_first": date(year, month, 1), "name": report.name, "due": s.due_month,
                         "collected": s.collected, "rate": _ratio(s.rate_with_late), "par30": _ratio(s.par30),
                         "balance": s.total_balance, "difference": s.reconciliation},
                buttons=[[("lpj.format_xlsx", f"{FILE_PREFIX}:{key}:xlsx"),
                          ("lpj.format_pdf", f"{FILE_PREFIX}:{key}:pdf")]],
                not_before=now,
            )
    log.info("monthly report %s: %d queued", key, queued)
    return queued


def _digest_time(settings: Any):
    return settings.digest_time


JOBS: list[JobSpec] = [JobSpec("lpj_monthly", _digest_time, run_monthly)]
