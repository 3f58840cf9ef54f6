"""Use cases of the monthly report (LPJ): one kelurahan's month, or the city's, as figures.

The bot (``/laporan``), the CLI (``pem-bot report``) and the monthly job all call these, then draw the files with
:mod:`messages.reports`. The figures are read without a transaction; :func:`record_download` audits who took
which report.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import tzinfo

from bot.domain.lpj import MonthlyReport, city_rows, month_bounds, monthly_report
from storage import audit, drafts
from storage.db import Database, Queryable
from storage.reports import lpj as read_model


@contextmanager
def _no_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while a report's facts are read and computed: they are hundreds of
    thousands of small objects, none of them garbage, and every collection would walk them all for nothing (half
    the city report's CPU time on the synthetic city, bench/report.py). Other coroutines run meanwhile (the reads
    await SQLite); reference counting still frees what they drop, and the collector resumes right after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


async def kelurahan_report(q: Queryable, code: str, year: int, month: int, tz: tzinfo) -> MonthlyReport:
    first, last = month_bounds(year, month)
    with _no_collection():
        facts = await read_model.facts(q, first, last, tz, code)
        if code not in facts:
            raise LookupError(f"no kelurahan {code}")
        return monthly_report(facts[code], year, month)


async def city_report(q: Queryable, year: int, month: int, tz: tzinfo) -> list[MonthlyReport]:
    """Every kelurahan's summary of the month (no rekap or cash-book lines), in the city report's order (arrears
    first)."""
    first, last = month_bounds(year, month)
    with _no_collection():
        facts = await read_model.facts(q, first, last, tz)
        return city_rows([monthly_report(f, year, month, summary_only=True) for f in facts.values()])


async def record_download(
    db: Database, *, person_id: int | None, scope: str, month: str, fmt: str, via: str, draft_of: int | None = None,
) -> None:
    """Audit who took which report (``report.downloaded``: scope is a kelurahan code or ``city``), and finish the
    /laporan form (``draft_of``) in the same transaction."""
    async with db.transaction() as tx:
        await audit.record(tx, "report.downloaded", actor_person_id=person_id, entity="report",
                           kelurahan_code=None if scope == "city" else scope,
                           details={"scope": scope, "month": month, "format": fmt, "via": via})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
