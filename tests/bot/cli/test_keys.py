"""Issue 18 item 6 on the command line: `pem-bot init-key`, the first-run rule, a missing or wrong key refused
with one line (no traceback) by `pem-bot run` and the commands that open the database, and `pem-bot rotate-key`
(the key in .env replaced; the old key refused afterwards, the new one reads everything)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import run as cli
from bot.domain.roles import Role
from storage import people
from storage.crypto import DataKey, DataKeyError, new_key, parse_key
from storage.db import Database
from storage.migrate import migrate
from tests.conftest import NAIKOTEN_SATU, TEST_DATA_KEY

ROOT = Path(__file__).resolve().parents[3]
PHONE = "+6281234567890"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No PEM_/TELEGRAM_ variable, run from tmp (its own .env), a database there."""
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "PEM_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "data" / "pem.sqlite3"
    monkeypatch.setenv("PEM_DATABASE", str(db))
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "pem_test_bot")
    return db


def _run(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PEM_"))}
    environ.update({"PYTHONPATH": str(ROOT), "TELEGRAM_BOT_USERNAME": "pem_test_bot", **extra})
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=environ,
                          cwd=cwd, timeout=60, check=False)


def _sealed_db(path: Path, key: str) -> None:
    async def go() -> None:
        db = await Database(path, data_key=DataKey(key)).open()
        try:
            await migrate(db)
            async with db.transaction() as tx:
                await people.create(tx, name="Maria Bria", kelurahan_code=NAIKOTEN_SATU, roles=(Role.BORROWER,),
                                    phone=PHONE)
        finally:
            await db.close()

    asyncio.run(go())


def _phone_with(path: Path, key: str) -> str | None:
    async def go() -> str | None:
        db = await Database(path, data_key=DataKey(key)).open()
        try:
            await migrate(db)
            person = await people.by_phone(db, PHONE, NAIKOTEN_SATU)
            return None if person is None else person.phone
        finally:
            await db.close()

    return asyncio.run(go())


def test_init_key_prints_a_new_key_each_time(env, capsys):
    assert cli.main(["init-key"]) == 0
    first = capsys.readouterr().out.strip()
    assert cli.main(["init-key"]) == 0
    second = capsys.readouterr().out.strip()
    assert first != second and len(parse_key(first)) == len(parse_key(second)) == 32


def test_first_run_writes_a_key_into_env_once_and_says_where(env, tmp_path, capsys):
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=\nPEM_LANGUAGE=id\n", encoding="utf-8")
    assert cli.main(["init-key", "--first-run"]) == 0
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1
    assert str((tmp_path / ".env").resolve()) in out and "NIK dan nomor HP hilang" in out and "every NIK" in out
    text = (tmp_path / ".env").read_text(encoding="utf-8")
    [line] = [line for line in text.splitlines() if line.startswith("PEM_DATA_KEY=")]
    assert len(parse_key(line.split("=", 1)[1])) == 32 and "PEM_LANGUAGE=id" in text
    assert oct((tmp_path / ".env").stat().st_mode & 0o777) == "0o600"
    # a key is configured now: nothing is written or said again
    assert cli.main(["init-key", "--first-run"]) == 0
    assert capsys.readouterr().out == "" and (tmp_path / ".env").read_text(encoding="utf-8") == text
    # and the commands use it
    assert cli.main(["migrate"]) == 0


@pytest.mark.subprocess  # starts the real pem-bot: left out of .ci/run's shifted-clock run
def test_no_key_for_a_database_with_encrypted_data_is_refused_with_one_line(env, tmp_path):
    _sealed_db(env, TEST_DATA_KEY)
    for args, extra in ((["init-key", "--first-run"], {}), (["people"], {}),
                        (["run"], {"TELEGRAM_BOT_TOKEN": "123:abc"})):
        result = _run(*args, cwd=tmp_path, PEM_DATABASE=str(env), **extra)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
        assert "PEM_DATA_KEY belum diisi" in result.stderr and "is not set" in result.stderr
    assert not (tmp_path / ".env").exists()  # no new key for a database that needs its own


@pytest.mark.subprocess  # starts the real pem-bot: left out of .ci/run's shifted-clock run
def test_a_wrong_key_is_refused_by_run_and_the_commands_with_one_line(env, tmp_path):
    _sealed_db(env, TEST_DATA_KEY)
    for args, extra in ((["run"], {"TELEGRAM_BOT_TOKEN": "123:abc"}), (["tick"], {"TELEGRAM_BOT_TOKEN": "123:abc"}),
                        (["demo-data"], {})):
        result = _run(*args, cwd=tmp_path, PEM_DATABASE=str(env), PEM_DATA_KEY=new_key(), **extra)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
        assert "tidak cocok dengan database ini" in result.stderr and "does not open" in result.stderr
    bad = _run("people", cwd=tmp_path, PEM_DATABASE=str(env), PEM_DATA_KEY="too-short")
    assert bad.returncode == 2 and "PEM_DATA_KEY" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.subprocess  # starts the real pem-bot: left out of .ci/run's shifted-clock run
def test_run_without_any_key_says_how_to_make_one(env, tmp_path):
    result = _run("run", cwd=tmp_path, PEM_DATABASE=str(env), TELEGRAM_BOT_TOKEN="123:abc")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "pem-bot init-key" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_rotate_key_rewrites_env_and_the_old_key_is_refused(env, tmp_path, capsys):
    old = new_key()
    (tmp_path / ".env").write_text(f"PEM_LANGUAGE=en\nPEM_DATA_KEY={old}\n", encoding="utf-8")
    _sealed_db(env, old)
    assert cli.main(["rotate-key"]) == 0
    out = capsys.readouterr().out
    assert "Data key rotated" in out and str((tmp_path / ".env").resolve()) in out
    text = (tmp_path / ".env").read_text(encoding="utf-8")
    new = next(line.split("=", 1)[1] for line in text.splitlines() if line.startswith("PEM_DATA_KEY="))
    assert new != old and "PEM_LANGUAGE=en" in text and not (tmp_path / ".env.rotating").exists()
    assert _phone_with(env, new) == PHONE
    with pytest.raises(DataKeyError, match="wrong"):
        _phone_with(env, old)
    assert cli.main(["people"]) == 0  # the commands read the new key from .env


def test_rotate_key_from_the_environment_needs_new_key(env, tmp_path, monkeypatch, capsys):
    old = new_key()
    _sealed_db(env, old)
    monkeypatch.setenv("PEM_DATA_KEY", old)
    assert cli.main(["rotate-key"]) == 2
    assert "--new-key" in capsys.readouterr().err
    assert _phone_with(env, old) == PHONE  # nothing changed
    fresh = new_key()
    assert cli.main(["rotate-key", "--new-key", fresh]) == 0
    assert not (tmp_path / ".env").exists()  # the environment's key can't be written: the operator puts it there
    assert _phone_with(env, fresh) == PHONE
    with pytest.raises(DataKeyError, match="wrong"):
        _phone_with(env, old)
