"""The pem-bot command line: configuration errors, migrate, invite, people, and the README documents it all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import run as cli
from tests.conftest import TEST_DATA_KEY

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment pointing at a temporary database; run from tmp so no .env is picked up."""
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "PEM_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "db" / "pem.sqlite3"
    monkeypatch.setenv("PEM_DATABASE", str(db))
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "pem_test_bot")
    monkeypatch.setenv("PEM_DATA_KEY", TEST_DATA_KEY)
    return db


def _run(*args: str, env_extra: dict[str, str] | None = None, cwd: Path | None = None):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PEM_"))}
    environ.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=environ,
                          cwd=cwd, timeout=60, check=False)


@pytest.mark.subprocess
def test_run_without_token_exits_2_with_one_line_and_no_traceback(tmp_path: Path):
    result = _run("run", env_extra={"PYTHONPATH": str(ROOT), "PEM_DATABASE": str(tmp_path / "x.sqlite3")},
                  cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "@BotFather" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("variable", "value", "needle"),
    [("PEM_TIMEZONE", "Mars/Olympus", "PEM_TIMEZONE"), ("PEM_DEFAULT_KELURAHAN", "Atlantis", "PEM_DEFAULT_KELURAHAN"),
     ("PEM_LANGUAGE", "fr", "PEM_LANGUAGE")],
)
def test_config_mistakes_exit_2_with_one_line(tmp_path: Path, variable, value, needle):
    result = _run("run", env_extra={"PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": "1:x", variable: value,
                                    "PEM_DATABASE": str(tmp_path / "x.sqlite3")}, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and needle in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.subprocess
def test_unwritable_database_exits_2(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = _run("run", env_extra={"PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": "1:x",
                                    "PEM_DATABASE": str(blocker / "pem.sqlite3")}, cwd=tmp_path)
    assert result.returncode == 2
    assert "PEM_DATABASE" in result.stderr and "Traceback" not in result.stderr


def test_migrate_creates_then_reports_up_to_date(env: Path, capsys):
    assert cli.main(["migrate"]) == 0
    assert env.exists()
    assert "diperbarui" in capsys.readouterr().out
    assert cli.main(["migrate"]) == 0
    assert "sudah versi terbaru" in capsys.readouterr().out


def test_invite_prints_link_and_token_and_people_lists_them(env: Path, capsys):
    assert cli.main(["invite", "--role", "admin", "--name", "Admin Satu", "--phone", "0812-3456-7890"]) == 0
    link, token = capsys.readouterr().out.strip().splitlines()
    assert link == f"https://t.me/pem_test_bot?start={token}"
    assert 1 <= len(token) <= 64 and all(c.isalnum() or c in "_-" for c in token)

    assert cli.main(["people", "--role", "admin"]) == 0  # the role is granted when the link is opened
    assert "Belum ada orang" in capsys.readouterr().out
    assert cli.main(["people", "--kelurahan", "naikoten satu"]) == 0
    out = capsys.readouterr().out
    assert "Admin Satu" in out and "+6281234567890" in out and "belum" in out
    # issue 14, item 15: the role of the invite not opened yet is shown, marked as invited
    row = next(line for line in out.splitlines() if "Admin Satu" in line)
    assert "admin (diundang)" in row

    assert cli.main(["invite", "--role", "treasurer", "--person-id", "1"]) == 0
    assert "start=" in capsys.readouterr().out


def test_city_invite_has_no_kelurahan(env: Path, capsys):
    assert cli.main(["invite", "--role", "city", "--name", "Staf Bappeda"]) == 0
    capsys.readouterr()
    assert cli.main(["people"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "Staf Bappeda" in line)
    assert " - " in row
    # a kelurahan role can't be given to a city account
    assert cli.main(["invite", "--role", "treasurer", "--person-id", "1"]) == 2
    assert "terikat pada satu kelurahan" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["invite", "--role", "admin", "--name", "X", "--kelurahan", "Atlantis"], "Atlantis"),
        (["invite", "--role", "admin", "--name", "X", "--phone", "12"], "nomor HP"),
        (["invite", "--role", "admin", "--person-id", "99"], "id 99"),
        (["invite", "--role", "admin"], "--name"),
        (["people", "--kelurahan", "Atlantis"], "Atlantis"),
    ],
)
def test_argument_mistakes_exit_2_with_a_clear_line(env: Path, capsys, args, needle):
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


def test_invite_without_username_or_token_is_a_config_error(env: Path, monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME")
    assert cli.main(["invite", "--role", "admin", "--name", "X"]) == 2
    assert "TELEGRAM_BOT_USERNAME" in capsys.readouterr().err


def test_every_subcommand_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in cli.SUBCOMMANDS:
        assert f"pem-bot {name}" in readme, f"`pem-bot {name}` is not documented in README.md"


# --- issue 14, item 15 ---------------------------------------------------------------------------------------


def test_tick_with_a_bad_at_and_no_token_reports_the_date(env: Path, capsys):
    """The --at typo is the user's real mistake; the missing token comes after (nothing would run anyway)."""
    assert cli.main(["tick", "--at", "garbage"]) == 2
    err = capsys.readouterr().err
    assert '"garbage"' in err and "--at" in err
    assert "TELEGRAM_BOT_TOKEN" not in err


@pytest.mark.parametrize(("phone", "words"), [("0380 821234", "telepon rumah"), ("12", "tidak valid. Contoh")])
def test_a_bad_phone_is_explained_in_one_language(env: Path, capsys, phone: str, words: str):
    assert cli.main(["invite", "--role", "borrower", "--name", "Maria Bria", "--phone", phone]) == 2
    err = capsys.readouterr().err
    assert words in err
    assert "(invalid)" not in err and "(landline)" not in err
    assert cli.main(["people"]) == 0
    assert "Maria Bria" not in capsys.readouterr().out  # nothing stored


def test_the_english_phone_error_is_english_only():
    """CLI errors are said in Indonesian (the programme's language, before settings are read); the English
    template says the same in one language."""
    from messages import render

    text = render("plain/cli/error", "en", code="bad_phone", value="0380 821234", reason="landline")
    assert "is not valid (that is a landline, not a mobile)" in text and "tidak" not in text
