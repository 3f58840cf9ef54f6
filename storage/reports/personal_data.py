"""Read model: everything the bot holds about one person (UU 27/2022, the right of access, ``/dataku``), the
retention job's candidates, and a person's audit history (``pem-bot audit --person``).

:func:`person_data` returns plain dicts and lists (JSON-ready) of the person, their roles, loans with schedule,
repayments and receipts, their participant record with registrations and outcomes, the invites made for them,
their correction requests and the audit entries about them. **Other people appear by role only**: every
reference to another person (who verified a payment, who invited them, who acted in an audit entry) becomes the
roles that person holds (``"treasurer"``), never a name, a number or an id; keys of audit details that could
point at someone else are left out.

Read only: nothing here writes.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from storage.db import Queryable

SELF = "self"
#: Audit detail keys that may name or point at another person: left out of a subject's copy.
_PRIVATE_DETAIL_KEYS = ("by", "person", "actor", "borrower", "name", "phone", "nik", "people", "participants",
                        "telegram", "token", "recipient", "coordinator", "treasurer", "records")


def _dict(row) -> dict[str, Any]:
    return {k: row[k] for k in row.keys()}  # noqa: SIM118 (sqlite3.Row has keys(), no iteration of names)


class _Roles:
    """Turns other people's ids into their roles, loading each once."""

    def __init__(self, q: Queryable, subject_id: int) -> None:
        self.q = q
        self.subject_id = subject_id
        self._known: dict[int, str] = {}

    async def of(self, person_id: int | None) -> str | None:
        if person_id is None:
            return None
        if person_id == self.subject_id:
            return SELF
        if person_id not in self._known:
            rows = await self.q.fetchall("SELECT role FROM person_roles WHERE person_id = :id ORDER BY role",
                                         {"id": person_id})
            self._known[person_id] = ",".join(r["role"] for r in rows) or "staff"
        return self._known[person_id]


def _clean_details(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in details.items() if not any(part in k.lower() for part in _PRIVATE_DETAIL_KEYS)}


