"""The connection: every statement on aiosqlite's thread, transactions serialised, cancellation and other processes.

Which thread ran a statement is observed from SQL itself (a ``thread_id()`` function registered on the connection
through aiosqlite's public ``create_function``), and "the event loop was not held up" by a task that keeps
counting while a statement waits for SQLite's lock.
"""

from __future__ import annotations

import asyncio
import select
import sqlite3
import threading
from pathlib import Path

import pytest

from storage.db import BUSY_SLICE_MS, BUSY_TIMEOUT_MS, Database


def _sleep(seconds: float) -> None:
    """Sleep in a thread, also under libfaketime (``time.sleep`` fails there with "Invalid argument", and timed
    waits on a lock or an event, hence ``threading.Timer``, never end unless ``DONT_FAKE_MONOTONIC`` is set)."""
    select.select([], [], [], seconds)


def _slow(value: int) -> int:
    """A SQL function that keeps aiosqlite's thread busy for a while (to cancel a wait in the middle)."""
    _sleep(0.2)
    return value


@pytest.fixture
async def tdb(db: Database) -> Database:
    await db.connection.create_function("thread_id", 0, threading.get_ident)
    await db.connection.create_function("slow", 1, _slow)
    await db.execute("CREATE TABLE t (v INTEGER)")
    return db


class _Ticker:
    """Counts event-loop turns while it runs: a blocked loop stops the count."""

    def __init__(self) -> None:
        self.ticks = 0
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.ticks += 1
            await asyncio.sleep(0.01)

    def stop(self) -> None:
        self._task.cancel()


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def _release_later(other: sqlite3.Connection, seconds: float) -> threading.Thread:
    """Release from another thread, so that a blocked event loop cannot keep the lock from being released."""
    def release() -> None:
        _sleep(seconds)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=release)
    thread.start()
    return thread


async def _values(db: Database) -> list[int]:
    return [r["v"] for r in await db.fetchall("SELECT v FROM t ORDER BY rowid")]


async def test_the_connection_settings(tdb):
    assert await tdb.fetchval("PRAGMA journal_mode") == "wal"
    assert await tdb.fetchval("PRAGMA foreign_keys") == 1
    assert await tdb.fetchval("PRAGMA busy_timeout") == BUSY_SLICE_MS  # the thread never blocks long
    assert tdb.busy_timeout_ms == BUSY_TIMEOUT_MS  # a write's patience in all, waited off the thread
    assert await tdb.fetchval("PRAGMA wal_autocheckpoint") == 1000  # SQLite checkpoints by itself
    assert tdb.connection.in_transaction is False


async def test_every_statement_runs_on_aiosqlites_thread(tdb):
    loop_thread = threading.get_ident()
    assert await tdb.fetchval("SELECT thread_id()") != loop_thread
    assert (await tdb.fetchall("SELECT thread_id() AS tid"))[0]["tid"] != loop_thread
    await tdb.execute("INSERT INTO t (v) VALUES (thread_id())")
    async with tdb.transaction() as tx:
        await tx.execute("INSERT INTO t (v) VALUES (thread_id())")
        await tx.executemany("INSERT INTO t (v) VALUES (thread_id() + :n)", [{"n": 0}])
    await tdb.execute_batch([("INSERT INTO t (v) VALUES (thread_id())", {}), ("INSERT INTO t (v) VALUES (1)", {})])
    assert loop_thread not in await _values(tdb)


