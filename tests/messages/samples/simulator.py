"""Samples for pem-bot try's templates (the CLI lines and the simulator's clock report)."""

from __future__ import annotations

from datetime import UTC, datetime

SAMPLES = {
    "plain/cli/try": {"kind": "ready", "url": "http://127.0.0.1:8090/", "path": "data/try.sqlite3", "created": True,
                      "people": [("Yohanes Bria", "borrower"), ("Maria Ratu", "borrower"),
                                 ("Yuliana Manafe", "treasurer"), ("Drs. Herman Seran", "lurah")],
                      "seconds": 2.6, "port": 8090, "reason": "Address already in use"},
    "plain/cli/no_token_try": {},
    "plain/try/clock": {"kind": "ran", "at": datetime(2026, 12, 6, 23, 0, tzinfo=UTC),
                        "now": datetime(2026, 12, 7, 1, 0, tzinfo=UTC),
                        "ran": ["backup", "digest", "digest_weekly", "treasurer_nudge"], "enqueued": 5, "sent": 5,
                        "deferred": 1, "failed": 1},
    "plain/try/now": {"now": datetime(2026, 12, 7, 1, 0, tzinfo=UTC)},
}
