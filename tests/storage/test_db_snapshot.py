"""The read-only second connection for reports (storage/db.py ``Database.snapshot``, issue 12)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage.db import Database


@pytest.fixture
async def tdb(tmp_path: Path):
    database = await Database(tmp_path / "t.sqlite3").open()
    await database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    await database.execute("INSERT INTO t (v) VALUES (1)")
    try:
        yield database
    finally:
        await database.close()


async def test_a_report_reads_while_the_shared_connection_is_held(tdb):
    """A transaction holds the shared connection's lock: a snapshot still reads (it used to wait for it)."""
    release = asyncio.Event()
    held = asyncio.Event()

    async def writer() -> None:
        async with tdb.transaction() as tx:
            await tx.execute("UPDATE t SET v = 2")
            held.set()
            await release.wait()

    task = asyncio.ensure_future(writer())
    await held.wait()
    async with tdb.snapshot() as reads:
        value = await asyncio.wait_for(reads.fetchval("SELECT v FROM t"), timeout=30)
    assert value == 1, "the writer has not committed: the report sees the committed state"
    release.set()
    await task
    async with tdb.snapshot() as reads:
        assert await reads.fetchval("SELECT v FROM t") == 2


async def test_one_snapshot_sees_one_state(tdb):
    async with tdb.snapshot() as reads:
        first = await reads.fetchall("SELECT v FROM t")
        await tdb.execute("INSERT INTO t (v) VALUES (5)")  # committed meanwhile by the shared connection
        second = await reads.fetchall("SELECT v FROM t")
    assert [r[0] for r in first] == [r[0] for r in second] == [1]
    assert await tdb.fetchval("SELECT COUNT(*) FROM t") == 2


async def test_a_snapshot_cannot_write(tdb):
    async with tdb.snapshot() as reads:
        with pytest.raises(sqlite3.OperationalError):
            await reads.execute("DELETE FROM t")
        with pytest.raises(sqlite3.OperationalError):  # not even through the connection itself
            await reads._execute("DELETE FROM t")
    assert await tdb.fetchval("SELECT COUNT(*) FROM t") == 1


async def test_in_memory_the_snapshot_is_the_shared_connection():
    database = await Database(":memory:").open()
    try:
        await database.execute("CREATE TABLE t (v INTEGER)")
        await database.execute("INSERT INTO t VALUES (3)")
        async with database.snapshot() as reads:
            assert await reads.fetchval("SELECT v FROM t") == 3
    finally:
        await database.close()


# --- off_loop: long work in a worker process with its own loop and read-only connection (issue 12, item 7) ------
async def _where_and_value(reads, table: str):
    import os

    return os.getpid(), await reads.fetchval(f"SELECT v FROM {table}")


async def _write(reads):
    return await reads.execute("UPDATE t SET v = 6")


async def test_long_work_runs_in_another_process_and_sees_what_is_committed(tdb):
    import os

    async with tdb.transaction() as tx:
        await tx.execute("UPDATE t SET v = 5")
    pid, value = await tdb.off_loop(_where_and_value, "t")
    assert pid != os.getpid() and value == 5


async def test_long_work_cannot_write(tdb):
    with pytest.raises(sqlite3.OperationalError):
        await tdb.off_loop(_write)
    assert await tdb.fetchval("SELECT v FROM t") == 1


async def _phone_of(reads, person_id: int):
    from storage import people

    person = await people.get(reads, person_id)
    return None if person is None else person.phone


async def test_long_work_reads_sealed_phones_with_the_databases_key(db):
    """The worker process gets the data key: a phone sealed at rest (issue 18) reads back in clear there too."""
    from storage import people

    async with db.transaction() as tx:
        person = await people.create(tx, name="Ana", kelurahan_code=None, phone="+6281234567890")
    stored = await db.fetchval("SELECT phone FROM people WHERE id = :id", {"id": person.id})
    assert stored.startswith("v1:")  # sealed in the file
    assert await db.off_loop(_phone_of, person.id) == "+6281234567890"


async def _kelurahan_report(reads, code, tz):
    from bot.services import reports

    return await reports.kelurahan_report(reads, code, 2026, 11, tz)


async def _city_report(reads, tz):
    from bot.services import reports

    return await reports.city_report(reads, 2026, 11, tz)


async def test_the_reports_built_off_the_loop_are_the_ones_built_on_it(running):
    """The same monthly report (kelurahan and city) whether computed on the bot's loop or in the worker."""
    from zoneinfo import ZoneInfo

    from bot.services import reports
    from tests import lpj_fixture as fx

    db = running.app.db
    await fx.build(db)
    tz = ZoneInfo("Asia/Makassar")
    assert await db.off_loop(_kelurahan_report, fx.KEL, tz) == await reports.kelurahan_report(db, fx.KEL, 2026, 11, tz)
    assert await db.off_loop(_city_report, tz) == await reports.city_report(db, 2026, 11, tz)


# --- latest: point reads of what is committed, on their own connection (issue 12) -------------------------------
async def test_point_reads_see_each_commit_and_do_not_wait_for_the_shared_connection(tdb):
    assert await tdb.latest.fetchval("SELECT v FROM t") == 1
    await tdb.execute("UPDATE t SET v = 3")
    assert await tdb.latest.fetchval("SELECT v FROM t") == 3, "autocommit: every read sees the last commit"

    release, held = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with tdb.transaction() as tx:
            await tx.execute("UPDATE t SET v = 4")
            held.set()
            await release.wait()

    task = asyncio.ensure_future(writer())
    await held.wait()
    value = await asyncio.wait_for(tdb.latest.fetchval("SELECT v FROM t"), timeout=30)
    assert value == 3, "the transaction holding the shared connection has not committed"
    release.set()
    await task
    assert await tdb.latest.fetchval("SELECT v FROM t") == 4


async def test_point_reads_cannot_write(tdb):
    with pytest.raises(sqlite3.OperationalError):
        await tdb.latest.execute("UPDATE t SET v = 9")
    assert await tdb.fetchval("SELECT v FROM t") == 1
