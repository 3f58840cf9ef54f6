"""Benchmark of the monthly report (LPJ, issue 15) on the synthetic city.

Command (from the repository root)::

    .venv/bin/python bench/report.py            # figures, ratios to the targets; exit 1 on a miss
    PEM_BENCH_CACHE=/tmp/other .venv/bin/python bench/report.py

The city comes from :func:`bench.common.city_db` (``pem-bot seed-synthetic`` code, 51 kelurahan × 300 borrowers,
3 years). The synthetic city has no receipts and no cash entries (they are issue 15's), so a fresh copy gets them
first, in bulk: one receipt per verified repayment (issued at its verification, voided when reversed) and, per
kelurahan, an opening balance, a grant per year, and a bank charge and bank interest every month. Then, for
October 2026 (the last whole month before the city's "today", 28 November 2026):

=====================  ======================================================================  ==========
figure                 code measured                                                           target
=====================  ======================================================================  ==========
kelurahan XLSX         ``bot.services.reports.kelurahan_report`` + ``kelurahan_xlsx``          ≤ 2 s
kelurahan PDF          ``kelurahan_report`` + ``kelurahan_pdf``                                 ≤ 2 s
city XLSX              ``bot.services.reports.city_report`` + ``city_xlsx`` (chart included)     ≤ 10 s
=====================  ======================================================================  ==========

Each is the median of 3 runs after one warm-up (a warm page cache, like the running bot); the CPU time
(``time.process_time``, both threads: Python and SQLite's) and the load average are printed beside it, since the
wall figure also counts whatever else the machine runs.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SIZES, TZ, city_db, fresh_copy, median, print_machine, run, timed

from bot.services.reports import city_report, kelurahan_report
from messages.reports.pdf import kelurahan_pdf
from messages.reports.xlsx import city_xlsx, kelurahan_xlsx
from storage.db import Database

TARGETS = {"kelurahan XLSX": 2.0, "kelurahan PDF": 2.0, "city XLSX": 10.0}
KELURAHAN = "53.71.05.1004"  # Naikoten Satu
YEAR, MONTH = 2026, 10


async def _book_of_record(db: Database) -> tuple[int, int]:
    """Receipts for every verified or reversed repayment, and a cash book per kelurahan (bulk SQL)."""
    await db.execute(
        """
        INSERT INTO receipts (number, kelurahan_code, year, seq, repayment_id, loan_id, amount, paid_on, issued_at,
                              code, voided_at, void_reason)
        SELECT k.short_code || '-' || substr(r.verified_at, 1, 4) || '-' || printf('%06d', r.id),
               l.kelurahan_code, CAST(substr(r.verified_at, 1, 4) AS INTEGER), r.id, r.id, r.loan_id, r.amount,
               r.paid_on, r.verified_at, 'BENCH1', r.reversed_at, r.reversal_reason
        FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id JOIN kelurahan AS k ON k.code = l.kelurahan_code
        WHERE r.status IN ('verified', 'reversed') AND r.verified_at IS NOT NULL
        """
    )
    codes = [r[0] for r in await db.fetchall("SELECT code FROM kelurahan ORDER BY code")]
    rows = []
    for code in codes:
        rows.append((code, "opening", "bank", 50_000_000, "2023-11-01", "Saldo awal"))
        for year in (2024, 2025, 2026):
            rows.append((code, "grant", "bank", 100_000_000, f"{year}-02-10", f"Hibah Pemkot {year}"))
        for year in (2024, 2025, 2026):
            for month in range(1, 13):
                if (year, month) > (2026, 11):
                    break
                rows.append((code, "bank_charge", None, 15_000, f"{year}-{month:02d}-28", "Biaya admin"))
                rows.append((code, "bank_interest", None, 12_500, f"{year}-{month:02d}-28", "Bunga"))
    await db.executemany(
        """
        INSERT INTO cash_entries (kelurahan_code, kind, account, amount, entry_date, description, recorded_at,
                                  idempotency_key)
        VALUES (:kel, :kind, :account, :amount, :day, :description, :day || ' 02:00:00', :key)
        """,
        [{"kel": r[0], "kind": r[1], "account": r[2], "amount": r[3], "day": r[4], "description": r[5],
          "key": f"bench-{n}"} for n, r in enumerate(rows)],
    )
    receipts = await db.fetchval("SELECT COUNT(*) FROM receipts")
    return int(receipts), len(rows)


async def main() -> int:
    print_machine()
    cached = await city_db(SIZES["1x"])
    path = fresh_copy(cached, "report-bench")
    db = await Database(path).open()
    try:
        receipts, entries = await _book_of_record(db)
        loans = await db.fetchval("SELECT COUNT(*) FROM loans")
        repayments = await db.fetchval("SELECT COUNT(*) FROM repayments")
        print(f"city: {loans:,} loans, {repayments:,} repayments, {receipts:,} receipts, {entries:,} cash entries")
        sizes: dict[str, int] = {}
        state: dict[str, object] = {}

        async def kel_xlsx() -> None:
            report = await kelurahan_report(db, KELURAHAN, YEAR, MONTH, TZ)
            state["kel"] = report
            sizes["kelurahan XLSX"] = len(kelurahan_xlsx(report, "id"))

        async def kel_pdf() -> None:
            report = await kelurahan_report(db, KELURAHAN, YEAR, MONTH, TZ)
            sizes["kelurahan PDF"] = len(kelurahan_pdf(report, "id"))

        async def city() -> None:
            reports = await city_report(db, YEAR, MONTH, TZ)
            state["city"] = reports
            sizes["city XLSX"] = len(city_xlsx(reports, YEAR, MONTH, "id"))

        results: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for name, fn in (("kelurahan XLSX", kel_xlsx), ("kelurahan PDF", kel_pdf), ("city XLSX", city)):
            started = time.process_time()
            results[name] = median(await timed(fn, repeat=3))
            cpu[name] = (time.process_time() - started) / 4  # the warm-up and 3 runs
        load = os.getloadavg()[0]
    finally:
        await db.close()
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()

    report = state["kel"]
    s = report.summary  # type: ignore[attr-defined]
    print(f"{report.name} {YEAR}-{MONTH:02d}: {len(report.lines)} loans in the rekap, "  # type: ignore[attr-defined]
          f"{len(report.book.lines)} cash-book lines, {len(report.receipts)} receipts; "  # type: ignore[attr-defined]
          f"due Rp{s.due_month:,}, collected Rp{s.collected:,}, PAR30 {float(s.par30 or 0):.1%}")
    missed = 0
    for name, seconds in results.items():
        target = TARGETS[name]
        ok = seconds <= target
        missed += not ok
        print(f"{name:16} {seconds * 1000:8.0f} ms wall  {cpu[name] * 1000:6.0f} ms CPU  target {target:.0f} s  "
              f"({seconds / target:.0%} of it)  {sizes[name] / 1024:.0f} KiB  {'ok' if ok else 'MISSED'}")
    print(f"load average during the run: {load:.1f} on {os.cpu_count()} cores (other work slows the wall figures)")
    return 1 if missed else 0


if __name__ == "__main__":
    run(main)
