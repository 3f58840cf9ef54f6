"""/ajukan and /pengajuan (issue 16, part 5): an application through to disbursement, blocked once by the lending
limit (with the figures), the repaid-share rule, nobody deciding their own application (the lurah as applicant:
an admin decides; the only treasurer entering one: an admin checks it), a treasurer entering one for a resident
not on Telegram, and bad inputs asked again. NOW is Saturday 28 November 2026, 10:00 WITA (frozen)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from bot.domain.roles import Role
from bot.runtime import clock
from bot.services import applications as service
from bot.services import cash_book as cash_service
from storage import drafts, outbox
from tests.conftest import NAIKOTEN_SATU
from tests.handlers.loan_fixtures import make_loan, record

pytestmark = pytest.mark.usefixtures("no_pacing")
NIK = "5371054107900003"  # Kota Kupang, kecamatan 05, a woman born 1 July 1990


@pytest.fixture
async def world(running, make_person):
    treasurer, tu = await make_person(Role.TREASURER, name="Fransiska Manafe")
    lurah, lu = await make_person(Role.LURAH, name="Daniel Tallo")
    admin, au = await make_person(Role.ADMIN, name="Maria Lay")
    resident, ru = await make_person(Role.PARTICIPANT, name="Yuliana Bessie", phone="+6281234567890")
    return {"db": running.app.db, "t": treasurer, "tu": tu, "l": lurah, "lu": lu, "a": admin, "au": au,
            "r": resident, "ru": ru}


async def _bad(tester, user, send, expected, question):
    await send()
    assert expected in tester.texts(user)[-2], tester.texts(user)[-2]
    assert question in tester.last(user).text


async def _cash(db, who, kind, amount, key):
    await cash_service.record_entry(db, kelurahan_code=NAIKOTEN_SATU, kind=kind, account="bank", amount=amount,
                                    entry_date=date(2026, 11, 2), description="Dana PEM", recorded_by=who.id,
                                    now=clock.utcnow(), idempotency_key=key, round_label="Tahap 1")


async def _apply(tester, user, *, name="Yuliana Bessie", nik=NIK, phone="081234567890", amount="5 jt"):
    await tester.send(user, name)
    await tester.send(user, nik)
    if "Nomor HP" not in tester.last(user).text:
        raise AssertionError(tester.last(user).text)
    await tester.send(user, phone)
    await tester.send(user, "Warung makan di depan pasar")
    await tester.send(user, "Kuliner")
    await tester.send(user, amount)
    await tester.send(user, "Tambah kompor dan meja makan")
    await tester.press(user, tester.last(user).button("Lewati"))


async def test_an_application_through_to_disbursement_blocked_once_by_the_limit(running, tester, world):
    db, ru, tu, lu = world["db"], world["ru"], world["tu"], world["lu"]
    await _cash(db, world["t"], "opening", 3_000_000, "open-1")

    await tester.command(ru, "ajukan")
    assert "Nama lengkap pemohon" in tester.last(ru).text  # not staff: no "for whom" question
    await _bad(tester, ru, lambda: tester.send(ru, "12345"), "Nama itu belum bisa dipakai", "Nama lengkap")
    await tester.send(ru, "Yuliana  Bessie")
    await _bad(tester, ru, lambda: tester.send(ru, "5371 0541"), "NIK harus 16 angka", "NIK pemohon")
    await _bad(tester, ru, lambda: tester.send(ru, "5371053207900003"), "bukan tanggal yang ada", "NIK pemohon")
    await _bad(tester, ru, lambda: tester.send(ru, "5371054107900000"), "tidak boleh 0000", "NIK pemohon")
    await tester.send(ru, "5399054107900003")  # an unknown regency: please check, not a refusal
    assert "53.99" in tester.last(ru).text and "apakah NIK ini benar" in tester.last(ru).text
    await tester.press(ru, tester.last(ru).button("Perbaiki NIK"))
    assert "NIK pemohon" in tester.last(ru).text
    await tester.send(ru, "5371-0541-0790-0003")
    await _bad(tester, ru, lambda: tester.send(ru, "0380 123456"), "telepon rumah", "Nomor HP pemohon")
    await tester.press(ru, tester.last(ru).button("+6281234567890"))  # her own number, offered
    await _bad(tester, ru, lambda: tester.send(ru, "wr"), "sedikit lebih jelas", "Usaha apa")
    await tester.send(ru, "Warung makan di depan pasar")
    await tester.send(ru, "sesuatu")  # buttons only
    assert "Jenis usahanya" in tester.last(ru).text
    await tester.send(ru, "kuliner")  # the label typed counts as the button
    await _bad(tester, ru, lambda: tester.send(ru, "30 jt"), "di luar batas program", "Berapa yang diajukan")
    await _bad(tester, ru, lambda: tester.send(ru, "banyak"), "bukan jumlah uang", "Berapa yang diajukan")
    await tester.send(ru, "5 jt")
    await _bad(tester, ru, lambda: tester.send(ru, "beli"), "sedikit lebih jelas", "Untuk apa uangnya")
    await tester.send(ru, "Tambah kompor dan meja makan")
    await _bad(tester, ru, lambda: tester.document(ru), "Kirim foto", "Kirim foto usahanya")
    await tester.photo(ru, "warung-photo")
    summary = tester.last(ru)
    assert "Periksa pengajuan pinjaman" in summary.text and "NIK: 5371054107900003" in summary.text
    assert "Jumlah: <b>Rp5.000.000</b>" in summary.text and "Foto usaha: ada" in summary.text
    await tester.press(ru, summary.button("Konfirmasi"))
    assert "Pengajuan #1 sebesar Rp5.000.000 untuk <b>Yuliana Bessie</b> diterima" in tester.last(ru).text
    row = await db.fetchone("SELECT * FROM applications")
    assert (row["status"], row["applicant_id"], row["entered_by"], db.key.reveal(row["nik"]),
            db.key.reveal(row["phone"]), row["amount"],
            row["business_type"], row["photo_file_id"]) == (
        "submitted", world["r"].id, world["r"].id, NIK, "+6281234567890", 5_000_000, "kuliner", "warung-photo")
    assert await drafts.get(db, ru.id) is None

    # the treasurer is told, with Verifikasi; the NIK is masked there
    notice = tester.last(tu)
    assert "menunggu pemeriksaan" in notice.text and "5371••••••••0003" in notice.text
    await tester.press(tu, notice.button("Verifikasi"))
    assert "sudah diperiksa" in tester.last(tu).text and "Pemohon sudah diberi tahu" in tester.last(tu).text
    assert "menunggu keputusan Lurah" in tester.last(ru).text

    # the lurah decides
    decide = tester.last(lu)
    assert "menunggu keputusan Anda" in decide.text
    await tester.press(lu, decide.button("Setujui"))
    assert "disetujui: urutan 1 di daftar tunggu" in tester.last(lu).text
    assert "<b>disetujui</b>. Anda di urutan 1 daftar tunggu" in tester.last(ru).text

    # the treasurer disburses: the cash book holds Rp3.000.000 only
    pay = tester.last(tu)
    assert "menunggu pencairan" in pay.text
    await tester.press(tu, pay.button("Cairkan"))
    blocked = tester.last(tu).text
    assert "belum bisa dicairkan" in blocked
    assert "saldo buku kas hari ini Rp3.000.000, kurang Rp2.000.000 dari Rp5.000.000" in blocked
    assert (await db.fetchone("SELECT status FROM applications"))["status"] == "approved"
    assert await db.fetchval("SELECT count(*) FROM loans") == 0
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'application.disbursement_blocked'") == 0

    # the grant arrives; /pengajuan → the waiting list → the application → Cairkan
    await _cash(db, world["t"], "grant", 10_000_000, "grant-1")
    await tester.command(tu, "pengajuan")
    await tester.press(tu, tester.last(tu).button("Daftar tunggu (1)"))
    assert "1. #1 <b>Yuliana Bessie</b>: Rp5.000.000" in tester.last(tu).text
    await tester.press(tu, tester.last(tu).button("#1 Yuliana"))
    assert "Urutan di daftar tunggu: <b>1</b>" in tester.last(tu).text
    await tester.press(tu, tester.last(tu).button("Cairkan"))
    assert "Tanggal pencairan" in tester.last(tu).text
    await _bad(tester, tu, lambda: tester.send(tu, "1/9/2026"), "bulan yang sudah lewat", "Tanggal pencairan")
    await tester.press(tu, tester.last(tu).button("Hari ini"))
    await _bad(tester, tu, lambda: tester.send(tu, "99"), "Jangka waktu harus", "Jangka waktu")
    await tester.send(tu, "12")
    await tester.send(tu, "0")
    await tester.press(tu, tester.last(tu).button("0%"))
    summary = tester.last(tu).text
    assert "Periksa pencairan" in summary and "Tanggal cair: 28 November 2026" in summary
    assert "Angsuran pertama: <b>Rp417.000</b>, jatuh tempo 28 Desember 2026" in summary
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))
    done = tester.last(tu).text
    assert "dicairkan: pinjaman nomor 1, Rp5.000.000 untuk <b>Yuliana Bessie</b>, 12 angsuran" in done
    assert "Saldo buku kas sesudahnya: Rp8.000.000" in done

    loan = await db.fetchone("SELECT * FROM loans")
    assert (loan["borrower_id"], loan["principal"], loan["disbursed_on"], loan["tenor_months"],
            loan["business"]) == (world["r"].id, 5_000_000, "2026-11-28", 12, "Warung makan di depan pasar")
    app_row = await db.fetchone("SELECT * FROM applications")
    assert (app_row["status"], app_row["loan_id"], app_row["verified_by"], app_row["decided_by"],
            app_row["disbursed_by"]) == ("disbursed", loan["id"], world["t"].id, world["l"].id, world["t"].id)
    assert await db.fetchval("SELECT count(*) FROM installments WHERE loan_id = :l", {"l": loan["id"]}) == 12
    assert await db.fetchval("SELECT count(*) FROM person_roles WHERE person_id = :p AND role = 'borrower'",
                             {"p": world["r"].id}) == 1
    assert await outbox.by_key(db, f"dsb:ask:{loan['id']}") is not None  # her confirmation of the money
    position = await cash_service.position(db, NAIKOTEN_SATU, date(2026, 11, 28), running.settings.timezone)
    assert position.balance.total == 8_000_000 and position.balance.bank == 8_000_000
    actions = [r["action"] for r in await db.fetchall(
        "SELECT action FROM audit_log WHERE action LIKE 'application.%' ORDER BY id")]
    assert actions == ["application.submitted", "application.verified", "application.approved",
                       "application.disbursed"]
    assert "dicairkan" in tester.last(ru).text and "Rp417.000" in tester.last(ru).text


async def test_the_repaid_share_blocks_with_the_figures(running, tester, world):
    db, tu = world["db"], world["tu"]
    running.app.settings = dataclasses.replace(running.app.settings, relending_min_repaid_percent=60)
    borrower = world["r"]
    earlier = await make_loan(db, borrower)  # Rp6.000.000, 12 × Rp500.000
    await record(db, earlier, world["t"], 3_500_000)
    await _cash(db, world["t"], "opening", 20_000_000, "open-2")
    made = await service.submit(db, kelurahan_code=NAIKOTEN_SATU, entered_by=world["a"].id, for_self=False,
                                name="Agustinus Nope", nik="5371050505850001", phone="+6281298765432",
                                business="Kios", business_type="kios", amount=2_000_000, purpose="Tambah stok",
                                photo_file_id=None, language="id", now=clock.utcnow())
    await service.verify(db, made.application.id, by=world["t"], now=clock.utcnow())
    await service.decide(db, made.application.id, by=world["l"], approve=True, reason=None, now=clock.utcnow())
    await tester.press(tu, f"apl:pay:{made.application.id}")
    text = tester.last(tu).text
    assert "Syarat pengembalian" in text
    assert "baru kembali Rp3.500.000 dari Rp6.000.000 (58,3%); syaratnya paling sedikit 60%" in text
    # at 60 % exactly it goes through (the rule compares exact integers)
    await record(db, earlier, world["t"], 100_000)
    await tester.press(tu, f"apl:pay:{made.application.id}")
    assert "Tanggal pencairan" in tester.last(tu).text


async def test_nobody_decides_their_own_and_a_treasurer_enters_one_for_a_resident(running, tester, world):
    db, tu, lu, au = world["db"], world["tu"], world["lu"], world["au"]
    # the only treasurer enters an application for a resident without Telegram
    await tester.command(tu, "ajukan")
    assert "Untuk siapa" in tester.last(tu).text
    await tester.press(tu, tester.last(tu).button("tanpa Telegram"))
    await _apply(tester, tu, name="Agustinus Nope", nik="5371050505850001", phone="0812 9876 5432", amount="3 jt")
    assert "(untuk warga tanpa Telegram)" in tester.last(tu).text
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))
    assert "Sampaikan perkembangannya kepada pemohon" in tester.last(tu).text
    row = await db.fetchone("SELECT a.*, p.telegram_user_id, p.name AS pname FROM applications AS a "
                            "JOIN people AS p ON p.id = a.applicant_id")
    assert (row["entered_by"], row["pname"], row["telegram_user_id"], db.key.reveal(row["phone"])) == (
        world["t"].id, "Agustinus Nope", None, "+6281298765432")
    app_id = row["id"]
    # she cannot check what she entered; the admin is told instead and checks it
    await tester.press(tu, f"apl:ver:{app_id}")
    assert "pengajuan Anda sendiri" in tester.last(tu).text
    assert (await db.fetchone("SELECT status FROM applications"))["status"] == "submitted"
    assert "menunggu pemeriksaan" in tester.last(au).text
    await tester.press(au, tester.last(au).button("Verifikasi"))
    assert "tidak memakai Telegram" in tester.last(au).text
    # the lurah rejects it, with a reason asked again when too short
    await tester.press(lu, tester.last(lu).button("Tolak"))
    await _bad(tester, lu, lambda: tester.send(lu, "x"), "Tulis alasannya", "Mengapa pengajuan")
    await tester.send(lu, "Usaha belum berjalan; ajukan lagi setelah 3 bulan")
    assert "ditolak. Alasan: Usaha belum berjalan" in tester.last(lu).text
    rej = await db.fetchone("SELECT status, reason, decided_by FROM applications WHERE id = :i", {"i": app_id})
    assert tuple(rej) == ("rejected", "Usaha belum berjalan; ajukan lagi setelah 3 bulan", world["l"].id)

    # the lurah applies herself: she cannot approve it; the admin decides
    await tester.command(lu, "ajukan")
    assert "Nama lengkap pemohon" in tester.last(lu).text
    await _apply(tester, lu, name="Daniel Tallo", nik="5371051212700002", phone="081311112222")
    await tester.press(lu, tester.last(lu).button("Konfirmasi"))
    own = await db.fetchval("SELECT id FROM applications WHERE applicant_id = :p", {"p": world["l"].id})
    await tester.press(tu, tester.last(tu).button("Verifikasi"))
    assert "menunggu keputusan Anda" in tester.last(au).text  # the admin, as the lurah is the applicant
    await tester.press(lu, f"apl:ok:{own}")
    assert "pengajuan Anda sendiri" in tester.last(lu).text
    assert (await db.fetchone("SELECT status FROM applications WHERE id = :i", {"i": own}))["status"] == "verified"
    await tester.press(au, tester.last(au).button("Setujui"))
    decided = await db.fetchone("SELECT status, decided_by FROM applications WHERE id = :i", {"i": own})
    assert tuple(decided) == ("approved", world["a"].id)
    # an admin may not decide when the lurah can (she is not a maker of the first application)
    first = await service.applications.get(db, app_id)
    assert first is not None
    assert not await service.allowed(db, first, world["a"], service.Action.APPROVE)
    assert await service.allowed(db, first, world["l"], service.Action.APPROVE)
    # the same NIK cannot apply twice while its application is open
    await tester.command(lu, "ajukan")
    await tester.send(lu, "Daniel Tallo")
    await tester.send(lu, "5371051212700002")
    await tester.send(lu, "081311112222")
    for answer in ("Kios di rumah", "Kios/warung", "2 jt", "Tambah stok sembako"):
        await tester.send(lu, answer)
    await tester.press(lu, tester.last(lu).button("Lewati"))
    await tester.press(lu, tester.last(lu).button("Konfirmasi"))
    assert "sudah punya pengajuan yang sedang diproses" in tester.texts(lu)[-2]
    assert "NIK pemohon" in tester.last(lu).text
    assert await db.fetchval("SELECT count(*) FROM applications") == 2


async def test_the_waiting_list_is_paginated_oldest_first_and_goes_in_order(running, tester, world):
    db, tu = world["db"], world["tu"]
    await _cash(db, world["t"], "opening", 50_000_000, "open-3")
    ids = []
    for n in range(7):
        made = await service.submit(
            db, kelurahan_code=NAIKOTEN_SATU, entered_by=world["a"].id, for_self=False, name=f"Warga Nomor {n + 1}",
            nik=f"53710505058500{n + 1:02d}", phone=f"+62812000000{n + 1:02d}", business="Kios",
            business_type="kios", amount=1_000_000 + n * 100_000, purpose="Tambah stok", photo_file_id=None,
            language="id", now=clock.utcnow())
        await service.verify(db, made.application.id, by=world["t"], now=clock.utcnow())
        ids.append(made.application.id)
    for app_id in reversed(ids):  # approved newest first: the list still goes by the application's age
        await service.decide(db, app_id, by=world["l"], approve=True, reason=None, now=clock.utcnow())
    await tester.command(tu, "pengajuan")
    await tester.press(tu, tester.last(tu).button("Daftar tunggu (7)"))
    page = tester.last(tu)
    assert "1–5 dari 7 (halaman 1/2)" in page.text
    assert page.text.index("Warga Nomor 1") < page.text.index("Warga Nomor 5")
    assert "Warga Nomor 6" not in page.text
    await tester.press(tu, page.button("Berikutnya"))
    second = tester.last(tu).text
    assert "6–7 dari 7 (halaman 2/2)" in second and "7. #7 <b>Warga Nomor 7</b>: Rp1.600.000" in second
    # the seventh cannot jump the queue
    await tester.press(tu, f"apl:pay:{ids[6]}")
    assert "cairkan dulu pengajuan #1 (Warga Nomor 1)" in tester.last(tu).text
    # a forged id of nothing: not found, nothing changes
    await tester.press(tu, "apl:ver:999")
    assert await db.fetchval("SELECT count(*) FROM applications WHERE status = 'approved'") == 7


async def test_a_half_finished_application_survives_a_restart(running, world):
    ru = world["ru"]
    await running.tester.command(ru, "ajukan")
    await running.tester.send(ru, "Yuliana Bessie")
    await running.tester.send(ru, NIK)
    await running.restart()
    tester = running.tester
    await tester.send(ru, "081234567890")
    assert "Usaha apa" in tester.last(ru).text
    await tester.send(ru, "Warung makan di depan pasar")
    await tester.send(ru, "Kuliner")
    await tester.send(ru, "lima juta")
    assert "Rp5.000.000" in tester.texts(ru)[-2]  # the amount in words, shown back
    await tester.send(ru, "Tambah kompor dan meja makan")
    await tester.press(ru, tester.last(ru).button("Lewati"))
    assert "Foto usaha: tidak ada" in tester.last(ru).text and "Yuliana Bessie" in tester.last(ru).text
    await tester.press(ru, tester.last(ru).button("Konfirmasi"))
    row = await running.app.db.fetchone("SELECT name, nik, amount, photo_file_id FROM applications")
    assert (row[0], running.app.db.key.reveal(row[1]), *tuple(row)[2:]) == ("Yuliana Bessie", NIK, 5_000_000, None)


async def test_in_english(running, tester, make_person):
    _, user = await make_person(Role.BORROWER, name="Peter Kolo", language="en")
    await tester.command(user, "apply")
    assert "The applicant's full name" in tester.last(user).text
    await tester.send(user, "Peter Kolo")
    await tester.send(user, "5371 05")
    assert "A NIK has 16 digits (you typed 6)" in tester.texts(user)[-2]
