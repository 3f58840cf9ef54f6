"""One name rule (2–80 characters, bot.domain.names) in ``pem-bot invite`` and ``pem-bot import-loans`` too
(issue 14, item 3): a 5,000-character name made a welcome Telegram rejects."""

from __future__ import annotations

from pathlib import Path

from bot.cli import run as cli
from tests.bot.cli.test_loans import HEADER, env, query  # noqa: F401  (env is a fixture)

LONGEST = ("Maria Goreti Yohana Fransiska " * 3)[:80].strip()  # 79–80 characters of a real-looking name
TOO_LONG = "Maria " + "a" * 5_000


def test_invite_refuses_a_name_over_80_characters_and_takes_the_longest(env: Path, capsys):  # noqa: F811
    assert cli.main(["invite", "--role", "admin", "--name", TOO_LONG]) == 2
    err = capsys.readouterr().err
    assert "80" in err and len(err) < 1_000, "the error shows the rule, not the 5,000 characters back"
    assert query(env, "SELECT COUNT(*) FROM people") == [(0,)]
    name = LONGEST.ljust(80, "a")[:80]
    assert cli.main(["invite", "--role", "admin", "--name", name]) == 0
    assert query(env, "SELECT name FROM people") == [(name,)]


def test_import_loans_uses_the_same_name_rule(env: Path, tmp_path: Path, capsys):  # noqa: F811
    path = tmp_path / "pinjaman.csv"
    ok = "Yosefina " + "a" * 71  # exactly 80
    path.write_text(HEADER + f"{TOO_LONG},,,Naikoten Satu,warung,6000000,2026-05-15,12,0,0\n"
                    + f"{ok}a,,,Naikoten Satu,warung,6000000,2026-05-15,12,0,0\n"
                    + "X,,,Naikoten Satu,warung,6000000,2026-05-15,12,0,0\n"
                    + "Maria 2000,,,Naikoten Satu,warung,6000000,2026-05-15,12,0,0\n", encoding="utf-8")
    assert cli.main(["import-loans", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("tidak sah: 2–80 karakter") == 4 and len(err) < 3_000

    path.write_text(HEADER + f"{ok},,,Naikoten Satu,warung,6000000,2026-05-15,12,0,0\n", encoding="utf-8")
    assert cli.main(["import-loans", str(path)]) == 0
    assert query(env, "SELECT name FROM people") == [(ok,)]
