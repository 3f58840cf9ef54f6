"""Use cases about the updates Telegram delivers that the bot could not read.

An update PTB cannot de-serialise (an update shape newer than the installed PTB, a malformed one) is skipped by
the runtime (:mod:`bot.runtime.updates`) after a few attempts, so it no longer stops the bot for everyone. Each
skip is counted here, as one ``update.skipped`` row of the append-only audit log, with the update's id, its type
(the key beside ``update_id``, e.g. ``message``) and the names of that object's fields: never its content (no
names, texts or ids of people). ``pem-bot skipped-updates`` shows them to the admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import audit
from storage.db import Database

SKIPPED = "update.skipped"


@dataclass(frozen=True)
class SkippedUpdate:
    at: str
    update_id: int | None
    kind: str
    keys: list[str]
    error: str
    attempts: int


async def record_skipped_update(db: Database, *, update_id: int | None, kind: str, keys: list[str], error: str,
                                attempts: int) -> None:
    """Count one skipped update for the admins (``error`` is the exception's type name only)."""
    async with db.transaction() as tx:
        await audit.record(tx, SKIPPED, entity="update", entity_id=update_id,
                           details={"type": kind, "keys": keys, "error": error, "attempts": attempts})


async def skipped_updates(db: Database, *, limit: int = 50) -> list[SkippedUpdate]:
    """The latest skipped updates, newest first."""
    entries = await audit.recent(db, action=SKIPPED, limit=limit)
    return [SkippedUpdate(e.at, e.entity_id, str(e.details.get("type", "?")), list(e.details.get("keys", [])),
                          str(e.details.get("error", "?")), int(e.details.get("attempts", 0)))
            for e in entries]


async def skipped_count(db: Database) -> int:
    return await audit.count(db, action=SKIPPED)


def describe(update: Any) -> tuple[int | None, str, list[str]]:
    """(update id, type, field names) of a raw update, without any of its values."""
    if not isinstance(update, dict):
        return None, type(update).__name__, []
    update_id = update.get("update_id") if isinstance(update.get("update_id"), int) else None
    kinds = sorted(k for k in update if k != "update_id")
    kind = kinds[0] if len(kinds) == 1 else ",".join(kinds) or "?"
    inner = update.get(kinds[0]) if len(kinds) == 1 else None
    keys = sorted(inner) if isinstance(inner, dict) else []
    return update_id, kind, keys
