"""The one SQLite connection of the process.

Design
------
aiosqlite runs every statement of a connection on one background thread, so statements never run at the same
time, but *transactions* of different coroutines could still interleave on the shared connection (coroutine A
opens ``BEGIN``, coroutine B's statement then runs inside A's transaction). :class:`Database` therefore guards
the connection with an :class:`asyncio.Lock`:

- ``await db.fetchone(...)`` / ``db.execute(...)`` take the lock for one statement (autocommit);
- ``async with db.transaction() as tx:`` takes the lock for the whole ``BEGIN IMMEDIATE … COMMIT`` and hands
  out a :class:`Transaction` with the same query methods, which do not take the lock again.

Repository functions accept either (the :class:`Queryable` protocol), so the caller decides whether a call is
part of a larger transaction. ``BEGIN IMMEDIATE`` takes SQLite's write lock at the start, so a second process
(``pem-bot tick`` next to ``pem-bot run``) waits up to the busy timeout instead of failing half-way.

All ``*_at`` columns hold UTC timestamps as ``YYYY-MM-DD HH:MM:SS`` (see :func:`utc_text`); calendar dates
(due dates, payment dates) are WITA dates as ``YYYY-MM-DD``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

Params = Mapping[str, Any] | None

BUSY_TIMEOUT_MS = 10_000


def utc_text(moment: datetime) -> str:
    """Format an aware datetime as the UTC text stored in ``*_at`` columns."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime; pass an aware one")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def parse_utc_text(text: str) -> datetime:
    """Inverse of :func:`utc_text`."""
    return datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


@dataclass(frozen=True)
class ExecResult:
    rowcount: int
    lastrowid: int | None


class Queryable(Protocol):
    async def execute(self, sql: str, params: Params = None) -> ExecResult: ...
    async def executemany(self, sql: str, seq: Iterable[Mapping[str, Any]]) -> None: ...
    async def fetchone(self, sql: str, params: Params = None) -> sqlite3.Row | None: ...
    async def fetchall(self, sql: str, params: Params = None) -> list[sqlite3.Row]: ...
    async def fetchval(self, sql: str, params: Params = None) -> Any: ...


# Each statement runs as ONE job on aiosqlite's worker thread (execute, fetch and close together). Going through
# aiosqlite's cursor API instead costs three thread round trips per query (execute, fetch, close), which was
# about half of the time of a handler update (bench/handlers.py, docs/performance.md). ``Connection._execute``
# and ``Connection._conn`` are aiosqlite's own internal helpers (its public ``execute_insert``/``execute_fetchall``
# are built on them the same way).
def _run_execute(aconn: aiosqlite.Connection, sql: str, params: Mapping[str, Any]) -> ExecResult:
    cursor = aconn._conn.execute(sql, params)
    try:
        return ExecResult(cursor.rowcount, cursor.lastrowid)
    finally:
        cursor.close()


def _run_fetchone(aconn: aiosqlite.Connection, sql: str, params: Mapping[str, Any]) -> sqlite3.Row | None:
    cursor = aconn._conn.execute(sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def _run_fetchall(aconn: aiosqlite.Connection, sql: str, params: Mapping[str, Any]) -> list[sqlite3.Row]:
    cursor = aconn._conn.execute(sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _run_batch(aconn: aiosqlite.Connection, statements: list[tuple[str, Mapping[str, Any]]]) -> None:
    """Several writes as ONE job on the worker thread, in one transaction (one statement: autocommit)."""
    conn = aconn._conn
    if len(statements) == 1:
        conn.execute(*statements[0]).close()
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for sql, params in statements:
            conn.execute(sql, params).close()
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already; a failed COMMIT leaves it open
            conn.execute("ROLLBACK")
        raise


class _Runner:
    """Query methods on a raw connection, without locking."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def _execute(self, sql: str, params: Params = None) -> ExecResult:
        return await self._conn._execute(_run_execute, self._conn, sql, params or {})

    async def _executemany(self, sql: str, seq: Iterable[Mapping[str, Any]]) -> None:
        await self._conn.executemany(sql, list(seq))

    async def _fetchone(self, sql: str, params: Params = None) -> sqlite3.Row | None:
        return await self._conn._execute(_run_fetchone, self._conn, sql, params or {})

    async def _fetchall(self, sql: str, params: Params = None) -> list[sqlite3.Row]:
        return await self._conn._execute(_run_fetchall, self._conn, sql, params or {})


class Transaction(_Runner):
    """Handed out by :meth:`Database.transaction`; the lock is already held."""

    execute = _Runner._execute
    executemany = _Runner._executemany
    fetchone = _Runner._fetchone
    fetchall = _Runner._fetchall

    async def fetchval(self, sql: str, params: Params = None) -> Any:
        row = await self._fetchone(sql, params)
        return None if row is None else row[0]


class Database:
    """The process's single connection. ``open()`` is idempotent; ``close()`` must be awaited at shutdown,
    since an unclosed aiosqlite connection keeps its thread alive and hangs interpreter exit."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._open_lock = asyncio.Lock()

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    async def open(self) -> Database:
        async with self._open_lock:
            if self._conn is not None:
                return self
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            conn.row_factory = sqlite3.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            self._conn = conn
            return self

    async def close(self) -> None:
        async with self._open_lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await conn.close()

    @property
    def connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    def _runner(self) -> _Runner:
        return _Runner(self.connection)

    async def execute(self, sql: str, params: Params = None) -> ExecResult:
        async with self._lock:
            return await self._runner()._execute(sql, params)

    async def executemany(self, sql: str, seq: Iterable[Mapping[str, Any]]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, seq)

    async def execute_batch(self, statements: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Run several writes in one transaction and one round trip to aiosqlite's thread (the persistence writes
        of an update, :meth:`storage.persistence.SQLitePersistence.batched`); all or nothing."""
        batch = list(statements)
        if batch:
            async with self._lock:
                await self.connection._execute(_run_batch, self.connection, batch)

    async def fetchone(self, sql: str, params: Params = None) -> sqlite3.Row | None:
        async with self._lock:
            return await self._runner()._fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = None) -> list[sqlite3.Row]:
        async with self._lock:
            return await self._runner()._fetchall(sql, params)

    async def fetchval(self, sql: str, params: Params = None) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back if the block raises."""
        async with self._lock:
            conn = self.connection
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[aiosqlite.Connection]:
        """The raw connection under the lock, for the migrator and the backup API."""
        async with self._lock:
            yield self.connection
