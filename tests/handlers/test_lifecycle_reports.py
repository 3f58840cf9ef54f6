"""Issue 16's reporting side through the bot: a write-off then a recovery with its own receipt, a reschedule, and
what every view shows of them (the borrower's detail, /peminjam, /pinjaman, the monthly report and its cash book
from /laporan); the letters on the detail and on the /kartu PDF; the promises in the lurah's /ringkasan.
The clock is pinned: Saturday 28 November 2026, 10:00 WITA (tests/conftest.py)."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from bot.domain.roles import Role
from bot.services import lifecycle as lifecycle_service
from bot.services.visits import record_visit
from storage import loans
from tests.handlers.loan_fixtures import make_loan, record
from tests.handlers.test_events import capture_uploads
from tests.handlers.test_receipts import pdf_text

TODAY = date(2026, 11, 28)


async def _write_off_and_recover(running, tester, ltu, au):
    """/hapus_buku by the lurah-treasurer, approved by the admin; then /catat_bayar Rp750.000 on it."""
    await tester.command(ltu, "hapus_buku")
    await tester.send(ltu, "yohanis")
    await tester.press(ltu, tester.last(ltu).button("Yohanis Ndolu"))
    await tester.send(ltu, "Usaha gagal")
    await tester.send(ltu, "Warung tutup sejak Agustus")
    await tester.press(ltu, tester.last(ltu).button("Konfirmasi"))
    await tester.press(au, tester.last(au).button("Approve"))
    assert "approved by Admin Kelurahan" in tester.last(au).text
    await tester.command(ltu, "catat_bayar")
    await tester.send(ltu, "yohanis")
    await tester.press(ltu, tester.last(ltu).button("Yohanis Ndolu"))
    await tester.send(ltu, "750rb")
    await tester.press(ltu, tester.last(ltu).button("Hari ini"))
    await tester.press(ltu, tester.last(ltu).button("Lewati"))
    await tester.press(ltu, tester.last(ltu).button("Konfirmasi"))


async def test_write_off_recovery_and_reschedule_in_every_view_and_the_report(running, tester, make_person,
                                                                                 frozen_clock):
    db = running.app.db
    lt, ltu = await make_person(Role.TREASURER, Role.LURAH, name="Ibu Lurah Bendahara")
    admin, au = await make_person(Role.ADMIN, name="Admin Kelurahan", language="en")
    yohanis, yu = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    paulus, _ = await make_person(Role.BORROWER, name="Paulus Lancar")
    # each Rp6.000.000, 12 × 500.000 due the 28th from 28 October 2026 (disbursed 28 September)
    loan = await make_loan(db, yohanis)
    healthy = await make_loan(db, paulus)
    await record(db, loan, lt, 500_000, date(2026, 10, 28))

    await _write_off_and_recover(running, tester, ltu, au)
    rep = await db.fetchone("SELECT id, kind, amount FROM repayments ORDER BY id DESC LIMIT 1")
    assert (rep["kind"], rep["amount"]) == ("recovery", 750_000)
    number = await db.fetchval("SELECT number FROM receipts WHERE repayment_id = :r", {"r": rep["id"]})
    (receipt,) = [c for c in running.request.sent(yu.chat_id) if c.files]  # the recovery's own receipt
    text = pdf_text(receipt)
    assert number in text and "Pemulihan atas pinjaman PEM" in text and "Rp750.000" in text

    # Paulus's loan rescheduled: 10 new instalments from 28 December, approved by the admin
    proposed = await lifecycle_service.propose_reschedule(
        db, loan_id=healthy.id, by=lt.id, kelurahan_code=lt.kelurahan_code, tenor_months=10, grace_months=0,
        first_due_on=date(2026, 12, 28), now=frozen_clock(), today=TODAY)
    assert proposed.ok and proposed.proposal is not None
    decided = await lifecycle_service.decide(db, proposed.proposal.id, approve=True, by=admin.id,
                                             kelurahan_code=lt.kelurahan_code, now=frozen_clock(), today=TODAY)
    assert decided.ok

    # /peminjam: the written-off loan is still listed, last, marked, with what is still owed
    await tester.command(ltu, "peminjam")
    listing = tester.last(ltu)
    assert "2 pinjaman" in listing.text
    assert listing.text.index("Paulus Lancar") < listing.text.index("Yohanis Ndolu")
    assert "sisa Rp6.000.000 · lancar · 🔁 direstrukturisasi" in listing.text
    assert "sisa Rp4.750.000 · 🗂️ dihapusbukukan" in listing.text
    await tester.press(ltu, listing.button("Yohanis Ndolu"))
    detail = tester.last(ltu).text
    assert "<b>Pinjaman Rp6.000.000</b> (Warung) — dihapusbukukan" in detail
    assert ("🗂️ Dihapusbukukan 28 November 2026: Rp5.500.000; pemulihan Rp750.000; masih terutang Rp4.750.000"
            in detail)
    assert "Rp750.000 — terverifikasi, pemulihan (PB-" in detail
    assert "Angsuran berikutnya" not in detail and "Terlambat" not in detail
    await tester.press(ltu, listing.button("Paulus Lancar"))
    assert "🔁 Direstrukturisasi: jadwal baru sejak 28 November 2026" in tester.last(ltu).text
    # the borrower's own view, and the admin's in English
    await tester.command(yu, "pinjaman")
    assert "— dihapusbukukan" in tester.last(yu).text and "masih terutang Rp4.750.000" in tester.last(yu).text
    await tester.press(au, f"brw:show:{yohanis.id}")
    assert "🗂️ Written off 28 November 2026: Rp5.500.000; recovered Rp750.000; still owed Rp4.750.000" in (
        tester.last(au).text)
    # nothing deleted
    assert await db.fetchval("SELECT COUNT(*) FROM installments WHERE loan_id = :id", {"id": loan.id}) == 12
    assert (await loans.get(db, loan.id)).status == "written_off"

    # the monthly report of November from /laporan, hand-computed as of 30 November:
    # Yohanis written off (5.500.000), 750.000 recovered, 4.750.000 still owed; not in the portfolio. Paulus
    # rescheduled: 6.000.000, first new instalment 28-12, so nothing due or late in November: PAR30 0. Repaid to
    # date 500.000 (Yohanis's October instalment); received in November 0 (the recovery is not a repayment).
    uploads = capture_uploads(running.request)
    await tester.command(ltu, "laporan")
    await tester.send(ltu, "11/2026")
    await tester.press(ltu, tester.last(ltu).button("XLSX"))
    _, content = uploads[-1]["document"]
    book = load_workbook(io.BytesIO(content))
    cells = {row[0]: row[1:] for row in book["Ringkasan"].iter_rows(values_only=True) if row[0]}
    assert cells["Sisa pokok pinjaman"][0] == 6_000_000
    assert cells["Sisa pokok pinjaman terlambat lebih dari 30 hari"][0] == 0
    assert cells["Total angsuran diterima s.d. akhir bulan"][0] == 500_000
    assert cells["Seluruh angsuran diterima bulan ini (termasuk tunggakan)"][0] == 0
    assert cells["Pinjaman direstrukturisasi (masih berjalan) · sisa pokok"][:2] == (1, 6_000_000)
    assert cells["Restrukturisasi disetujui bulan ini"][0] == 1
    assert cells["Pinjaman dihapusbukukan s.d. akhir bulan · jumlahnya"][:2] == (1, 5_500_000)
    assert cells["Dihapusbukukan bulan ini"][:2] == (1, 5_500_000)
    assert cells["Pemulihan diterima bulan ini (bukan angsuran)"][:2] == (1, 750_000)
    assert cells["Sisa yang dihapusbukukan (di luar portofolio dan PAR)"][1] == 4_750_000
    assert cells["Peminjam aktif"][0] == 1 and cells["Peminjam lunas"][0] == 0
    rekap = {r[1]: r for r in book["Rekap angsuran"].iter_rows(min_row=6, values_only=True) if r[2]}
    assert (rekap["Yohanis Ndolu"][8], rekap["Yohanis Ndolu"][12], rekap["Yohanis Ndolu"][13]) == (
        4_750_000, "Hapus buku", 750_000)
    assert rekap["Paulus Lancar"][12] == "Restrukturisasi"
    # the cash book: the recovery is its own line and category, into cash on hand on 28 November
    cash = list(book["Buku kas"].iter_rows(min_row=6, values_only=True))
    (line,) = [r for r in cash if r[1] == f"PB-{rep['id']:05d}"]
    assert line[2] == "Pemulihan (pinjaman dihapusbukukan) · Yohanis Ndolu" and line[3] == 750_000
    assert line[10] is None and line[11] is None  # not split into principal and fee like a repayment
    assert cash[-1][2] == "Di antaranya pemulihan (pinjaman dihapusbukukan)" and cash[-1][9] == 750_000


async def test_letters_on_the_detail_and_the_kartu_pdf_through_the_bot(running, tester, make_person):
    db = running.app.db
    treasurer, tu = await make_person(Role.TREASURER, name="Maria Bendahara")
    borrower, bu = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    loan = await make_loan(db, borrower)
    await db.execute(  # an SP-1 as bot.services.warnings issues it
        """
        INSERT INTO warning_steps (loan_id, kelurahan_code, level, status, opened_on, opened_at, days_late_at_open,
                                   number, year, seq, issued_at, issued_on, issued_by, deadline, days_late,
                                   arrears_amount, outstanding, missed)
        VALUES (:loan, :kel, 1, 'issued', '2026-11-27', '2026-11-27 00:00:00', 30, 'NKT1/SP-1/2026/0007', 2026, 7,
                '2026-11-27 02:00:00', '2026-11-27', :by, '2026-12-11', 30, 500000, 6000000, :missed)
        """, {"loan": loan.id, "kel": borrower.kelurahan_code, "by": treasurer.id,
              "missed": '[{"number": 1, "due_date": "2026-10-28", "remaining": 500000}]'})
    await tester.press(tu, f"brw:show:{borrower.id}")
    detail = tester.last(tu)
    assert "SP-1 NKT1/SP-1/2026/0007: diterbitkan 27 November 2026, batas bayar 11 Desember 2026" in detail.text
    assert "Riwayat kunjungan" in detail.text  # the visit history is part of the detail
    await tester.press(bu, f"card:{loan.id}")  # /kartu's button: the instalment card as a PDF
    card = pdf_text(running.request.of("sendDocument")[-1])
    assert "Surat peringatan" in card and "SP-1 NKT1/SP-1/2026/0007" in card


async def test_the_lurahs_digest_counts_promises_due_this_week_and_broken(running, tester, make_person,
                                                                           frozen_clock):
    db = running.app.db
    treasurer, _ = await make_person(Role.TREASURER, name="Maria Bendahara")
    _, lu = await make_person(Role.LURAH, name="Pak Lurah")
    ana, _ = await make_person(Role.BORROWER, name="Ana Seran")
    budi, _ = await make_person(Role.BORROWER, name="Budi Lake", linked=False)
    for person, visited, promise_on in ((ana, date(2026, 11, 27), date(2026, 11, 29)),
                                        (budi, date(2026, 11, 20), date(2026, 11, 24))):
        loan = await make_loan(db, person)
        await record_visit(db, loan_id=loan.id, visited_on=visited, outcome="met", note="Janji bayar",
                           photo_file_id=None, promise_amount=500_000, promise_on=promise_on,
                           recorded_by=treasurer.id, kelurahan_code=treasurer.kelurahan_code, now=frozen_clock())
    # Budi's promise of Tuesday 24 November was judged broken (as bot.jobs' promise check records it)
    await db.execute("UPDATE visits SET promise_status = 'broken', promise_paid = 0 WHERE promise_on = '2026-11-24'")
    await tester.command(lu, "ringkasan")
    # this week is Monday 23 – Sunday 29 November: both promises fall in it; one broken in the last 7 days
    assert "🤝 Janji bayar minggu ini: 2 · tidak ditepati (7 hari terakhir): 1" in tester.last(lu).text
