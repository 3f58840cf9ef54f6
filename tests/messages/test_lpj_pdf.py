"""The monthly report's PDF, read back with pypdf: every summary figure beside its label, the rekap, the
signature blocks."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from bot.services.reports import kelurahan_report
from messages import label, rupiah
from messages.reports.pdf import kelurahan_pdf
from tests import lpj_fixture as fx

WITA = ZoneInfo("Asia/Makassar")
PERCENT = {"rate_on_time": "32,68%", "rate_with_late": "69,93%", "par30": "9,12%"}  # 500/1530, 1070/1530, 1/10,96


def _text(content: bytes) -> tuple[list[str], int]:
    reader = PdfReader(io.BytesIO(content))
    lines = [line.strip() for page in reader.pages for line in page.extract_text().splitlines()]
    return lines, len(reader.pages)


async def test_pdf_summary_rekap_and_signatures(db, frozen_clock):
    await fx.build(db)
    report = await kelurahan_report(db, fx.KEL, fx.YEAR, fx.MONTH, WITA)
    lines, pages = _text(kelurahan_pdf(report, "id"))
    assert lines[0] == "Laporan Perkembangan Dana Bergulir PEM"
    assert "Kelurahan Naikoten Satu, Kecamatan Kota Raja" in lines
    for key, expected in fx.EXPECTED.items():
        name = label(f"lpj.{key}", "id").strip()
        if key in PERCENT:
            shown = PERCENT[key]
        elif key in ("loans_to_date", "borrowers_active", "borrowers_paid_off", "borrowers_in_arrears",
                     "receipts_issued", "receipts_void"):
            shown = str(expected)
        else:
            shown = rupiah(expected, "id")
        assert f"{name} {shown}" in lines, key
    for kol, (count, amount) in enumerate(fx.BUCKETS, start=1):
        assert any(line.startswith(f"Kol-{kol} ") and line.endswith(f"{count} · {rupiah(amount, 'id')}")
                   for line in lines), kol
    assert "Pencairan belum dikonfirmasi peminjam 2 · Rp3.500.000" in lines
    assert "Pencairan disangkal peminjam 1 · Rp1.000.000" in lines
    assert any(line.startswith("Pembatalan pembayaran · PB-00007 · Rp500.000") for line in lines)
    # the rekap: one line per loan, and the totals
    assert ("2 Budi PJ-00002 10 Agu 2026 Rp3.000.000 Rp530.000 Rp300.000 Rp1.130.000 Rp2.050.000 20 Kol-2 "
            "Dikonfirmasi Aktif") in lines
    assert "5 Eka PJ-00005 20 Apr 2026 Rp1.000.000 Rp0 Rp0 Rp0 Rp1.000.000 194 Kol-5 Disangkal Aktif" in lines
    assert "Jumlah Rp14.700.000 Rp1.530.000 Rp1.300.000 Rp3.830.000 Rp11.050.000" in lines
    # the signature blocks
    assert "Ketua LPM Bendahara Lurah" in lines
    assert lines.count("(nama dan tanda tangan) (nama dan tanda tangan) (nama dan tanda tangan)") == 1
    assert pages == 3  # the summary (with the later changes and the notes) takes two pages, the rekap one


async def test_pdf_in_english(db, frozen_clock):
    await fx.build(db)
    report = await kelurahan_report(db, fx.KEL, fx.YEAR, fx.MONTH, WITA)
    lines, _ = _text(kelurahan_pdf(report, "en"))
    assert lines[0] == "PEM Revolving Fund Progress Report"
    assert "City grants received to the month's end Rp32.000.000" in lines
    assert "Ketua LPM (chair) Bendahara (treasurer) Lurah" in lines