async def person_data(q: Queryable, person_id: int, *, participant_id: int | None = None) -> dict[str, Any] | None:
    """Everything about a person (``people`` row ``person_id``) and, when linked, their participant record."""
    row = await q.fetchone(
        """
        SELECT p.id, p.name, p.phone, p.nik, p.kelurahan_code, k.name AS kelurahan, p.language, p.active,
               p.reachable, p.digest_opt_in, p.telegram_user_id IS NOT NULL AS telegram_linked, p.created_at,
               p.updated_at
        FROM people AS p LEFT JOIN kelurahan AS k ON k.code = p.kelurahan_code WHERE p.id = :id
        """,
        {"id": person_id},
    )
    if row is None:
        return None
    roles = _Roles(q, person_id)
    person = _dict(row)
    person["phone"], person["nik"] = q.key.reveal(person["phone"]), q.key.reveal(person["nik"])
    for flag in ("active", "reachable", "digest_opt_in", "telegram_linked"):
        person[flag] = bool(person[flag])
    role_rows = await q.fetchall("SELECT role FROM person_roles WHERE person_id = :id ORDER BY role", {"id": person_id})

    loans_out: list[dict[str, Any]] = []
    loan_ids: list[int] = []
    repayment_ids: list[int] = []
    for loan in await q.fetchall("SELECT * FROM loans WHERE borrower_id = :id ORDER BY id", {"id": person_id}):
        loan_ids.append(loan["id"])
        schedule = [
            {k: r[k] for k in ("number", "due_date", "principal_due", "fee_due", "principal_paid", "fee_paid",
                               "paid_on")}
            for r in await q.fetchall("SELECT * FROM installments WHERE loan_id = :l ORDER BY number",
                                      {"l": loan["id"]})
        ]
        payments = []
        for r in await q.fetchall("SELECT * FROM repayments WHERE loan_id = :l ORDER BY paid_on, id",
                                  {"l": loan["id"]}):
            repayment_ids.append(r["id"])
            payments.append({
                "id": r["id"], "amount": r["amount"], "paid_on": r["paid_on"], "method": r["method"],
                "status": r["status"], "note": r["note"], "receipt_photo": r["receipt_file_id"] is not None,
                "reported_at": r["reported_at"], "reported_by": await roles.of(r["reported_by"]),
                "decided_at": r["verified_at"], "decided_by": await roles.of(r["verified_by"]),
                "reject_reason": r["reason"], "reversed_at": r["reversed_at"],
                "reversed_by": await roles.of(r["reversed_by"]), "reversal_reason": r["reversal_reason"],
            })
        receipts = [
            {k: r[k] for k in ("number", "amount", "paid_on", "issued_at", "code", "voided_at", "void_reason")}
            | {"issued_by": await roles.of(r["issued_by"])}
            for r in await q.fetchall("SELECT * FROM receipts WHERE loan_id = :l ORDER BY id", {"l": loan["id"]})
        ]
        loans_out.append({
            "id": loan["id"], "kelurahan_code": loan["kelurahan_code"], "principal": loan["principal"],
            "disbursed_on": loan["disbursed_on"], "tenor_months": loan["tenor_months"],
            "grace_months": loan["grace_months"], "fee_percent_monthly": loan["fee_percent_monthly"],
            "status": loan["status"], "business": loan["business"],
            "disbursement_status": loan["disbursement_status"], "created_at": loan["created_at"],
            "created_by": await roles.of(loan["created_by"]), "schedule": schedule, "repayments": payments,
            "receipts": receipts,
        })

    if participant_id is None:
        participant_id = await q.fetchval("SELECT id FROM participants WHERE person_id = :id", {"id": person_id})
    participant: dict[str, Any] | None = None
    registration_ids: list[int] = []
    if participant_id is not None:
        prow = await q.fetchone("SELECT * FROM participants WHERE id = :id", {"id": participant_id})
        if prow is not None:
            participant = {k: prow[k] for k in ("id", "kelurahan_code", "name", "nik", "birth_date", "sex", "phone",
                                                "address", "education", "work_status", "consent_at", "created_at",
                                                "erased_at")}
            participant["nik"], participant["phone"] = q.key.reveal(prow["nik"]), q.key.reveal(prow["phone"])
            participant["created_by"] = await roles.of(prow["created_by"])
            regs = []
            for r in await q.fetchall(
                """
                SELECT r.id, r.status, r.created_at, e.title, e.kind, e.starts_at, e.place
                FROM registrations AS r JOIN events AS e ON e.id = r.event_id
                WHERE r.participant_id = :p ORDER BY e.starts_at, r.id
                """,
                {"p": participant_id},
            ):
                registration_ids.append(r["id"])
                regs.append({k: r[k] for k in ("status", "created_at", "title", "kind", "starts_at", "place")})
            participant["registrations"] = regs
            participant["outcomes"] = [
                {k: o[k] for k in ("title", "status", "business_type", "recorded_at")}
                for o in await q.fetchall(
                    """
                    SELECT e.title, o.status, o.business_type, o.recorded_at
                    FROM outcomes AS o JOIN events AS e ON e.id = o.event_id
                    WHERE o.participant_id = :p ORDER BY o.recorded_at, o.id
                    """,
                    {"p": participant_id},
                )
            ]

    invites = [
        {"role": r["role"], "created_at": r["created_at"], "expires_at": r["expires_at"], "used_at": r["used_at"],
         "created_by": await roles.of(r["created_by"])}
        for r in await q.fetchall("SELECT * FROM invites WHERE person_id = :id ORDER BY id", {"id": person_id})
    ]
    corrections = [
        {k: r[k] for k in ("field", "status", "reason", "requested_at", "decided_at")}
        | {"old_value": q.key.reveal(r["old_value"]), "new_value": q.key.reveal(r["new_value"]),
           "decided_by": await roles.of(r["decided_by"])}
        for r in await q.fetchall(
            "SELECT * FROM correction_requests WHERE person_id = :id OR participant_id IS :p ORDER BY id",
            {"id": person_id, "p": participant_id})
    ]

    audit_out = []
    for entry in await audit_about(q, person_id=person_id, participant_id=participant_id, loan_ids=loan_ids,
                                   repayment_ids=repayment_ids, registration_ids=registration_ids):
        actor = await roles.of(entry["actor_person_id"])
        about_them = entry["entity"] in {"person", "participant", "loan", "repayment", "registration"}
        audit_out.append({
            "at": entry["at"], "action": entry["action"], "actor": actor or "system",
            "entity": entry["entity"], "entity_id": entry["entity_id"] if about_them else None,
            "details": _clean_details(json.loads(entry["details"])),
        })

    return {
        "person": person, "roles": [r["role"] for r in role_rows], "loans": loans_out, "participant": participant,
        "invites": invites, "corrections": corrections, "audit": audit_out,
    }


