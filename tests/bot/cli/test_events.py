"""``pem-bot erase-participant ID``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.cli import run as cli
from storage import audit, participants
from storage.db import Database
from storage.migrate import migrate
from tests.conftest import TEST_KEY


async def _seed(path) -> int:
    db = await Database(path, data_key=TEST_KEY).open()
    try:
        await migrate(db)
        async with db.transaction() as tx:
            p = await participants.create_participant(
                tx, kelurahan_code="53.71.05.1004", name="Ana Seran", nik="5371051207990011", birth_date=None,
                sex="F", phone="+6281234567890", address="003/002", education=None, work_status=None,
                consent_at=datetime.now(UTC), created_by=None)
        return p.id
    finally:
        await db.close()


async def _read(path, pid):
    db = await Database(path, data_key=TEST_KEY).open()
    try:
        return await participants.get_participant(db, pid), await audit.recent(db, action="participant.erased")
    finally:
        await db.close()


def test_erase_participant(tmp_path, monkeypatch, capsys):
    path = tmp_path / "pem.sqlite3"
    monkeypatch.setenv("PEM_DATABASE", str(path))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-token")
    monkeypatch.chdir(tmp_path)
    pid = asyncio.run(_seed(path))
    assert cli.main(["erase-participant", str(pid)]) == 0
    assert "dihapus" in capsys.readouterr().out
    participant, logged = asyncio.run(_read(path, pid))
    assert participant.name == f"Peserta terhapus #{pid}" and participant.nik is None and participant.phone is None
    assert logged and "5371051207990011" not in str(logged[0].details)
    assert cli.main(["erase-participant", "999"]) == 1
    assert "999" in capsys.readouterr().err
