"""``pem-bot report`` end to end through bot.cli.main.main, on the hand-computed kelurahan."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.cli import run as cli
from storage.db import Database
from storage.migrate import migrate
from tests import lpj_fixture as fx
from tests.conftest import TEST_KEY


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen_clock) -> Path:
    db_path = tmp_path / "pem.sqlite3"
    monkeypatch.setenv("PEM_DATABASE", str(db_path))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    monkeypatch.setenv("PEM_LANGUAGE", "id")
    monkeypatch.chdir(tmp_path)

    async def build():
        db = await Database(db_path, data_key=TEST_KEY).open()
        try:
            await migrate(db)
            await fx.build(db)
        finally:
            await db.close()

    asyncio.run(build())
    return db_path


def test_kelurahan_xlsx_by_name_and_pdf_by_code(env: Path, tmp_path: Path, capsys):
    out = tmp_path / "out" / "lpj.xlsx"
    assert cli.main(["report", "--month", "2026-11", "--kelurahan", "naikoten satu", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Kelurahan Naikoten Satu: jatuh tempo Rp1.530.000, terkumpul Rp1.070.000" in printed
    assert "4 perubahan" in printed
    cells = {r[0]: r[1] for r in load_workbook(out)["Ringkasan"].iter_rows(values_only=True) if r[0]}
    assert cells["Sisa pinjaman (pokok + jasa)"] == fx.EXPECTED["outstanding"]
    pdf = tmp_path / "lpj.pdf"
    assert cli.main(["report", "--month", "2026-11", "--kelurahan", fx.KEL, "--format", "pdf", "--out", str(pdf)]) == 0
    text = PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text()
    assert "Sisa pinjaman (pokok + jasa) Rp11.050.000" in text


def test_city_and_mistakes(env: Path, tmp_path: Path, capsys):
    out = tmp_path / "kota.xlsx"
    assert cli.main(["report", "--month", "2026-11", "--city", "--out", str(out)]) == 0
    assert "51 kelurahan, tunggakan Rp2.960.000" in capsys.readouterr().out
    assert load_workbook(out)["Kota"]["B6"].value == "Naikoten Satu"
    assert cli.main(["report", "--month", "2026-13", "--city", "--out", str(out)]) == 2
    assert 'bulan --month "2026-13" tidak dikenal' in capsys.readouterr().err
    assert cli.main(["report", "--month", "2026-11", "--city", "--format", "pdf", "--out", str(out)]) == 2
    assert "hanya tersedia sebagai XLSX" in capsys.readouterr().err
    assert cli.main(["report", "--month", "2026-11", "--kelurahan", "Atlantis", "--out", str(out)]) == 2
    assert 'kelurahan "Atlantis" tidak ditemukan' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["report", "--month", "2026-11", "--city", "--kelurahan", "x", "--out", str(out)])
