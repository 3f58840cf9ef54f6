"""Numbered SQL migrations applied in order through ``PRAGMA user_version``.

Files are ``storage/migrations/NNNN_description.sql``. Migration N is applied when ``user_version < N``; its
script runs inside one ``BEGIN IMMEDIATE … COMMIT`` together with ``PRAGMA user_version = N``, so a failing
migration leaves the database exactly as it was. Applying again is a no-op. Never edit a migration that has
shipped: add a new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from storage.db import Database

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

#: Numbers handed to branches still in flight (parallel work): a gap at one of these is allowed until that
#: migration lands, and the entry is then deleted. A database migrated past a missing reserved number would skip
#: it when it arrives, so such a database is for development only.
RESERVED: frozenset[int] = frozenset({10})


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """All migrations shipped with the package, in order; numbers must be 1, 2, 3 … without gaps."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    expected = [n for n in range(1, (versions[-1] if versions else 0) + 1)
                if n in versions or n not in RESERVED]
    if versions != expected:
        raise RuntimeError(f"migration numbers must be 1..{len(found)} without gaps: {[m.name for m in found]}")
    return found


async def current_version(db: Database) -> int:
    return int(await db.fetchval("PRAGMA user_version"))


async def migrate(db: Database) -> list[str]:
    """Apply every pending migration; return the names applied (empty when up to date)."""
    applied: list[str] = []
    async with db.locked() as conn:
        async with conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0])
        for migration in available():
            if migration.version <= version:
                continue
            script = f"BEGIN IMMEDIATE;\n{migration.sql}\n;PRAGMA user_version = {migration.version};\nCOMMIT;"
            try:
                await conn.executescript(script)
            except Exception:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise
            applied.append(migration.name)
    return applied
