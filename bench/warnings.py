"""Bench: the warning letters (issue 16 part 1) at the scale of the whole city.

On a fresh database: ``--loans`` active loans (default 1,530: 30 in each of the 51 kelurahan), every one 31 days
late, one linked treasurer per kelurahan. Measured:

* ``daily job``: :func:`bot.services.warnings.open_due_steps` opening a step for every loan and queueing the
  treasurers' tasks (once a day);
* ``clean-up, nothing to close``: :func:`bot.services.warnings.close_cleared` with every step open and still due,
  which runs before EVERY send (each minute tick): it must stay cheap;
* ``issue``: :func:`bot.services.warnings.issue` of one letter (number, snapshot, audit), per tap;
* ``letter PDF``: :func:`messages.documents.warning_letter_pdf`, per tap.

Targets: daily job ≤ 20 s, clean-up ≤ 50 ms (before every minute tick's send), issue ≤ 50 ms, letter PDF ≤
250 ms. Exit 1 on a miss.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import print_machine  # noqa: E402
from bot.domain.kota_kupang import all_kelurahan  # noqa: E402
from bot.domain.loans import LoanTerms  # noqa: E402
from bot.domain.roles import Role  # noqa: E402
from bot.services import warnings as svc  # noqa: E402
from messages.documents import warning_letter_pdf  # noqa: E402
from storage import loans, people  # noqa: E402
from storage import warnings as repo  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import migrate  # noqa: E402

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 28)
TARGETS_MS = {"daily job": 20_000.0, "clean-up, nothing to close": 50.0, "issue": 50.0, "letter PDF": 250.0}


async def main(count: int, runs: int) -> int:
    print_machine()
    codes = [k.code for k in all_kelurahan()]
    timings: dict[str, list[float]] = {name: [] for name in TARGETS_MS}
    with tempfile.TemporaryDirectory() as folder:
        db = await Database(Path(folder) / "pem.sqlite3").open()
        try:
            await migrate(db)
            async with db.transaction() as tx:
                treasurers = {}
                for n, code in enumerate(codes):
                    t = await people.create(tx, name=f"Bendahara {n}", kelurahan_code=code, roles=[Role.TREASURER])
                    await people.link_telegram(tx, t.id, 10_000 + n, 10_000 + n)
                    treasurers[code] = t
                for n in range(count):
                    code = codes[n % len(codes)]
                    b = await people.create(tx, name=f"Peminjam {n}", kelurahan_code=code, roles=[Role.BORROWER])
                    await loans.create(tx, borrower_id=b.id, kelurahan_code=code, business=None, created_by=None,
                                       terms=LoanTerms(6_000_000, date(2026, 9, 28), 12, 0, Decimal(0)), now=NOW)
            start = time.perf_counter()
            queued = await svc.open_due_steps(db, today=TODAY, now=NOW, steps=(30, 60, 90))
            timings["daily job"].append(time.perf_counter() - start)
            assert queued == count, queued
            for _ in range(runs):
                start = time.perf_counter()
                assert await svc.close_cleared(db, now=NOW, today=TODAY) == 0
                timings["clean-up, nothing to close"].append(time.perf_counter() - start)
            steps = await repo.open_steps(db)
            letter = None
            for step in steps[:runs]:
                start = time.perf_counter()
                result = await svc.issue(db, step.id, by=treasurers[step.kelurahan_code].id, now=NOW, today=TODAY,
                                         deadline_days=14)
                timings["issue"].append(time.perf_counter() - start)
                letter = result.step
            assert letter is not None
            warning_letter_pdf(letter, "id")  # the font is cut down once per process
            for _ in range(runs):
                start = time.perf_counter()
                warning_letter_pdf(letter, "id")
                timings["letter PDF"].append(time.perf_counter() - start)
        finally:
            await db.close()
    missed = False
    print(f"{count} loans in arrears, {len(codes)} kelurahan")
    for name, samples in timings.items():
        median = statistics.median(samples) * 1000
        target = TARGETS_MS[name]
        missed |= median > target
        print(f"{name:28} median {median:9.1f} ms  min {min(samples) * 1000:9.1f} ms "
              f"(target ≤ {target:.0f} ms: {'ok' if median <= target else 'MISSED'})")
    return 1 if missed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=1530)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.loans, args.runs)))
