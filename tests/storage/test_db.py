"""The connection's two ways of running statements: on aiosqlite's thread, and on the event loop (``inline``).

Which thread ran a statement is observed from SQL itself (a ``thread_id()`` function registered on the connection),
and "the event loop was not held up" by a task that keeps counting while a statement waits for SQLite's lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from storage.db import Database


@pytest.fixture
async def tdb(db: Database) -> Database:
    db.connection._conn.create_function("thread_id", 0, threading.get_ident)
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


def _release_later(other: sqlite3.Connection, seconds: float) -> threading.Timer:
    """Release from another thread, so that a blocked event loop cannot keep the lock from being released."""
    def release() -> None:
        other.execute("COMMIT")
        other.close()

    timer = threading.Timer(seconds, release)
    timer.start()
    return timer


async def test_statements_run_on_the_worker_thread_by_default_and_on_the_loop_inline(tdb):
    loop_thread = threading.get_ident()
    assert await tdb.fetchval("SELECT thread_id()") != loop_thread
    with tdb.inline():
        assert await tdb.fetchval("SELECT thread_id()") == loop_thread
        rows = await tdb.fetchall("SELECT thread_id() AS tid")
        assert rows[0]["tid"] == loop_thread
        with tdb.on_thread():
            assert await tdb.fetchval("SELECT thread_id()") != loop_thread
        assert await tdb.fetchval("SELECT thread_id()") == loop_thread


async def test_inline_mode_is_inherited_by_tasks_started_inside_it(tdb):
    loop_thread = threading.get_ident()
    with tdb.inline():
        task = asyncio.create_task(tdb.fetchval("SELECT thread_id()"))
    assert await task == loop_thread


async def _insert_then_fail(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO t (v) VALUES (3)")
        raise RuntimeError("boom")


async def test_inline_writes_and_transactions_commit_and_roll_back(tdb):
    loop_thread = threading.get_ident()
    with tdb.inline():
        result = await tdb.execute("INSERT INTO t (v) VALUES (thread_id())")
        assert result.rowcount == 1
        async with tdb.transaction() as tx:
            await tx.execute("INSERT INTO t (v) VALUES (:v)", {"v": 2})
            assert await tx.fetchval("SELECT thread_id()") == loop_thread
        with pytest.raises(RuntimeError):
            await _insert_then_fail(tdb)
        await tdb.execute_batch([("INSERT INTO t (v) VALUES (:v)", {"v": 4}), ("INSERT INTO t (v) VALUES (5)", {})])
        with pytest.raises(sqlite3.OperationalError):
            await tdb.execute_batch([("INSERT INTO t (v) VALUES (6)", {}), ("INSERT INTO nowhere VALUES (1)", {})])
    assert not tdb.connection._conn.in_transaction
    values = [r["v"] for r in await tdb.fetchall("SELECT v FROM t ORDER BY rowid")]
    assert values == [loop_thread, 2, 4, 5]  # 3 and 6 rolled back with their transactions
    # A second connection sees the inline writes: they were committed, not left in an open transaction.
    other = sqlite3.connect(tdb.path)
    assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 4
    other.close()


@pytest.mark.parametrize("kind", ["execute", "transaction", "batch"])
async def test_inline_write_waits_on_the_thread_when_another_process_holds_the_lock(tdb, kind):
    """A write never waits for SQLite's lock on the event loop: it is handed to the worker thread, which waits
    (busy timeout), while the loop keeps serving other chats."""
    loop_thread = threading.get_ident()
    other = _hold_write_lock(tdb.path)
    ticker = _Ticker()
    release = _release_later(other, 0.3)
    try:
        with tdb.inline():
            if kind == "execute":
                await tdb.execute("INSERT INTO t (v) VALUES (thread_id())")
            elif kind == "transaction":
                async with tdb.transaction() as tx:
                    await tx.execute("INSERT INTO t (v) VALUES (thread_id())")
            else:
                await tdb.execute_batch([("INSERT INTO t (v) VALUES (thread_id())", {}),
                                         ("INSERT INTO t (v) VALUES (thread_id())", {})])
    finally:
        ticker.stop()
        release.join()
    assert ticker.ticks >= 10  # ~30 turns in 0.3 s; a loop blocked by the busy wait would count 1
    values = {r["v"] for r in await tdb.fetchall("SELECT v FROM t")}
    assert values and loop_thread not in values  # written by the worker thread, after the lock was released
    # The connection is back to its normal busy timeout after the failed attempt.
    assert await tdb.fetchval("PRAGMA busy_timeout") == 10_000


async def test_inline_reads_do_not_wait_for_a_writer(tdb):
    await tdb.execute("INSERT INTO t (v) VALUES (1)")
    other = _hold_write_lock(tdb.path)
    try:
        other.execute("INSERT INTO t (v) VALUES (2)")
        with tdb.inline():
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


async def test_checkpoints_run_on_the_worker_thread_every_so_many_commits(tdb, monkeypatch):
    """SQLite's automatic checkpoint (an fsync inside a COMMIT) is off; the connection checkpoints in the
    background on aiosqlite's thread instead, so an inline commit never stalls the event loop."""
    import storage.db as db_module

    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY_COMMITS", 5)
    tdb._commits = 0  # the fixture's CREATE TABLE counted as one
    assert await tdb.fetchval("PRAGMA wal_autocheckpoint") == 0
    seen: list[tuple[int, str]] = []
    tdb.connection._conn.set_trace_callback(lambda sql: seen.append((threading.get_ident(), sql)))
    loop_thread = threading.get_ident()
    with tdb.inline():
        for v in range(4):
            await tdb.execute("INSERT INTO t (v) VALUES (:v)", {"v": v})
        assert tdb._checkpointing is None
        assert not [sql for _, sql in seen if "wal_checkpoint" in sql]
        async with tdb.transaction() as tx:  # the fifth commit
            await tx.execute("INSERT INTO t (v) VALUES (4)")
    task = tdb._checkpointing
    assert task is not None
    await task
    checkpoints = [tid for tid, sql in seen if "wal_checkpoint" in sql]
    assert len(checkpoints) == 1 and checkpoints[0] != loop_thread
    assert tdb._checkpointing is None
    # Every page is back in the database file: a fresh connection that ignores the WAL still sees them all.
    other = sqlite3.connect(f"file:{tdb.path}?mode=ro&immutable=1", uri=True)
    assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 5
    other.close()


async def test_a_cancelled_wait_holds_the_lock_until_the_thread_is_done(tdb):
    """A task cancelled while its BEGIN waits on the worker thread (another process holds SQLite's lock) must not
    release the connection early: the BEGIN still completes on the thread, and would otherwise leave a
    transaction open under the next inline statement (or run at the same time as it)."""
    other = _hold_write_lock(tdb.path)
    release = _release_later(other, 0.3)

    async def writer() -> None:
        async with tdb.transaction() as tx:  # on the thread: waits for the other connection's lock
            await tx.execute("INSERT INTO t (v) VALUES (1)")

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with tdb.inline():
        await tdb.execute("INSERT INTO t (v) VALUES (2)")  # waits for the cancelled BEGIN to be rolled back
        assert [r["v"] for r in await tdb.fetchall("SELECT v FROM t")] == [2]
    release.join()
    assert not tdb.connection._conn.in_transaction
