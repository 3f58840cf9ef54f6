"""Query benchmarks on the synthetic city, at 1× and 10× the data (issue 6, part 2 of the targets list).

Command (from the repository root)::

    .venv/bin/python bench/queries.py            # both sizes, figures + growth ratios
    .venv/bin/python bench/queries.py --plans    # also EXPLAIN QUERY PLAN of every query measured
    .venv/bin/python bench/queries.py --only 1x  # one size; --rebuild rebuilds the cached cities

The cities come from :func:`bench.common.city_db` (``pem-bot seed-synthetic`` code, cached in /tmp/pem-bench;
the first run builds the 10× city in about 5 minutes). Every figure runs the bot's own code, not a copy of it:

=====================  ======================================================================  ==============
figure                 code measured                                                           target
=====================  ======================================================================  ==============
kelurahan digest       ``bot.services.digest.kelurahan_contexts(code)`` + ``render("digest/daily")``  ≤ 50 ms
city digest            ``bot.services.digest.city_context`` + ``render("digest/city")``              ≤ 500 ms
all 51 digests         ``kelurahan_contexts(None)`` (what the 07:00 job reads; informative)    —
reminder planning      ``bot.jobs.reminders.run`` at 08:00 on a fresh copy (plan + enqueue)    ≤ 1 s
/pinjaman              ``handlers.loan_view.loan_entries`` (``loans.for_borrower``, ``summary``,  p95 ≤ 10 ms
                       ``repayments.recent_for_loan``) for 1,000 random borrowers
import 1,000 rows      ``pem-bot import-loans FILE`` through ``bot.cli.run.main`` on a fresh copy     ≤ 5 s
=====================  ======================================================================  ==============

Digest figures are the median of 5 runs after one warm-up (a warm page cache, like the running bot); the
reminder run and the import are single runs on a fresh copy (they write). The targets are checked on the
synthetic city (1×); growth = 10× figure ÷ 1× figure must be at most linear (≤ :data:`MAX_GROWTH`, i.e. 10 plus
noise; per-borrower figures stay ~1). Exit status 1 when a target is missed or growth is superlinear.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import os
import random
import sqlite3
import sys
import time
from datetime import UTC, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    CACHE,
    NOW,
    SIZES,
    TODAY,
    TZ,
    city_db,
    fresh_copy,
    median,
    p95,
    print_machine,
    settings_for,
    timed,
)

from bot.jobs import reminders as reminders_job
from bot.runtime import clock
from bot.services import digest as digest_service
from handlers import loan_view
from messages import render
from storage.db import Database
from storage.reports import reminders as reminders_repo

TARGETS = {  # seconds
    "kelurahan digest": 0.050,
    "city digest": 0.500,
    "all 51 digests": None,
    "reminder planning": 1.0,
    "/pinjaman p95": 0.010,
    "import 1,000 rows": 5.0,
}
KELURAHAN = "53.71.05.1004"  # Naikoten Satu
#: 10× the data may cost at most this many times the 1× figure (linear, plus noise: page cache, timer)
MAX_GROWTH = 12.5
BORROWERS_SAMPLED = 1_000
IMPORT_ROWS = 1_000


class Recorder:
    """A Queryable that records every SELECT it runs (for EXPLAIN QUERY PLAN) and passes it on."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.seen: dict[str, tuple[str, dict]] = {}

    def _note(self, sql: str, params) -> None:
        key = " ".join(sql.split())
        if key.upper().startswith(("SELECT", "WITH")) and key not in self.seen:
            self.seen[key] = (sql, dict(params or {}))

    async def fetchall(self, sql, params=None):
        self._note(sql, params)
        return await self.db.fetchall(sql, params)

    async def fetchone(self, sql, params=None):
        self._note(sql, params)
        return await self.db.fetchone(sql, params)

    async def fetchval(self, sql, params=None):
        self._note(sql, params)
        return await self.db.fetchval(sql, params)

    async def execute(self, sql, params=None):
        return await self.db.execute(sql, params)

    async def executemany(self, sql, seq):
        return await self.db.executemany(sql, seq)


def _stub_context(db: Any, settings) -> Any:
    """What ``handlers.common.app_of(context)`` needs: ``context.application.db`` and ``.settings``."""
    return SimpleNamespace(application=SimpleNamespace(db=db, settings=settings))


