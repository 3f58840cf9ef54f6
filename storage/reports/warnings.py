"""Read model: warning letters (surat peringatan) issued in a month, per level (issue 16 part 1), for the monthly
report. A letter counts in the WITA month of its issue day (``issued_on``, the date printed on it)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Queryable


@dataclass(frozen=True)
class LettersIssued:
    sp1: int = 0
    sp2: int = 0
    sp3: int = 0

    @property
    def total(self) -> int:
        return self.sp1 + self.sp2 + self.sp3

    def of_level(self, level: int) -> int:
        return (self.sp1, self.sp2, self.sp3)[level - 1]


async def issued_in_month(q: Queryable, kelurahan_code: str | None, year: int, month: int) -> LettersIssued:
    """How many letters of each level were issued in ``year``-``month`` (WITA), in one kelurahan or, with
    ``kelurahan_code=None``, in all of them."""
    rows = await q.fetchall(
        """
        SELECT level, COUNT(*) AS n FROM warning_steps
        WHERE status = 'issued' AND substr(issued_on, 1, 7) = :month
          AND (:kel IS NULL OR kelurahan_code = :kel)
        GROUP BY level
        """,
        {"month": f"{year:04d}-{month:02d}", "kel": kelurahan_code},
    )
    counts = {r["level"]: r["n"] for r in rows}
    return LettersIssued(counts.get(1, 0), counts.get(2, 0), counts.get(3, 0))
