"""The monthly report's issue-16 lines against the hand-computed kelurahan (tests/lpj_lifecycle_fixture.py):
rescheduled loans apart, the written-off total outside PAR and the portfolio, recoveries apart from repayments (in
the summary and in the cash book), the pauses, the warning letters per level; figure by figure, then read back from
the XLSX cells (openpyxl) and the PDF text (pypdf)."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from pypdf import PdfReader

from bot.services.reports import city_report, kelurahan_report
from messages import label, rupiah
from messages.reports.pdf import kelurahan_pdf
from messages.reports.xlsx import CITY_COLUMNS, CITY_HEADER_ROW, city_xlsx, kelurahan_xlsx
from tests import lpj_lifecycle_fixture as fx

WITA = ZoneInfo("Asia/Makassar")


async def _report(db, month=11):
    return await kelurahan_report(db, fx.KEL, 2026, month, WITA)


async def test_november_figures_to_the_rupiah(db, frozen_clock):
    await fx.build(db)
    report = await _report(db)
    s = report.summary
    for key, expected in fx.NOVEMBER.items():
        assert getattr(s, key) == expected, key
    assert [(b.loans, b.amount) for b in s.buckets] == fx.NOVEMBER_BUCKETS
    assert [(ln.borrower_name, ln.target_month, ln.paid_month, ln.paid_to_date, ln.outstanding, ln.days_late,
             ln.kol, ln.status, ln.recovered_month) for ln in report.lines] == fx.NOVEMBER_REKAP
    assert [(ln.movement.day, ln.movement.ref, ln.movement.kind, ln.movement.effect.cash, ln.movement.effect.bank)
            for ln in report.book.lines] == fx.NOVEMBER_BOOK
    assert report.book.recovered == 350_000
    recovery = next(ln.movement for ln in report.book.lines if ln.movement.ref == "PB-00008")
    assert (recovery.principal, recovery.fee) == (None, None)  # a recovery is not split like a repayment
    assert [(p.starts_on, p.ends_on, p.reason, p.days_in_month) for p in report.pauses] == fx.NOVEMBER_PAUSES
    # the written-off loans are outside the portfolio: the buckets add up to the outstanding principal
    assert sum(b.amount for b in s.buckets) == s.outstanding_principal


async def test_october_uses_the_schedule_before_the_reschedule(db, frozen_clock):
    """A closed month keeps its figures after a reschedule (the archived schedule) and a later write-off."""
    await fx.build(db)
    report = await _report(db, 10)
    s = report.summary
    for key, expected in fx.OCTOBER.items():
        assert getattr(s, key) == expected, key
    assert {ln.borrower_name: (ln.days_late, ln.kol, ln.status) for ln in report.lines} == fx.OCTOBER_DAYS
    assert [(p.reason, p.days_in_month) for p in report.pauses] == [("Angin kencang", 7)]


async def test_the_city_report_keeps_the_written_off_loans_out_too(db, frozen_clock):
    await fx.build(db)
    (mine,) = [r for r in await city_report(db, 2026, 11, WITA) if r.code == fx.KEL]
    full = (await _report(db)).summary
    for key in ("outstanding_principal", "par30_amount", "written_off_amount", "recovered_to_date",
                "recoveries_month_amount", "rescheduled_loans", "letters_total", "cash", "bank"):
        assert getattr(mine.summary, key) == getattr(full, key), key


async def test_the_city_xlsx_has_the_written_off_recoveries_rescheduled_and_letters(db, frozen_clock):
    await fx.build(db)
    book = load_workbook(io.BytesIO(city_xlsx(await city_report(db, 2026, 11, WITA), 2026, 11, "id")))
    sheet = book["Kota"]
    keys = [k for k, _ in CITY_COLUMNS]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=CITY_HEADER_ROW + 1, values_only=True) if row[0]}
    mine = rows["Naikoten Satu"]
    assert [mine[keys.index(k)] for k in ("h_written_off", "h_recoveries", "h_rescheduled", "h_letters",
                                          "outstanding_principal")] == [1_550_000, 350_000, 1, 2, 3_800_000]
    assert rows["Oebobo"][keys.index("h_letters")] == 1  # Oebobo's own SP-1


def _cells(sheet) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row[0]}


async def test_xlsx_shows_the_lines_apart(db, frozen_clock):
    await fx.build(db)
    book = load_workbook(io.BytesIO(kelurahan_xlsx(await _report(db), "id")))
    cells = _cells(book["Ringkasan"])

    def lb(key):
        return label(f"lpj.{key}", "id")

    assert cells[lb("rescheduled_loans")][:2] == (1, 2_000_000)
    assert cells[lb("rescheduled_month")][:2] == (1, None)
    assert cells[lb("written_off_loans")][:2] == (2, 2_000_000)
    assert cells[lb("written_off_month")][:2] == (1, 1_000_000)
    assert cells[lb("recovered_to_date")][:2] == (None, 450_000)
    assert cells[lb("written_off_outstanding")][:2] == (None, 1_550_000)
    assert cells[lb("recoveries_month")][:2] == (2, 350_000)
    assert cells[lb("received_month")][0] == 400_000  # repayments only
    assert cells[lb("par30_amount")][0] == 0
    assert [cells[lb(k)][0] for k in ("letters_sp1", "letters_sp2", "letters_sp3", "letters_total")] == [1, 1, 0, 2]
    assert cells["25 Okt 2026 s.d. 2 Nov 2026 (2 hari dalam bulan ini): Angin kencang"][0] == 2
    assert cells["12 Nov 2026 s.d. 23 Nov 2026 (12 hari dalam bulan ini): Banjir November"][0] == 12

    rekap = list(book["Rekap angsuran"].iter_rows(min_row=6, values_only=True))
    assert [(r[1], r[8], r[10], r[12], r[13]) for r in rekap[:5]] == [
        ("Ana", 1_000_000, "Kol-2", "Aktif", None), ("Budi", 2_000_000, "Kol-1", "Restrukturisasi", None),
        ("Citra", 800_000, "Hapus buku", "Hapus buku", 200_000), ("Dedi", 750_000, "Hapus buku", "Hapus buku", 150_000),
        ("Eka", 800_000, "Kol-1", "Aktif", None)]
    total, written_off = rekap[5], rekap[6]
    assert total[1] == "Jumlah" and total[8] == 3_800_000 and total[13] == 350_000  # the portfolio's outstanding
    assert written_off[1] == "Jumlah hapus buku" and written_off[8] == 1_550_000

    cash = list(book["Buku kas"].iter_rows(min_row=6, values_only=True))
    kinds = [(r[1], r[2]) for r in cash[1:-2]]
    assert kinds == [("PB-00008", "Pemulihan (pinjaman dihapusbukukan) · Dedi"),
                     ("PB-00010", "Angsuran masuk · Eka"),
                     ("PB-00005", "Pemulihan (pinjaman dihapusbukukan) · Citra"),
                     ("PB-00006", "Pemulihan (pinjaman dihapusbukukan) · Citra"),
                     ("PB-00006", "Pembatalan pemulihan PB-00006 · transfer tidak masuk")]
    assert cash[-2][2] == "Saldo akhir bulan" and cash[-2][7:10] == (1_850_000, 2_800_000, 4_650_000)
    assert cash[-1][2] == "Di antaranya pemulihan (pinjaman dihapusbukukan)" and cash[-1][9] == 350_000


async def test_pdf_shows_the_lines_apart_in_both_languages(db, frozen_clock):
    await fx.build(db)
    report = await _report(db)
    reader = PdfReader(io.BytesIO(kelurahan_pdf(report, "id")))
    lines = [ln.strip() for page in reader.pages for ln in page.extract_text().splitlines()]
    for expected in (
        "Pinjaman direstrukturisasi (masih berjalan) · sisa pokok 1 · Rp2.000.000",
        "Restrukturisasi disetujui bulan ini 1",
        "Pinjaman dihapusbukukan s.d. akhir bulan · jumlahnya 2 · Rp2.000.000",
        "Dihapusbukukan bulan ini 1 · Rp1.000.000",
        "Pemulihan diterima s.d. akhir bulan Rp450.000",
        "Sisa yang dihapusbukukan (di luar portofolio dan PAR) Rp1.550.000",
        "Pemulihan diterima bulan ini (bukan angsuran) 2 · Rp350.000",
        "Seluruh angsuran diterima bulan ini (termasuk tunggakan) Rp400.000",
        "SP-1 1", "SP-2 1", "SP-3 0", "Jumlah surat peringatan 2",
        "25 Okt 2026 s.d. 2 Nov 2026 (2 hari dalam bulan ini): Angin kencang",
        "12 Nov 2026 s.d. 23 Nov 2026 (12 hari dalam bulan ini): Banjir November",
        "Sisa pokok pinjaman terlambat lebih dari 30 hari Rp0",
        "3 Citra PJ-00003 15 Mar 2026 Rp1.500.000 Rp0 Rp0 Rp500.000 Rp800.000 0 Hapus buku Dikonfirmasi Hapus buku",
        "2 Budi PJ-00002 5 Jun 2026 Rp2.400.000 Rp0 Rp0 Rp400.000 Rp2.000.000 0 Kol-1 Dikonfirmasi Restrukturisasi",
        "Jumlah Rp7.300.000 Rp500.000 Rp400.000 Rp1.500.000 Rp3.800.000",
        "Jumlah hapus buku Rp1.550.000",
    ):
        assert expected in lines, expected
    english = PdfReader(io.BytesIO(kelurahan_pdf(report, "en")))
    text = "\n".join(page.extract_text() for page in english.pages)
    for expected in ("Loans written off by the month's end · amount written off 2 · Rp2.000.000",
                     "Recoveries received this month (not repayments) 2 · Rp350.000",
                     "Warning letters in all 2", "12 Nov 2026 to 23 Nov 2026 (12 days in this month): Banjir November",
                     f"Rescheduled loans (still running) · outstanding principal 1 · {rupiah(2_000_000, 'en')}"):
        assert expected in text, expected
