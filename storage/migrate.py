"""Numbered SQL migrations applied in order through ``PRAGMA user_version``.

Files are ``storage/migrations/NNNN_description.sql``. Migration N is applied when ``user_version < N``; its
script runs inside one ``BEGIN IMMEDIATE … COMMIT`` together with ``PRAGMA user_version = N``, so a failing
migration leaves the database exactly as it was. Applying again is a no-op. Never edit a migration that has
shipped: add a new one.

A migration whose first line is ``-- pem-migrate: foreign-keys-off`` rebuilds tables that others refer to
(SQLite's ALTER TABLE procedure: a CHECK can't be dropped otherwise). It runs with ``PRAGMA foreign_keys = OFF``
(which can't change inside a transaction, so it is set before ``BEGIN``), and ``PRAGMA foreign_key_check`` must
find nothing before it commits; foreign keys are switched on again afterwards, whatever happened.

After the SQL migrations, :func:`migrate` runs the data step of encryption at rest with the database's key
(:func:`storage.identity.seal_at_rest`: the key check, and sealing what is still in clear), which SQL can't do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from storage.db import Database
from storage.identity import seal_at_rest

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_FOREIGN_KEYS_OFF = "-- pem-migrate: foreign-keys-off"


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
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise RuntimeError(f"migration numbers must be 1..{len(found)} without gaps: {[m.name for m in found]}")
    return found


async def current_version(db: Database) -> int:
    return int(await db.fetchval("PRAGMA user_version"))


async def migrate(db: Database) -> list[str]:
    """Apply every pending migration, then the data step (:func:`storage.identity.seal_at_rest`, which raises
    :class:`storage.crypto.DataKeyError` when the key does not open the database); return the names applied
    (empty when up to date)."""
    applied: list[str] = []
    async with db.locked() as conn:
        async with conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0])
        for migration in available():
            if migration.version <= version:
                continue
            if migration.sql.startswith(_FOREIGN_KEYS_OFF):
                await _rebuild(conn, migration)
            else:
                script = f"BEGIN IMMEDIATE;\n{migration.sql}\n;PRAGMA user_version = {migration.version};\nCOMMIT;"
                try:
                    await conn.executescript(script)
                except Exception:
                    if conn.in_transaction:
                        await conn.execute("ROLLBACK")
                    raise
            applied.append(migration.name)
    await seal_at_rest(db)
    return applied


async def _rebuild(conn: aiosqlite.Connection, migration: Migration) -> None:
    """A table-rebuilding migration: foreign keys off around it, checked before the commit (module docstring)."""
    await conn.execute("PRAGMA foreign_keys = OFF")
    try:
        try:
            await conn.executescript(f"BEGIN IMMEDIATE;\n{migration.sql}\n;")
            async with conn.execute("PRAGMA foreign_key_check") as cur:
                broken = await cur.fetchall()
            if broken:
                raise RuntimeError(f"{migration.name} broke foreign keys: {[tuple(r) for r in broken[:5]]}")
            # execute, not executescript: executescript would COMMIT before it starts
            await conn.execute(f"PRAGMA user_version = {migration.version}")
            await conn.execute("COMMIT")
        except Exception:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
    finally:
        await conn.execute("PRAGMA foreign_keys = ON")
