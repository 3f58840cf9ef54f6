"""Repository: the borrower's confirmation of a disbursement (``loans.disbursement_*``, migration 0009; issue 15
part 3, the ghost-borrower check).

A loan starts ``unconfirmed``; the borrower answers once: ``confirmed`` (Ya, sudah terima) or ``disputed``
(Belum / tidak sesuai, with a note). :func:`answer` only changes an ``unconfirmed`` loan, so a double tap or a
second device cannot overwrite the first answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.db import Queryable, utc_text

STATUSES = ("unconfirmed", "confirmed", "disputed")


@dataclass(frozen=True)
class Disbursement:
    loan_id: int
    borrower_id: int
    borrower_name: str
    kelurahan_code: str
    principal: int
    disbursed_on: date
    status: str
    answered_at: str | None
    note: str | None
    loan_status: str


_SELECT = """
SELECT l.id AS loan_id, l.borrower_id, p.name AS borrower_name, l.kelurahan_code, l.principal, l.disbursed_on,
       l.disbursement_status, l.disbursement_answered_at, l.disbursement_note, l.status AS loan_status
FROM loans AS l JOIN people AS p ON p.id = l.borrower_id
"""


def _row(row) -> Disbursement:
    return Disbursement(
        loan_id=row["loan_id"], borrower_id=row["borrower_id"], borrower_name=row["borrower_name"],
        kelurahan_code=row["kelurahan_code"], principal=row["principal"],
        disbursed_on=date.fromisoformat(row["disbursed_on"]), status=row["disbursement_status"],
        answered_at=row["disbursement_answered_at"], note=row["disbursement_note"], loan_status=row["loan_status"],
    )


async def get(q: Queryable, loan_id: int) -> Disbursement | None:
    row = await q.fetchone(_SELECT + " WHERE l.id = :id", {"id": loan_id})
    return None if row is None else _row(row)


async def unconfirmed_for_borrower(q: Queryable, borrower_id: int) -> list[Disbursement]:
    """The borrower's loans (not written off) still waiting for their answer, oldest disbursement first."""
    rows = await q.fetchall(
        _SELECT + """ WHERE l.borrower_id = :b AND l.disbursement_status = 'unconfirmed'
                      AND l.status <> 'written_off' ORDER BY l.disbursed_on, l.id""",
        {"b": borrower_id},
    )
    return [_row(r) for r in rows]


async def answer(tx: Queryable, loan_id: int, *, status: str, note: str | None, now: datetime) -> bool:
    """Record the borrower's answer; False (nothing changes) when the loan was answered already."""
    if status not in ("confirmed", "disputed"):
        raise ValueError(f"an answer is confirmed or disputed, got {status!r}")
    result = await tx.execute(
        """
        UPDATE loans SET disbursement_status = :status, disbursement_answered_at = :now, disbursement_note = :note
        WHERE id = :id AND disbursement_status = 'unconfirmed'
        """,
        {"status": status, "now": utc_text(now), "note": note, "id": loan_id},
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class OpenDisbursements:
    """A kelurahan's loans whose disbursement is not confirmed, for the lurah's digest."""

    disputed: list[Disbursement]  # all of them, newest answer first
    unconfirmed: list[Disbursement]  # the oldest disbursements first, at most ``limit``
    unconfirmed_total: int
    unconfirmed_principal: int


async def open_for_kelurahan(q: Queryable, kelurahan_code: str, *, limit: int = 10) -> OpenDisbursements:
    where = "l.kelurahan_code = :k AND l.status <> 'written_off'"
    disputed = await q.fetchall(
        _SELECT + f" WHERE {where} AND l.disbursement_status = 'disputed' ORDER BY l.disbursement_answered_at DESC",
        {"k": kelurahan_code},
    )
    unconfirmed = await q.fetchall(
        _SELECT + f" WHERE {where} AND l.disbursement_status = 'unconfirmed' ORDER BY l.disbursed_on, l.id "
        "LIMIT :limit",
        {"k": kelurahan_code, "limit": limit},
    )
    totals = await q.fetchone(
        f"SELECT COUNT(*) AS n, COALESCE(SUM(l.principal), 0) AS s FROM loans AS l WHERE {where} "
        "AND l.disbursement_status = 'unconfirmed'",
        {"k": kelurahan_code},
    )
    assert totals is not None
    return OpenDisbursements([_row(r) for r in disputed], [_row(r) for r in unconfirmed], int(totals["n"]),
                             int(totals["s"]))