async def audit_about(
    q: Queryable, *, person_id: int | None, participant_id: int | None = None, loan_ids: list[int] | None = None,
    repayment_ids: list[int] | None = None, registration_ids: list[int] | None = None, limit: int = 5000,
) -> list[Any]:
    """Audit entries about a person, oldest first: by them, on their people/participant row, their loans,
    repayments and registrations, naming them in ``details.person_id``/``participant_id``, and every logged view
    or export whose ``details.people`` / ``details.participants`` lists them (who saw what)."""
    params = {
        "person": person_id, "participant": participant_id,
        "loans": json.dumps(loan_ids or []), "repayments": json.dumps(repayment_ids or []),
        "registrations": json.dumps(registration_ids or []), "limit": limit,
    }
    return await q.fetchall(
        """
        SELECT * FROM audit_log AS a
        WHERE (a.actor_person_id = :person)
           OR (a.entity = 'person' AND a.entity_id = :person)
           OR (a.entity = 'participant' AND a.entity_id = :participant)
           OR (a.entity = 'loan' AND a.entity_id IN (SELECT value FROM json_each(:loans)))
           OR (a.entity = 'repayment' AND a.entity_id IN (SELECT value FROM json_each(:repayments)))
           OR (a.entity = 'registration' AND a.entity_id IN (SELECT value FROM json_each(:registrations)))
           OR (json_extract(a.details, '$.person_id') = :person)
           OR (json_extract(a.details, '$.participant_id') = :participant)
           OR (:person IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(a.details, '$.people') WHERE value = :person))
           OR (:participant IS NOT NULL
               AND EXISTS (SELECT 1 FROM json_each(a.details, '$.participants') WHERE value = :participant))
        ORDER BY a.id
        LIMIT :limit
        """,
        params,
    )


async def ids_of_person(q: Queryable, person_id: int) -> dict[str, Any]:
    """The ids :func:`audit_about` needs for a person (loans, repayments, participant, registrations)."""
    loan_ids = [r["id"] for r in await q.fetchall("SELECT id FROM loans WHERE borrower_id = :p", {"p": person_id})]
    repayment_ids = [r["id"] for r in await q.fetchall(
        "SELECT r.id FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id WHERE l.borrower_id = :p",
        {"p": person_id})]
    participant_id = await q.fetchval("SELECT id FROM participants WHERE person_id = :p", {"p": person_id})
    registration_ids = [] if participant_id is None else [r["id"] for r in await q.fetchall(
        "SELECT id FROM registrations WHERE participant_id = :p", {"p": participant_id})]
    return {"participant_id": participant_id, "loan_ids": loan_ids, "repayment_ids": repayment_ids,
            "registration_ids": registration_ids}


# --- retention ------------------------------------------------------------------------------------------------
async def borrowers_due_for_retention(q: Queryable, cutoff: date) -> list[int]:
    """People with loans, none of them active, whose last loan ended before ``cutoff`` (a WITA date) and who hold
    no staff role and are not anonymised yet. A paid-off loan ended on the day its last instalment was paid; a
    written-off one on the day it was written off (its last change)."""
    rows = await q.fetchall(
        """
        SELECT l.borrower_id AS id,
               max(CASE l.status
                     WHEN 'paid_off' THEN coalesce((SELECT max(i.paid_on) FROM installments AS i
                                                    WHERE i.loan_id = l.id), date(l.updated_at))
                     ELSE date(l.updated_at) END) AS ended_on
        FROM loans AS l JOIN people AS p ON p.id = l.borrower_id
        WHERE p.name NOT LIKE 'Dihapus #%'
          AND NOT EXISTS (SELECT 1 FROM loans AS a WHERE a.borrower_id = l.borrower_id AND a.status = 'active')
          AND NOT EXISTS (SELECT 1 FROM person_roles AS r WHERE r.person_id = l.borrower_id
                          AND r.role NOT IN ('borrower', 'participant'))
        GROUP BY l.borrower_id
        HAVING ended_on < :cutoff
        ORDER BY l.borrower_id
        """,
        {"cutoff": cutoff.isoformat()},
    )
    return [r["id"] for r in rows]
