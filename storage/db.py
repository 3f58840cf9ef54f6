"""The one SQLite connection of the process, on aiosqlite's public API.

Design
------
aiosqlite runs every statement of a connection on one background thread, in the order they were queued, so
statements never run at the same time and the event loop never waits for SQLite. *Transactions* of different
coroutines could still interleave on the shared connection (coroutine A opens ``BEGIN``, coroutine B's statement
then runs inside A's transaction). :class:`Database` therefore guards the connection with one
:class:`asyncio.Lock`:

- ``await db.fetchone(...)`` / ``db.execute(...)`` take the lock for one statement (autocommit);
- ``async with db.transaction() as tx:`` takes the lock for the whole ``BEGIN IMMEDIATE … COMMIT`` and hands
  out a :class:`Transaction` with the same query methods, which do not take the lock again.

Repository functions accept either (the :class:`Queryable` protocol), so the caller decides whether a call is
part of a larger transaction. ``BEGIN IMMEDIATE`` takes SQLite's write lock at the start. When a second process
holds it (``pem-bot tick`` next to ``pem-bot run``, an import, a backup, a sqlite3 shell), the write waits for it
up to :data:`BUSY_TIMEOUT_MS` in all, then fails with SQLite's ``database is locked`` before anything was
written. It does *not* wait on aiosqlite's thread, which would hold up every other statement of the process
(a reader's ``/bantuan`` waited 9.6 s behind one Konfirmasi, issue 13): SQLite's own busy wait is only
:data:`BUSY_SLICE_MS`, and between tries :func:`_patiently` gives the connection back (the asyncio lock is
released and the task sleeps 10 ms, doubling to 200 ms), so reads and other users' work go on meanwhile. In WAL
mode readers never need the write lock, so a user who only reads is answered at once. A statement that fails
as busy did nothing, so trying it again is safe; a statement *inside* a transaction is never retried (the
transaction already holds the lock).

Every statement is one trip to aiosqlite's thread (``execute_fetchall`` for reads, ``execute`` for writes,
``executemany``), the same for a point lookup and for a kelurahan-wide list: nothing to remember when a new query
is added. A trip costs ~40 µs on an idle 2-core machine, more when the cores are busy (``bench/handlers.py``,
``docs/performance.md``: an update makes about eight).
If a unit of work ever needs to be faster, the way forward is to run the whole of it as one synchronous function
in one trip to the thread (datasette's ``execute_write_fn`` is the model), never to switch threads per statement.

Cancellation: cancelling a task stops its *wait*, not the statement queued on aiosqlite's thread. A cancelled
wait therefore keeps the lock until the thread has run everything queued so far (:func:`_drain`), and a
``BEGIN`` that completed after its caller gave up is rolled back, so no transaction is left open under the next
caller. SQLite checkpoints the WAL itself (``wal_autocheckpoint``, every 1,000 pages), on the same thread.

Reports on a second connection
------------------------------
The digest's aggregates (``WITH per_loan AS (…)``) take 70–100 ms each on the synthetic city; on the shared
connection every reply that needs the database waited behind them (issue 12). WAL lets readers run beside the
writer, so :meth:`Database.snapshot` hands out a second, **read-only** connection (``PRAGMA query_only``, its
own thread and its own lock), inside one read transaction: the statements of a digest, a report or an export
see one consistent state of the database, and the shared connection stays free for the updates. It does not
see what the shared connection has not committed yet. A ``:memory:`` database has no second connection: there
the snapshot uses the shared one.

All ``*_at`` columns hold UTC timestamps as ``YYYY-MM-DD HH:MM:SS`` (see :func:`utc_text`); calendar dates
(due dates, payment dates) are WITA dates as ``YYYY-MM-DD``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import sqlite3
import time as _time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiosqlite

from bot.domain.settings import ConfigError
from storage.crypto import NO_KEY, Cipher

Params = Mapping[str, Any] | None
T = TypeVar("T")

#: How long, in all, a write waits for another process's write lock before it fails ("database is locked").
BUSY_TIMEOUT_MS = 10_000
#: SQLite's own busy wait (``PRAGMA busy_timeout``) per try: the connection's thread is blocked this long at most.
BUSY_SLICE_MS = 50
_RETRY_FIRST, _RETRY_MAX = 0.01, 0.2


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite saying another connection holds the lock ("database is locked" / busy)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(exc)
    return "database is locked" in text or "database is busy" in text


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
    #: seals, reveals and hashes NIKs and phone numbers (storage/crypto.py): the database's data key
    key: Cipher

    async def execute(self, sql: str, params: Params = None) -> ExecResult: ...
    async def executemany(self, sql: str, seq: Iterable[Mapping[str, Any]]) -> None: ...
    async def fetchone(self, sql: str, params: Params = None) -> sqlite3.Row | None: ...
    async def fetchall(self, sql: str, params: Params = None) -> list[sqlite3.Row]: ...
    async def fetchval(self, sql: str, params: Params = None) -> Any: ...


async def _drain(conn: aiosqlite.Connection) -> None:
    """Wait, even through further cancellations, until aiosqlite's thread has run everything queued so far.

    Its queue runs in order, so a no-op queued now completes only after the statement whose wait was cancelled.
    Without this the lock would be released while the thread still runs that statement (a ``BEGIN`` could then
    complete under the next caller, or a write land after its caller gave up)."""
    barrier = asyncio.ensure_future(conn.execute_fetchall("SELECT 1"))
    while not barrier.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait({barrier})
    if not barrier.cancelled():
        barrier.exception()  # retrieved: the cancellation is what the caller sees


async def _settled(conn: aiosqlite.Connection, job: Awaitable[T]) -> T:
    """Await one statement on aiosqlite's thread; if the wait is cancelled, first let the thread finish it."""
    try:
        return await job
    except asyncio.CancelledError:
        await _drain(conn)
        raise


