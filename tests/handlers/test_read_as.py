"""Amounts in words and inferred dates are shown back ("Dibaca sebagai: …") before anything is stored.

One path per form that parses amounts or dates: /bayar, /catat_bayar, /pinjaman_baru and /acara_baru. Figures
and explicit dates are not echoed (their summary shows them as before). The frozen clock is Saturday
28 November 2026, 10:00 WITA.
"""

from __future__ import annotations

from bot.domain.roles import Role
from storage import loans
from tests.handlers.loan_fixtures import make_loan
from tests.harness import texts

READ_AS = "Dibaca sebagai"


async def test_bayar_echoes_words_and_inferred_dates(running, tester, make_person):
    borrower, user = await make_person(Role.BORROWER, name="Yosefina Lero")
    loan = await make_loan(running.app.db, borrower)
    await tester.command(user, "bayar")

    sent = texts(await tester.send(user, "minggu lalu"))
    assert "bukan jumlah uang" in sent[0]  # an amount step does not read dates
    sent = texts(await tester.send(user, "lima ratus rebu"))
    assert 'kata "rebu" tidak dikenal' in sent[0] and "Berapa yang Anda bayar" in sent[-1]
    sent = texts(await tester.send(user, "500rb"))
    assert not any(READ_AS in text for text in sent)  # figures are not echoed
    await tester.press(user, tester.last(user).button("Lewati"))
    await tester.press(user, tester.last(user).button("Ubah jumlah"))
    await tester.press(user, tester.last(user).button("Jumlah lain"))
    sent = texts(await tester.send(user, "lima ratus"))  # Rp500 or Rp500.000? never guessed
    assert '"lima ratus" kurang jelas' in sent[0] and "lima ratus ribu" in sent[0] and READ_AS not in sent[-1]
    sent = texts(await tester.send(user, "sejuta dua ratus lima puluh"))  # Rp1.000.250 or Rp1.250.000?
    assert "kurang jelas" in sent[0]
    sent = texts(await tester.send(user, "satu juta dua ratus lima puluh ribu"))
    assert sent[0] == f"{READ_AS}: <b>Rp1.250.000</b>"
    assert "Periksa laporan" in sent[-1] and "Rp1.250.000" in sent[-1]

    await tester.press(user, tester.last(user).button("Ubah tanggal"))
    sent = texts(await tester.send(user, "minggu lalu"))
    assert "kurang jelas" in sent[0] and "Kapan Anda membayar" in sent[-1]
    sent = texts(await tester.send(user, "Jumat kemarin"))
    assert sent[0] == f"{READ_AS}: <b>Jumat, 27 November 2026</b>"
    assert "27 November 2026" in sent[-1] and "Periksa laporan" in sent[-1]
    assert await running.app.db.fetchval("SELECT COUNT(*) FROM repayments") == 0  # nothing stored yet

    await tester.press(user, tester.last(user).button("Konfirmasi"))
    row = await running.app.db.fetchone("SELECT * FROM repayments")
    assert (row["loan_id"], row["amount"], row["paid_on"], row["status"]) == (
        loan.id, 1_250_000, "2026-11-27", "pending")


