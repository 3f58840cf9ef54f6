"""Read model: which instalments need a reminder (or a treasurer escalation) today, and which queued
reminders went stale (the planning and the clean-up of :mod:`bot.jobs.reminders`).

One set-based query plans a whole day: a small ``VALUES`` table of ``(offset, due_date)`` targets joined to
the *unpaid* instalments by due date (the ``installments_unpaid_due`` partial index), then to active loans and
their borrowers. Per planned row it adds, with correlated sub-queries on ``installments_loan_due`` and
``repayments_loan``:

* ``remaining`` on that instalment and the loan's total ``outstanding`` (verified payments only: the paid
  columns are kept exact by ``storage.repayments``);
* ``due_through``: what must still be paid for that instalment to be cleared, i.e. the remaining amount of
  every unpaid instalment of the loan up to and including it (allocation pays the oldest first);
* ``pending``: the loan's repayments waiting for verification.

An instalment is *covered* (no reminder, no escalation) when ``pending >= due_through``: once the treasurer
verifies what was reported, that instalment is paid. "Menunggu verifikasi" counts as reported.

The job queues its reminders with the kind and key of :mod:`storage.outbox_keys`
(``rem:<installment_id>:<offset>``); :func:`stale_reminder_ids` reads them back through the same definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from storage import outbox_keys
from storage.db import Queryable

_REMAINING = "(j.principal_due + j.fee_due - j.principal_paid - j.fee_paid)"


@dataclass(frozen=True)
class DueInstallment:
    offset: int  # days after the due date (negative: before)
    installment_id: int
    loan_id: int
    number: int
    due_date: date
    remaining: int
    outstanding: int
    borrower_id: int
    borrower_name: str
    kelurahan_code: str
    linked: bool  # has a Telegram chat
    reachable: bool  # linked, active and has not blocked the bot


async def due_on(q: Queryable, targets: Mapping[int, date]) -> list[DueInstallment]:
    """Unpaid, uncovered instalments of active loans due on ``targets[offset]``, for every offset."""
    if not targets:
        return []
    params: dict[str, object] = {}
    values = []
    for n, (offset, day) in enumerate(sorted(targets.items())):
        params[f"o{n}"], params[f"d{n}"] = offset, day.isoformat()
        values.append(f"(:o{n}, :d{n})")
    rows = await q.fetchall(
        f"""
        WITH targets (off, due) AS (VALUES {", ".join(values)}),
        planned AS (
            SELECT t.off, i.id AS installment_id, i.loan_id, i.number, i.due_date,
                   i.principal_due + i.fee_due - i.principal_paid - i.fee_paid AS remaining,
                   (SELECT SUM({_REMAINING}) FROM installments AS j
                    WHERE j.loan_id = i.loan_id AND j.paid_on IS NULL) AS outstanding,
                   (SELECT SUM({_REMAINING}) FROM installments AS j
                    WHERE j.loan_id = i.loan_id AND j.paid_on IS NULL
                      AND (j.due_date < i.due_date OR (j.due_date = i.due_date AND j.number <= i.number)))
                       AS due_through,
                   (SELECT COALESCE(SUM(r.amount), 0) FROM repayments AS r
                    WHERE r.loan_id = i.loan_id AND r.status = 'pending') AS pending,
                   l.borrower_id, l.kelurahan_code, p.name AS borrower_name,
                   p.telegram_chat_id IS NOT NULL AS linked,
                   (p.telegram_chat_id IS NOT NULL AND p.reachable = 1 AND p.active = 1) AS reachable
            FROM targets AS t
            JOIN installments AS i ON i.due_date = t.due AND i.paid_on IS NULL
            JOIN loans AS l ON l.id = i.loan_id AND l.status = 'active'
            JOIN people AS p ON p.id = l.borrower_id
        )
        SELECT * FROM planned WHERE remaining > 0 AND pending < due_through
        ORDER BY kelurahan_code, off, borrower_name, installment_id
        """,
        params,
    )
    return [
        DueInstallment(
            offset=r["off"], installment_id=r["installment_id"], loan_id=r["loan_id"], number=r["number"],
            due_date=date.fromisoformat(r["due_date"]), remaining=r["remaining"],
            outstanding=r["outstanding"], borrower_id=r["borrower_id"], borrower_name=r["borrower_name"],
            kelurahan_code=r["kelurahan_code"],
            linked=bool(r["linked"]), reachable=bool(r["reachable"]),
        )
        for r in rows
    ]


async def stale_reminder_ids(q: Queryable) -> list[int]:
    """Queued reminders that no longer matter: the instalment got paid, its loan is no longer active, or
    pending repayments now cover it. The instalment id is read back from the dedupe key
    (:func:`storage.outbox_keys.loan_reminder_key`: ``rem:<id>:<offset>``)."""
    rows = await q.fetchall(
        f"""
        WITH queued AS (
            SELECT o.id,
                   CAST(substr(o.dedupe_key, length(:prefix) + 1,
                               instr(substr(o.dedupe_key, length(:prefix) + 1), ':') - 1) AS INTEGER) AS inst
            FROM outbox AS o
            WHERE o.kind = :kind AND o.status = 'queued' AND substr(o.dedupe_key, 1, length(:prefix)) = :prefix
        )
        SELECT queued.id FROM queued
        JOIN installments AS i ON i.id = queued.inst
        JOIN loans AS l ON l.id = i.loan_id
        WHERE i.paid_on IS NOT NULL OR l.status <> 'active'
           OR (SELECT COALESCE(SUM(r.amount), 0) FROM repayments AS r
               WHERE r.loan_id = i.loan_id AND r.status = 'pending')
              >= (SELECT COALESCE(SUM({_REMAINING}), 0) FROM installments AS j
                  WHERE j.loan_id = i.loan_id AND j.paid_on IS NULL
                    AND (j.due_date < i.due_date OR (j.due_date = i.due_date AND j.number <= i.number)))
        ORDER BY queued.id
        """,
        {"kind": outbox_keys.LOAN_REMINDER_KIND, "prefix": outbox_keys.LOAN_REMINDER_PREFIX},
    )
    return [r["id"] for r in rows]
