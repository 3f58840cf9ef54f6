"""``pem-bot import-loans`` and ``pem-bot demo-data`` end to end through bot.cli.main.main, checking the database."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from bot.cli import run as cli
from bot.domain.roles import Role
from storage import people
from storage.db import Database
from storage.migrate import migrate
from tests.conftest import TEST_KEY

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
        db = await Database(db_path, data_key=TEST_KEY).open()
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
    assert links.read_bytes().startswith(b"\xef\xbb\xbf"), "a BOM: Excel reads the file as UTF-8"
    with links.open(encoding="utf-8-sig") as f:
        written = list(csv.DictReader(f))
    assert [r["name"] for r in written] == ["Maria Bria", "Yohanes Ndun"]
    assert written[0]["link"].startswith("https://t.me/pem_test_bot")
    # read the way a spreadsheet types a CSV cell: "+6281…" would become the number 6281…; this stays text
    assert [spreadsheet_cell(r["phone"]) for r in written] == ["0812-3456-7890", "0813-1111-2222"]


def spreadsheet_cell(text: str) -> object:
    """How Excel and LibreOffice type an unquoted CSV cell by default: something a number can be read from
    becomes that number (a leading + dropped, only 15 significant digits kept), the rest stays text."""
    try:
        number = float(text.replace(" ", ""))
    except ValueError:
        return text
    return float(f"{number:.15g}")


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
        query(db_path, "SELECT name, phone_hash FROM people ORDER BY id"),  # the phone is sealed
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
    # every verified demo payment has its receipt, numbered without gaps per year in the order verified
    assert query(env, "SELECT COUNT(*), SUM(amount) FROM receipts") == [by_status["verified"]]
    for (year,) in query(env, "SELECT DISTINCT year FROM receipts"):
        seqs = [r[0] for r in query(env, f"SELECT seq FROM receipts WHERE year = {year} ORDER BY issued_at, id")]
        assert seqs == list(range(1, len(seqs) + 1))

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


def test_import_loans_asks_the_borrowers_already_on_telegram(env: Path, tmp_path: Path, capsys):
    """Issue 15: a loan imported for a borrower already linked to Telegram queues the disbursement question; a new
    borrower is asked once they open their invite (nothing queued now)."""

    async def seed():
        db = await Database(env, data_key=TEST_KEY).open()
        try:
            await migrate(db)
            async with db.transaction() as tx:
                maria = await people.create(tx, name="Maria Bria", kelurahan_code="53.71.05.1004",
                                            phone="+6281234567890", roles=[Role.BORROWER])
                await people.link_telegram(tx, maria.id, 5001, 5001)
            return maria.id
        finally:
            await db.close()

    maria = asyncio.run(seed())
    path = tmp_path / "pinjaman.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    assert cli.main(["import-loans", str(path)]) == 0
    asks = query(env, "SELECT recipient_id, template, status FROM outbox WHERE kind = 'disbursement'")
    assert asks == [(maria, "disbursement/ask", "queued")]
    assert query(env, "SELECT COUNT(*) FROM loans WHERE disbursement_status = 'unconfirmed'") == [(2,)]
# --- issue 14, item 15: a title row above the header ---------------------------------------------------------


def test_import_loans_finds_the_header_below_a_title_and_imports(env: Path, tmp_path: Path, capsys):
    path = tmp_path / "pinjaman.csv"
    title = "Daftar Pinjaman PEM Kelurahan Naikoten Satu,,,,,,,,,\nPer 1 November 2026,,,,,,,,,\n,,,,,,,,,\n"
    path.write_text(title + HEADER + ROWS, encoding="utf-8")
    assert cli.main(["import-loans", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Dibuat 2 pinjaman, total Rp13.500.000" in out
    assert "baris 4" in out  # says which row was read as the header
    assert query(env, "SELECT COUNT(*), SUM(principal) FROM loans") == [(2, 13_500_000)]


def test_import_loans_without_a_header_says_which_row_it_read(env: Path, tmp_path: Path, capsys):
    path = tmp_path / "pinjaman.csv"
    path.write_text("Daftar Pinjaman PEM,,\nMaria Bria,6000000,2026-05-15\n", encoding="utf-8")
    assert cli.main(["import-loans", str(path)]) == 1
    err = capsys.readouterr().err
    assert 'kolom wajib "name" tidak ada di baris judul (dibaca dari baris 1: Daftar Pinjaman PEM)' in err
    assert not env.exists() or query(env, "SELECT COUNT(*) FROM loans") == [(0,)]
