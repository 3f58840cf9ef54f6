"""Samples for the scheduling templates (outbox tick and backup output)."""

from datetime import UTC, datetime

SAMPLES = {
    "plain/cli/tick": {"at": datetime(2026, 12, 4, 23, 0, tzinfo=UTC), "ran": ["digest", "reminders"],
                       "failed_jobs": ["backup"], "enqueued": 12, "stale": 1, "sent": 10, "failed": 1,
                       "cancelled": 1, "retried": 0, "deferred": 0, "left_to": None},
    "plain/cli/tick_unreachable": {"error": "httpx.ConnectError: All connection attempts failed"},
    "plain/cli/backup": {"path": "backups/pem-20261205-0200.sqlite3", "size": 204_800, "keep": 14},
}
