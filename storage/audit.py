"""Repository: the append-only audit log (who, what, when, details as JSON).

Details carry ids, roles and amounts before/after. They never carry a NIK, a phone number or an invite token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.db import Queryable


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor_person_id: int | None
    actor_telegram_id: int | None
    action: str
    entity: str | None
    entity_id: int | None
    kelurahan_code: str | None
    details: dict[str, Any]


async def record(
    q: Queryable,
    action: str,
    *,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
    entity: str | None = None,
    entity_id: int | None = None,
    kelurahan_code: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    result = await q.execute(
        """
        INSERT INTO audit_log (actor_person_id, actor_telegram_id, action, entity, entity_id, kelurahan_code,
                               details)
        VALUES (:actor_person_id, :actor_telegram_id, :action, :entity, :entity_id, :kelurahan_code, :details)
        """,
        {
            "actor_person_id": actor_person_id,
            "actor_telegram_id": actor_telegram_id,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "kelurahan_code": kelurahan_code,
            "details": json.dumps(details or {}, default=str, sort_keys=True),
        },
    )
    assert result.lastrowid is not None
    return result.lastrowid


async def recent(q: Queryable, *, action: str | None = None, limit: int = 50) -> list[AuditEntry]:
    rows = await q.fetchall(
        """
        SELECT * FROM audit_log WHERE (:action IS NULL OR action = :action) ORDER BY id DESC LIMIT :limit
        """,
        {"action": action, "limit": limit},
    )
    return [
        AuditEntry(
            r["id"], r["at"], r["actor_person_id"], r["actor_telegram_id"], r["action"], r["entity"],
            r["entity_id"], r["kelurahan_code"], json.loads(r["details"]),
        )
        for r in rows
    ]


async def count(q: Queryable, *, action: str) -> int:
    """How many entries of ``action`` there are."""
    return int(await q.fetchval("SELECT count(*) FROM audit_log WHERE action = :action", {"action": action}))
