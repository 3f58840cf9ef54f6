"""Samples for issue 13's templates: the busy-database apology and pem-bot skipped-updates."""

from __future__ import annotations

from bot.services.updates import SkippedUpdate

SAMPLES = {
    "errors/database_busy": {},
    "plain/cli/skipped_updates": {
        "total": 40,
        "latest": [SkippedUpdate("2026-12-05 01:02:03", 812345678 + i, "message",
                                 ["chat", "entities", "from", "message_id", "reply_to_message", "text"],
                                 "KeyError", 3) for i in range(20)],
    },
}