class _Statements:
    """The query methods on the connection, without locking (the caller holds the lock)."""

    def __init__(self, conn: aiosqlite.Connection, key: Cipher = NO_KEY) -> None:
        self._conn = conn
        self.key = key

    async def _execute(self, sql: str, params: Params = None) -> ExecResult:
        # One trip: ``execute`` steps the statement to its end on the thread; rowcount and lastrowid are read
        # from the cursor afterwards, with no further trip (a write returns no rows, so there is nothing to close
        # on the thread: the cursor is released with its last reference, here).
        cursor = await _settled(self._conn, self._conn.execute(sql, params or {}))
        result = ExecResult(cursor.rowcount, cursor.lastrowid)
        del cursor
        return result

    async def _executemany(self, sql: str, seq: Iterable[Mapping[str, Any]]) -> None:
        await _settled(self._conn, self._conn.executemany(sql, list(seq)))

    async def _fetchall(self, sql: str, params: Params = None) -> list[sqlite3.Row]:
        return list(await _settled(self._conn, self._conn.execute_fetchall(sql, params or {})))

    async def _fetchone(self, sql: str, params: Params = None) -> sqlite3.Row | None:
        # execute_fetchall: one trip (a cursor's execute + fetchone + close would be three).
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None

    async def _begin(self) -> None:
        await self._execute("BEGIN IMMEDIATE")

    async def _commit(self) -> None:
        await self._execute("COMMIT")

    async def _rollback_if_open(self) -> None:
        """Roll back if a transaction is still open (SQLite ends it itself after some errors, e.g. a full disk;
        a failed ``COMMIT`` leaves it open). The thread is idle here (:func:`_settled`), so reading
        ``in_transaction`` from the loop is safe."""
        if self._conn.in_transaction:
            await self._execute("ROLLBACK")


class Transaction(_Statements):
    """Handed out by :meth:`Database.transaction`; the lock is already held."""

    execute = _Statements._execute
    executemany = _Statements._executemany
    fetchone = _Statements._fetchone
    fetchall = _Statements._fetchall

    async def fetchval(self, sql: str, params: Params = None) -> Any:
        row = await self._fetchone(sql, params)
        return None if row is None else row[0]