async def _digests(db: Any, results: dict[str, float]) -> None:
    async def kelurahan() -> None:
        contexts = await digest_service.kelurahan_contexts(db, TODAY, NOW, TZ, KELURAHAN)
        render("digest/daily", "id", **contexts[KELURAHAN])

    async def city() -> None:
        render("digest/city", "id", **await digest_service.city_context(db, TODAY))

    async def everyone() -> None:
        await digest_service.kelurahan_contexts(db, TODAY, NOW, TZ)

    results["kelurahan digest"] = median(await timed(kelurahan))
    results["city digest"] = median(await timed(city))
    results["all 51 digests"] = median(await timed(everyone, repeat=3))


async def _pinjaman(db: Any, settings, results: dict[str, float], sample: int = BORROWERS_SAMPLED) -> None:
    ids = [r[0] for r in await db.fetchall(
        "SELECT DISTINCT borrower_id FROM loans ORDER BY borrower_id")]
    chosen = random.Random(1).sample(ids, min(sample, len(ids)))
    context = _stub_context(db, settings)
    times = []
    for borrower_id in chosen:
        started = time.perf_counter()
        entries = await loan_view.loan_entries(context, borrower_id)
        times.append(time.perf_counter() - started)
        assert entries
    results["/pinjaman p95"] = p95(times)
    results["/pinjaman median"] = median(times)


async def _reminders(path: Path, results: dict[str, float], counts: dict[str, int]) -> None:
    copy = fresh_copy(path, "reminders-run")
    settings = settings_for(copy)
    db = await Database(copy).open()
    try:
        started = time.perf_counter()
        queued = await reminders_job.run(db, NOW.astimezone(UTC), settings)
        results["reminder planning"] = time.perf_counter() - started
        counts["reminders queued"] = queued
        targets = {o: TODAY - timedelta(days=o) for o in settings.reminder_offsets}
        results["planning query alone"] = median(await timed(lambda: reminders_repo.due_on(db, targets)))
    finally:
        await db.close()


async def _import_file(path: Path, target: Path) -> None:
    """1,000 rows: 900 new borrowers, 100 existing ones matched by phone (they take a second loan)."""
    db = await Database(path).open()
    try:
        existing = await db.fetchall(
            """SELECT p.name, p.phone, p.kelurahan_code FROM people AS p
               JOIN person_roles AS r ON r.person_id = p.id AND r.role = 'borrower'
               WHERE p.phone IS NOT NULL ORDER BY p.id LIMIT 100""")
    finally:
        await db.close()
    rng = random.Random(6)
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "phone", "nik", "kelurahan", "business", "principal", "disbursed_on",
                         "tenor_months", "grace_months", "fee_percent"])
        for n in range(IMPORT_ROWS):
            if n < len(existing):
                name, phone, kel = existing[n]["name"], existing[n]["phone"], existing[n]["kelurahan_code"]
            else:
                name = f"Peminjam Impor {n:04d}"
                phone = f"0819{rng.randint(10_000_000, 99_999_999)}"
                kel = "Naikoten Satu"
            writer.writerow([name, phone, "", kel, "warung sembako", f"{rng.randint(2, 20) * 500_000}",
                             (TODAY - timedelta(days=rng.randint(1, 60))).strftime("%d/%m/%Y"),
                             rng.choice((12, 18)), rng.choice((0, 1)), 0])


def _import(path: Path, results: dict[str, float], counts: dict[str, int]) -> None:
    from bot.cli import run as cli

    copy = fresh_copy(path, "import-run")
    csv_path = CACHE / "import-1000.csv"
    asyncio.run(_import_file(copy, csv_path))
    environ = {"PEM_DATABASE": str(copy), "TELEGRAM_BOT_TOKEN": "", "TELEGRAM_BOT_USERNAME": "pem_bench_bot",
               "PEM_LANGUAGE": "id", "PEM_LOG_LEVEL": "WARNING"}
    saved = {k: os.environ.get(k) for k in environ}
    os.environ.update(environ)
    output = io.StringIO()
    try:
        started = time.perf_counter()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            status = cli.main(["import-loans", str(csv_path)])
        results["import 1,000 rows"] = time.perf_counter() - started
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if status != 0:
        raise SystemExit(f"import-loans failed:\n{output.getvalue()[:2000]}")
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        counts["loans imported"] = conn.execute("SELECT COUNT(*) FROM loans WHERE import_key IS NOT NULL").fetchone()[0]


