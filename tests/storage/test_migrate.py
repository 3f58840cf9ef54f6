"""Migrations on an empty database, re-run as a no-op, atomic on failure, and the final schema."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from storage import migrate as migrate_module
from storage.db import Database
from storage.migrate import Migration, available, current_version, migrate


async def test_fresh_database_gets_every_migration_then_rerun_is_a_noop(db_path):
    db = await Database(db_path).open()
    try:
        applied = await migrate(db)
        assert applied == [m.name for m in available()]
        assert await current_version(db) == available()[-1].version
        assert await migrate(db) == []
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
    finally:
        await db.close()


async def test_final_schema_has_the_foundation_tables_and_columns(db):
    tables = {r["name"] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"kecamatan", "kelurahan", "people", "person_roles", "invites", "audit_log", "form_drafts"} <= tables
    assert "ptb_state" not in tables  # 0008: the retired PTB persistence (old drafts, NIKs before consent)
    columns = {r["name"] for r in await db.fetchall("PRAGMA table_info(people)")}
    assert {"name", "phone", "kelurahan_code", "telegram_user_id", "telegram_chat_id", "language", "active",
            "reachable", "created_at", "updated_at"} <= columns
    invite_columns = {r["name"] for r in await db.fetchall("PRAGMA table_info(invites)")}
    assert {"token_hash", "role", "person_id", "expires_at", "used_at"} <= invite_columns
    assert "token" not in invite_columns


async def test_kelurahan_seed_matches_the_shipped_list(db):
    text = resources.files("bot.domain.data").joinpath("kota_kupang_kelurahan.csv").read_text(encoding="utf-8")
    expected = {(r["kode"], r["kelurahan"], r["kecamatan_kode"]) for r in csv.DictReader(text.splitlines())}
    rows = await db.fetchall("SELECT code, name, kecamatan_code FROM kelurahan")
    assert {(r[0], r[1], r[2]) for r in rows} == expected
    assert len(expected) == 51
    assert await db.fetchval("SELECT count(*) FROM kecamatan") == 6
    assert await db.fetchval("SELECT name FROM kelurahan WHERE code = '53.71.05.1004'") == "Naikoten Satu"


async def test_audit_log_is_append_only(db):
    from storage import audit

    entry_id = await audit.record(db, "test.action", details={"amount": 1})
    with pytest.raises(Exception, match="append-only"):
        await db.execute("UPDATE audit_log SET action = 'x' WHERE id = :id", {"id": entry_id})
    with pytest.raises(Exception, match="append-only"):
        await db.execute("DELETE FROM audit_log WHERE id = :id", {"id": entry_id})


async def test_failing_migration_leaves_database_unchanged(db_path, monkeypatch):
    db = await Database(db_path).open()
    try:
        good = available()
        broken_sql = "CREATE TABLE half_done (x);\nINSERT INTO nowhere VALUES (1);"
        broken = Migration(good[-1].version + 1, "9999_broken.sql", broken_sql)
        await migrate(db)
        monkeypatch.setattr(migrate_module, "available", lambda: [*good, broken])
        with pytest.raises(Exception, match="nowhere"):
            await migrate(db)
        assert await current_version(db) == good[-1].version
        assert await db.fetchval("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'") == 0
    finally:
        await db.close()


def test_migration_files_are_numbered_without_gaps():
    """No gaps, except at a number reserved for a branch still in flight (storage.migrate.RESERVED)."""
    versions = [m.version for m in available()]
    assert [v for v in range(1, versions[-1] + 1) if v not in migrate_module.RESERVED or v in versions] == versions
