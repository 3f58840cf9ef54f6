"""The data step of encryption at rest (migration 0018): the key check, sealing what is still in clear, and
rotating the key. Crypto itself is :mod:`storage.crypto`; the repositories seal and hash through ``q.key``.

What is sealed (:data:`SEALED`): every NIK and phone number (people, participants, applications), with their
look-up hashes, and the three places that may quote one in free form: the values of a correction request
(``correction_requests.old_value`` / ``new_value``: a phone, also a name or an address), a form's draft
(``form_drafts.data``: a NIK typed into ``/daftar`` or ``/ajukan`` before the form is finished) and an outbox
message's context (``outbox.context``: a notice to an admin may quote the new phone). The audit log's details
hold ids only (:mod:`storage.audit`), never a value.

:func:`seal_at_rest` runs at every open, right after the migrations (:func:`storage.migrate.migrate`), in one
transaction:

- the database holds a key check and the key is missing or another one: :class:`DataKeyError` (``missing`` /
  ``wrong``), nothing changes;
- a key and no key check yet (a new database, or one from before 0018, or one filled without a key): the check
  is written, every value still in clear is sealed and every hash recomputed with the key;
- otherwise it seals what is still in clear (nothing, normally) and fills missing hashes: idempotent.

:func:`rotate` re-seals everything and recomputes every hash with a new key, in one transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from storage.crypto import PREFIX, Cipher, DataKey, DataKeyError
from storage.db import Database, Transaction, utc_text

__all__ = ["SEALED", "DataKeyError", "holds_sealed_data", "rotate", "seal_at_rest"]


@dataclass(frozen=True)
class Column:
    name: str
    #: the look-up hash column and the kind hashed (``nik`` / ``phone``), or None
    hash_column: str | None = None
    kind: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    columns: tuple[Column, ...]


NIK, PHONE = "nik", "phone"

SEALED: tuple[Table, ...] = (
    Table("people", "id", (Column("phone", "phone_hash", PHONE), Column("nik", "nik_hash", NIK))),
    Table("participants", "id", (Column("nik", "nik_hash", NIK), Column("phone", "phone_hash", PHONE))),
    Table("applications", "id", (Column("nik", "nik_hash", NIK), Column("phone", "phone_hash", PHONE))),
    Table("correction_requests", "id", (Column("old_value"), Column("new_value"))),
    Table("form_drafts", "telegram_user_id", (Column("data"),)),
    Table("outbox", "id", (Column("context"),)),
)

#: Values left in clear: nothing to hide (an outbox message whose text was dropped).
_EMPTY = ("{}",)


def _pending(table: Table, everything: bool) -> str:
    """The rows to (re)write: every row with a value (``everything``), else those with a value still in clear
    or a missing hash."""
    parts = []
    for c in table.columns:
        if everything:
            parts.append(f"{c.name} IS NOT NULL")
            continue
        parts.append(f"({c.name} IS NOT NULL AND substr({c.name}, 1, {len(PREFIX)}) <> '{PREFIX}'"
                     f" AND {c.name} NOT IN ({', '.join(repr(e) for e in _EMPTY)}))")
        if c.hash_column:
            parts.append(f"({c.name} IS NOT NULL AND {c.hash_column} IS NULL)")
    return " OR ".join(parts)


async def _reseal(tx: Transaction, old: Cipher, new: Cipher, *, everything: bool) -> int:
    """Reveal with ``old``, seal and hash with ``new``; returns how many values were found in clear."""
    in_clear = 0
    for table in SEALED:
        names = [c.name for c in table.columns]
        rows = await tx.fetchall(
            f"SELECT {table.key} AS pk, {', '.join(names)} FROM {table.name} WHERE {_pending(table, everything)}")
        if not rows:
            continue
        updates = []
        for row in rows:
            values: dict[str, object] = {"pk": row["pk"]}
            for c in table.columns:
                stored = row[c.name]
                clear = old.reveal(stored)
                in_clear += stored is not None and stored == clear and clear not in _EMPTY
                values[c.name] = clear if clear is None or clear in _EMPTY else new.seal(clear)
                if c.hash_column:
                    values[c.hash_column] = new.hash(c.kind, clear)
            updates.append(values)
        targets = [c.name for c in table.columns] + [c.hash_column for c in table.columns if c.hash_column]
        await tx.executemany(
            f"UPDATE {table.name} SET {', '.join(f'{t} = :{t}' for t in targets)} WHERE {table.key} = :pk",
            updates)
    return in_clear


async def _stored_check(tx: Transaction) -> str | None:
    return await tx.fetchval("SELECT check_value FROM data_key WHERE id = 1")


async def seal_at_rest(db: Database, *, now: datetime | None = None) -> int:
    """Check the key against the database and seal what is still in clear (module docstring); returns how many
    values were sealed now (0 without a key). DataKeyError ``missing`` / ``wrong`` when the key does not open
    the database.

    Values sealed now were in clear in the file until this transaction: their old pages (and the rebuilt
    tables' copies from migration 0018) may linger in free pages and in the WAL, so the file is then rewritten
    (``VACUUM``, the WAL checkpointed and truncated around it). This happens once per database."""
    sealed = await _seal(db, now)
    if sealed and str(db.path) != ":memory:":
        await db.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
        await db.execute("VACUUM")
        await db.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
    return sealed


async def _seal(db: Database, now: datetime | None) -> int:
    async with db.transaction() as tx:
        check = await _stored_check(tx)
        key = tx.key
        if not key.keyed:
            if check is not None:
                raise DataKeyError("missing")
            await _reseal(tx, key, key, everything=False)  # no key: only the missing hashes
            return 0
        assert isinstance(key, DataKey)
        if check is not None:
            if not key.matches(check):
                raise DataKeyError("wrong")
            return await _reseal(tx, key, key, everything=False)
        await tx.execute("INSERT INTO data_key (id, check_value, sealed_at) VALUES (1, :check, :now)",
                         {"check": key.check_value(), "now": utc_text(now or datetime.now(UTC))})
        # the hashes written without a key (a public key) are recomputed too
        return await _reseal(tx, key, key, everything=True)


async def rotate(db: Database, new: DataKey, *, now: datetime) -> int:
    """Re-seal every value and recompute every hash with ``new``, and store its key check, in one
    transaction; afterwards only ``new`` opens the database. Returns how many rows were rewritten."""
    async with db.transaction() as tx:
        check = await _stored_check(tx)
        old = tx.key
        if check is None or not old.keyed:
            raise DataKeyError("missing")
        assert isinstance(old, DataKey)
        if not old.matches(check):
            raise DataKeyError("wrong")
        await _reseal(tx, old, new, everything=True)
        rewritten = await _count(tx)
        await tx.execute("UPDATE data_key SET check_value = :check, rotated_at = :now WHERE id = 1",
                         {"check": new.check_value(), "now": utc_text(now)})
    db.key = new
    if str(db.path) != ":memory:":  # the values sealed with the old key go from the free pages and the WAL too
        await db.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
        await db.execute("VACUUM")
        await db.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
    return rewritten


async def _count(tx: Transaction) -> int:
    total = 0
    for table in SEALED:
        total += int(await tx.fetchval(f"SELECT COUNT(*) FROM {table.name} WHERE {_pending(table, True)}"))
    return total


def holds_sealed_data(path: str | Path) -> bool:
    """Whether the database file at ``path`` is bound to a key (it holds a key check), read with plain sqlite3
    without migrating: the first-run rule creates a key only for a database that is not."""
    if not Path(path).is_file():
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'data_key'").fetchone()
        return bool(has_table and conn.execute("SELECT 1 FROM data_key").fetchone())
    finally:
        conn.close()
