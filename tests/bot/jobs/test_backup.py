"""Backups: the online copy holds the same data, restoring it gives the data back, old backups are pruned,
the nightly job runs once, and ``pem-bot backup`` works on demand."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from bot.domain.roles import Role
from bot.jobs import backup as backup_job
from bot.jobs import run_jobs
from bot.jobs.backup import backup_name, make_backup, prune
from storage import audit, outbox
from storage.db import Database
from storage.migrate import migrate
from tests.conftest import TEST_KEY, make_settings
from tests.jobs_fixtures import WITA, add_person, wita

NIGHT = wita(2026, 12, 5, 2, 0)


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, in a stable order."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def restore(backup: Path, database: Path) -> None:
    """The README's restore steps (the bot is stopped)."""
    shutil.copyfile(backup, database)
    for suffix in ("-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)


async def fill(db: Database) -> None:
    person = await add_person(db, "Yohana Bria", roles=(Role.BORROWER, Role.TREASURER))
    await outbox.enqueue(db, kind="note", recipient_id=person.id, dedupe_key="k1", template="t/x",
                         context={"amount": 1_500_000}, not_before=NIGHT, photo=b"\x89PNG\x00\x01")
    await outbox.claim_job_slot(db, "digest", "2026-12-04", NIGHT)
    await audit.record(db, "test.event", entity="person", entity_id=person.id, details={"before": 1, "after": 2})


async def test_backup_then_restore_gives_back_the_same_data(db: Database, db_path: Path, tmp_path: Path):
    settings = make_settings(db_path, PEM_BACKUP_DIR=str(tmp_path / "backups"))
    await fill(db)
    before = snapshot(db_path)  # the WAL is read too: same connection semantics as any reader
    assert before["people"] and before["outbox"] and before["job_runs"]

    copy = await make_backup(db.path, settings, NIGHT)  # while the bot's connection is open
    assert copy == tmp_path / "backups" / "pem-20261205-0200.sqlite3"
    assert snapshot(copy) == before
    assert not list((tmp_path / "backups").glob("*.part"))

    # the day goes on, then the database is lost or damaged …
    await add_person(db, "Someone Later")
    await db.execute("DELETE FROM outbox")
    await db.close()
    assert snapshot(db_path) != before

    # … restore as the README says: bot stopped, copy over PEM_DATABASE, remove -wal/-shm, start
    restore(copy, db_path)
    reopened = await Database(db_path, data_key=TEST_KEY).open()
    try:
        assert await migrate(reopened) == []  # same schema version
        assert await reopened.fetchval("SELECT count(*) FROM people") == 1
        msg = await outbox.by_key(reopened, "k1")
        assert msg.photo == b"\x89PNG\x00\x01"
        assert msg.context == {"amount": 1_500_000}
    finally:
        await reopened.close()
    assert snapshot(db_path) == before


def test_prune_keeps_the_configured_days_and_ignores_other_files(tmp_path: Path):
    names = ["pem-20261120-0200.sqlite3", "pem-20261121-0159.sqlite3", "pem-20261121-0200.sqlite3",
             "pem-20261204-0200.sqlite3", "pem-20261205-0200.sqlite3", "notes.txt", "pem-latest.sqlite3"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    removed = prune(tmp_path, NIGHT, WITA, 14)
    assert sorted(p.name for p in removed) == ["pem-20261120-0200.sqlite3", "pem-20261121-0159.sqlite3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(set(names) - {p.name for p in removed})


def test_backup_name_is_wita():
    assert backup_name(wita(2026, 12, 5, 2, 0), WITA) == "pem-20261205-0200.sqlite3"


async def test_nightly_job_runs_once_at_the_backup_time(db: Database, db_path: Path, tmp_path: Path):
    folder = tmp_path / "nightly"
    settings = make_settings(db_path, PEM_BACKUP_DIR=str(folder), PEM_BACKUP_TIME="02:30")
    specs = backup_job.JOBS
    assert (await run_jobs(db, settings, wita(2026, 12, 5, 2, 29), catch_up=True, jobs=specs))[0] == []
    assert (await run_jobs(db, settings, wita(2026, 12, 5, 2, 30), catch_up=False, jobs=specs))[0] == ["backup"]
    assert (await run_jobs(db, settings, wita(2026, 12, 5, 2, 31), catch_up=False, jobs=specs))[0] == []
    assert [p.name for p in folder.iterdir()] == ["pem-20261205-0230.sqlite3"]


def test_cli_backup_on_demand(tmp_path: Path, monkeypatch, capsys, frozen_clock):
    from bot.cli.run import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("PEM_DATABASE", str(tmp_path / "data" / "pem.sqlite3"))
    monkeypatch.setenv("PEM_BACKUP_DIR", str(tmp_path / "bk"))
    assert main(["backup"]) == 2  # no database yet: one clear line
    assert "pem.sqlite3" in capsys.readouterr().err
    assert main(["migrate"]) == 0
    capsys.readouterr()
    assert main(["backup"]) == 0
    out = capsys.readouterr().out
    assert "pem-20261128-1000.sqlite3" in out  # the frozen clock: 28 November 2026 10:00 WITA
    restored = snapshot(tmp_path / "bk" / "pem-20261128-1000.sqlite3")
    assert restored == snapshot(tmp_path / "data" / "pem.sqlite3")
