"""/catat_bayar (cash entry by the treasurer) and /batalkan_bayar (reversal)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.roles import Role
from bot.runtime import clock
from bot.services.repayments import reverse_repayment
from storage import audit, loans, repayments
from tests.handlers.loan_fixtures import make_loan, record

OTHER_KEL = "53.71.01.1001"


@pytest.fixture
async def world(running, make_person):
    db = running.app.db
    borrower, b_user = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    offline, _ = await make_person(Role.BORROWER, name="Yosefina Offline", linked=False)
    treasurer, t_user = await make_person(Role.TREASURER, name="Fransiska Manafe")
    admin, a_user = await make_person(Role.ADMIN, name="Admin Kelurahan")
    stranger, _s_user = await make_person(Role.BORROWER, name="Yohanis Lain", kelurahan=OTHER_KEL)
    loan = await make_loan(db, borrower)
    offline_loan = await make_loan(db, offline, principal=3_000_000)
    await make_loan(db, stranger)
    return {"db": db, "borrower": borrower, "b": b_user, "offline": offline, "offline_loan": offline_loan,
            "t": treasurer, "tu": t_user, "admin": admin, "au": a_user, "loan": loan}


async def _paid(db, loan_id):
    rows = await db.fetchall("SELECT principal_paid FROM installments WHERE loan_id = :l ORDER BY number",
                             {"l": loan_id})
    return [r["principal_paid"] for r in rows]


async def test_record_cash_whole_path_with_bad_inputs(running, tester, world):
    tu, db = world["tu"], world["db"]
    await tester.command(tu, "catat_bayar")
    assert "Ketik nama peminjam" in tester.last(tu).text

    await tester.send(tu, "Zakarias")
    assert "Tidak ada peminjam" in tester.texts(tu)[-2]
    await tester.send(tu, "yohanis")
    pick = tester.last(tu)
    assert pick.button_texts == ["Yohanis Ndolu"]  # the namesake in another kelurahan is not offered
    await tester.press(tu, pick.button("Yohanis Ndolu"))
    assert "sisa pinjaman Rp6.000.000" in tester.last(tu).text

    for bad, expected in [("banyak", "bukan jumlah uang"), ("0", "tidak boleh nol"), ("-5000", "negatif"),
                          ("7 juta", "Rp6.000.000")]:
        await tester.send(tu, bad)
        assert expected in tester.texts(tu)[-2], bad
        assert "Berapa yang dibayar" in tester.last(tu).text
    await tester.sticker(tu)
    assert "Berapa yang dibayar" in tester.last(tu).text
    await tester.send(tu, "1 jt")

    await tester.send(tu, "30/11/2026")
    assert "belum terjadi" in tester.texts(tu)[-2]
    await tester.send(tu, "1/9/2026")
    assert "sebelum pinjaman dicairkan" in tester.texts(tu)[-2]
    await tester.send(tu, "entah kapan")
    assert "tidak terbaca" in tester.texts(tu)[-2]
    await tester.press(tu, tester.last(tu).button("Kemarin"))

    await tester.send(tu, "x" * 201)
    assert "terlalu panjang" in tester.texts(tu)[-2]
    await tester.send(tu, "Diantar ke rumah bendahara")
    summary = tester.last(tu)
    assert "Rp1.000.000" in summary.text and "27 November 2026" in summary.text
    assert "Diantar ke rumah bendahara" in summary.text and "Rp5.000.000" in summary.text
    confirm = summary.button("Konfirmasi")
    await tester.press(tu, confirm)
    await tester.press(tu, confirm)  # a double tap stores it once

    assert "tercatat" in tester.last(tu).text
    rows = await db.fetchall("SELECT * FROM repayments")
    assert len(rows) == 1
    assert rows[0]["status"] == "verified"
    assert rows[0]["amount"] == 1_000_000
    assert rows[0]["paid_on"] == "2026-11-27"
    assert rows[0]["note"] == "Diantar ke rumah bendahara"
    assert rows[0]["verified_by"] == world["t"].id
    assert await _paid(db, world["loan"].id) == [500_000, 500_000] + [0] * 10
    told = tester.last(world["b"]).text
    assert "Rp1.000.000" in told and "Sisa pinjaman: <b>Rp5.000.000</b>" in told
    assert len(await audit.recent(db, action="repayment.recorded")) == 1


async def test_record_for_unlinked_borrower_with_skip_and_today(running, tester, world):
    tu, db = world["tu"], world["db"]
    await tester.command(tu, "record")
    await tester.send(tu, "Offline")
    await tester.press(tu, tester.last(tu).button("Yosefina"))
    await tester.send(tu, "250rb")
    await tester.press(tu, tester.last(tu).button("Hari ini"))
    await tester.press(tu, tester.last(tu).button("Lewati"))
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))
    assert "tidak bisa diberi tahu" in tester.last(tu).text
    summary = await loans.summary(db, world["offline_loan"].id)
    assert summary.state.outstanding == 2_750_000
    row = await db.fetchone("SELECT paid_on, note FROM repayments")
    assert row["paid_on"] == "2026-11-28"
    assert row["note"] is None


async def test_record_choose_between_two_loans_and_cancel(running, tester, world):
    tu, db = world["tu"], world["db"]
    second = await make_loan(db, world["borrower"], principal=2_000_000, disbursed_on=date(2026, 10, 5))
    await tester.command(tu, "catat_bayar")
    await tester.send(tu, "Ndolu")
    await tester.press(tu, tester.last(tu).button("Yohanis"))
    choose = tester.last(tu)
    assert "beberapa pinjaman" in choose.text
    await tester.send(tu, "yang kedua")
    assert "beberapa pinjaman" in tester.last(tu).text
    await tester.press(tu, choose.button("Rp2.000.000"))
    assert "sisa pinjaman Rp2.000.000" in tester.last(tu).text
    await tester.send(tu, "100rb")
    await tester.press(tu, tester.last(tu).button("Hari ini"))
    await tester.press(tu, tester.last(tu).button("Lewati"))
    await tester.press(tu, tester.last(tu).button("Batal"))
    assert await db.fetchval("SELECT COUNT(*) FROM repayments") == 0
    assert second.id != world["loan"].id


async def test_record_forged_borrower_button_is_ignored(running, tester, world):
    tu = world["tu"]
    await tester.command(tu, "catat_bayar")
    await tester.send(tu, "Ndolu")
    pick = tester.last(tu)
    forged = pick.button("Yohanis").rsplit(":", 1)[0] + ":9999"
    await tester.press(tu, forged)
    # the engine's rule for a value it did not offer: nothing stored, the same question (and buttons) again
    again = tester.last(tu)
    assert "Ditemukan 1 peminjam" in again.text and again.button_texts == ["Yohanis Ndolu"]
    assert "sisa pinjaman" not in again.text


async def test_record_survives_restart(running, world):
    tu = world["tu"]
    await running.tester.command(tu, "catat_bayar")
    await running.tester.send(tu, "Ndolu")
    await running.tester.press(tu, running.tester.last(tu).button("Yohanis"))
    await running.restart()
    await running.tester.send(tu, "500rb")
    assert "Kapan uang Rp500.000" in running.tester.last(tu).text


async def test_record_refused_for_borrower_and_admin(running, tester, world):
    await tester.command(world["b"], "catat_bayar")
    assert "tidak" in tester.last(world["b"]).text.lower()
    await tester.command(world["au"], "catat_bayar")
    assert "Ketik nama" not in tester.last(world["au"]).text


async def _reverse_path(tester, user, name_part, ref_button, reason):
    await tester.command(user, "batalkan_bayar")
    await tester.send(user, name_part)
    await tester.press(user, tester.last(user).button("Yohanis"))
    await tester.press(user, tester.last(user).button(ref_button))
    await tester.send(user, reason)


async def test_reverse_with_mandatory_reason_reallocates(running, tester, world):
    db, t = world["db"], world["t"]
    first = await record(db, world["loan"], t, 500_000, date(2026, 10, 28))
    second = await record(db, world["loan"], t, 700_000, date(2026, 11, 27))
    assert await _paid(db, world["loan"].id) == [500_000, 500_000, 200_000] + [0] * 9
    au = world["au"]

    await tester.command(au, "batalkan_bayar")
    await tester.send(au, "Ndolu")
    await tester.press(au, tester.last(au).button("Yohanis"))
    pick = tester.last(au)
    assert first.reference in pick.text and second.reference in pick.text
    await tester.press(au, pick.button(first.reference))
    assert "alasan" in tester.last(au).text.lower()
    await tester.send(au, "oops")
    assert "5 sampai 200" in tester.texts(au)[-2]
    await tester.photo(au)
    assert "Ketik alasan" in tester.last(au).text
    await tester.send(au, "Dicatat dua kali")
    summary = tester.last(au)
    assert "Dicatat dua kali" in summary.text and "Rp500.000" in summary.text
    await tester.press(au, summary.button("Konfirmasi"))

    assert "dibatalkan" in tester.last(au).text
    stored = await repayments.get(db, first.id)
    assert stored.status == "reversed"
    assert stored.reversal_reason == "Dicatat dua kali"
    assert stored.reversed_by == world["admin"].id
    assert await db.fetchval("SELECT COUNT(*) FROM repayments") == 2  # nothing deleted
    assert await _paid(db, world["loan"].id) == [500_000, 200_000] + [0] * 10
    told = tester.last(world["b"]).text
    assert "dibatalkan" in told and "Dicatat dua kali" in told and "Rp5.300.000" in told
    logged = await audit.recent(db, action="repayment.reversed")
    assert len(logged) == 1
    assert logged[0].details["outstanding_after"] == 5_300_000


async def test_reverse_borrower_without_payments_and_role_refusal(running, tester, world):
    tu = world["tu"]
    await tester.command(tu, "reverse")
    await tester.send(tu, "Ndolu")
    await tester.press(tu, tester.last(tu).button("Yohanis"))
    assert "tidak punya pembayaran terverifikasi" in tester.texts(tu)[-2]
    await tester.command(world["b"], "batalkan_bayar")
    assert "Ketik nama" not in tester.last(world["b"]).text


async def test_reverse_already_reversed_is_refused_at_confirm(running, tester, world):
    db, t, tu = world["db"], world["t"], world["tu"]
    rep = await record(db, world["loan"], t, 500_000)
    await _reverse_path(tester, tu, "Ndolu", rep.reference, "Salah orang")
    confirm = tester.last(tu).button("Konfirmasi")
    # someone else reverses it meanwhile, through the same use case (which writes the one audit row)
    await reverse_repayment(db, rep.id, by=t.id, kelurahan_code=t.kelurahan_code, reason="sudah dibatalkan",
                            now=clock.utcnow())
    await tester.press(tu, confirm)
    assert "tidak bisa dibatalkan lagi" in tester.last(tu).text
    assert len(await audit.recent(db, action="repayment.reversed")) == 1


@pytest.mark.parametrize("command", ["catat_bayar", "batalkan_bayar"])
async def test_a_treasurer_who_is_also_a_borrower_cannot_touch_their_own_loan(running, tester, make_person,
                                                                              command):
    db = running.app.db
    both, user = await make_person(Role.TREASURER, Role.BORROWER, name="Yohanis Ganda")
    await make_loan(db, both)
    other, _ = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    other_loan = await make_loan(db, other)
    await record(db, other_loan, both, 500_000)

    await tester.command(user, command)
    await tester.send(user, "yohanis")
    assert tester.last(user).button_texts == ["Yohanis Ndolu"]
    forged = tester.last(user).button("Yohanis Ndolu").rsplit(":", 1)[0] + f":{both.id}"
    await tester.press(user, forged)
    assert "Yohanis Ganda" not in tester.last(user).text
    assert await db.fetchval("SELECT count(*) FROM repayments WHERE loan_id != :l", {"l": other_loan.id}) == 0


async def test_a_borrower_who_blocked_the_bot_is_not_reported_as_told(running, tester, world):
    from storage import people

    tu, db = world["tu"], world["db"]
    running.request.fail("sendMessage", "403", chat_id=world["b"].chat_id)
    await tester.command(tu, "catat_bayar")
    await tester.send(tu, "yohanis")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))
    await tester.send(tu, "500rb")
    await tester.press(tu, tester.last(tu).button("Hari ini"))
    await tester.press(tu, tester.last(tu).button("Lewati"))
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))

    # The notice goes off the update (issue 12): the reply can only say what the bot knew (reachable), and a
    # follow-up corrects it once Telegram has refused the notice (the borrower blocked the bot since).
    said = tester.texts(tu)[-2:]
    assert "tercatat" in said[0]
    assert "Pemberitahuan untuk Yohanis Ndolu ternyata tidak sampai" in said[1]
    assert (await people.get(db, world["borrower"].id)).reachable is False


async def test_a_tiny_typed_amount_is_asked_back_before_it_goes_on(running, tester, world):
    """``25`` or ``1.250rb`` (Rp1.250) is most likely a slip: asked back like /bayar does, never stored unasked."""
    tu, db = world["tu"], world["db"]
    await tester.command(tu, "catat_bayar")
    await tester.send(tu, "ndolu")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))

    await tester.send(tu, "25")
    ask = tester.last(tu)
    assert "<b>Rp25</b> — betul?" in ask.text and "Rp25.000" in ask.text
    assert ask.button_texts == ["Ya, betul", "Ubah"]
    await tester.press(tu, ask.button("Ubah"))
    assert "Berapa yang dibayar" in tester.last(tu).text

    await tester.send(tu, "1.250rb")
    assert "<b>Rp1.250</b> — betul?" in tester.last(tu).text
    await tester.send(tu, "ya, betul")  # a typed label counts as its button
    assert "Kapan uang Rp1.250 diterima" in tester.last(tu).text
    await tester.press(tu, tester.last(tu).button("Hari ini"))
    await tester.press(tu, tester.last(tu).button("Lewati"))
    summary = tester.last(tu)
    assert "Rp1.250" in summary.text
    assert await db.fetchval("SELECT COUNT(*) FROM repayments") == 0
    await tester.press(tu, summary.button("Konfirmasi"))
    assert await db.fetchval("SELECT amount FROM repayments") == 1_250

    await tester.command(tu, "catat_bayar")  # an ordinary amount is not asked back
    await tester.send(tu, "ndolu")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))
    await tester.send(tu, "10rb")
    assert "Kapan uang Rp10.000 diterima" in tester.last(tu).text


async def test_reverse_pages_through_payments_and_refuses_an_earlier_pages_button(running, tester, world):
    db, t, tu = world["db"], world["t"], world["tu"]
    reps = [await record(db, world["loan"], t, 100_000 + i, date(2026, 10, 1 + i)) for i in range(7)]
    await tester.command(tu, "batalkan_bayar")
    await tester.send(tu, "Ndolu")
    await tester.press(tu, tester.last(tu).button("Yohanis"))
    first = tester.last(tu)
    assert "halaman 1 dari 2" in first.text and first.button_texts[-1] == "Berikutnya ›"
    assert len(first.button_texts) == 6
    await tester.press(tu, first.button("Berikutnya"))
    second = tester.last(tu)
    assert "halaman 2 dari 2" in second.text and second.button_texts[-1] == "‹ Sebelumnya"
    on_first = next(r for r in reps if r.reference in first.text)
    await tester.press(tu, first.button(on_first.reference))  # not offered on this page any more
    assert "halaman 2 dari 2" in tester.last(tu).text
    await tester.send(tu, "yang pertama")
    assert "pilih salah satu tombol" in tester.texts(tu)[-2]
    on_second = next(r for r in reps if r.reference in second.text)
    await tester.press(tu, second.button(on_second.reference))
    assert "alasan" in tester.last(tu).text.lower()
    await tester.send(tu, "Salah tanggal")
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))
    assert (await repayments.get(db, on_second.id)).status == "reversed"
    assert [r.id for r in reps if (await repayments.get(db, r.id)).status == "reversed"] == [on_second.id]


async def test_reverse_ends_when_the_payments_were_all_reversed_meanwhile(running, tester, world):
    db, t, tu = world["db"], world["t"], world["tu"]
    rep = await record(db, world["loan"], t, 500_000)
    await tester.command(tu, "batalkan_bayar")
    await tester.send(tu, "Ndolu")
    await tester.press(tu, tester.last(tu).button("Yohanis"))
    pick = tester.last(tu)
    await reverse_repayment(db, rep.id, by=t.id, kelurahan_code=t.kelurahan_code, reason="sudah dibatalkan",
                            now=clock.utcnow())
    await tester.press(tu, pick.button(rep.reference))
    assert "tidak punya lagi pembayaran terverifikasi" in tester.last(tu).text
    await tester.send(tu, "Salah orang")  # the form is over: this is no reason
    assert len(await audit.recent(db, action="repayment.reversed")) == 1


async def test_cash_entry_in_quiet_hours_says_the_borrower_was_told_silently(running, tester, world, frozen_clock):
    """Issue 14, item 8: a notice in quiet hours goes out at once without sound, and the words say so."""
    from tests.jobs_fixtures import wita

    tu, db = world["tu"], world["db"]
    frozen_clock.set(wita(2026, 11, 28, 22, 15))
    await tester.command(tu, "catat_bayar")
    await tester.send(tu, "yohanis")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))
    await tester.send(tu, "500rb")
    await tester.press(tu, tester.last(tu).button("Hari ini"))
    await tester.press(tu, tester.last(tu).button("Lewati"))
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))

    done = tester.last(tu).text
    assert "tercatat" in done and "tanpa bunyi karena jam tenang" in done
    assert tester.last(world["b"]).params["disable_notification"] is True
    assert await _paid(db, world["loan"].id) == [500_000] + [0] * 11


async def test_english_search_result_counts_in_the_singular(running, tester, world, make_person):
    """Issue 14, item 13: "Found 1 borrower", not "Found 1 borrowers"."""
    _, en_user = await make_person(Role.TREASURER, name="Agus Lerik", language="en")
    await tester.command(en_user, "record")
    await tester.send(en_user, "ndolu")
    found = tester.last(en_user)
    assert "Found 1 borrower." in found.text
    await tester.send(en_user, "yo")  # Yohanis Ndolu and Yosefina Offline (Yohanis Lain is elsewhere)
    assert "Found 2 borrowers." in tester.last(en_user).text
    await tester.press(en_user, tester.last(en_user).button("Yohanis Ndolu"))
    await tester.send(en_user, "500rb")
    await tester.press(en_user, tester.last(en_user).button("Today"))
    await tester.press(en_user, tester.last(en_user).button("Skip"))
    await tester.press(en_user, tester.last(en_user).button("Confirm"))
    assert await _paid(world["db"], world["loan"].id) == [500_000] + [0] * 11
