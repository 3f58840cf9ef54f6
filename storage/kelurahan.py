"""Repository: kecamatan and kelurahan (seeded by migration 0001)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Queryable


@dataclass(frozen=True)
class Kelurahan:
    code: str
    name: str
    kecamatan_code: str
    kecamatan_name: str


_SELECT = """
SELECT k.code, k.name, k.kecamatan_code, c.name AS kecamatan_name
FROM kelurahan AS k JOIN kecamatan AS c ON c.code = k.kecamatan_code
"""


def _row(row) -> Kelurahan:
    return Kelurahan(row["code"], row["name"], row["kecamatan_code"], row["kecamatan_name"])


async def get(q: Queryable, code: str) -> Kelurahan | None:
    row = await q.fetchone(_SELECT + " WHERE k.code = :code", {"code": code})
    return None if row is None else _row(row)


async def find(q: Queryable, code_or_name: str) -> Kelurahan | None:
    """By code (``53.71.05.1004``) or by name, case-insensitively (``naikoten satu``)."""
    row = await q.fetchone(
        _SELECT + " WHERE k.code = :v OR lower(k.name) = lower(:v) ORDER BY k.code LIMIT 1",
        {"v": code_or_name.strip()},
    )
    return None if row is None else _row(row)


async def list_all(q: Queryable) -> list[Kelurahan]:
    return [_row(r) for r in await q.fetchall(_SELECT + " ORDER BY k.code")]


async def min_repaid_percent(q: Queryable, code: str) -> int | None:
    """The kelurahan's own re-lending rule (migration 0019): the minimum repaid share in %, or None when it
    follows the city's ``PEM_RELENDING_MIN_REPAID_PERCENT``."""
    value = await q.fetchval("SELECT min_repaid_percent FROM kelurahan WHERE code = :code", {"code": code})
    return None if value is None else int(value)


async def set_min_repaid_percent(q: Queryable, code: str, percent: int | None) -> bool:
    """Set (or with None clear) the kelurahan's minimum repaid share; False when there is no such kelurahan."""
    result = await q.execute("UPDATE kelurahan SET min_repaid_percent = :p WHERE code = :code",
                             {"p": percent, "code": code})
    return result.rowcount == 1
