"""Read model: the pauses of a kelurahan that touch a month, for the monthly report ("the report shows the
pause", issue 16 part 4; the report itself is issue 15's)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from storage.db import Queryable


@dataclass(frozen=True)
class MonthPause:
    id: int
    starts_on: date
    ends_on: date
    reason: str
    days_in_month: int  # the pause's days that fall in the month


async def in_month(q: Queryable, kelurahan_code: str, year: int, month: int) -> list[MonthPause]:
    """Pauses of ``kelurahan_code`` sharing at least one day with the month, oldest first."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    rows = await q.fetchall(
        """
        SELECT pz.id, pz.starts_on, pz.ends_on, pz.reason,
               CAST(julianday(MIN(pz.ends_on, :last)) - julianday(MAX(pz.starts_on, :first)) + 1 AS INTEGER)
                   AS days
        FROM pause_kelurahan AS pk JOIN pauses AS pz ON pz.id = pk.pause_id
        WHERE pk.kelurahan_code = :kel AND pz.starts_on <= :last AND pz.ends_on >= :first
        ORDER BY pz.starts_on, pz.id
        """,
        {"kel": kelurahan_code, "first": first.isoformat(), "last": last.isoformat()},
    )
    return [MonthPause(r["id"], date.fromisoformat(r["starts_on"]), date.fromisoformat(r["ends_on"]),
                       r["reason"], r["days"]) for r in rows]
