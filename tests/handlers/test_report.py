"""/laporan: month, format, the file as a document; the city's report; the monthly message's buttons."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from pypdf import PdfReader

from bot.domain.roles import Role
from storage import audit
from tests import lpj_fixture as fx
from tests.handlers.test_events import capture_uploads


async def test_treasurer_takes_november_as_xlsx_then_pdf(running, tester, make_person):
    db = running.app.db
    await fx.build(db)
    _, tu = await make_person(Role.TREASURER, name="Fransiska Manafe", kelurahan=fx.KEL)
    uploads = capture_uploads(running.request)
    await tester.command(tu, "laporan")
    ask = tester.last(tu)
    assert "Laporan bulanan" in ask.text
    assert ask.button_texts == ["Oktober 2026", "September 2026", "Agustus 2026"]
    await tester.send(tu, "12/2026")
    assert "belum terjadi" in tester.texts(tu)[-2]
    await tester.send(tu, "bulan lalu")
    assert "tidak terbaca" in tester.texts(tu)[-2]
    await tester.send(tu, "11/2026")
    fmt = tester.last(tu)
    assert "November 2026" in fmt.text
    await tester.press(tu, fmt.button("XLSX"))
    sent = tester.last(tu)
    assert sent.method == "sendDocument"
    assert "Kelurahan Naikoten Satu, November 2026 (XLSX)" in sent.text and "4 perubahan" in sent.text
    filename, content = uploads[-1]["document"]
    assert filename == "LPJ-NAIKOTEN-SATU-2026-11.xlsx"
    sheet = load_workbook(io.BytesIO(content))["Ringkasan"]
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert cells["Dana hibah kota diterima s.d. akhir bulan"] == fx.EXPECTED["grants"]
    assert cells["Saldo bank menurut buku"] == fx.EXPECTED["bank"]
    assert await db.fetchval("SELECT COUNT(*) FROM form_drafts") == 0

    await tester.command(tu, "report")
    await tester.send(tu, "11/2026")
    await tester.send(tu, "pdf (untuk ditandatangani)")  # a button's label, typed
    filename, content = uploads[-1]["document"]
    assert filename == "LPJ-NAIKOTEN-SATU-2026-11.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Dana hibah kota diterima s.d. akhir bulan Rp32.000.000" in text
    entries = await audit.recent(db, action="report.downloaded")
    assert [(e.details["scope"], e.details["format"], e.details["month"]) for e in entries][:2] == [
        (fx.KEL, "pdf", "2026-11"), (fx.KEL, "xlsx", "2026-11")]


async def test_city_staff_get_the_city_xlsx_and_borrowers_are_refused(running, tester, make_person):
    db = running.app.db
    await fx.build(db)
    _, cu = await make_person(Role.CITY, name="Staf Bappeda", kelurahan=None)
    uploads = capture_uploads(running.request)
    await tester.command(cu, "laporan")
    assert "kota" in tester.last(cu).text
    await tester.press(cu, tester.last(cu).button("Oktober 2026"))
    assert tester.last(cu).method == "sendDocument"
    filename, content = uploads[-1]["document"]
    assert filename == "LPJ-KOTA-KUPANG-2026-10.xlsx"
    assert load_workbook(io.BytesIO(content)).sheetnames == ["Kota", "Grafik"]

    _, bu = await make_person(Role.BORROWER, name="Peminjam", kelurahan=fx.KEL)
    await tester.command(bu, "laporan")
    assert tester.last(bu).method == "sendMessage" and "Laporan bulanan" not in tester.last(bu).text


async def test_monthly_message_button_sends_the_file(running, tester, make_person):
    db = running.app.db
    await fx.build(db)
    _, lu = await make_person(Role.LURAH, name="Lurah Naikoten", kelurahan=fx.KEL, language="en")
    uploads = capture_uploads(running.request)
    await tester.press(lu, "lpjf:2026-11:pdf")
    assert tester.last(lu).method == "sendDocument"
    filename, content = uploads[-1]["document"]
    assert filename.endswith(".pdf")
    assert "City grants received to the month's end Rp32.000.000" in PdfReader(io.BytesIO(content)).pages[0]\
        .extract_text()
    await tester.press(lu, "lpjf:2026-13:pdf")  # forged data: nothing sent
    assert len(uploads) == 1
    entries = await audit.recent(db, action="report.downloaded")
    assert entries[0].details["via"] == "monthly"
