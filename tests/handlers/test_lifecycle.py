"""Issue 16 part 3 through the bot: a reschedule keeps earlier allocations to the rupiah (hand-computed), a
write-off then a recovery, and maker-checker (the lurah decides; an admin when the lurah is the maker; nobody
decides their own proposal). The clock is pinned: Saturday 28 November 2026, 10:00 WITA (tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.domain.roles import Role
from storage import audit, lifecycle, loans
from storage.reports import digest as digest_reports
from storage.reports import lifecycle as reports
from storage.reports import reminders as reminder_reports
from tests.handlers.loan_fixtures import make_loan, record, report
from tests.handlers.test_receipts import pdf_text

TODAY = date(2026, 11, 28)


@pytest.fixture
async def world(running, make_person):
    db = running.app.db
    treasurer, tu = await make_person(Role.TREASURER, name="Maria Bendahara")
    lurah, lu = await make_person(Role.LURAH, name="Pak Lurah")
    admin, au = await make_person(Role.ADMIN, name="Admin Kelurahan", language="en")
    borrower, bu = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    # Rp6.000.000 over 12 months from 15 May 2026, 1% fee: 500.000 + 60.000 a month, due the 15th from June
    loan = await make_loan(db, borrower, disbursed_on=date(2026, 5, 15), fee=Decimal(1))
    await record(db, loan, treasurer, 560_000, date(2026, 6, 15))
    await record(db, loan, treasurer, 560_000, date(2026, 7, 14))
    await record(db, loan, treasurer, 300_000, date(2026, 8, 20))  # instalment 3: fee 60.000 + principal 240.000
    return {"db": db, "t": treasurer, "tu": tu, "lurah": lurah, "lu": lu, "admin": admin, "au": au,
            "b": borrower, "bu": bu, "loan": loan}


async def _allocations(db, loan_id):
    rows = await db.fetchall(
        """
        SELECT a.repayment_id, i.number, a.fee_paid, a.principal_paid FROM allocations AS a
        JOIN installments AS i ON i.id = a.installment_id WHERE i.loan_id = :loan ORDER BY a.repayment_id, i.number
        """, {"loan": loan_id})
    return [tuple(r) for r in rows]


async def _propose_reschedule(tester, tu):
    await tester.command(tu, "restrukturisasi")
    await tester.send(tu, "yohanis")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))
    ask = tester.last(tu).text
    assert "Rp5.300.000" in ask and "terlambat 105 hari" in ask
    await tester.send(tu, "40")
    assert "1–36" in tester.texts(tu)[-2]
    await tester.send(tu, "9 bulan")
    await tester.press(tu, tester.last(tu).button("1 bln"))
    assert "28 Januari 2027" in tester.last(tu).text  # suggested: one month after one grace month
    await tester.send(tu, "kemarin")
    assert "sesudah hari ini" in tester.texts(tu)[-2]
    await tester.press(tu, tester.last(tu).button("28 Jan 2027"))
    return tester.last(tu)


async def test_a_reschedule_keeps_earlier_allocations_to_the_rupiah(running, tester, world):
    db, tu, lu = world["db"], world["tu"], world["lu"]
    loan_id = world["loan"].id
    before_alloc = await _allocations(db, loan_id)
    assert before_alloc == [(1, 1, 60_000, 500_000), (2, 2, 60_000, 500_000), (3, 3, 60_000, 240_000)]

    summary = await _propose_reschedule(tester, tu)
    # the new schedule before it is sent: 4.760.000 principal left over 9 months (529.000 x 8, then 528.000);
    # the unpaid fees of September, October and November (3 x 60.000) go on the first new instalment
    text = summary.text
    assert "Rp4.760.000" in text and "Rp180.000" in text
    assert "4. 28 Januari 2027: Rp769.000" in text  # 529.000 + 60.000 + 180.000
    assert "5. 28 Februari 2027: Rp589.000" in text and "12. 28 September 2027: Rp588.000" in text
    assert "Rp5.480.000" in text  # 4.760.000 + 180.000 + 9 x 60.000
    await tester.press(tu, summary.button("Konfirmasi"))
    assert "Menunggu keputusan lurah" in tester.last(tu).text

    (prop,) = await db.fetchall("SELECT * FROM loan_proposals")
    assert (prop["kind"], prop["status"], prop["tenor_months"], prop["grace_months"], prop["first_due_on"],
            prop["outstanding_before"]) == ("reschedule", "pending", 9, 1, "2027-01-28", 5_300_000)
    # the lurah is asked; not the admin (the lurah can decide), not the treasurer
    notice = tester.last(lu)
    assert "Usulan restrukturisasi RS-" in notice.text and "Rp769.000" in notice.text
    assert not any("restrukturisasi" in t.lower() for t in tester.texts(world["au"]))
    # nothing changed yet
    assert (await loans.summary(db, loan_id)).state.outstanding == 5_300_000

    # the treasurer cannot decide it
    await tester.press(tu, f"lc:ok:{prop['id']}")
    assert (await lifecycle.get(db, prop["id"])).status == "pending"

    await tester.press(lu, notice.button("Setujui"))
    assert "disetujui oleh Pak Lurah" in tester.last(lu).text
    assert "disetujui oleh Pak Lurah" in tester.last(tu).text
    assert "Jadwal angsuran pinjaman Anda diubah" in tester.last(world["bu"]).text

    # the database: kept instalments as they were (3 cut down to what was paid), the new ones after
    rows = await db.fetchall("SELECT number, due_date, principal_due, fee_due, principal_paid, fee_paid, paid_on "
                             "FROM installments WHERE loan_id = :l ORDER BY number", {"l": loan_id})
    assert [tuple(r) for r in rows[:3]] == [
        (1, "2026-06-15", 500_000, 60_000, 500_000, 60_000, "2026-06-15"),
        (2, "2026-07-15", 500_000, 60_000, 500_000, 60_000, "2026-07-14"),
        (3, "2026-08-15", 240_000, 60_000, 240_000, 60_000, "2026-08-20")]
    assert [tuple(r)[:4] for r in rows[3:]] == (
        [(4, "2027-01-28", 529_000, 240_000)]
        + [(n, f"{2027 + (n - 4) // 12}-{(n - 4) % 12 + 1:02d}-28", 529_000, 60_000) for n in range(5, 12)]
        + [(12, "2027-09-28", 528_000, 60_000)])
    assert await _allocations(db, loan_id) == before_alloc  # to the rupiah
    after = await loans.summary(db, loan_id)
    assert after.state.outstanding == 5_480_000 and after.loan.status == "active"
    assert after.days_in_arrears(TODAY) == 0  # re-aged: nothing overdue until 28 January 2027
    assert after.days_in_arrears(date(2027, 1, 29)) == 1

    # the old schedule is kept for the record, with what had been paid on it
    old = await lifecycle.archived_schedule(db, loan_id, 1)
    assert len(old) == 12 and old[2]["principal_due"] == 500_000 and old[2]["principal_paid"] == 240_000
    assert old[11]["due_date"] == "2027-05-15"
    # the digest's per-loan figures start again from the new schedule (days in arrears 0 → Kol-1)
    (pf,) = (await digest_reports.portfolio(db, TODAY)).values()
    assert pf.buckets == (1, 0, 0, 0, 0) and pf.outstanding == 5_480_000
    # the report counts it apart
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    (rs,) = await reports.rescheduled_loans(db, None, start, end)
    assert (rs.loan_id, rs.outstanding_before, rs.tenor_months) == (loan_id, 5_300_000, 9)
    assert await reports.rescheduled_active(db, world["t"].kelurahan_code) == 1
    (row,) = await audit.recent(db, action="loan.rescheduled")
    details = row.details
    assert (details["outstanding_before"], details["outstanding_after"]) == (5_300_000, 5_480_000)
    assert (details["days_in_arrears_before"], details["kolektibilitas_before"]) == (105, 3)
    assert (details["days_in_arrears_after"], details["kolektibilitas_after"]) == (0, 1)
    assert len(await audit.recent(db, action="loan.reschedule_proposed")) == 1

    # a later cash entry dated before a kept payment (1 August, before the 20 August one) is allocated as of the
    # reschedule, after the kept payments, so their allocations do not move; it pays the first new instalment
    later = await record(db, world["loan"], world["t"], 769_000, date(2026, 8, 1))
    assert await _allocations(db, loan_id) == [*before_alloc, (later.id, 4, 240_000, 529_000)]
    # the same button again: already decided
    await tester.press(lu, notice.button("Setujui"))
    assert "sudah disetujui" in tester.last(lu).text


async def test_a_reschedule_waits_for_pending_reports_and_can_be_rejected(running, tester, world):
    db, tu, lu = world["db"], world["tu"], world["lu"]
    await tester.press(tu, (await _propose_reschedule(tester, tu)).button("Konfirmasi"))
    (prop,) = await db.fetchall("SELECT id FROM loan_proposals")
    await report(db, world["loan"], world["b"], 100_000, paid_on=TODAY)
    await tester.press(lu, f"lc:ok:{prop['id']}")
    assert "menunggu verifikasi" in tester.last(lu).text
    assert (await lifecycle.get(db, prop["id"])).status == "pending"
    # a second proposal on the same loan is refused while one waits
    await tester.command(tu, "hapus_buku")
    await tester.send(tu, "yohanis")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))
    await tester.press(tu, tester.last(tu).button("Pindah"))
    await tester.press(tu, tester.last(tu).button("Lewati"))
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))
    assert "sudah punya usulan yang menunggu" in tester.last(tu).text
    # the lurah's list, and a rejection
    await tester.command(lu, "persetujuan")
    listed = tester.last(lu)
    assert "RS-" in listed.text and "Yohanis Ndolu" in listed.text
    await tester.press(lu, listed.button("❌"))
    assert "Mengapa usulan RS-" in tester.last(lu).text  # a rejection asks the reason first
    assert (await lifecycle.get(db, prop["id"])).status == "pending"
    await tester.send(lu, "x")
    assert "3 sampai 200 karakter" in tester.texts(lu)[-2] and "Mengapa usulan" in tester.last(lu).text
    await tester.send(lu, "Tunggu laporan bulan ini diverifikasi dulu")
    decided = tester.last(lu).text
    assert "ditolak oleh Pak Lurah. Alasan: Tunggu laporan bulan ini diverifikasi dulu" in decided
    assert "Pengusul (Maria Bendahara) sudah diberi tahu" in decided
    told = tester.last(tu).text  # the treasurer who proposed it reads the outcome and the reason
    assert "ditolak oleh Pak Lurah. Alasan: Tunggu laporan bulan ini diverifikasi dulu" in told
    rejected = await lifecycle.get(db, prop["id"])
    assert (rejected.status, rejected.decided_by, rejected.decision_note) == (
        "rejected", world["lurah"].id, "Tunggu laporan bulan ini diverifikasi dulu")
    assert (await loans.summary(db, world["loan"].id)).state.outstanding == 5_300_000
    assert len(await db.fetchall("SELECT * FROM schedule_versions")) == 0
    (rej,) = await audit.recent(db, action="loan.proposal_rejected")
    assert (rej.details["reason"], rej.details["outstanding_before"], rej.details["outstanding_after"]) == (
        "Tunggu laporan bulan ini diverifikasi dulu", 5_300_000, 5_300_000)


async def test_write_off_then_recovery_when_the_lurah_is_the_only_treasurer(running, tester, make_person):
    """A kelurahan with one treasurer who is also its lurah: she proposes, an admin decides, she cannot."""
    db = running.app.db
    lt, ltu = await make_person(Role.TREASURER, Role.LURAH, name="Ibu Lurah Bendahara")
    _admin, au = await make_person(Role.ADMIN, name="Admin Kelurahan", language="en")
    borrower, bu = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    other, _ = await make_person(Role.BORROWER, name="Paulus Lancar")
    loan = await make_loan(db, borrower)  # Rp6.000.000, 12 x 500.000 from 28 September 2026
    healthy = await make_loan(db, other)
    await record(db, loan, lt, 500_000, date(2026, 10, 28))

    await tester.command(ltu, "hapus_buku")
    await tester.send(ltu, "yohanis")
    await tester.press(ltu, tester.last(ltu).button("Yohanis Ndolu"))
    assert "Rp5.500.000" in tester.last(ltu).text
    await tester.send(ltu, "Usaha gagal")  # typing a button's label counts as pressing it
    await tester.send(ltu, "Warung tutup sejak Agustus")
    summary = tester.last(ltu)
    assert "Usaha gagal" in summary.text and "Rp5.500.000" in summary.text
    await tester.press(ltu, summary.button("Konfirmasi"))
    assert "admin kelurahan" in tester.last(ltu).text
    notice = tester.last(au)
    assert "Write-off proposal HB-" in notice.text and "the lurah cannot decide it" in notice.text
    (prop,) = await db.fetchall("SELECT id, reason, note FROM loan_proposals")
    assert (prop["reason"], prop["note"]) == ("business_failed", "Warung tutup sejak Agustus")

    # she is the lurah, but it is her proposal
    await tester.press(ltu, f"lc:ok:{prop['id']}")
    assert "Anda yang mengusulkan ini" in tester.last(ltu).text
    await tester.press(au, notice.button("Approve"))
    assert "approved by Admin Kelurahan" in tester.last(au).text

    stored = await db.fetchone("SELECT status, written_off_amount FROM loans WHERE id = :id", {"id": loan.id})
    assert (stored["status"], stored["written_off_amount"]) == ("written_off", 5_500_000)
    assert await db.fetchval("SELECT COUNT(*) FROM installments WHERE loan_id = :id", {"id": loan.id}) == 12
    # out of the active portfolio and PAR: only the healthy loan is left
    (pf,) = (await digest_reports.portfolio(db, date(2027, 3, 1))).values()
    assert (pf.loans, pf.outstanding) == (1, 6_000_000)
    assert pf.par30_principal == 6_000_000  # the healthy loan, unpaid since December; not the written-off one
    total = await reports.written_off_total(db, lt.kelurahan_code)
    assert (total.loans, total.written_off, total.recovered, total.outstanding) == (1, 5_500_000, 0, 5_500_000)
    # no reminder for it
    due = await reminder_reports.due_on(db, {0: date(2026, 12, 28)})
    assert {d.loan_id for d in due} == {healthy.id}
    (wo,) = await audit.recent(db, action="loan.written_off")
    assert (wo.details["outstanding_before"], wo.details["status_after"]) == (5_500_000, "written_off")

    # a recovery: /catat_bayar on the written-off loan, with its own receipt
    await tester.command(ltu, "catat_bayar")
    await tester.send(ltu, "yohanis")
    await tester.press(ltu, tester.last(ltu).button("Yohanis Ndolu"))
    await tester.send(ltu, "750rb")
    await tester.press(ltu, tester.last(ltu).button("Hari ini"))
    await tester.press(ltu, tester.last(ltu).button("Lewati"))
    assert "Pemulihan" in tester.last(ltu).text
    await tester.press(ltu, tester.last(ltu).button("Konfirmasi"))
    assert any("Pemulihan atas pinjaman yang dihapus bukukan" in t for t in tester.texts(ltu)[-3:])
    rep = await db.fetchone("SELECT id, kind, status, amount FROM repayments ORDER BY id DESC LIMIT 1")
    assert (rep["kind"], rep["status"], rep["amount"]) == ("recovery", "verified", 750_000)
    assert await db.fetchval("SELECT COUNT(*) FROM receipts WHERE repayment_id = :r", {"r": rep["id"]}) == 1
    (pdf,) = [c for c in running.request.sent(bu.chat_id) if c.files]  # the borrower's receipt, read back
    assert "Pemulihan atas pinjaman PEM" in pdf_text(pdf) and "Rp750.000" in pdf_text(pdf)
    assert (await loans.get(db, loan.id)).status == "written_off"
    assert await reports.recoveries_by_month(db) == {(lt.kelurahan_code, "2026-11"): (1, 750_000)}
    (one,) = await reports.recoveries(db, lt.kelurahan_code, date(2026, 11, 1), date(2026, 11, 30))
    assert one.amount == 750_000
    total = await reports.written_off_total(db, lt.kelurahan_code)
    assert (total.recovered, total.outstanding) == (750_000, 4_750_000)
    assert len(await audit.recent(db, action="repayment.recovered")) == 1


async def test_nobody_decides_on_their_own_loan_and_the_maker_is_told_when_nobody_can(running, tester, make_person):
    db = running.app.db
    _t, tu = await make_person(Role.TREASURER, name="Maria Bendahara")
    lb, lbu = await make_person(Role.LURAH, Role.BORROWER, name="Pak Lurah Peminjam")
    loan = await make_loan(db, lb)
    await tester.command(tu, "hapus_buku")
    await tester.send(tu, "lurah")
    await tester.press(tu, tester.last(tu).button("Pak Lurah Peminjam"))
    await tester.press(tu, tester.last(tu).button("Lainnya"))
    await tester.press(tu, tester.last(tu).button("Lewati"))
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))
    # the lurah is the borrower and there is no admin: nobody can decide it, and the treasurer is told so
    assert "hubungi admin" in tester.last(tu).text
    (prop,) = await db.fetchall("SELECT id FROM loan_proposals")
    await tester.press(lbu, f"lc:ok:{prop['id']}")
    assert (await lifecycle.get(db, prop["id"])).status == "pending"
    assert (await loans.get(db, loan.id)).status == "active"


async def test_a_report_pending_at_the_write_off_counts_as_a_recovery_once_verified(running, tester, world):
    db = running.app.db
    rep = await report(db, world["loan"], world["b"], 200_000, paid_on=TODAY)
    await tester.command(world["tu"], "hapus_buku")
    await tester.send(world["tu"], "yohanis")
    await tester.press(world["tu"], tester.last(world["tu"]).button("Yohanis Ndolu"))
    await tester.press(world["tu"], tester.last(world["tu"]).button("Meninggal"))
    await tester.press(world["tu"], tester.last(world["tu"]).button("Lewati"))
    await tester.press(world["tu"], tester.last(world["tu"]).button("Konfirmasi"))
    notice = tester.last(world["lu"])
    assert "Usulan hapus buku HB-" in notice.text and "Meninggal" in notice.text
    await tester.press(world["lu"], notice.button("Setujui"))
    assert (await loans.get(db, world["loan"].id)).status == "written_off"
    await tester.command(world["tu"], "verifikasi")
    await tester.press(world["tu"], tester.last(world["tu"]).button("✅"))
    row = await db.fetchone("SELECT status, kind FROM repayments WHERE id = :id", {"id": rep.id})
    assert (row["status"], row["kind"]) == ("verified", "recovery")
    assert (await loans.get(db, world["loan"].id)).status == "written_off"
    total = await reports.written_off_total(db, world["t"].kelurahan_code)
    assert (total.written_off, total.recovered, total.outstanding) == (5_300_000, 200_000, 5_100_000)
