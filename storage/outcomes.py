"""Repository: outcomes of trainings (what a trainee did afterwards, as asked by the coordinators) and the
list of trainees to follow up.

The scheduled 30/90-day prompts are planned in :mod:`storage.reports.events` (:func:`due_followups`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Queryable, parse_utc_text, utc_text


@dataclass(frozen=True)
class FollowupItem:
    registration_id: int
    event_id: int
    event_title: str
    starts_at: datetime
    participant_id: int
    participant_name: str
    last_status: str | None
    last_recorded_at: str | None


async def followup_candidates(q: Queryable, kelurahan_code: str, now: datetime, *, limit: int = 20
                              ) -> list[FollowupItem]:
    """Attended trainees of the kelurahan's past trainings, those without an answer first."""
    rows = await q.fetchall(
        """
        SELECT r.id AS registration_id, e.id AS event_id, e.title, e.starts_at, p.id AS participant_id,
               p.name AS participant_name,
               (SELECT o.status FROM outcomes AS o WHERE o.event_id = e.id AND o.participant_id = p.id
                ORDER BY o.recorded_at DESC, o.id DESC LIMIT 1) AS last_status,
               (SELECT max(o.recorded_at) FROM outcomes AS o WHERE o.event_id = e.id AND o.participant_id = p.id)
                   AS last_recorded_at
        FROM registrations AS r
        JOIN events AS e ON e.id = r.event_id
        JOIN participants AS p ON p.id = r.participant_id
        WHERE e.kelurahan_code = :kel AND e.kind = 'training' AND e.starts_at < :now AND r.status = 'attended'
          AND p.erased_at IS NULL
        ORDER BY last_status IS NOT NULL, e.starts_at DESC, p.name
        LIMIT :limit
        """,
        {"kel": kelurahan_code, "now": utc_text(now), "limit": limit},
    )
    return [
        FollowupItem(r["registration_id"], r["event_id"], r["title"], parse_utc_text(r["starts_at"]),
                     r["participant_id"], r["participant_name"], r["last_status"], r["last_recorded_at"])
        for r in rows
    ]


@dataclass(frozen=True)
class Outcome:
    id: int
    participant_id: int
    event_id: int
    status: str
    business_type: str | None
    recorded_by: int | None
    recorded_at: str


async def record_outcome(q: Queryable, *, participant_id: int, event_id: int, status: str,
                         business_type: str | None, recorded_by: int | None, now: datetime) -> Outcome:
    result = await q.execute(
        """
        INSERT INTO outcomes (participant_id, event_id, status, business_type, recorded_by, recorded_at)
        VALUES (:p, :e, :status, :business, :by, :now)
        """,
        {"p": participant_id, "e": event_id, "status": status, "business": business_type, "by": recorded_by,
         "now": utc_text(now)},
    )
    row = await q.fetchone("SELECT * FROM outcomes WHERE id = :id", {"id": result.lastrowid})
    return Outcome(row["id"], row["participant_id"], row["event_id"], row["status"], row["business_type"],
                   row["recorded_by"], row["recorded_at"])

