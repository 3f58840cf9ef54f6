"""``pem-bot import-loans`` and ``pem-bot demo-data`` end to end through bot.cli.main.main, checking the database."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from bot.cli import run as cli
from storage.db import Database

HEADER = "name,phone,nik,kelurahan,business,principal,disbursed_on,tenor_months,grace_months,fee_percent\n"
ROWS = ("Maria Bria,0812-3456-7890,,Naikoten Satu,warung,6.000.000,2026-05-15,12,0,0\n"
        "Yohanes Ndun,0813 1111 2222,,53.71.05.1004,bengkel,7500000,15/06/2026,18,1,0\n")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen_clock) -> Path:
    db_path = tmp_path / "pem.sqlite3"
    monkeypatch.setenv("PEM_DATABASE", str(db_path))
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "pem_test_bot")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    monkeypatch.setenv("PEM_LANGUAGE", "id")
    monkeypatch.chdir(tmp_path)  # no stray .env
    return db_path


def query(db_path: Path, sql: str):
    async def run():
        db = await Database(db_path).open()
        try:
            return [tuple(r) for r in await db.fetchall(sql)]
        finally:
            await db.close()

    return asyncio.run(run())


def test_import_loans_prints_links_and_is_idempotent(env: Path, tmp_path: Path, capsys):
    path = tmp_path / "pinjaman.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    assert cli.main(["import-loans", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Dibuat 2 pinjaman, total Rp13.500.000" in out
    assert out.count("https://t.me/pem_test_bot?start=") == 2 and "Maria Bria" in out
    assert query(env, "SELECT COUNT(*), SUM(principal) FROM loans") == [(2, 13_500_000)]
    assert query(env, "SELECT COUNT(*) FROM invites WHERE role = 'borrower'") == [(2,)]

    assert cli.main(["import-loans", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Tidak ada pinjaman baru" in out and "https://t.me" not in out
    assert query(env, "SELECT COUNT(*) FROM loans") == [(2,)]
    assert query(env, "SELECT COUNT(*) FROM people") == [(2,)]


def test_import_loans_with_errors_imports_nothing(env: Path, tmp_path: Path, capsys):
    path = tmp_path / "pinjaman.csv"
    path.write_text(HEADER + ROWS + ",0380 821234,,,,50 jt,besok lusa,12,,\n", encoding="utf-8")
    assert cli.main(["import-loans", str(path)]) == 1
    err = capsys.readouterr().err
    assert "baris 4, kolom name: wajib diisi" in err
    assert "baris 4, kolom phone" in err and "baris 4, kolom principal" in err
    assert "baris 4, kolom disbursed_on" in err and "Tidak ada yang diimpor" in err
    assert not env.exists() or query(env, "SELECT COUNT(*) FROM loans") == [(0,)]


def test_import_loans_dry_run_and_invites_out(env: Path, tmp_path: Path, capsys):
    path = tmp_path / "pinjaman.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    assert cli.main(["import-loans", str(path), "--dry-run"]) == 0
    assert "Akan dibuat 2 pinjaman" in capsys.readouterr().out
    assert query(env, "SELECT COUNT(*) FROM loans") == [(0,)]
    assert query(env, "SELECT COUNT(*) FROM people") == [(0,)]

    links = tmp_path / "undangan.csv"
    assert cli.main(["import-loans", str(path), "--invites-out", str(links)]) == 0
    assert "ditulis ke" in capsys.readouterr().out
    with links.open(encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    assert [r["name"] for r in written] == ["Maria Bria", "Yohanes Ndun"]
    assert written[0]["phone"] == "+6281234567890" and written[0]["link"].startswith("https://t.me/pem_test_bot")


def test_import_loans_bad_extension(env: Path, tmp_path: Path, capsys):
    path = tmp_path / "pinjaman.txt"
    path.write_text("x", encoding="utf-8")
    assert cli.main(["import-loans", str(path)]) == 1
    assert "harus .csv atau .xlsx" in capsys.readouterr().err


def demo_totals(db_path: Path):
    return (
        query(db_path, "SELECT COUNT(*), SUM(principal) FROM loans"),
        query(db_path, "SELECT status, COUNT(*), SUM(amount) FROM repayments GROUP BY status ORDER BY status"),
        query(db_path, "SELECT SUM(principal_paid + fee_paid) FROM installments"),
        query(db_path, "SELECT name, phone FROM people ORDER BY id"),
    )


def test_demo_data_is_deterministic_and_refuses_a_full_database(env: Path, tmp_path: Path, monkeypatch, capsys):
    assert cli.main(["demo-data", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "30 peminjam" in out and "Rp200.000.000" in out and out.count("https://t.me/pem_test_bot") == 4
    first = demo_totals(env)
    loans_count, statuses, allocated, persons = first
    assert loans_count == [(30, 200_000_000)]
    by_status = {s: (n, total) for s, n, total in statuses}
    assert by_status["pending"][0] >= 1 and by_status["verified"][0] > 30
    assert allocated == [(by_status["verified"][1],)]  # installments agree with verified payments
    assert len(persons) == 34
    assert query(env, "SELECT COUNT(*) FROM person_roles WHERE role = 'treasurer'") == [(1,)]

    assert cli.main(["demo-data"]) == 1
    assert "sudah berisi data" in capsys.readouterr().err
    assert demo_totals(env) == first

    other = tmp_path / "other.sqlite3"
    monkeypatch.setenv("PEM_DATABASE", str(other))
    assert cli.main(["demo-data", "--seed", "7"]) == 0
    assert demo_totals(other) == first
    monkeypatch.setenv("PEM_DATABASE", str(tmp_path / "third.sqlite3"))
    assert cli.main(["demo-data", "--seed", "8"]) == 0
    assert demo_totals(tmp_path / "third.sqlite3") != first
