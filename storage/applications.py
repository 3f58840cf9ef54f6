"""Repository: loan applications (migration 0016). Rules: :mod:`bot.domain.applications`.

A status change is one conditional ``UPDATE … WHERE status = :from`` (:func:`move`), so two people pressing the
same button at once cannot both move it: the second gets False.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.crypto import Cipher
from storage.db import Queryable, utc_text


@dataclass(frozen=True)
class Application:
    id: int
    kelurahan_code: str
    applicant_id: int
    entered_by: int
    name: str
    nik: str
    phone: str
    business: str
    business_type: str
    amount: int
    purpose: str
    photo_file_id: str | None
    status: str
    submitted_at: str
    verified_by: int | None
    decided_by: int | None
    reason: str | None
    loan_id: int | None

    @property
    def makers(self) -> frozenset[int]:
        """Who may not check it: the applicant and whoever entered it."""
        return frozenset({self.applicant_id, self.entered_by})


_COLUMNS = ("id", "kelurahan_code", "applicant_id", "entered_by", "name", "nik", "phone", "business",
            "business_type", "amount", "purpose", "photo_file_id", "status", "submitted_at", "verified_by",
            "decided_by", "reason", "loan_id")


def _row(r, key: Cipher) -> Application:
    values = {c: r[c] for c in _COLUMNS}
    values["nik"], values["phone"] = key.reveal(r["nik"]), key.reveal(r["phone"])
    return Application(**values)


async def create(q: Queryable, *, kelurahan_code: str, applicant_id: int, entered_by: int, name: str, nik: str,
                 phone: str, business: str, business_type: str, amount: int, purpose: str,
                 photo_file_id: str | None, now: datetime) -> Application:
    result = await q.execute(
        """
        INSERT INTO applications (kelurahan_code, applicant_id, entered_by, name, nik, nik_hash, phone, phone_hash,
                                  business, business_type, amount, purpose, photo_file_id, submitted_at)
        VALUES (:kel, :applicant, :by, :name, :nik, :nik_hash, :phone, :phone_hash, :business, :type, :amount,
                :purpose, :photo, :now)
        """,
        {"kel": kelurahan_code, "applicant": applicant_id, "by": entered_by, "name": name,
         "nik": q.key.seal(nik), "nik_hash": q.key.hash("nik", nik),
         "phone": q.key.seal(phone), "phone_hash": q.key.hash("phone", phone),
         "business": business, "type": business_type, "amount": amount, "purpose": purpose,
         "photo": photo_file_id, "now": utc_text(now)},
    )
    assert result.lastrowid is not None
    made = await get(q, result.lastrowid)
    assert made is not None
    return made


async def get(q: Queryable, application_id: int) -> Application | None:
    row = await q.fetchone("SELECT * FROM applications WHERE id = :id", {"id": application_id})
    return None if row is None else _row(row, q.key)


async def open_for_nik(q: Queryable, nik: str) -> Application | None:
    """An application of this NIK still in the pipeline (not rejected, not disbursed)."""
    row = await q.fetchone(
        "SELECT * FROM applications WHERE nik_hash = :hash AND status IN ('submitted', 'verified', 'approved') "
        "ORDER BY id LIMIT 1", {"hash": q.key.hash("nik", nik)})
    return None if row is None else _row(row, q.key)


async def by_status(q: Queryable, kelurahan_code: str, status: str, *, offset: int, limit: int
                    ) -> list[Application]:
    """The kelurahan's applications in a status, oldest first (the waiting list's order)."""
    rows = await q.fetchall(
        "SELECT * FROM applications WHERE kelurahan_code = :kel AND status = :status ORDER BY id "
        "LIMIT :limit OFFSET :offset",
        {"kel": kelurahan_code, "status": status, "limit": limit, "offset": offset})
    return [_row(r, q.key) for r in rows]


async def counts(q: Queryable, kelurahan_code: str) -> dict[str, int]:
    rows = await q.fetchall(
        "SELECT status, COUNT(*) AS n FROM applications WHERE kelurahan_code = :kel GROUP BY status",
        {"kel": kelurahan_code})
    return {r["status"]: r["n"] for r in rows}


async def queue_position(q: Queryable, application: Application) -> int:
    """1-based place of an approved application on its kelurahan's waiting list (oldest first)."""
    return int(await q.fetchval(
        "SELECT COUNT(*) FROM applications WHERE kelurahan_code = :kel AND status = 'approved' AND id <= :id",
        {"kel": application.kelurahan_code, "id": application.id}) or 0)


async def move(q: Queryable, application_id: int, *, from_status: str, to_status: str, by: int, now: datetime,
               note: str | None = None, loan_id: int | None = None) -> bool:
    """Move the application when it is still in ``from_status``; False when it is not (someone was quicker)."""
    column = {"verified": "verified", "approved": "decided", "rejected": "decided",
              "disbursed": "disbursed"}[to_status]
    extra = {"verified": ", verify_note = :note", "approved": "", "rejected": ", reason = :note",
             "disbursed": ", loan_id = :loan"}[to_status]
    result = await q.execute(
        f"UPDATE applications SET status = :to, {column}_by = :by, {column}_at = :now{extra} "
        "WHERE id = :id AND status = :from",
        {"to": to_status, "by": by, "now": utc_text(now), "note": note, "loan": loan_id, "id": application_id,
         "from": from_status},
    )
    return result.rowcount == 1


async def repaid_figures(q: Queryable, kelurahan_code: str) -> tuple[int, int]:
    """The kelurahan's earlier loans (all its loans): verified repayments and what they owe in all (principal
    + fees scheduled), ``(repaid, owed)``; the re-lending rule's share is repaid ÷ owed."""
    owed = await q.fetchval(
        "SELECT COALESCE(SUM(i.principal_due + i.fee_due), 0) FROM installments AS i "
        "JOIN loans AS l ON l.id = i.loan_id WHERE l.kelurahan_code = :kel", {"kel": kelurahan_code})
    repaid = await q.fetchval(
        "SELECT COALESCE(SUM(r.amount), 0) FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id "
        "WHERE l.kelurahan_code = :kel AND r.status = 'verified'", {"kel": kelurahan_code})
    return int(repaid or 0), int(owed or 0)
