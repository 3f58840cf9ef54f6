"""bench/handlers.py only: ``storage/db.py`` as it was on ``main`` before issue 11, kept to measure it next to the
new core in the same run. Not imported by the bot. It uses aiosqlite's private ``Connection._execute``/``_conn``
(present in aiosqlite 0.20–0.22); the bench's legacy run also restores ``main``'s ``PemApplication``
(``process_update`` inside :meth:`Database.inline`, the hand-made ``update_persistence``): see
``LegacyApplication`` in bench/handlers.py. The text below is the old module, unchanged.

The one SQLite connection of the process.

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

Statements on the event loop (``inline``)
-----------------------------------------
A trip to aiosqlite's worker thread and back costs ~66 µs on the 2-core production machine (``bench/handlers.py``),
more than the indexed lookups and small writes a Telegram update makes (5–30 µs each); a ``/bayar`` tap made
about eight of them. :class:`bot.runtime.app.PemApplication` therefore handles every update inside
:meth:`Database.inline`: while it is active, statements run directly on the connection from the event loop's
thread, with no hop. It is the same connection (opened with ``check_same_thread=False``) and the same lock, so a
statement never runs on both threads at once (a task cancelled while it waits for the thread keeps the lock until
the thread is done: :func:`_settle`). Three rules keep the event loop from waiting:

- **No lock waits on the loop.** A write made inline (``execute``, ``execute_batch``, ``transaction()``) first
  takes SQLite's write lock with a busy timeout of 0. If another process holds it (``pem-bot tick``, an import,
  a backup), the same work is handed to the worker thread, which waits up to :data:`BUSY_TIMEOUT_MS` as
  before. Reads do not wait for writers in WAL mode (only, rarely, for another connection's
  recovery of the WAL after a crash).
- **Long queries stay on the thread.** Digests and kelurahan-wide lists run inside :meth:`Database.on_thread`
  (``/ringkasan``, ``/verifikasi``, ``/peminjam``); the minute tick and the start-up catch-up do too, and the CLI
  and the tests' direct calls do not use ``inline`` at all. What stays inline is point lookups and one person's
  or one loan's rows.
- **Checkpoints on the thread.** SQLite's automatic WAL checkpoint runs inside the ``COMMIT`` that crosses
  1,000 pages and writes them back with an fsync: on the loop that is a stall, and amortised it was ~0.06 ms of
  every update. The connection has ``wal_autocheckpoint`` off instead, and every
  :data:`CHECKPOINT_EVERY_COMMITS` commits a passive checkpoint runs as a background job on aiosqlite's thread.
  SQLite checkpoints once more when the connection closes. (CLI processes open the database the same way and
  checkpoint their own commits; the bot's next checkpoint takes in whatever they left in the WAL.)

All ``*_at`` columns hold UTC timestamps as ``YYYY-MM-DD HH:MM:SS`` (see :func:`utc_text`); calendar dates
(due dates, payment dates) are WITA dates as ``YYYY-MM-DD``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

Params = Mapping[str, Any] | None

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000

#: Commits between two checkpoints (an update commits about 5 pages; SQLite's own default is every 1,000 pages).
CHECKPOINT_EVERY_COMMITS = 200

#: True while statements run on the event loop's thread (see "Statements on the event loop" above).
_INLINE: ContextVar[bool] = ContextVar("pem_db_inline", default=False)

_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6


def _is_lock_error(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)


async def _settle(job: Awaitable[Any]) -> Any:
    """Await a job on aiosqlite's worker thread to its very end, even when the awaiting task is cancelled.

    Cancelling the wait does not stop the thread: without this, the lock would be released while the thread still
    uses the connection, and the next inline statement would run on the loop at the same time (or a ``BEGIN``
    would complete after its caller gave up, leaving a transaction open). The cancellation is re-raised once the
    job has finished."""
    task = asyncio.ensure_future(job)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({task})
        if not task.cancelled():
            task.exception()  # retrieved: the cancellation is what the caller sees
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open (SQLite ends it itself after some errors, e.g. a full disk)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _begin_nowait(conn: sqlite3.Connection) -> bool:
    """``BEGIN IMMEDIATE`` without waiting: False (and no transaction) when another connection holds SQLite's
    write lock. Once it is held, nothing else in the transaction waits for a lock (WAL: commits need no other
    lock, and the automatic checkpoint after a commit is passive)."""
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if _is_lock_error(exc):
            return False
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return True


def _commit(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # a failed COMMIT leaves the transaction open
            conn.execute("ROLLBACK")
        raise


def utc_text(moment: datetime) -> str:
    """Format an aware datetime as the UTC text stored in ``*_at`` columns."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime; pass an aware one")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def parse_utc_text(text: str) -> datetime:
    """Inverse of :func:`utc_text`."""
    # fromisoformat: ~1 µs against strptime's ~8; every outbox and person row has one or more of these.
    return datetime.fromisoformat(text[:19]).replace(tzinfo=UTC)


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
    """Query methods on a raw connection, without locking. ``inline``: run on the calling (event loop) thread."""

    def __init__(self, conn: aiosqlite.Connection, inline: bool = False) -> None:
        self._conn = conn
        self._inline = inline

    async def _execute(self, sql: str, params: Params = None) -> ExecResult:
        if self._inline:
            return _run_execute(self._conn, sql, params or {})
        return await _settle(self._conn._execute(_run_execute, self._conn, sql, params or {}))

    async def _executemany(self, sql: str, seq: Iterable[Mapping[str, Any]]) -> None:
        if self._inline:
            self._conn._conn.executemany(sql, list(seq)).close()
            return
        await _settle(self._conn.executemany(sql, list(seq)))

    async def _fetchone(self, sql: str, params: Params = None) -> sqlite3.Row | None:
        if self._inline:
            return _run_fetchone(self._conn, sql, params or {})
        return await _settle(self._conn._execute(_run_fetchone, self._conn, sql, params or {}))

    async def _fetchall(self, sql: str, params: Params = None) -> list[sqlite3.Row]:
        if self._inline:
            return _run_fetchall(self._conn, sql, params or {})
        return await _settle(self._conn._execute(_run_fetchall, self._conn, sql, params or {}))


