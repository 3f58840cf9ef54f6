"""Receipts and instalment cards (issue 15): how long the PDFs take, and what a receipt adds to a verification.

Run from the repository root::

    .venv/bin/python bench/documents.py [--runs 30]

On a fresh database in a temporary folder: an 18-month loan of Rp25.000.000 with a 1% fee and 17 verified
payments (partial and late ones included, one reversed), then

* ``verify+receipt``: :func:`bot.services.repayments.verify_repayment` of one more payment, with its receipt
  numbered in the same transaction (compared with a rejection, the same transaction without a receipt);
* ``receipt PDF``: :func:`storage.receipts.as_issued` + :func:`messages.documents.receipt_pdf` of that receipt;
* ``card PDF``: :func:`storage.reports.card.card` + :func:`messages.documents.card_pdf` of the loan (18 rows,
  two pages).

Medians in milliseconds (the first PDF of a process also cuts the font down once, about 2 s: not counted).
Targets (a handler renders one of these per tap, before the upload): receipt ≤ 250 ms, card ≤ 500 ms,
verify+receipt ≤ 50 ms. Exit 1 on a miss.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import print_machine  # noqa: E402
from bot.domain.loans import LoanTerms  # noqa: E402
from bot.domain.roles import Role  # noqa: E402
from bot.runtime import clock  # noqa: E402
from bot.services import repayments as svc  # noqa: E402
from messages.documents import card_pdf, receipt_pdf  # noqa: E402
from storage import loans, people, receipts  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import migrate  # noqa: E402
from storage.reports import card as card_model  # noqa: E402

KEL = "53.71.05.1004"
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
TARGETS_MS = {"receipt PDF": 250.0, "card PDF": 500.0, "verify+receipt": 50.0}


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def main(runs: int) -> int:
    print_machine()
    with tempfile.TemporaryDirectory() as folder:
        db = await Database(Path(folder) / "pem.sqlite3").open()
        try:
            await migrate(db)
            async with db.transaction() as tx:
                b = await people.create(tx, name="José Ngữ Ştefan Ndolu", kelurahan_code=KEL, roles=[Role.BORROWER])
                t = await people.create(tx, name="Fransiska Manafe", kelurahan_code=KEL, roles=[Role.TREASURER])
                loan = await loans.create(tx, borrower_id=b.id, kelurahan_code=KEL, business="bengkel",
                                          created_by=t.id,
                                          terms=LoanTerms(25_000_000, date(2025, 5, 15), 18, 0, Decimal(1)),
                                          now=clock.utcnow())
            for n, month in enumerate(range(17)):
                day = date(2025, 6, 15) + timedelta(days=31 * month + (9 if month % 4 == 0 else 0))
                amount = 1_639_000 if month % 3 else 900_000
                rec = await svc.record_cash_payment(db, loan_id=loan.id, recorded_by=t.id, kelurahan_code=KEL,
                                                    amount=amount, paid_on=min(day, date(2026, 11, 27)),
                                                    idempotency_key=f"b{n}", now=NOW)
            await svc.reverse_repayment(db, rec.repayment.id, by=t.id, kelurahan_code=KEL, reason="dobel", now=NOW)

            timings: dict[str, list[float]] = {"verify+receipt": [], "reject (no receipt)": [], "receipt PDF": [],
                                               "card PDF": []}
            last = None
            for k in range(runs):
                for approve in (True, False):
                    rep = await svc.report_repayment(db, loan_id=loan.id, reported_by=b.id, amount=1_000,
                                                     paid_on=date(2026, 11, 27), method="cash",
                                                     idempotency_key=f"r{k}{approve}", now=clock.utcnow())
                    start = time.perf_counter()
                    if approve:
                        last = await svc.verify_repayment(db, rep.repayment.id, by=t.id, kelurahan_code=KEL,
                                                          now=NOW)
                        timings["verify+receipt"].append(time.perf_counter() - start)
                    else:
                        await svc.reject_repayment(db, rep.repayment.id, by=t.id, kelurahan_code=KEL, now=NOW,
                                                   reason="bench")
                        timings["reject (no receipt)"].append(time.perf_counter() - start)
            assert last is not None and last.receipt is not None
            receipt = await receipts.get(db, last.receipt.id)
            assert receipt is not None
            sizes = {}
            receipt_pdf(await receipts.as_issued(db, receipt), "id")  # the font is cut down once per process
            for _ in range(runs):
                start = time.perf_counter()
                pdf = receipt_pdf(await receipts.as_issued(db, receipt), "id")
                timings["receipt PDF"].append(time.perf_counter() - start)
                sizes["receipt PDF"] = len(pdf)
                start = time.perf_counter()
                card = await card_model.card(db, loan.id, date(2026, 11, 28))
                pdf = card_pdf(card, "id")
                timings["card PDF"].append(time.perf_counter() - start)
                sizes["card PDF"] = len(pdf)
        finally:
            await db.close()
    missed = False
    for name, samples in timings.items():
        target = TARGETS_MS.get(name)
        median = _ms(samples)
        size = f", {sizes[name] / 1024:.0f} KiB" if name in sizes else ""
        verdict = "" if target is None else f" (target ≤ {target:.0f} ms: {'ok' if median <= target else 'MISSED'})"
        missed |= target is not None and median > target
        print(f"{name:22} median {median:7.1f} ms  min {min(samples) * 1000:7.1f} ms{size}{verdict}")
    ratio = _ms(timings["verify+receipt"]) / _ms(timings["reject (no receipt)"])
    print(f"verify+receipt / reject: {ratio:.2f}x")
    return 1 if missed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    sys.exit(asyncio.run(main(parser.parse_args().runs)))