async def test_catat_bayar_echoes_words_and_a_bare_day(running, tester, make_person):
    borrower, _ = await make_person(Role.BORROWER, name="Yohanis Ndolu", linked=False)
    _, tu = await make_person(Role.TREASURER, name="Fransiska Manafe")
    loan = await make_loan(running.app.db, borrower)
    await tester.command(tu, "catat_bayar")
    await tester.send(tu, "ndolu")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))

    sent = texts(await tester.send(tu, "1 jt 5"))
    assert "kurang jelas" in sent[0] and "Berapa yang dibayar" in sent[-1]
    sent = texts(await tester.send(tu, "satu setengah juta"))
    assert sent[0] == f"{READ_AS}: <b>Rp1.500.000</b>"
    assert "Kapan uang Rp1.500.000 diterima" in sent[-1]
    sent = texts(await tester.send(tu, "tgl 31"))  # November has no 31st: the latest one is in October
    assert sent[0] == f"{READ_AS}: <b>Sabtu, 31 Oktober 2026</b>"
    assert "Catatan" in sent[-1]
    await tester.press(tu, tester.last(tu).button("Lewati"))
    summary = tester.last(tu)
    assert "Rp1.500.000" in summary.text and "31 Oktober 2026" in summary.text
    assert await running.app.db.fetchval("SELECT COUNT(*) FROM repayments") == 0

    await tester.press(tu, summary.button("Konfirmasi"))
    row = await running.app.db.fetchone("SELECT * FROM repayments")
    assert (row["loan_id"], row["amount"], row["paid_on"], row["status"]) == (
        loan.id, 1_500_000, "2026-10-31", "verified")


async def test_pinjaman_baru_echoes_words_and_days_ago(running, tester, make_person):
    borrower, _ = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    _, tu = await make_person(Role.TREASURER, name="Fransiska Manafe")
    await tester.command(tu, "pinjaman_baru")
    await tester.send(tu, "ndolu")
    await tester.press(tu, tester.last(tu).button("Yohanis"))

    sent = texts(await tester.send(tu, "lima juta ribuu"))
    assert "bukan jumlah uang" in sent[0] and "pokok pinjaman" in sent[-1]
    sent = texts(await tester.send(tu, "dua setengah juta"))
    assert sent[0] == f"{READ_AS}: <b>Rp2.500.000</b>"
    assert "Tanggal pencairan" in sent[-1]
    sent = texts(await tester.send(tu, "dua hari yang lalu"))
    assert sent[0] == f"{READ_AS}: <b>Kamis, 26 November 2026</b>"
    await tester.press(tu, tester.last(tu).button("12"))
    await tester.press(tu, tester.last(tu).button("0"))
    await tester.press(tu, tester.last(tu).button("0%"))
    await tester.press(tu, tester.last(tu).button("Lewati"))
    summary = tester.last(tu)
    assert "Rp2.500.000" in summary.text and "26 November 2026" in summary.text
    assert await loans.for_borrower(running.app.db, borrower.id) == []

    await tester.press(tu, summary.button("Konfirmasi"))
    (loan,) = await loans.for_borrower(running.app.db, borrower.id)
    assert (loan.principal, str(loan.disbursed_on)) == (2_500_000, "2026-11-26")


async def test_acara_baru_echoes_a_weekday_and_days_ahead(running, tester, make_person):
    _, user = await make_person(Role.COORDINATOR)
    await tester.command(user, "acara_baru")
    await tester.send(user, "Pelatihan Servis AC")
    await tester.press(user, tester.last(user).button("Pelatihan"))
    await tester.press(user, tester.last(user).button("Disnaker"))
    sent = texts(await tester.send(user, "jumat ini"))
    assert "kurang jelas" in sent[0]
    sent = texts(await tester.send(user, "jumat"))  # an event date looks forward: next Friday
    assert sent[0] == f"{READ_AS}: <b>Jumat, 4 Desember 2026</b>"
    await tester.send(user, "09.00")
    await tester.send(user, "Aula Kantor Lurah")
    await tester.send(user, "20")
    sent = texts(await tester.send(user, "3 hari lagi"))
    assert sent[0] == f"{READ_AS}: <b>Selasa, 1 Desember 2026</b>"
    await tester.send(user, "17-40")
    summary = tester.last(user)
    assert "4 Desember 2026, 09.00 WITA" in summary.text and "1 Desember 2026, 23.59 WITA" in summary.text
    assert await running.app.db.fetchval("SELECT COUNT(*) FROM events") == 0

    await tester.press(user, summary.button("Konfirmasi"))
    row = await running.app.db.fetchone("SELECT * FROM events")
    assert row["starts_at"] == "2026-12-04 01:00:00" and row["registration_deadline"] == "2026-12-01 15:59:59"
