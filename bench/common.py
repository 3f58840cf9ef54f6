"""Shared helpers for the benchmarks in ``bench/``: the cached synthetic city, settings, timing, machine info.

* :func:`city_db` builds (once) and returns a synthetic-city database file in :data:`CACHE`
  (``PEM_BENCH_CACHE``, default ``/tmp/pem-bench``) with the ``pem-bot seed-synthetic`` code
  (:func:`bot.cli.seed_synthetic.seed`), for a fixed :data:`TODAY` so a cached file stays valid on later days.
  The file name carries the parameters and :data:`CITY_VERSION`; bump it when the generator changes.
  A half-built file is never reused (it is built under a temporary name and renamed at the end).
* :func:`fresh_copy` copies a cached city before a benchmark that writes (reminder planning, import), so the
  cache stays pristine.
* :func:`settings_for` is a real :class:`bot.runtime.config.Settings` pointing at a database file (no token, no .env).
* :func:`machine` describes the machine for ``docs/performance.md``.

Run any bench script from the repository root with the project's interpreter (``.venv/bin/python bench/…``).
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/x.py` puts bench/ first on the path, not the repository
    sys.path.insert(0, str(ROOT))

from bot.cli.seed_synthetic import SeedStats, seed  # noqa: E402
from bot.runtime.config import Settings, load_settings  # noqa: E402
from storage.crypto import DataKey  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import migrate  # noqa: E402

CACHE = Path(os.environ.get("PEM_BENCH_CACHE", "/tmp/pem-bench"))
CITY_VERSION = 1
TZ = ZoneInfo("Asia/Makassar")
TODAY = date(2026, 11, 28)
#: the reminder job's hour on TODAY (08:00 WITA)
NOW = datetime(2026, 11, 28, 8, 0, tzinfo=TZ)
#: borrowers per kelurahan at 1× and 10×
SIZES = {"1x": 300, "10x": 3000}


def city_path(borrowers_per: int, kelurahan: int = 51, years: int = 3, seed_value: int = 1) -> Path:
    return CACHE / f"city-v{CITY_VERSION}-k{kelurahan}-b{borrowers_per}-y{years}-s{seed_value}.sqlite3"


async def _build(path: Path, borrowers_per: int, kelurahan: int, years: int, seed_value: int) -> SeedStats:
    partial = path.with_suffix(".building")
    for leftover in CACHE.glob(partial.name + "*"):  # noqa: ASYNC240 (a script, nothing else runs)
        leftover.unlink()
    db = await Database(partial).open()
    try:
        await migrate(db)

        def progress(stats: SeedStats) -> None:
            print(f"  … {stats.loans:,} loans, {stats.repayments_total:,} repayments", flush=True)

        stats = await seed(db, kelurahan=kelurahan, borrowers_per=borrowers_per, years=years, seed_value=seed_value,
                           today=TODAY, now=NOW, tz=TZ, progress=progress)
        assert stats is not None
        await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await db.close()
    partial.rename(path)
    return stats


async def city_db(borrowers_per: int, *, kelurahan: int = 51, years: int = 3, seed_value: int = 1,
                  rebuild: bool = False) -> Path:
    """The cached synthetic city (built now if missing or ``rebuild``), migrated to the current schema."""
    CACHE.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
    path = city_path(borrowers_per, kelurahan, years, seed_value)
    if rebuild and path.exists():
        path.unlink()
    if not path.exists():
        print(f"building {path.name} (seed-synthetic --kelurahan {kelurahan} --borrowers-per {borrowers_per} "
              f"--years {years} --seed {seed_value}) …", flush=True)
        stats = await _build(path, borrowers_per, kelurahan, years, seed_value)
        print(f"  built in {stats.seconds:.1f} s: {stats.loans:,} loans, {stats.repayments_total:,} repayments",
              flush=True)
    db = await Database(path).open()
    try:
        await migrate(db)  # a cache built before a new migration (e.g. an index) gets it here
        await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await db.close()
    return path


#: The data key of the benchmarks that run ``pem-bot run`` (it refuses to start without one; issue 18). The cached
#: city itself is written without a key (values as they are), so every benchmark can use it;
#: :func:`seal_copy` seals a copy with this key before such a run, so the run does not time the one-off sealing.
BENCH_DATA_KEY = "pem-bench-data-key-000000000000000000000000"


async def seal_copy(path: Path) -> None:
    """Seal a copy of the city with :data:`BENCH_DATA_KEY` (storage/identity.py: once, then a no-op)."""
    db = await Database(path, data_key=DataKey(BENCH_DATA_KEY)).open()
    try:
        await migrate(db)
    finally:
        await db.close()


def fresh_copy(path: Path, name: str) -> Path:
    """A throw-away copy of a cached city (for benchmarks that write)."""
    target = CACHE / f"{name}.sqlite3"
    for old in CACHE.glob(f"{name}.sqlite3*"):
        old.unlink()
    shutil.copyfile(path, target)
    return target


def settings_for(db_path: Path, **extra: str) -> Settings:
    environ = {"PEM_DATABASE": str(db_path), "TELEGRAM_BOT_TOKEN": "", "TELEGRAM_BOT_USERNAME": "pem_bench_bot",
               "PEM_LOG_LEVEL": "WARNING", **extra}
    return load_settings(environ, env_file=None, require_token=False)


async def timed(fn: Callable[[], Awaitable[Any]], *, repeat: int = 5, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of ``repeat`` awaits of ``fn()`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        await fn()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - started)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": str(os.cpu_count()), "ram": ram, "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version, "os": platform.platform(),
    }


def print_machine() -> None:
    m = machine()
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, {m['os']}; Python {m['python']}, "
          f"SQLite {m['sqlite']}")


def run(main: Callable[[], Awaitable[int]]) -> None:
    sys.exit(asyncio.run(main()))
