"""Use case: declare a pause after a disaster (``/penundaan``, issue 16 part 4).

One transaction: the pause and its kelurahan are stored, rule 1 of :mod:`bot.domain.pauses` moves the unpaid
instalments due inside it, every reachable borrower with an active loan there gets one ``pauses/notice``
through the outbox (dedupe ``pause:<id>:<person>``), an audit row records who, what and how many moved, and
the form's draft is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.pauses import Pause, clean_reason, overlapping
from storage import audit, drafts, outbox, outbox_keys, pauses


class PauseOverlaps(ValueError):
    def __init__(self, kelurahan_code: str, other: Pause) -> None:
        super().__init__(kelurahan_code)
        self.kelurahan_code = kelurahan_code
        self.other = other


@dataclass(frozen=True)
class Declared:
    pause_id: int
    moved: int  # instalments whose due date moved
    told: int  # borrowers queued the pause's message


async def declare_pause(
    db, *, pause: Pause, reason: str, kelurahan: Sequence[str], declared_by: int, now: datetime,
    draft_of: int | None = None,
) -> Declared:
    """Raises :class:`PauseOverlaps` (nothing stored) when a kelurahan already has a pause sharing a day."""
    reason = clean_reason(reason)
    codes = sorted(set(kelurahan))
    if not codes:
        raise ValueError("a pause needs at least one kelurahan")
    async with db.transaction() as tx:
        for code in codes:
            other = overlapping(pause, await pauses.for_kelurahan(tx, code))
            if other is not None:
                raise PauseOverlaps(code, other)
        pause_id = await pauses.create(tx, pause, reason=reason, kelurahan=codes, declared_by=declared_by,
                                       now=now)
        moved = 0
        for code in codes:
            moved += await pauses.move_installments(tx, pause, code)
        told = 0
        context = {"starts_on": pause.starts_on.isoformat(), "ends_on": pause.ends_on.isoformat(),
                   "days": pause.days, "reason": reason}
        for person_id in await pauses.borrowers_to_tell(tx, codes):
            told += await outbox.enqueue(
                tx, kind=outbox_keys.PAUSE_NOTICE_KIND, recipient_id=person_id,
                dedupe_key=outbox_keys.pause_notice_key(pause_id, person_id), template="pauses/notice",
                context=context, not_before=now)
        await audit.record(tx, "pause.declared", actor_person_id=declared_by, entity="pause", entity_id=pause_id,
                           kelurahan_code=codes[0] if len(codes) == 1 else None,
                           details={"kelurahan": codes, "starts_on": pause.starts_on, "ends_on": pause.ends_on,
                                    "days": pause.days, "moved_installments": moved, "borrowers_told": told})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return Declared(pause_id, moved, told)
