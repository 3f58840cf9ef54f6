"""Repository: pauses after a disaster (migration 0012) and the SQL that honours them.

The rules are :mod:`bot.domain.pauses`; this module stores pauses, reads them back as
:class:`bot.domain.pauses.Pause`, applies rule 1 to the stored schedule (:func:`move_installments`) and gives
the read models one SQL fragment (:func:`paused_days_sql`) for rule 2 (days in arrears do not grow during a
pause), so every place that computes days in arrears in SQL subtracts the same paused days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.pauses import Pause, move_due_date
from storage.db import Queryable, utc_text


@dataclass(frozen=True)
class StoredPause:
    id: int
    pause: Pause
    reason: str
    declared_by: int
    declared_at: str
    kelurahan: tuple[str, ...]


def paused_days_sql(due: str, today: str, kelurahan: str) -> str:
    """A SQL expression: the paused days ``d`` of kelurahan ``kelurahan`` with ``due < d <= today`` (all three
    are SQL expressions, dates as 'YYYY-MM-DD'). Matches :func:`bot.domain.pauses.paused_days`."""
    return f"""(SELECT COALESCE(SUM(MAX(0, MIN(julianday({today}), julianday(pz.ends_on))
                                      - MAX(julianday({due}) + 1, julianday(pz.starts_on)) + 1)), 0)
               FROM pause_kelurahan AS pk JOIN pauses AS pz ON pz.id = pk.pause_id
               WHERE pk.kelurahan_code = {kelurahan})"""


async def for_kelurahan(q: Queryable, kelurahan_code: str) -> list[Pause]:
    rows = await q.fetchall(
        """
        SELECT pz.starts_on, pz.ends_on FROM pause_kelurahan AS pk JOIN pauses AS pz ON pz.id = pk.pause_id
        WHERE pk.kelurahan_code = :kel ORDER BY pz.starts_on
        """,
        {"kel": kelurahan_code},
    )
    return [Pause(date.fromisoformat(r["starts_on"]), date.fromisoformat(r["ends_on"])) for r in rows]


async def paused_kelurahan(q: Queryable, day: date) -> set[str]:
    """The kelurahan a pause covers on ``day`` (rule 3: no D+ or promise reminder there)."""
    rows = await q.fetchall(
        """
        SELECT DISTINCT pk.kelurahan_code FROM pauses AS pz JOIN pause_kelurahan AS pk ON pk.pause_id = pz.id
        WHERE pz.starts_on <= :day AND pz.ends_on >= :day
        """,
        {"day": day.isoformat()},
    )
    return {r["kelurahan_code"] for r in rows}


async def create(q: Queryable, pause: Pause, *, reason: str, kelurahan: Sequence[str], declared_by: int,
                 now: datetime) -> int:
    result = await q.execute(
        """
        INSERT INTO pauses (starts_on, ends_on, reason, declared_by, declared_at)
        VALUES (:start, :end, :reason, :by, :now)
        """,
        {"start": pause.starts_on.isoformat(), "end": pause.ends_on.isoformat(), "reason": reason,
         "by": declared_by, "now": utc_text(now)},
    )
    pause_id = result.lastrowid
    assert pause_id is not None
    await q.executemany("INSERT INTO pause_kelurahan (pause_id, kelurahan_code) VALUES (:p, :k)",
                        [{"p": pause_id, "k": k} for k in kelurahan])
    return pause_id


async def move_installments(q: Queryable, pause: Pause, kelurahan_code: str) -> int:
    """Rule 1 on the stored schedule: every unpaid instalment of an active loan of the kelurahan due inside
    ``pause`` moves by its length (``paused_from`` keeps its first date). Returns how many moved."""
    rows = await q.fetchall(
        """
        SELECT i.id, i.due_date FROM installments AS i JOIN loans AS l ON l.id = i.loan_id
        WHERE l.kelurahan_code = :kel AND l.status = 'active' AND i.paid_on IS NULL
          AND i.due_date BETWEEN :start AND :end
        """,
        {"kel": kelurahan_code, "start": pause.starts_on.isoformat(), "end": pause.ends_on.isoformat()},
    )
    await q.executemany(
        "UPDATE installments SET paused_from = COALESCE(paused_from, due_date), due_date = :due WHERE id = :id",
        [{"id": r["id"], "due": move_due_date(date.fromisoformat(r["due_date"]), [pause]).isoformat()}
         for r in rows],
    )
    return len(rows)


async def borrowers_to_tell(q: Queryable, kelurahan: Sequence[str]) -> list[int]:
    """Reachable borrowers with an active loan in these kelurahan (they get the pause's one message)."""
    marks = ", ".join(f":k{n}" for n in range(len(kelurahan)))
    rows = await q.fetchall(
        f"""
        SELECT DISTINCT p.id FROM loans AS l JOIN people AS p ON p.id = l.borrower_id
        WHERE l.status = 'active' AND l.kelurahan_code IN ({marks})
          AND p.telegram_chat_id IS NOT NULL AND p.reachable = 1 AND p.active = 1
        ORDER BY p.id
        """,
        {f"k{n}": k for n, k in enumerate(kelurahan)},
    )
    return [r["id"] for r in rows]


async def get(q: Queryable, pause_id: int) -> StoredPause | None:
    row = await q.fetchone("SELECT * FROM pauses WHERE id = :id", {"id": pause_id})
    if row is None:
        return None
    kels = await q.fetchall("SELECT kelurahan_code FROM pause_kelurahan WHERE pause_id = :id ORDER BY 1",
                            {"id": pause_id})
    return StoredPause(row["id"], Pause(date.fromisoformat(row["starts_on"]), date.fromisoformat(row["ends_on"])),
                       row["reason"], row["declared_by"], row["declared_at"],
                       tuple(r["kelurahan_code"] for r in kels))
