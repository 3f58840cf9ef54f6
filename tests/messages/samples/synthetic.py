"""Samples for ``pem-bot seed-synthetic`` output (plain/cli/seed_synthetic) and its argument error."""

from __future__ import annotations

from bot.cli.seed_synthetic import SeedStats

_STATS = SeedStats(kelurahan=51, people=15_505, borrowers=15_300, loans=15_300, active_loans=11_896,
                   installments=238_236, repayments={"verified": 471_041, "pending": 923, "rejected": 423,
                                                     "reversed": 3_122},
                   allocations=493_852, events=459, participants=7_650, registrations=10_753, outcomes=2_189,
                   seconds=27.2)

SAMPLES = {
    "plain/cli/seed_synthetic": {
        "refused": False, "path": "/tmp/pem-bench/city-1x.sqlite3", "s": _STATS, "repayments": _STATS.repayments,
        "repayments_total": _STATS.repayments_total, "seconds": _STATS.seconds,
    },
}
