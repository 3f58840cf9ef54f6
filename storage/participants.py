"""Repository: participants of Karang Taruna events (a trainee's identity, contact and consent).

Privacy: the NIK and phone are stored sealed, with look-up hashes (``nik_hash``, ``phone_hash``:
:mod:`storage.crypto`); a search by NIK is by its exact 16 digits (its hash), never by a part of it. The NIK,
phone and address are returned to the handlers, which mask them for display; the audit log
never receives them. :func:`erase_participant` anonymises a participant and keeps their registrations and
outcomes, so counts stay; it also scrubs the outbox messages about them (keys from :mod:`storage.outbox_keys`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.parsing.nik import clean_nik
from bot.domain.roles import Role
from storage import corrections, invites, outbox, outbox_keys, people
from storage.crypto import Cipher
from storage.db import Queryable, utc_text


@dataclass(frozen=True)
class Participant:
    id: int
    kelurahan_code: str
    name: str
    nik: str | None
    birth_date: date | None
    sex: str | None
    phone: str | None
    address: str | None
    education: str | None
    work_status: str | None
    consent_at: str
    person_id: int | None
    created_by: int | None
    created_at: str
    erased_at: str | None

    @property
    def erased(self) -> bool:
        return self.erased_at is not None


def _participant(row, key: Cipher) -> Participant:
    return Participant(
        id=row["id"], kelurahan_code=row["kelurahan_code"], name=row["name"], nik=key.reveal(row["nik"]),
        birth_date=None if row["birth_date"] is None else date.fromisoformat(row["birth_date"]), sex=row["sex"],
        phone=key.reveal(row["phone"]), address=row["address"], education=row["education"],
        work_status=row["work_status"],
        consent_at=row["consent_at"], person_id=row["person_id"], created_by=row["created_by"],
        created_at=row["created_at"], erased_at=row["erased_at"],
    )


async def get_participant(q: Queryable, participant_id: int) -> Participant | None:
    row = await q.fetchone("SELECT * FROM participants WHERE id = :id", {"id": participant_id})
    return None if row is None else _participant(row, q.key)


async def participant_by_nik(q: Queryable, nik: str) -> Participant | None:
    row = await q.fetchone("SELECT * FROM participants WHERE nik_hash = :hash", {"hash": q.key.hash("nik", nik)})
    return None if row is None else _participant(row, q.key)


async def participant_for_person(q: Queryable, person_id: int) -> Participant | None:
    row = await q.fetchone("SELECT * FROM participants WHERE person_id = :p AND erased_at IS NULL",
                           {"p": person_id})
    return None if row is None else _participant(row, q.key)


async def search_participants(q: Queryable, kelurahan_code: str, text: str, *, limit: int = 8) -> list[Participant]:
    """Participants of a kelurahan by exact NIK (16 digits) or by a part of the name; erased ones never."""
    digits = clean_nik(text)
    if len(digits) == 16 and digits.isdigit():
        rows = await q.fetchall(
            "SELECT * FROM participants WHERE kelurahan_code = :kel AND nik_hash = :hash AND erased_at IS NULL",
            {"kel": kelurahan_code, "hash": q.key.hash("nik", digits)},
        )
    else:
        needle = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await q.fetchall(
            """
            SELECT * FROM participants
            WHERE kelurahan_code = :kel AND erased_at IS NULL AND name LIKE :like ESCAPE '\\'
            ORDER BY (lower(name) LIKE lower(:prefix) ESCAPE '\\') DESC, name, id LIMIT :limit
            """,
            {"kel": kelurahan_code, "like": f"%{needle}%", "prefix": f"{needle}%", "limit": limit},
        )
    return [_participant(r, q.key) for r in rows]


async def create_participant(
    q: Queryable, *, kelurahan_code: str, name: str, nik: str | None, birth_date: date | None, sex: str | None,
    phone: str | None, address: str | None, education: str | None, work_status: str | None, consent_at: datetime,
    created_by: int | None,
) -> Participant:
    result = await q.execute(
        """
        INSERT INTO participants (kelurahan_code, name, nik, nik_hash, birth_date, sex, phone, phone_hash, address,
                                  education, work_status, consent_at, created_by)
        VALUES (:kel, :name, :nik, :nik_hash, :birth_date, :sex, :phone, :phone_hash, :address, :education,
                :work_status, :consent_at, :created_by)
        """,
        {"kel": kelurahan_code, "name": name, "nik": q.key.seal(nik), "nik_hash": q.key.hash("nik", nik),
         "birth_date": None if birth_date is None else birth_date.isoformat(), "sex": sex,
         "phone": q.key.seal(phone), "phone_hash": q.key.hash("phone", phone),
         "address": address, "education": education, "work_status": work_status,
         "consent_at": utc_text(consent_at), "created_by": created_by},
    )
    assert result.lastrowid is not None
    participant = await get_participant(q, result.lastrowid)
    assert participant is not None
    return participant


async def update_contact(q: Queryable, participant_id: int, *, phone: str | None, address: str | None) -> None:
    await q.execute(
        "UPDATE participants SET phone = :phone, phone_hash = :hash, address = :address, updated_at = datetime('now') "
        "WHERE id = :id",
        {"phone": q.key.seal(phone), "hash": q.key.hash("phone", phone), "address": address, "id": participant_id},
    )


async def link_person(q: Queryable, participant_id: int, person_id: int) -> None:
    """Link a participant to a ``people`` row (their Telegram account; the person holds no role)."""
    await q.execute(
        "UPDATE participants SET person_id = :person, updated_at = datetime('now') WHERE id = :id",
        {"person": person_id, "id": participant_id},
    )


async def erase_participant(q: Queryable, participant_id: int, now: datetime) -> Participant | None:
    """Anonymise: name → ``Peserta terhapus #ID``; NIK, birth date, sex, phone and address NULL; unlinked, and the
    linked person loses the participant role (and is anonymised when it was their only role, see
    :func:`storage.people.erase_if_roleless`). Registrations and outcomes stay (counts). Returns the participant
    as it was, or None when unknown."""
    before = await get_participant(q, participant_id)
    if before is None:
        return None
    if before.person_id is not None:
        # The Telegram link made for this participant goes too: drop the participant role and, when that was the
        # person's only reason to be here, anonymise the people row (name, phone, Telegram ids) and what was
        # queued for them; an unused invite can't re-link the row.
        await people.remove_role(q, before.person_id, Role.PARTICIPANT)
        if await people.erase_if_roleless(q, before.person_id):
            await outbox.scrub(q, recipient_id=before.person_id)
            await corrections.scrub_for_person(q, person_id=before.person_id)
        await invites.expire_unused(q, before.person_id, now)
    # Messages about them: their event reminders, the coordinators' follow-up prompts, notices about them.
    registration_ids = [r["id"] for r in await q.fetchall(
        "SELECT id FROM registrations WHERE participant_id = :id", {"id": participant_id})]
    await outbox.scrub(
        q,
        keys=[outbox_keys.event_reminder_key(r) for r in registration_ids],
        key_prefixes=[outbox_keys.followup_prompt_prefix(r) for r in registration_ids],
        key_contains=[outbox_keys.registration_mark(r) for r in registration_ids],
    )
    await q.execute(
        """
        UPDATE participants
        SET name = 'Peserta terhapus #' || id, nik = NULL, nik_hash = NULL, birth_date = NULL, sex = NULL,
            phone = NULL, phone_hash = NULL, address = NULL, person_id = NULL,
            erased_at = coalesce(erased_at, :now), updated_at = datetime('now')
        WHERE id = :id
        """,
        {"id": participant_id, "now": utc_text(now)},
    )
    await q.execute("UPDATE outcomes SET business_type = NULL WHERE participant_id = :id", {"id": participant_id})
    await corrections.scrub_for_person(q, participant_id=participant_id)
    return before


async def update_identity(q: Queryable, participant_id: int, *, name: str | None = None,
                          birth_date: date | None = None) -> None:
    """A correction (:mod:`bot.services.privacy`): the name and/or the birth date; None leaves a field as is."""
    await q.execute(
        """
        UPDATE participants SET name = coalesce(:name, name), birth_date = coalesce(:birth, birth_date),
                                updated_at = datetime('now')
        WHERE id = :id AND erased_at IS NULL
        """,
        {"name": name, "birth": None if birth_date is None else birth_date.isoformat(), "id": participant_id},
    )


async def due_for_retention(q: Queryable, cutoff: datetime) -> list[Participant]:
    """Participants not erased whose last registration (or, with none, their own record) is older than
    ``cutoff``: the retention job anonymises them (``PEM_RETENTION_PARTICIPANT_YEARS``)."""
    rows = await q.fetchall(
        """
        SELECT p.* FROM participants AS p
        WHERE p.erased_at IS NULL
          AND max(p.created_at, coalesce((SELECT max(r.created_at) FROM registrations AS r
                                          WHERE r.participant_id = p.id), '')) < :cutoff
        ORDER BY p.id
        """,
        {"cutoff": utc_text(cutoff)},
    )
    return [_participant(r, q.key) for r in rows]

