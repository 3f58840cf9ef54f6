"""Repository: requests to correct one's own personal data (``/koreksi``, UU 27/2022 right to correction).

A request names one field (name, phone, address, birth date), the value the person wants, and is decided by an
admin of their kelurahan who is not the person (maker-checker, :mod:`bot.services.privacy`). ``old_value`` is the
value at the moment of the decision (at the request, until then). The values live here, not in the audit log,
so :func:`scrub_for_person` can remove them when the person is anonymised. Both values are sealed
(:mod:`storage.crypto`): a phone correction holds two phone numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.crypto import Cipher
from storage.db import Queryable, utc_text

FIELDS = ("name", "phone", "address", "birth_date")


@dataclass(frozen=True)
class CorrectionRequest:
    id: int
    person_id: int
    participant_id: int | None
    kelurahan_code: str | None
    field: str
    old_value: str | None
    new_value: str | None
    status: str
    reason: str | None
    requested_at: str
    decided_by: int | None
    decided_at: str | None

    @property
    def pending(self) -> bool:
        return self.status == "pending"


def _row(row, key: Cipher) -> CorrectionRequest:
    return CorrectionRequest(
        id=row["id"], person_id=row["person_id"], participant_id=row["participant_id"],
        kelurahan_code=row["kelurahan_code"], field=row["field"], old_value=key.reveal(row["old_value"]),
        new_value=key.reveal(row["new_value"]), status=row["status"], reason=row["reason"],
        requested_at=row["requested_at"],
        decided_by=row["decided_by"], decided_at=row["decided_at"],
    )


async def create(
    q: Queryable, *, person_id: int, participant_id: int | None, kelurahan_code: str | None, field: str,
    old_value: str | None, new_value: str, now: datetime,
) -> CorrectionRequest:
    if field not in FIELDS:
        raise ValueError(f"unknown field {field!r}")
    result = await q.execute(
        """
        INSERT INTO correction_requests (person_id, participant_id, kelurahan_code, field, old_value, new_value,
                                         requested_at)
        VALUES (:person, :participant, :kel, :field, :old, :new, :now)
        """,
        {"person": person_id, "participant": participant_id, "kel": kelurahan_code, "field": field,
         "old": q.key.seal(old_value), "new": q.key.seal(new_value), "now": utc_text(now)},
    )
    assert result.lastrowid is not None
    created = await get(q, result.lastrowid)
    assert created is not None
    return created


async def get(q: Queryable, request_id: int) -> CorrectionRequest | None:
    row = await q.fetchone("SELECT * FROM correction_requests WHERE id = :id", {"id": request_id})
    return None if row is None else _row(row, q.key)


async def pending_for_kelurahan(
    q: Queryable, kelurahan_code: str | None, *, limit: int = 20
) -> list[CorrectionRequest]:
    rows = await q.fetchall(
        "SELECT * FROM correction_requests WHERE status = 'pending' AND kelurahan_code IS :kel ORDER BY id LIMIT :n",
        {"kel": kelurahan_code, "n": limit},
    )
    return [_row(r, q.key) for r in rows]


async def for_person(q: Queryable, person_id: int) -> list[CorrectionRequest]:
    rows = await q.fetchall("SELECT * FROM correction_requests WHERE person_id = :p ORDER BY id", {"p": person_id})
    return [_row(r, q.key) for r in rows]


async def decide(
    q: Queryable, request_id: int, *, approve: bool, by: int, now: datetime, old_value: str | None,
    reason: str | None = None,
) -> bool:
    """Mark a pending request approved or rejected; False when it was no longer pending (decided meanwhile)."""
    result = await q.execute(
        """
        UPDATE correction_requests
        SET status = :status, decided_by = :by, decided_at = :now, old_value = :old, reason = :reason
        WHERE id = :id AND status = 'pending'
        """,
        {"status": "approved" if approve else "rejected", "by": by, "now": utc_text(now),
         "old": q.key.seal(old_value),
         "reason": reason, "id": request_id},
    )
    return result.rowcount == 1


async def scrub_for_person(q: Queryable, *, person_id: int | None = None, participant_id: int | None = None) -> int:
    """Remove the values of a person's (or participant's) requests when they are anonymised; a pending one is
    closed as ``erased``. Returns how many rows were scrubbed."""
    result = await q.execute(
        """
        UPDATE correction_requests
        SET old_value = NULL, new_value = NULL, reason = NULL,
            status = CASE status WHEN 'pending' THEN 'erased' ELSE status END
        WHERE (person_id = :person OR participant_id = :participant)
        """,
        {"person": person_id, "participant": participant_id},
    )
    return result.rowcount
