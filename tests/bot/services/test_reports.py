"""The monthly report (LPJ) against the hand-computed kelurahan (tests/lpj_fixture.py), figure by figure."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.services.reports import city_report, kelurahan_report
from messages import label
from messages.reports.xlsx import CITY_COLUMNS, CITY_HEADER_ROW, city_xlsx, kelurahan_xlsx
from tests import lpj_fixture as fx

WITA = ZoneInfo("Asia/Makassar")


async def _report(db):
    return await kelurahan_report(db, fx.KEL, fx.YEAR, fx.MONTH, WITA)


async def test_every_summary_figure_to_the_rupiah(db, frozen_clock):
    await fx.build(db)
    report = await _report(db)
    s = report.summary
    for key, expected in fx.EXPECTED.items():
        assert getattr(s, key) == expected, key
    assert [(b.loans, b.amount) for b in s.buckets] == fx.BUCKETS
    assert (s.unconfirmed, s.unconfirmed_amount) == fx.DISBURSEMENTS["unconfirmed"]
    assert (s.disputed, s.disputed_amount) == fx.DISBURSEMENTS["disputed"]
    assert [(ln.borrower_name, ln.principal, ln.target_month, ln.paid_month, ln.paid_to_date, ln.outstanding,
             ln.days_late, ln.kol, ln.disbursement) for ln in report.lines] == fx.REKAP
    assert [(c.kind, c.on, c.ref, c.day, c.amount) for c in report.later] == fx.LATER
    assert report.later[-1].reason == "transfer tidak masuk"
    book = report.book
    assert (book.opening.cash, book.opening.bank) == fx.BOOK_OPENING
    assert (book.closing.cash, book.closing.bank) == fx.BOOK_CLOSING
    assert (book.money_in.cash, book.money_in.bank) == fx.BOOK_IN
    assert (book.money_out.cash, book.money_out.bank) == fx.BOOK_OUT
    assert [(ln.movement.day, ln.movement.ref, ln.movement.effect.cash, ln.movement.effect.bank)
            for ln in book.lines] == fx.BOOK_LINES
    # a repayment line is split into principal and fee (Budi's late payment of 29-11: 30.000 + 40.000 principal,
    # 30.000 fee)
    r11 = next(ln.movement for ln in book.lines if ln.movement.ref == "PB-00011")
    assert (r11.principal, r11.fee) == (70_000, 30_000)
    assert [r.number for r in report.receipts] == [f"NKT1-2026-0000{n}" for n in range(10, 15)]


async def test_reproducible_after_later_payments(db, frozen_clock):
    await fx.build(db)
    before = await _report(db)
    # a payment made in December, even for a November instalment, and a December cash entry change nothing
    await db.execute(
        "INSERT INTO repayments (loan_id, amount, paid_on, method, status, reported_by, verified_by, verified_at,"
        " idempotency_key) VALUES (2, 530000, '2026-12-03', 'cash', 'verified', 1, 1, '2026-12-03 02:00:00', 'x')")
    await db.execute(
        "INSERT INTO cash_entries (kelurahan_code, kind, account, amount, entry_date, description, recorded_at,"
        " idempotency_key) VALUES (:kel, 'grant', 'cash', 1000, '2026-12-04', 'Desember', '2026-12-04 02:00:00',"
        " 'y')", {"kel": fx.KEL})
    after = await _report(db)
    assert after == before


async def test_a_later_reversal_changes_the_month_and_says_so(db, frozen_clock):
    await fx.build(db)
    before = await _report(db)
    await db.execute("UPDATE repayments SET status = 'reversed', reversed_at = '2027-01-05 02:00:00',"
                     " reversed_by = 1, reversal_reason = 'ganda' WHERE id = 2")
    after = await _report(db)
    assert after.summary.repaid_to_date == before.summary.repaid_to_date - 500_000
    assert after.summary.collected_on_time == 0
    assert after.later[-1].kind == "reversal" and after.later[-1].ref == "PB-00002"
    assert after.later[-1].on.isoformat() == "2027-01-05"
    # the closed month's cash book keeps the payment: its reversal is dated January
    assert after.book == before.book


def _summary_cells(sheet) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row[0]}


async def test_xlsx_summary_sheet_read_back(db, frozen_clock):
    await fx.build(db)
    report = await _report(db)
    book = load_workbook(io.BytesIO(kelurahan_xlsx(report, "id")))
    assert book.sheetnames == ["Ringkasan", "Rekap angsuran", "Buku kas", "Kuitansi"]
    summary = book["Ringkasan"]
    assert summary["A1"].value == "Laporan Perkembangan Dana Bergulir PEM"
    assert summary["A2"].value == "Kelurahan Naikoten Satu, Kecamatan Kota Raja"
    assert summary["A3"].value == "Bulan November 2026 (1 November 2026 s.d. 30 November 2026)"
    cells = _summary_cells(summary)
    for key, expected in fx.EXPECTED.items():
        value = cells[label(f"lpj.{key}", "id")][0]
        if key in ("rate_on_time", "rate_with_late", "par30"):
            assert abs(value - float(expected)) < 1e-12, key
        else:
            assert value == expected, key
            assert isinstance(value, int), key
    for kol, (count, amount) in enumerate(fx.BUCKETS, start=1):
        name = label("lpj.kol", "id", kol=kol, name=label(f"lpj.kol_{kol}", "id"))
        assert cells[name][:2] == (count, amount), kol
    assert cells[label("lpj.unconfirmed", "id")][:2] == fx.DISBURSEMENTS["unconfirmed"]
    assert cells[label("lpj.disputed", "id")][:2] == fx.DISBURSEMENTS["disputed"]
    later = [row for row in summary.iter_rows(values_only=True) if row[1] in {c[2] for c in fx.LATER}]
    assert [(r[1], r[2]) for r in later] == [(c[2], c[4]) for c in fx.LATER]
    assert any("4 perubahan" in str(row[0]) for row in summary.iter_rows(values_only=True))


async def test_xlsx_rekap_book_and_receipts_sheets(db, frozen_clock):
    await fx.build(db)
    book = load_workbook(io.BytesIO(kelurahan_xlsx(await _report(db), "id")))
    rekap = list(book["Rekap angsuran"].iter_rows(min_row=6, values_only=True))
    assert [(r[1], r[4], r[5], r[6], r[7], r[8], r[9], r[10]) for r in rekap[:-1]] == [
        (name, principal, target, paid, to_date, outstanding, days, "Lunas" if kol is None else f"Kol-{kol}")
        for name, principal, target, paid, to_date, outstanding, days, kol, _ in fx.REKAP]
    assert rekap[-1][1] == "Jumlah" and rekap[-1][4] == 14_700_000 and rekap[-1][8] == 11_050_000
    assert rekap[2][11] == "Belum dikonfirmasi" and rekap[4][11] == "Disangkal"

    cash = list(book["Buku kas"].iter_rows(min_row=6, values_only=True))
    assert cash[0][2] == "Saldo awal bulan" and cash[0][7:10] == (*fx.BOOK_OPENING, sum(fx.BOOK_OPENING))
    assert cash[-2][2] == "Saldo akhir bulan" and cash[-2][7:10] == (*fx.BOOK_CLOSING, sum(fx.BOOK_CLOSING))
    assert cash[-2][3:7] == (fx.BOOK_IN[0], fx.BOOK_OUT[0], fx.BOOK_IN[1], fx.BOOK_OUT[1])
    assert cash[-1][2] == "Di antaranya pemulihan (pinjaman dihapusbukukan)" and cash[-1][9] == 0  # none here
    lines = cash[1:-2]
    assert [r[1] for r in lines] == [ref for _, ref, _, _ in fx.BOOK_LINES]
    grant = lines[0]
    assert grant[2] == "Dana hibah kota · Hibah Pemkot" and grant[5] == 10_000_000 and grant[8] == 22_985_000
    correction = lines[3]
    assert correction[2] == "Koreksi KAS-00008 · jumlah salah ketik" and correction[5] == 150_000
    r12_back = lines[6]
    assert r12_back[2].startswith("Pembatalan angsuran PB-00012") and r12_back[4] == 500_000

    receipts = list(book["Kuitansi"].iter_rows(min_row=6, values_only=True))
    assert [(r[0], r[5], r[6]) for r in receipts] == [
        ("NKT1-2026-000010", 500_000, "Berlaku"), ("NKT1-2026-000011", 500_000, "Berlaku"),
        ("NKT1-2026-000012", 200_000, "Berlaku"), ("NKT1-2026-000013", 500_000, "Batal sesudah akhir bulan"),
        ("NKT1-2026-000014", 500_000, "Batal")]
    assert receipts[4][8] == "salah input"


async def test_xlsx_in_english(db, frozen_clock):
    await fx.build(db)
    book = load_workbook(io.BytesIO(kelurahan_xlsx(await _report(db), "en")))
    assert book.sheetnames == ["Summary", "Instalment recap", "Cash book", "Receipts"]
    cells = _summary_cells(book["Summary"])
    assert cells["City grants received to the month's end"][0] == 32_000_000


async def test_city_report_rows_sorted_by_arrears_with_chart(db, frozen_clock):
    await fx.build(db)
    reports = await city_report(db, fx.YEAR, fx.MONTH, WITA)
    assert len(reports) == 51
    assert reports[0].code == fx.KEL  # the only kelurahan with arrears
    assert reports[0].summary == (await _report(db)).summary
    oebobo = next(r for r in reports if r.code == fx.OTHER)
    assert oebobo.summary.grants == 99_000_000 and oebobo.summary.repaid_to_date == 500_000
    content = city_xlsx(reports, fx.YEAR, fx.MONTH, "id")
    book = load_workbook(io.BytesIO(content))
    sheet = book["Kota"]
    keys = [k for k, _ in CITY_COLUMNS]
    header = [c.value for c in sheet[CITY_HEADER_ROW]]
    assert header[1] == "Kelurahan"
    first = [c.value for c in sheet[CITY_HEADER_ROW + 1]]
    assert first[1] == "Naikoten Satu"
    assert first[keys.index("h_arrears")] == 2_960_000  # Budi 1.960.000 + Eka 1.000.000 (Kol-2 to Kol-5)
    assert first[keys.index("due_month")] == 1_530_000
    assert first[keys.index("h_collected")] == 1_070_000
    assert abs(first[keys.index("par30")] - 1_000_000 / 10_960_000) < 1e-12
    total = [c.value for c in sheet[CITY_HEADER_ROW + 52]]
    assert total[1] == "Jumlah" and total[keys.index("grants")] == 32_000_000 + 99_000_000
    # the chart: collected against due, one category per kelurahan
    xml = _part(content, "xl/charts/chart1.xml").decode()
    assert "<barChart>" in xml and xml.count("<ser>") == 2
    due = chr(ord("A") + keys.index("due_month"))
    collected = chr(ord("A") + keys.index("h_collected"))
    assert f"'Kota'!${due}$6:${due}$56" in xml and f"'Kota'!${collected}$6:${collected}$56" in xml
    assert "'Kota'!$B$6:$B$56" in xml  # one category per kelurahan
    assert "Jatuh tempo" in xml and "Terkumpul" in xml
    assert "Grafik" in book.sheetnames

def _part(content: bytes, name: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return z.read(name)


async def test_a_late_verification_of_an_earlier_month_and_a_backdated_entry_are_listed(db, frozen_clock):
    await fx.build(db)
    await db.execute(
        "INSERT INTO repayments (id, loan_id, amount, paid_on, method, status, reported_by, verified_by, verified_at,"
        " idempotency_key) VALUES (40, 1, 100000, '2026-10-21', 'cash', 'pending', 1, NULL, NULL, 'late-oct')")
    before = await _report(db)
    await db.execute("UPDATE repayments SET status = 'verified', verified_by = 1, verified_at = '2026-12-05 02:00:00'"
                     " WHERE id = 40")
    await db.execute(
        "INSERT INTO cash_entries (kelurahan_code, kind, account, amount, entry_date, description, recorded_at,"
        " idempotency_key) VALUES (:kel, 'bank_charge', NULL, 5000, '2026-10-30', 'Biaya lupa dicatat',"
        " '2026-12-06 02:00:00', 'late-oct-entry')", {"kel": fx.KEL})
    after = await _report(db)
    assert after.summary.repaid_to_date == before.summary.repaid_to_date + 100_000
    assert after.summary.bank == before.summary.bank - 5_000
    assert after.summary.cash == before.summary.cash + 100_000
    added = [c for c in after.later if c not in before.later]
    assert [(c.kind, c.ref, c.day.isoformat(), c.on.isoformat(), c.amount) for c in added] == [
        ("late_verification", "PB-00040", "2026-10-21", "2026-12-05", 100_000),
        ("late_entry", "KAS-00013", "2026-10-30", "2026-12-06", 5_000)]