class Transaction(_Runner):
    """Handed out by :meth:`Database.transaction`; the lock is already held."""

    execute = _Runner._execute
    executemany = _Runner._executemany
    fetchone = _Runner._fetchone
    fetchall = _Runner._fetchall

    async def fetchval(self, sql: str, params: Params = None) -> Any:
        row = await self._fetchone(sql, params)
        return None if row is None else row[0]


def _run_write_nowait(aconn: aiosqlite.Connection, sql: str, params: Mapping[str, Any]) -> ExecResult | None:
    """One autocommit write on the calling thread; None, with nothing done, when the write lock is taken."""
    conn = aconn._conn
    if not _begin_nowait(conn):
        return None
    try:
        result = _run_execute(aconn, sql, params)
    except BaseException:
        _rollback(conn)
        raise
    _commit(conn)
    return result


class Database:
    """The process's single connection. ``open()`` is idempotent; ``close()`` must be awaited at shutdown,
    since an unclosed aiosqlite connection keeps its thread alive and hangs interpreter exit."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._open_lock = asyncio.Lock()
        self._commits = 0  # since the last checkpoint
        self._checkpointing: asyncio.Task[None] | None = None

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    async def open(self) -> Database:
        async with self._open_lock:
            if self._conn is not None:
                return self
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread=False: statements also run on the event loop's thread (Database.inline), never at
            # the same time as on aiosqlite's thread (both hold self._lock).
            conn = await aiosqlite.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA wal_autocheckpoint = 0")  # see "Checkpoints on the thread"
            self._conn = conn
            return self

    async def close(self) -> None:
        if self._checkpointing is not None:
            await asyncio.wait({self._checkpointing})  # it logs its own failure
        async with self._open_lock, self._lock:  # not while a statement runs inline
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await conn.close()

    def _committed(self) -> None:
        """Count a commit; every :data:`CHECKPOINT_EVERY_COMMITS`, start a checkpoint in the background."""
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY_COMMITS and self._checkpointing is None:
            self._commits = 0
            self._checkpointing = asyncio.get_running_loop().create_task(self.checkpoint())

    async def checkpoint(self) -> None:
        """A passive WAL checkpoint on aiosqlite's thread (pages no reader still needs go back to the file).
        A failure is logged, never raised: the next one will try again, and SQLite checkpoints at close."""
        try:
            async with self._lock:
                if self._conn is not None:
                    await _settle(self._conn._execute(_run_fetchall, self._conn, "PRAGMA wal_checkpoint(PASSIVE)",
                                                      {}))
        except Exception:
            log.exception("WAL checkpoint failed")
        finally:
            if self._checkpointing is asyncio.current_task():
                self._checkpointing = None

    @property
    def latest(self) -> Database:
        """Point reads (today's ``storage.db.Database.latest``): the old core had one connection."""
        return self

    @property
    def connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    @contextmanager
    def inline(self) -> Iterator[None]:
        """Run the statements made inside the block (in this task and the tasks it starts) on the event loop's
        thread; see the module docstring. :class:`bot.runtime.app.PemApplication` handles every update inside it."""
        token = _INLINE.set(True)
        try:
            yield
        finally:
            _INLINE.reset(token)

    @contextmanager
    def on_thread(self) -> Iterator[None]:
        """Run the statements made inside the block on aiosqlite's thread even while handling an update: for
        queries that scan many rows (a digest on demand), which would hold up every other chat."""
        token = _INLINE.set(False)
        try:
            yield
        finally:
            _INLINE.reset(token)

    def _runner(self) -> _Runner:
        return _Runner(self.connection, _INLINE.get())

    async def execute(self, sql: str, params: Params = None) -> ExecResult:
        async with self._lock:
            if _INLINE.get():
                result = _run_write_nowait(self.connection, sql, params or {})
                if result is not None:
                    self._committed()
                    return result
            result = await _Runner(self.connection)._execute(sql, params)
            self._committed()
            return result

    async def executemany(self, sql: str, seq: Iterable[Mapping[str, Any]]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, seq)

    async def execute_batch(self, statements: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Run several writes in one transaction and one round trip to aiosqlite's thread (the persistence writes
        of an update, :meth:`storage.persistence.SQLitePersistence.batched`); all or nothing."""
        batch = list(statements)
        if batch:
            async with self._lock:
                if _INLINE.get() and _begin_nowait(self.connection._conn):
                    conn = self.connection._conn
                    try:
                        for sql, params in batch:
                            conn.execute(sql, params).close()
                    except BaseException:
                        _rollback(conn)
                        raise
                    _commit(conn)
                else:
                    await _settle(self.connection._execute(_run_batch, self.connection, batch))
                self._committed()

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
            if _INLINE.get() and _begin_nowait(conn._conn):
                try:
                    yield Transaction(conn, inline=True)
                except BaseException:
                    _rollback(conn._conn)
                    raise
                else:
                    _commit(conn._conn)
                    self._committed()
                return
            try:
                await _settle(conn.execute("BEGIN IMMEDIATE"))
                yield Transaction(conn)
                await _settle(conn.execute("COMMIT"))
            except BaseException:
                # The worker is idle here (_settle), so looking at the connection from the loop is safe. A BEGIN
                # that completed after its caller was cancelled, a failed block, a failed COMMIT: roll back.
                if conn._conn.in_transaction:
                    await _settle(conn.execute("ROLLBACK"))
                raise
            self._committed()

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[aiosqlite.Connection]:
        """The raw connection under the lock, for the migrator and the backup API."""
        async with self._lock:
            yield self.connection
