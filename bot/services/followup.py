"""Use case: record what a trainee did after a training (``/tindak_lanjut`` and the 30/90-day prompts)."""

from __future__ import annotations

from datetime import datetime

from storage import audit, drafts, outcomes
from storage.db import Database
from storage.outcomes import Outcome


async def record_outcome(
    db: Database, *, participant_id: int, event_id: int, status: str, business_type: str | None,
    recorded_by: int | None, kelurahan_code: str | None, now: datetime, draft_of: int | None = None,
) -> Outcome:
    """Append an outcome (a trainee can be asked at 30 and at 90 days; the latest counts) and audit it.
    ``draft_of``: the Telegram user whose form draft this finishes, deleted in the same transaction."""
    async with db.transaction() as tx:
        outcome = await outcomes.record_outcome(tx, participant_id=participant_id, event_id=event_id, status=status,
                                                business_type=business_type, recorded_by=recorded_by, now=now)
        await audit.record(tx, "outcome.recorded", actor_person_id=recorded_by, entity="outcome",
                           entity_id=outcome.id, kelurahan_code=kelurahan_code,
                           details={"event_id": event_id, "participant_id": participant_id, "status": status})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return outcome