async def _insert_then_fail(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO t (v) VALUES (3)")
        raise RuntimeError("boom")


async def test_writes_and_transactions_commit_and_roll_back(tdb):
    result = await tdb.execute("INSERT INTO t (v) VALUES (1)")
    assert result.rowcount == 1 and result.lastrowid == 1
    async with tdb.transaction() as tx:
        await tx.execute("INSERT INTO t (v) VALUES (:v)", {"v": 2})
        assert await tx.fetchval("SELECT count(*) FROM t") == 2
        assert (await tx.execute("UPDATE t SET v = v WHERE v > 0")).rowcount == 2
    with pytest.raises(RuntimeError):
        await _insert_then_fail(tdb)
    await tdb.execute_batch([("INSERT INTO t (v) VALUES (:v)", {"v": 4}), ("INSERT INTO t (v) VALUES (5)", {})])
    with pytest.raises(sqlite3.OperationalError):
        await tdb.execute_batch([("INSERT INTO t (v) VALUES (6)", {}), ("INSERT INTO nowhere VALUES (1)", {})])
    await tdb.executemany("INSERT INTO t (v) VALUES (:v)", [{"v": 7}, {"v": 8}])
    assert not tdb.connection.in_transaction
    assert await _values(tdb) == [1, 2, 4, 5, 7, 8]  # 3 and 6 rolled back with their transactions
    assert await tdb.fetchone("SELECT v FROM t WHERE v > 100") is None
    # A second connection sees the writes: they were committed, not left in an open transaction.
    other = sqlite3.connect(tdb.path)
    assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 6
    other.close()


async def test_transactions_of_different_tasks_do_not_interleave(tdb):
    async def writer(v: int) -> None:
        async with tdb.transaction() as tx:
            await tx.execute("INSERT INTO t (v) VALUES (:v)", {"v": v})
            await asyncio.sleep(0.01)  # another task's statement would run here if it could
            await tx.execute("INSERT INTO t (v) VALUES (:v)", {"v": v})

    async def failing() -> None:
        async with tdb.transaction() as tx:
            await tx.execute("INSERT INTO t (v) VALUES (9)")
            await asyncio.sleep(0.01)
            raise RuntimeError("boom")

    results = await asyncio.gather(writer(1), failing(), writer(2), tdb.execute("INSERT INTO t (v) VALUES (3)"),
                                   return_exceptions=True)
    assert isinstance(results[1], RuntimeError)
    values = await _values(tdb)
    assert sorted(values) == [1, 1, 2, 2, 3]
    assert values.index(1) + 1 == values.index(1, values.index(1) + 1)  # each transaction's rows together
    assert values.index(2) + 1 == values.index(2, values.index(2) + 1)


@pytest.mark.parametrize("kind", ["execute", "transaction", "batch"])
async def test_a_write_waits_on_the_thread_while_another_process_holds_the_lock(tdb, kind):
    """A write waits for SQLite's lock (busy timeout) on aiosqlite's thread, while the loop keeps serving other
    chats."""
    other = _hold_write_lock(tdb.path)
    ticker = _Ticker()
    release = _release_later(other, 0.3)
    try:
        if kind == "execute":
            await tdb.execute("INSERT INTO t (v) VALUES (1)")
        elif kind == "transaction":
            async with tdb.transaction() as tx:
                await tx.execute("INSERT INTO t (v) VALUES (1)")
        else:
            await tdb.execute_batch([("INSERT INTO t (v) VALUES (1)", {}), ("INSERT INTO t (v) VALUES (1)", {})])
    finally:
        ticker.stop()
        release.join()
    assert ticker.ticks >= 10  # ~30 turns in 0.3 s; a loop blocked by the busy wait would count 1
    assert await _values(tdb) in ([1], [1, 1])


@pytest.mark.parametrize("kind", ["execute", "transaction", "batch"])
async def test_a_write_locked_out_past_the_busy_timeout_fails_clearly_and_stores_nothing(tdb, kind):
    tdb.busy_timeout_ms = 200  # instead of waiting 10 s

    async def write() -> None:
        if kind == "execute":
            await tdb.execute("INSERT INTO t (v) VALUES (1)")
        elif kind == "transaction":
            async with tdb.transaction() as tx:
                await tx.execute("INSERT INTO t (v) VALUES (1)")
        else:
            await tdb.execute_batch([("INSERT INTO t (v) VALUES (1)", {}), ("INSERT INTO t (v) VALUES (2)", {})])

    other = _hold_write_lock(tdb.path)
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await write()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not tdb.connection.in_transaction
    assert await _values(tdb) == []  # nothing half-stored
    await tdb.execute("INSERT INTO t (v) VALUES (3)")  # and the connection goes on working
    assert await _values(tdb) == [3]


@pytest.mark.parametrize("kind", ["transaction", "execute"])
async def test_a_read_is_answered_while_a_write_of_the_same_process_waits_for_another_process(tdb, kind):
    """Issue 13: one write waiting for another process's lock used to hold the process's connection (its busy
    wait ran on aiosqlite's thread, under the asyncio lock) for up to 10 s, so every reader waited behind it."""
    other = _hold_write_lock(tdb.path)

    async def write() -> None:
        if kind == "execute":
            await tdb.execute("INSERT INTO t (v) VALUES (1)")
        else:
            async with tdb.transaction() as tx:
                await tx.execute("INSERT INTO t (v) VALUES (1)")

    writer = asyncio.create_task(write())
    try:
        await asyncio.sleep(0.1)  # the writer is waiting for the lock now
        reader = asyncio.create_task(tdb.fetchval("SELECT count(*) FROM t"))
        done, _ = await asyncio.wait({reader, writer}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        assert done == {reader}  # answered while the write still waits
        assert reader.result() == 0
    finally:
        other.execute("COMMIT")
        other.close()
    await writer  # and the write goes through once the lock is free
    assert await _values(tdb) == [1]


async def test_reads_do_not_wait_for_a_writer(tdb):
    await tdb.execute("INSERT INTO t (v) VALUES (1)")
    other = _hold_write_lock(tdb.path)
    try:
        other.execute("INSERT INTO t (v) VALUES (2)")
        assert await tdb.fetchval("SELECT count(*) FROM t") == 1  # WAL: the last committed state
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_close_waits_for_the_statement_holding_the_lock(db_path):
    db = await Database(db_path).open()
    async with db.transaction() as tx:
        closing = asyncio.create_task(db.close())
        await asyncio.sleep(0.05)
        assert not closing.done()
        await tx.execute("CREATE TABLE u (v INTEGER)")
    await closing
    assert not db.is_open


async def test_a_cancelled_begin_holds_the_lock_until_the_thread_is_done(tdb):
    """A task cancelled while its BEGIN waits on the thread (another process holds SQLite's lock) must not release
    the connection early: the BEGIN still completes on the thread, and would otherwise leave a transaction open
    under the next statement."""
    other = _hold_write_lock(tdb.path)
    release = _release_later(other, 0.3)

    async def writer() -> None:
        async with tdb.transaction() as tx:  # waits on the thread for the other connection's lock
            await tx.execute("INSERT INTO t (v) VALUES (1)")

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await tdb.execute("INSERT INTO t (v) VALUES (2)")  # after the cancelled BEGIN was rolled back
    assert await _values(tdb) == [2]
    release.join()
    assert not tdb.connection.in_transaction


async def test_a_statement_cancelled_mid_transaction_is_finished_then_rolled_back(tdb):
    """Cancelled while a statement of its transaction runs on the thread: the lock is kept until that statement is
    done, then the transaction is rolled back; nothing of it is stored, and the next caller is not inside it."""
    started = asyncio.Event()

    async def writer() -> None:
        async with tdb.transaction() as tx:
            await tx.execute("INSERT INTO t (v) VALUES (1)")
            started.set()
            await tx.execute("INSERT INTO t (v) VALUES (slow(2))")  # 0.2 s on the thread

    task = asyncio.create_task(writer())
    await started.wait()
    await asyncio.sleep(0.05)
    waiting = asyncio.create_task(tdb.execute("INSERT INTO t (v) VALUES (3)"))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await waiting
    assert not tdb.connection.in_transaction
    assert await _values(tdb) == [3]


async def test_a_cancelled_autocommit_statement_keeps_the_lock_until_it_is_done(tdb):
    """The statement still runs to its end on the thread (cancelling a wait does not stop it); the next caller
    runs after it, never at the same time."""
    task = asyncio.create_task(tdb.execute("INSERT INTO t (v) VALUES (slow(1))"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _values(tdb) == [1]
    assert not tdb.connection.in_transaction
