"""The SQLite persistence: round trips, deletion, and concurrent writes (PTB gathers them)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from storage.persistence import SQLitePersistence, dumps, loads


def test_json_round_trip_keeps_dates_decimals_and_tuples():
    value = {"d": date(2026, 11, 28), "dt": datetime(2026, 11, 28, 7, 0, tzinfo=ZoneInfo("Asia/Makassar")),
             "t": time(8, 30), "fee": Decimal("0.5"), "pair": (1, "a"), "nested": [{"x": None, "ok": True}]}
    assert loads(dumps(value)) == value


def test_unpersistable_value_is_refused_loudly():
    with pytest.raises(TypeError, match="cannot persist"):
        dumps({"x": object()})


async def test_user_data_and_conversations_survive_a_new_persistence(db):
    first = SQLitePersistence(db)
    await first.update_user_data(42, {"form": {"id": "abc123", "amount": 150_000, "day": date(2026, 11, 28)}})
    await first.update_conversation("forms", (42, 42), "pay.amount")
    await first.update_chat_data(42, {"x": 1})

    second = SQLitePersistence(db)
    assert await second.get_user_data() == {42: {"form": {"id": "abc123", "amount": 150_000,
                                                          "day": date(2026, 11, 28)}}}
    assert await second.get_conversations("forms") == {(42, 42): "pay.amount"}
    assert await second.get_chat_data() == {42: {"x": 1}}

    await second.update_conversation("forms", (42, 42), None)
    await second.drop_user_data(42)
    third = SQLitePersistence(db)
    assert await third.get_conversations("forms") == {}
    assert await third.get_user_data() == {}


async def test_concurrent_updates_under_gather_lose_nothing(db):
    persistence = SQLitePersistence(db)
    await asyncio.gather(*(persistence.update_user_data(uid, {"n": uid, "text": "x" * 200}) for uid in range(300)),
                         *(persistence.update_conversation("forms", (uid, uid), f"s{uid}") for uid in range(300)))
    fresh = SQLitePersistence(db)
    data = await fresh.get_user_data()
    assert len(data) == 300 and all(data[uid]["n"] == uid for uid in range(300))
    conversations = await fresh.get_conversations("forms")
    assert conversations == {(uid, uid): f"s{uid}" for uid in range(300)}


async def test_concurrent_writes_do_not_interleave_with_a_transaction(db):
    """A persistence write arriving while a transaction is open waits for it instead of joining it."""
    persistence = SQLitePersistence(db)

    async def insert_then_fail() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO kecamatan (code, name) VALUES ('99.99.99', 'X')")
            await asyncio.sleep(0.01)
            raise RuntimeError("rollback")

    async def failing_transaction() -> None:
        with pytest.raises(RuntimeError):
            await insert_then_fail()

    await asyncio.gather(failing_transaction(), persistence.update_user_data(1, {"kept": True}))
    assert await db.fetchval("SELECT count(*) FROM kecamatan WHERE code = '99.99.99'") == 0
    assert await SQLitePersistence(db).get_user_data() == {1: {"kept": True}}


async def test_batched_writes_land_together_when_the_block_ends(db):
    """PemApplication.process_update writes an update's persistence changes in one batch (issue 6)."""
    persistence = SQLitePersistence(db)
    await persistence.update_user_data(7, {"old": True})
    async with persistence.batched():
        await asyncio.gather(persistence.update_user_data(42, {"form": {"id": "f1"}}),
                             persistence.update_conversation("forms", (42, 42), "pay.amount"),
                             persistence.drop_user_data(7))
        assert await SQLitePersistence(db).get_user_data() == {7: {"old": True}}, "nothing written yet"
    fresh = SQLitePersistence(db)
    assert await fresh.get_user_data() == {42: {"form": {"id": "f1"}}}
    assert await fresh.get_conversations("forms") == {(42, 42): "pay.amount"}


async def test_batched_writes_are_all_or_nothing(db):
    persistence = SQLitePersistence(db)
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await db.execute_batch([("INSERT INTO ptb_state (kind, key, data, updated_at) VALUES ('user_data', '1', "
                                 "'{}', datetime('now'))", {}), ("INSERT INTO no_such_table VALUES (1)", {})])
    assert await persistence.get_user_data() == {}


async def test_a_failed_batch_is_not_raised_and_is_written_at_the_next_update(db, monkeypatch):
    import sqlite3

    persistence = SQLitePersistence(db)
    original = db.execute_batch
    failures = iter([True, False, True, False])

    async def flaky(statements):
        if next(failures):
            raise sqlite3.OperationalError("database is locked")
        return await original(statements)

    monkeypatch.setattr(db, "execute_batch", flaky)
    async with persistence.batched():  # fails: logged, not raised
        await persistence.update_user_data(7, {"form": {"step": "amount"}})
    assert await SQLitePersistence(db).get_user_data() == {}
    async with persistence.batched():  # the same draft again: written now (not skipped as "already written")
        await persistence.update_user_data(7, {"form": {"step": "amount"}})
    assert await SQLitePersistence(db).get_user_data() == {7: {"form": {"step": "amount"}}}

    async with persistence.batched():  # a failed delete…
        await persistence.update_user_data(7, {})
    assert await SQLitePersistence(db).get_user_data() == {7: {"form": {"step": "amount"}}}
    async with persistence.batched():  # …is tried again at the next update
        await persistence.update_user_data(7, {})
    assert await SQLitePersistence(db).get_user_data() == {}


def test_the_writes_of_a_batch_are_one_statement_per_kind_of_write():
    """An update writes the draft and the conversation state (or deletes both): one statement, one trip."""
    from storage.persistence import batch_statements

    assert len(batch_statements([("user_data", "1", "{}"), ("conversation:forms", "[1, 1]", '"a"')])) == 1
    assert len(batch_statements([("user_data", "1", None), ("conversation:forms", "[1, 1]", None)])) == 1
    assert len(batch_statements([("user_data", "1", "{}"), ("user_data", "2", None)])) == 2
    [(first, _), (second, _)] = batch_statements([("user_data", "1", "{}"), ("user_data", "1", None)])
    assert first.lstrip().startswith("INSERT") and second.startswith("DELETE")  # one key twice: in order
    assert batch_statements([]) == []


async def test_merged_batches_write_and_delete_exactly_their_rows(db):
    persistence = SQLitePersistence(db)
    async with persistence.batched():
        await persistence.update_user_data(1, {"a": 1})
        await persistence.update_user_data(2, {"b": 2})
        await persistence.update_conversation("forms", (1, 1), "pay.amount")
    assert await SQLitePersistence(db).get_user_data() == {1: {"a": 1}, 2: {"b": 2}}
    async with persistence.batched():
        await persistence.update_user_data(1, {})  # a delete…
        await persistence.update_user_data(2, {"b": 3})  # …and an upsert in one batch
    assert await SQLitePersistence(db).get_user_data() == {2: {"b": 3}}
    assert await SQLitePersistence(db).get_conversations("forms") == {(1, 1): "pay.amount"}
    async with persistence.batched():
        await persistence.drop_user_data(2)
        await persistence.update_conversation("forms", (1, 1), None)
    assert await db.fetchval("SELECT count(*) FROM ptb_state") == 0