class LatestReads:
    """:attr:`Database.latest`: single read statements on the read-only autocommit connection."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.key: Cipher = db.key  # repositories reveal what they read (storage/crypto.py)

    async def fetchall(self, sql: str, params: Params = None) -> list[sqlite3.Row]:
        return await _Statements(await self._db.latest_connection(), self.key)._fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = None) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = None) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = None) -> ExecResult:
        raise sqlite3.OperationalError("point reads are read-only")

    async def executemany(self, sql: str, seq: Iterable[Mapping[str, Any]]) -> None:
        raise sqlite3.OperationalError("point reads are read-only")


class Snapshot(_Statements):
    """Handed out by :meth:`Database.snapshot`: reads inside one read transaction on the read-only connection."""

    fetchone = _Statements._fetchone
    fetchall = _Statements._fetchall

    async def fetchval(self, sql: str, params: Params = None) -> Any:
        row = await self._fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = None) -> ExecResult:
        raise sqlite3.OperationalError("a snapshot is read-only")

    async def executemany(self, sql: str, seq: Iterable[Mapping[str, Any]]) -> None:
        raise sqlite3.OperationalError("a snapshot is read-only")


class Database:
    """The process's single connection. ``open()`` is idempotent; ``close()`` must be awaited at shutdown,
    since an unclosed aiosqlite connection keeps its thread alive and hangs interpreter exit."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
                 data_key: Cipher = NO_KEY) -> None:
        self.path = Path(path)
        #: The data key (``PEM_DATA_KEY``, :mod:`storage.crypto`): repositories seal, reveal and hash NIKs and
        #: phone numbers with ``q.key``; :func:`storage.migrate.migrate` checks it against the database.
        self.key: Cipher = data_key
        #: How long a write waits for another process's lock in all (tests shorten it).
        self.busy_timeout_ms = busy_timeout_ms
        self._conn: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()
        self._latest: aiosqlite.Connection | None = None
        self._latest_lock = asyncio.Lock()
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
            try:
                conn.row_factory = sqlite3.Row
                # Switching to WAL may need the lock: the full wait for that, then the short slice (see above).
                for pragma in (f"busy_timeout = {self.busy_timeout_ms}", "journal_mode = WAL", "foreign_keys = ON",
                               "synchronous = NORMAL", f"busy_timeout = {BUSY_SLICE_MS}"):
                    await conn.execute_fetchall(f"PRAGMA {pragma}")
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
            return self

    async def close(self) -> None:
        async with self._open_lock, self._lock:  # not while a statement or transaction holds the connection
            async with self._read_lock:
                if self._reader is not None:
                    reader, self._reader = self._reader, None
                    await reader.close()
            async with self._latest_lock:
                if self._latest is not None:
                    latest, self._latest = self._latest, None
                    await latest.close()
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await conn.close()

    async def read_connection(self) -> aiosqlite.Connection | None:
        """The read-only connection (opened on first use, once the database exists); None for ``:memory:``."""
        if str(self.path) == ":memory:":
            return None
        if self._reader is None:
            self.connection  # noqa: B018 (raises when the database is not open)
            reader = await aiosqlite.connect(self.path, isolation_level=None)
            try:
                reader.row_factory = sqlite3.Row
                for pragma in (f"busy_timeout = {BUSY_TIMEOUT_MS}", "query_only = ON"):
                    await reader.execute_fetchall(f"PRAGMA {pragma}")
            except BaseException:
                await reader.close()
                raise
            self._reader = reader
        return self._reader

    @property
    def latest(self) -> LatestReads | Database:
        """Point reads of what is committed, on a third, read-only connection in autocommit (each statement
        sees the last commit): what an update reads first (who is this, their open form's draft) before it
        answers a button, so that the answer does not queue behind other updates' statements and transactions
        on the shared connection (issue 12: at N = 200 a read waited ~40 ms there at the median). Only for
        what earlier updates have committed (the processor runs a user's updates one after the other), never
        inside a transaction. ``:memory:``: the shared connection."""
        if str(self.path) == ":memory:":
            return self
        return LatestReads(self)

    async def latest_connection(self) -> aiosqlite.Connection:
        if self._latest is None:
            async with self._latest_lock:
                if self._latest is None:
                    self.connection  # noqa: B018 (raises when the database is not open)
                    conn = await aiosqlite.connect(self.path, isolation_level=None)
                    try:
                        conn.row_factory = sqlite3.Row
                        for pragma in (f"busy_timeout = {BUSY_TIMEOUT_MS}", "query_only = ON"):
                            await conn.execute_fetchall(f"PRAGMA {pragma}")
                    except BaseException:
                        await conn.close()
                        raise
                    self._latest = conn
        return self._latest

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Snapshot]:
        """Reads for a report, a digest or an export: one read transaction on the second, read-only connection,
        so the shared connection (and every update waiting for it) is not held meanwhile (module docstring)."""
        if str(self.path) == ":memory:":  # no second connection: the shared one, under its lock
            async with self._lock:
                yield Snapshot(self.connection, self.key)
            return
        async with self._read_lock:
            reader = await self.read_connection()
            assert reader is not None
            snap = Snapshot(reader, self.key)
            await snap._execute("BEGIN")
            try:
                yield snap
            finally:
                await _settled(reader, reader.execute("COMMIT" if reader.in_transaction else "SELECT 1"))

    async def off_loop(self, work: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Long work (a city report, a document built from a report): ``await work(reads, *args)`` runs in a
        worker *process* (:func:`worker_pool`), on an event loop of its own, its reads in one read transaction on
        a read-only connection of its own, so that neither its reads nor its CPU (hundreds of thousands of rows
        turned into objects, a PDF or XLSX rendered) hold up the bot's event loop and the replies to everybody
        else (issue 12, item 7). A thread was not enough: the GIL it holds for seconds made every reply of the bot
        wait for it in turn (``bench/latency.py`` run 5: p99 93 ms → 1.5 s with a thread). ``work`` must be a
        module-level function and ``args`` and its result picklable. ``:memory:`` (tests): the shared connection,
        on this loop."""
        if str(self.path) == ":memory:":
            async with self.snapshot() as snap:
                return await work(snap, *args)
        self.connection  # noqa: B018 (raises when the database is not open)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(worker_pool(), _off_loop_in_worker, str(self.path), self.key, work, args)

    @property
    def connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    def _statements(self) -> _Statements:
        return _Statements(self.connection, self.key)

    async def _patiently(self, run: Callable[[_Statements], Awaitable[T]]) -> T:
        """Run one autocommit statement under the lock; while another process holds SQLite's lock, try again
        with the connection given back in between, for up to :attr:`busy_timeout_ms` in all."""
        deadline = _time.monotonic() + self.busy_timeout_ms / 1000
        pause = _RETRY_FIRST
        while True:
            async with self._lock:
                try:
                    return await run(self._statements())
                except sqlite3.OperationalError as exc:
                    if not is_busy(exc) or _time.monotonic() >= deadline:
                        raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, _RETRY_MAX)

    async def execute(self, sql: str, params: Params = None) -> ExecResult:
        return await self._patiently(lambda st: st._execute(sql, params))

    async def executemany(self, sql: str, seq: Iterable[Mapping[str, Any]]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, seq)

    async def execute_batch(self, statements: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Run several writes in one transaction; all or nothing. One statement runs alone (autocommit)."""
        batch = list(statements)
        if len(batch) == 1:
            await self.execute(*batch[0])
        elif batch:
            async with self.transaction() as tx:
                for sql, params in batch:
                    await tx.execute(sql, params)

    async def fetchone(self, sql: str, params: Params = None) -> sqlite3.Row | None:
        return await self._patiently(lambda st: st._fetchone(sql, params))

    async def fetchall(self, sql: str, params: Params = None) -> list[sqlite3.Row]:
        return await self._patiently(lambda st: st._fetchall(sql, params))

    async def fetchval(self, sql: str, params: Params = None) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back if the block (or the ``COMMIT``) raises or is
        cancelled."""
        deadline = _time.monotonic() + self.busy_timeout_ms / 1000
        pause = _RETRY_FIRST
        while True:
            await self._lock.acquire()
            tx = Transaction(self.connection, self.key)
            try:
                await tx._begin()
                break
            except sqlite3.OperationalError as exc:
                self._lock.release()
                if not is_busy(exc) or _time.monotonic() >= deadline:
                    raise
            except BaseException:
                try:  # a cancelled BEGIN that completed on the thread once its caller had given up
                    await tx._rollback_if_open()
                finally:
                    self._lock.release()
                raise
            await asyncio.sleep(pause)  # another process has the write lock: the connection is free meanwhile
            pause = min(pause * 2, _RETRY_MAX)
        try:
            yield tx
            await tx._commit()
        except BaseException:
            await tx._rollback_if_open()
            raise
        finally:
            self._lock.release()

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[aiosqlite.Connection]:
        """The raw connection under the lock, for the migrator, with SQLite's full busy wait (a migration is
        one script and can't be retried piecewise; nothing else runs at start-up)."""
        async with self._lock:
            await self.connection.execute_fetchall(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
            try:
                yield self.connection
            finally:
                await self.connection.execute_fetchall(f"PRAGMA busy_timeout = {BUSY_SLICE_MS}")


def check_database_writable(path: Path) -> None:
    """Create the database's folder and make sure the file can be written, or raise ConfigError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab"):
            pass
    except OSError as exc:
        raise ConfigError("database", path=str(path), reason=exc.strerror or str(exc)) from exc


# --- long work in a worker process (Database.off_loop) ---------------------------------------------------------
_POOL: ProcessPoolExecutor | None = None
#: The worker runs at a lower CPU priority than the bot: when the cores are busy, the replies to people go
#: first and the long work takes what is left (bench/latency.py run 5: 52 charts kept a core busy for ~2 min).
WORKER_NICENESS = 10


def worker_pool() -> ProcessPoolExecutor:
    """One worker process for the long work of this process (started on first use with ``spawn``: a fork of
    a process with aiosqlite's threads is not safe). One worker: the other core stays the bot's; long requests
    queue behind each other, not in front of the replies."""
    global _POOL
    if _POOL is None:
        _POOL = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=os.nice, initargs=(WORKER_NICENESS,))
    return _POOL


def _nothing() -> None:
    return None


def start_worker_pool() -> None:
    """Start the worker process now (``pem-bot run`` does at start-up), so that the first long request does
    not also wait for a Python process to start (a second or more on a busy machine)."""
    worker_pool().submit(_nothing)


def shutdown_worker_pool() -> None:
    global _POOL
    if _POOL is not None:
        pool, _POOL = _POOL, None
        pool.shutdown(wait=True, cancel_futures=True)


def _off_loop_in_worker(path: str, key: Cipher, work: Callable[..., Awaitable[T]], args: tuple[Any, ...]) -> T:
    async def run() -> T:
        reader = await aiosqlite.connect(path, isolation_level=None)
        try:
            reader.row_factory = sqlite3.Row
            for pragma in (f"busy_timeout = {BUSY_TIMEOUT_MS}", "query_only = ON"):
                await reader.execute_fetchall(f"PRAGMA {pragma}")
            snap = Snapshot(reader, key)  # the worker reveals NIKs and phones with the bot's key
            await snap._execute("BEGIN")
            try:
                return await work(snap, *args)
            finally:
                await reader.execute("COMMIT" if reader.in_transaction else "SELECT 1")
        finally:
            await reader.close()

    return asyncio.run(run())
