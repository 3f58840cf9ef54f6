"""Repository: bulk inserts for ``pem-bot seed-synthetic`` (and nothing else).

Design
------
* The caller numbers every row itself (explicit ``id`` values, starting after :func:`next_ids`), so that
  instalments, repayments and allocations can reference their parents without reading anything back; each
  function is one ``executemany`` with named parameters, run inside the caller's (large) transaction.
* The rows are plain mappings whose keys are the named parameters below; the caller is responsible for what
  the per-row repositories would otherwise guarantee: ``installments`` paid columns, ``allocations`` rows and
  ``loans.status`` exactly as :func:`storage.repayments.reallocate` writes them (``tests/bot/test_synthetic.py``
  checks this on a small city).
* Kept apart from ``storage/loans.py`` and friends on purpose: the per-row functions there audit every write,
  a synthetic city of 500,000 repayments gets one ``synthetic.created`` audit entry instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from storage.db import Queryable

Row = Mapping[str, Any]

TABLES = ("people", "loans", "installments", "repayments", "events", "participants", "registrations", "outcomes")


async def next_ids(q: Queryable) -> dict[str, int]:
    """The first free id of every table that :mod:`storage.bulk` writes."""
    out = {}
    for table in TABLES:
        out[table] = int(await q.fetchval(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"))
    return out


async def is_empty(q: Queryable) -> bool:
    """No people, loans or events yet (the synthetic city only fills an empty database)."""
    return not await q.fetchval(
        "SELECT (SELECT COUNT(*) FROM people) + (SELECT COUNT(*) FROM loans) + (SELECT COUNT(*) FROM events)"
    )


async def insert_people(q: Queryable, rows: Iterable[Row]) -> None:
    """Keys: id, name, phone, kel, tg (Telegram user and chat id or None), language, reachable, nik, now."""
    await q.executemany(
        """
        INSERT INTO people (id, name, phone, phone_hash, kelurahan_code, telegram_user_id, telegram_chat_id,
                            language, reachable, nik, nik_hash, created_at, updated_at)
        VALUES (:id, :name, :phone, :phone_hash, :kel, :tg, :tg, :language, :reachable, :nik, :nik_hash, :now,
                :now)
        """,
        _sealed(q, rows),
    )


def _sealed(q: Queryable, rows: Iterable[Row]) -> list[Row]:
    """The rows with their NIK and phone sealed and hashed (:mod:`storage.crypto`)."""
    key = q.key
    return [{**row, "phone": key.seal(row["phone"]), "phone_hash": key.hash("phone", row["phone"]),
             "nik": key.seal(row["nik"]), "nik_hash": key.hash("nik", row["nik"])} for row in rows]


async def insert_roles(q: Queryable, rows: Iterable[Row]) -> None:
    """Keys: person, role."""
    await q.executemany("INSERT INTO person_roles (person_id, role) VALUES (:person, :role)", rows)


async def insert_loans(q: Queryable, rows: Iterable[Row]) -> None:
    """Keys: id, borrower, kel, principal, disbursed, tenor, grace, fee, status, business, by, created, updated."""
    await q.executemany(
        """
        INSERT INTO loans (id, borrower_id, kelurahan_code, principal, disbursed_on, tenor_months, grace_months,
                           fee_percent_monthly, status, business, created_by, created_at, updated_at)
        VALUES (:id, :borrower, :kel, :principal, :disbursed, :tenor, :grace, :fee, :status, :business, :by,
                :created, :updated)
        """,
        rows,
    )


async def insert_installments(q: Queryable, rows: Iterable[Row]) -> None:
    """Keys: id, loan, number, due, principal_due, fee_due, principal_paid, fee_paid, paid_on."""
    await q.executemany(
        """
        INSERT INTO installments (id, loan_id, number, due_date, principal_due, fee_due, principal_paid, fee_paid,
                                  paid_on)
        VALUES (:id, :loan, :number, :due, :principal_due, :fee_due, :principal_paid, :fee_paid, :paid_on)
        """,
        rows,
    )


async def insert_repayments(q: Queryable, rows: Iterable[Row]) -> None:
    """Keys: id, loan, amount, paid_on, method, status, reported_by, reported_at, verified_by, verified_at,
    reason, reversed_by, reversed_at, reversal_reason, key."""
    await q.executemany(
        """
        INSERT INTO repayments (id, loan_id, amount, paid_on, method, status, reported_by, reported_at,
                                verified_by, verified_at, reason, reversed_by, reversed_at, reversal_reason,
                                idempotency_key)
        VALUES (:id, :loan, :amount, :paid_on, :method, :status, :reported_by, :reported_at, :verified_by,
                :verified_at, :reason, :reversed_by, :reversed_at, :reversal_reason, :key)
        """,
        rows,
    )


async def insert_allocations(q: Queryable, rows: Iterable[Row]) -> None:
    """Keys: rep, inst, fee, principal (as :func:`storage.repayments.reallocate` writes them)."""
    await q.executemany(
        """
        INSERT INTO allocations (repayment_id, installment_id, fee_paid, principal_paid)
        VALUES (:rep, :inst, :fee, :principal)
        """,
        rows,
    )


async def insert_events(q: Queryable, rows: Iterable[Row]) -> None:
    """Keys: id, kel, title, kind, organiser, starts_at, place, capacity, deadline, min_age, max_age, status,
    by, created (UTC texts for starts_at, deadline and created)."""
    await q.executemany(
        """
        INSERT INTO events (id, kelurahan_code, title, kind, organiser, starts_at, place, capacity,
                            registration_deadline, min_age, max_age, status, created_by, created_at, updated_at)
        VALUES (:id, :kel, :title, :kind, :organiser, :starts_at, :place, :capacity, :deadline, :min_age,
                :max_age, :status, :by, :created, :created)
        """,
        rows,
    )


async def insert_participants(q: Queryable, rows: Iterable[Row]) -> None:
    """Keys: id, kel, name, nik, birth_date, sex, phone, education, work_status, consent_at, by."""
    await q.executemany(
        """
        INSERT INTO participants (id, kelurahan_code, name, nik, nik_hash, birth_date, sex, phone, phone_hash,
                                  education, work_status, consent_at, created_by, created_at, updated_at)
        VALUES (:id, :kel, :name, :nik, :nik_hash, :birth_date, :sex, :phone, :phone_hash, :education,
                :work_status, :consent_at, :by, :consent_at, :consent_at)
        """,
        _sealed(q, rows),
    )


async def insert_registrations(q: Queryable, rows: Iterable[Row]) -> None:
    """Keys: id, event, participant, status, waitlist_position, by, created."""
    await q.executemany(
        """
        INSERT INTO registrations (id, event_id, participant_id, status, waitlist_position, registered_by,
                                   created_at, updated_at)
        VALUES (:id, :event, :participant, :status, :waitlist_position, :by, :created, :created)
        """,
        rows,
    )


async def insert_outcomes(q: Queryable, rows: Iterable[Row]) -> None:
    """Keys: participant, event, status, by, recorded."""
    await q.executemany(
        """
        INSERT INTO outcomes (participant_id, event_id, status, recorded_by, recorded_at)
        VALUES (:participant, :event, :status, :by, :recorded)
        """,
        rows,
    )