async def _measure_async(path: Path, results: dict[str, float], counts: dict[str, int],
                         recorder: bool) -> dict[str, tuple[str, dict]]:
    settings = settings_for(path)
    db = await Database(path).open()
    try:
        counts["loans"] = await db.fetchval("SELECT COUNT(*) FROM loans")
        counts["repayments"] = await db.fetchval("SELECT COUNT(*) FROM repayments")
        q: Any = Recorder(db) if recorder else db
        await _digests(q, results)
        await _pinjaman(q, settings, results)
        if recorder:
            targets = {o: TODAY - timedelta(days=o) for o in (*settings.reminder_offsets, 30)}
            await reminders_repo.due_on(q, targets)
        return q.seen if recorder else {}
    finally:
        await db.close()


def measure(path: Path, *, plans: bool) -> tuple[dict[str, float], dict[str, int], dict[str, tuple[str, dict]]]:
    results: dict[str, float] = {}
    counts: dict[str, int] = {}
    seen = asyncio.run(_measure_async(path, results, counts, plans))
    asyncio.run(_reminders(path, results, counts))
    _import(path, results, counts)
    return results, counts, seen


def explain(path: Path, seen: dict[str, tuple[str, dict]]) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for n, (sql, params) in enumerate(seen.values(), 1):
            print(f"\n-- query {n}:\n{' '.join(sql.split())[:400]}")
            rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            depth: dict[int, int] = {0: 0}
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, 0) + 1
                print(f"{'  ' * depth[node]}{detail}")


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.1f} ms"


def report(all_results: dict[str, dict[str, float]], all_counts: dict[str, dict[str, int]]) -> int:
    sizes = list(all_results)
    print()
    for size in sizes:
        c = all_counts[size]
        print(f"{size}: {c['loans']:,} loans, {c['repayments']:,} repayments; reminders queued "
              f"{c['reminders queued']:,}; loans imported {c['loans imported']:,}")
    header = f"{'figure':24}" + "".join(f"{s:>14}" for s in sizes) + (f"{'growth':>9}" if len(sizes) == 2 else "")
    print("\n" + header + f"{'target':>12}  ok")
    missed = 0
    names = [*list(TARGETS), "planning query alone", "/pinjaman median"]
    for name in names:
        values = [all_results[s].get(name) for s in sizes]
        line = f"{name:24}" + "".join(f"{_ms(v):>14}" for v in values)
        if len(sizes) == 2 and values[0]:
            line += f"{values[1] / values[0]:>8.1f}×"
        target = TARGETS.get(name)
        ok = "" if target is None or values[0] is None else ("yes" if values[0] <= target else "NO")
        if len(sizes) == 2 and values[0] and values[1] / values[0] > MAX_GROWTH:
            ok += " (superlinear)"
        missed += "NO" in ok or "superlinear" in ok
        print(line + f"{_ms(target) if target else '':>12}  {ok}")
    print(f"\nTargets apply to the synthetic city ({sizes[0]}); growth over {MAX_GROWTH:g}× at 10× the data is "
          "flagged as superlinear.")
    return 1 if missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(SIZES), help="measure one size only")
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN QUERY PLAN of the queries measured")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached synthetic cities")
    args = parser.parse_args()
    print_machine()
    # Freeze the bot's clock at the benchmark's "now" (08:00 WITA on TODAY): the cities are built for TODAY.
    clock.utcnow = lambda: NOW.astimezone(UTC)
    all_results: dict[str, dict[str, float]] = {}
    all_counts: dict[str, dict[str, int]] = {}
    for size, per in SIZES.items():
        if args.only and size != args.only:
            continue
        path = asyncio.run(city_db(per, rebuild=args.rebuild))
        print(f"measuring {size} ({path.name}) …", flush=True)
        results, counts, seen = measure(path, plans=args.plans)
        all_results[size], all_counts[size] = results, counts
        if args.plans:
            print(f"\n== EXPLAIN QUERY PLAN ({size}) ==")
            explain(path, seen)
    return report(all_results, all_counts)


if __name__ == "__main__":
    sys.exit(main())
