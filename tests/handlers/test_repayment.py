"""/bayar: the tap counts, every edit button, each bad input, idempotent confirm, restarts, ownership, refusals.

The frozen clock is Saturday 28 November 2026, 10:00 WITA. The standard loan: Rp6.000.000 over 12 months,
disbursed 15 August 2026, so Rp500.000 falls due on the 15th and three instalments (Rp1.500.000) are overdue.
"""

from __future__ import annotations

import asyncio
from datetime import date

from telegram import Update

from bot.domain.loans import LoanTerms
from bot.domain.roles import Role
from bot.runtime import clock
from storage import drafts, loans, repayments
from tests.conftest import NAIKOTEN_SATU
from tests.harness import BotTester, User, answers, texts

DISBURSED = date(2026, 8, 15)


async def _loan(running, borrower_id: int, *, principal: int = 6_000_000, disbursed: date = DISBURSED,
                kelurahan: str = NAIKOTEN_SATU, business: str | None = "Warung") -> loans.Loan:
    async with running.app.db.transaction() as tx:
        return await loans.create(
            tx, borrower_id=borrower_id, kelurahan_code=kelurahan,
            terms=LoanTerms(principal=principal, disbursed_on=disbursed, tenor_months=12), business=business,
            created_by=None, now=clock.utcnow(),
        )


async def _rows(running) -> list:
    return await running.app.db.fetchall("SELECT * FROM repayments ORDER BY id")


async def _setup(running, make_person, **loan_kw):
    """A linked borrower with one loan and a linked treasurer of the same kelurahan."""
    borrower, user = await make_person(Role.BORROWER, name="Yosefina Lero")
    _, t_user = await make_person(Role.TREASURER, name="Bendahara Naikoten")
    loan = await _loan(running, borrower.id, **loan_kw)
    return borrower, user, loan, t_user


class Taps:
    """Presses buttons and counts them."""

    def __init__(self, tester: BotTester, user: User) -> None:
        self.tester, self.user, self.count = tester, user, 0

    async def tap(self, text_part: str) -> list:
        self.count += 1
        return await self.tester.press(self.user, self.tester.last(self.user).button(text_part))


async def test_common_case_is_three_taps_with_defaults_and_one_pending_row(running, tester, make_person):
    borrower, user, loan, t_user = await _setup(running, make_person)

    await tester.command(user, "bayar")
    ask = tester.last(user).text
    assert "Angsuran ke-1" in ask and "Rp500.000" in ask and "Semua tunggakan" in ask and "Rp1.500.000" in ask
    taps = Taps(tester, user)
    await taps.tap("Angsuran ke-")
    assert "foto bukti" in tester.last(user).text.lower()
    await taps.tap("Lewati")
    summary = tester.last(user).text
    assert "Rp500.000" in summary and "28 November 2026" in summary and "Tunai ke bendahara" in summary
    await taps.tap("Konfirmasi")

    assert taps.count <= 4
    done = tester.last(user).text
    assert "menunggu verifikasi bendahara" in done and "PB-00001" in done
    rows = await _rows(running)
    assert len(rows) == 1
    row = rows[0]
    assert (row["loan_id"], row["amount"], row["paid_on"], row["method"], row["status"]) == (
        loan.id, 500_000, "2026-11-28", "cash", "pending")
    assert row["reported_by"] == borrower.id and row["receipt_file_id"] is None
    summary_ = await loans.summary(running.app.db, loan.id)
    assert row["installment_id"] == summary_.installment_ids[1]
    assert any("500.000" in t for t in tester.texts(t_user)), "the treasurer was told"


async def test_two_loans_is_four_taps_and_method_defaults_to_the_last_one(running, tester, make_person):
    borrower, user, first, _ = await _setup(running, make_person)
    second = await _loan(running, borrower.id, principal=1_200_000, disbursed=date(2026, 10, 1), business="Ojek")
    async with running.app.db.transaction() as tx:
        await repayments.record_verified(tx, loan_id=first.id, amount=500_000, paid_on=date(2026, 9, 15),
                                         method="transfer", recorded_by=borrower.id, idempotency_key="seed",
                                         now=clock.utcnow())

    await tester.command(user, "bayar")
    assert "Pinjaman 2" in tester.last(user).button_texts
    taps = Taps(tester, user)
    await taps.tap("Pinjaman 2")
    assert "Ojek" in tester.last(user).text
    await taps.tap("Angsuran ke-")
    await taps.tap("Lewati")
    assert "Transfer bank" in tester.last(user).text
    await taps.tap("Konfirmasi")

    assert taps.count == 4
    row = (await _rows(running))[-1]
    assert (row["loan_id"], row["amount"], row["method"], row["status"]) == (second.id, 100_000, "transfer",
                                                                             "pending")


async def test_reminder_button_is_at_most_three_taps(running, tester, make_person):
    _, user, loan, _ = await _setup(running, make_person)
    summary = await loans.summary(running.app.db, loan.id)
    inst_id = summary.installment_ids[4]

    taps = Taps(tester, user)
    taps.count += 1
    await tester.press(user, f"payrem:{inst_id}")
    assert "foto bukti" in tester.last(user).text.lower()
    await taps.tap("Lewati")
    assert "Rp500.000" in tester.last(user).text
    await taps.tap("Konfirmasi")

    assert taps.count <= 3
    row = (await _rows(running))[0]
    assert (row["amount"], row["installment_id"], row["status"]) == (500_000, inst_id, "pending")


async def test_overdue_button_pays_everything_overdue(running, tester, make_person):
    _, user, _, _ = await _setup(running, make_person)
    await tester.command(user, "bayar")
    await tester.press(user, tester.last(user).button("Semua tunggakan"))
    await tester.press(user, tester.last(user).button("Lewati"))
    assert "Rp1.500.000" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    assert (await _rows(running))[0]["amount"] == 1_500_000


async def test_every_edit_button_on_the_summary(running, tester, make_person):
    _, user, _, _ = await _setup(running, make_person)
    await tester.command(user, "bayar")
    await tester.press(user, tester.last(user).button("Angsuran ke-"))
    await tester.press(user, tester.last(user).button("Lewati"))

    await tester.press(user, tester.last(user).button("Ubah jumlah"))
    await tester.press(user, tester.last(user).button("Jumlah lain"))
    await tester.send(user, "750rb")
    assert "Rp750.000" in tester.last(user).text and "Periksa laporan" in tester.last(user).text

    await tester.press(user, tester.last(user).button("Ubah tanggal"))
    await tester.press(user, tester.last(user).button("Kemarin"))
    assert "27 November 2026" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Ubah tanggal"))
    await tester.send(user, "20/11")
    assert "20 November 2026" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Ubah tanggal"))
    await tester.press(user, tester.last(user).button("Hari ini"))
    assert "28 November 2026" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Ubah tanggal"))
    await tester.send(user, "kemarin lusa")

    await tester.press(user, tester.last(user).button("Ubah cara bayar"))
    await tester.press(user, tester.last(user).button("Transfer bank"))
    assert "Transfer bank" in tester.last(user).text

    await tester.press(user, tester.last(user).button("Ubah foto"))
    await tester.photo(user, "receipt-big")
    assert "Foto bukti: <b>ada</b>" in tester.last(user).text

    await tester.press(user, tester.last(user).button("Konfirmasi"))
    row = (await _rows(running))[0]
    assert (row["amount"], row["paid_on"], row["method"], row["receipt_file_id"], row["installment_id"]) == (
        750_000, "2026-11-26", "transfer", "receipt-big", None)


async def test_bad_amounts_get_specific_messages_and_the_question_again(running, tester, make_person):
    _, user, _, _ = await _setup(running, make_person)
    await tester.command(user, "bayar")

    cases = [("lima ratus ribuu", "bukan jumlah uang"), ("1 jt 5", "kurang jelas"), ("0", "tidak boleh nol"),
             ("-50.000", "tidak boleh negatif"),
             ("1.50.000", "kurang tepat"), ("100 jt", "Rp6.000.000")]
    for text, message in cases:
        calls = await tester.send(user, text)
        sent = texts(calls)
        assert message in sent[0], (text, sent)
        assert "Berapa yang Anda bayar" in sent[-1]
    calls = await tester.sticker(user)
    assert "berupa teks" in texts(calls)[0] and "Berapa yang Anda bayar" in texts(calls)[-1]
    calls = await tester.photo(user)
    assert "berupa teks" in texts(calls)[0] and "Berapa yang Anda bayar" in texts(calls)[-1]

    await tester.send(user, "1.500")
    assert "Rp1.500</b> — betul?" in tester.last(user).text
    await tester.send(user, "mungkin")  # no button says that: the question again
    assert "Rp1.500</b> — betul?" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Ubah"))
    assert "Ketik jumlah" in tester.last(user).text
    await tester.send(user, "1.500")
    await tester.send(user, "iya")  # an obvious synonym typed counts as "Ya, betul" (issue 14, item 5)
    assert "foto bukti" in tester.last(user).text.lower()
    await tester.press(user, tester.last(user).button("Lewati"))
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    assert (await _rows(running))[0]["amount"] == 1_500


async def test_amount_above_what_is_still_owed_counts_pending_reports(running, tester, make_person):
    borrower, user, loan, _ = await _setup(running, make_person)
    async with running.app.db.transaction() as tx:
        await repayments.report(tx, loan_id=loan.id, amount=5_800_000, paid_on=date(2026, 11, 1), method="cash",
                                reported_by=borrower.id, idempotency_key="earlier", now=clock.utcnow())
    await tester.command(user, "bayar")
    assert "Rp200.000" in tester.last(user).text
    await tester.send(user, "300rb")
    sent = tester.texts(user)
    assert "Yang masih harus dibayar: <b>Rp200.000</b>" in sent[-2]
    await tester.press(user, tester.last(user).button("Angsuran ke-"))  # Rp500.000 > Rp200.000
    assert "Rp200.000" in tester.texts(user)[-2]
    assert len(await _rows(running)) == 1


async def test_bad_dates_get_specific_messages(running, tester, make_person):
    _, user, _, _ = await _setup(running, make_person)
    await tester.command(user, "bayar")
    await tester.press(user, tester.last(user).button("Angsuran ke-"))
    await tester.press(user, tester.last(user).button("Lewati"))
    await tester.press(user, tester.last(user).button("Ubah tanggal"))

    cases = [("30-11-2026", "belum tiba"), ("besok", "belum tiba"), ("1/8/2026", "sebelum pinjaman dicairkan"),
             ("31/02/2026", "tidak ada di kalender"), ("minggu lalu", "kurang jelas"),
             ("entah kapan", "tidak saya kenali")]
    for text, message in cases:
        calls = await tester.send(user, text)
        sent = texts(calls)
        assert message in sent[0], (text, sent)
        assert "Kapan Anda membayar" in sent[-1]
    calls = await tester.sticker(user)
    assert "berupa teks" in texts(calls)[0] and "Kapan Anda membayar" in texts(calls)[-1]
    await tester.send(user, "15 Nov")
    assert "15 November 2026" in tester.last(user).text


async def test_photo_step_and_summary_refuse_wrong_input(running, tester, make_person):
    _, user, _, _ = await _setup(running, make_person)
    await tester.command(user, "bayar")
    await tester.press(user, tester.last(user).button("Angsuran ke-"))

    for act in (lambda: tester.send(user, "sudah"), lambda: tester.sticker(user), lambda: tester.document(user)):
        sent = texts(await act())
        assert "perlu <b>foto</b>" in sent[0] and "Kirim fotonya" in sent[-1]
    await tester.photo(user, "kuitansi")
    assert "Foto bukti: <b>ada</b>" in tester.last(user).text
    sent = texts(await tester.send(user, "ok"))
    assert "pilih salah satu tombol" in sent[0] and "Periksa laporan" in sent[-1]
    sent = texts(await tester.photo(user, "another"))
    assert "berupa teks" in sent[0] and "Periksa laporan" in sent[-1]
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    assert (await _rows(running))[0]["receipt_file_id"] == "kuitansi"


async def test_double_confirm_stores_one_row(running, tester, make_person):
    _, user, _, _ = await _setup(running, make_person)
    await tester.command(user, "bayar")
    await tester.press(user, tester.last(user).button("Angsuran ke-"))
    await tester.press(user, tester.last(user).button("Lewati"))
    confirm = tester.last(user).button("Konfirmasi")

    await tester.press(user, confirm)
    calls = await tester.press(user, confirm)

    assert "tidak berlaku" in answers(calls)[0]
    assert len(await _rows(running)) == 1


async def test_the_same_update_delivered_twice_at_once_stores_one_row(running, tester, make_person):
    _, user, _, t_user = await _setup(running, make_person)
    await tester.command(user, "bayar")
    await tester.press(user, tester.last(user).button("Angsuran ke-"))
    await tester.press(user, tester.last(user).button("Lewati"))
    confirm = tester.last(user).button("Konfirmasi")
    payload = {"update_id": 999_001, "callback_query": {
        "id": "dup", "from": {"id": user.id, "is_bot": False, "first_name": user.first_name},
        "chat_instance": "ci", "data": confirm,
        "message": {"message_id": 1, "date": 1_764_000_000, "chat": {"id": user.chat_id, "type": "private"},
                    "text": "…"}}}
    app = running.app

    await asyncio.gather(app.process_update(Update.de_json(payload, app.bot)),
                         app.process_update(Update.de_json(payload, app.bot)))

    rows = await _rows(running)
    assert len(rows) == 1 and rows[0]["status"] == "pending"
    assert any("PB-00001" in t for t in tester.texts(user))
    assert len([t for t in tester.texts(t_user) if "PB-00001" in t]) == 1, "treasurers are told once"


async def test_form_survives_a_restart_at_every_step(running, make_person):
    _, user, loan, _ = await _setup(running, make_person)
    await running.tester.command(user, "bayar")
    button = running.tester.last(user).button("Angsuran ke-")
    await running.restart()
    await running.tester.press(user, button)
    assert "foto bukti" in running.tester.last(user).text.lower()
    button = running.tester.last(user).button("Lewati")
    await running.restart()
    await running.tester.press(user, button)
    button = running.tester.last(user).button("Ubah tanggal")
    await running.restart()
    await running.tester.press(user, button)
    await running.restart()
    await running.tester.send(user, "kemarin")
    assert "27 November 2026" in running.tester.last(user).text
    button = running.tester.last(user).button("Konfirmasi")
    await running.restart()
    await running.tester.press(user, button)

    rows = await _rows(running)
    assert len(rows) == 1 and (rows[0]["loan_id"], rows[0]["paid_on"]) == (loan.id, "2026-11-27")


async def test_restart_while_typing_an_amount(running, make_person):
    _, user, _, _ = await _setup(running, make_person)
    await running.tester.command(user, "bayar")
    await running.tester.press(user, running.tester.last(user).button("Jumlah lain"))
    await running.restart()
    await running.tester.send(user, "250rb")
    assert "foto bukti" in running.tester.last(user).text.lower()


async def test_other_roles_and_unlinked_users_are_refused(running, tester, make_person):
    _, t_user = await make_person(Role.TREASURER, name="Bendahara")
    await tester.command(t_user, "bayar")
    assert "tidak tersedia untuk Anda" in tester.last(t_user).text
    stranger = User(4242)
    await tester.command(stranger, "pay")
    assert tester.texts(stranger) and "tidak tersedia untuk Anda" not in tester.last(stranger).text
    assert await _rows(running) == []


async def test_borrower_without_loans(running, tester, make_person):
    _, user = await make_person(Role.BORROWER)
    await tester.command(user, "bayar")
    assert "tidak punya pinjaman aktif" in tester.last(user).text


async def test_forged_callbacks_cannot_reach_another_borrowers_loan(running, tester, make_person):
    _, _, loan_a, _ = await _setup(running, make_person, principal=7_300_000)
    summary_a = await loans.summary(running.app.db, loan_a.id)
    borrower_b, user_b = await make_person(Role.BORROWER, name="Bona")
    own_b = await _loan(running, borrower_b.id, principal=2_400_000)

    for data in (f"payrem:{summary_a.installment_ids[1]}", f"payagain:{loan_a.id}", "payrem:999999"):
        calls = await tester.press(user_b, data)
        assert "tidak tersedia untuk Anda" in answers(calls)[0], data
        assert texts(calls) == [], data

    await tester.command(user_b, "bayar")  # B's own form, then a forged loan button inside it
    form_id = tester.last(user_b).button("Angsuran").split(":")[1]
    calls = await tester.press(user_b, f"pay:{form_id}:loan:{loan_a.id}")
    assert all("7.300.000" not in t for t in texts(calls))

    await tester.press(user_b, f"payagain:{own_b.id}")
    assert "Rp2.400.000" in tester.last(user_b).text
    assert all("7.300.000" not in t for t in tester.texts(user_b))
    assert await _rows(running) == []


async def test_treasurer_pressing_a_reminder_button_is_refused(running, tester, make_person):
    _, _, loan, t_user = await _setup(running, make_person)
    summary = await loans.summary(running.app.db, loan.id)
    calls = await tester.press(t_user, f"payrem:{summary.installment_ids[1]}")
    assert "tidak tersedia" in answers(calls)[0] and texts(calls) == []


async def test_stale_button_from_an_older_form_only_gets_a_notice(running, tester, make_person):
    _, user, _, _ = await _setup(running, make_person)
    await tester.command(user, "bayar")
    old = tester.last(user).button("Angsuran ke-")
    await tester.command(user, "bayar")

    calls = await tester.press(user, old)

    assert "tidak berlaku" in answers(calls)[0] and texts(calls) == []


async def test_cancel_button_and_command_save_nothing(running, tester, make_person):
    _, user, _, _ = await _setup(running, make_person)
    await tester.command(user, "bayar")
    await tester.press(user, tester.last(user).button("Angsuran ke-"))
    await tester.press(user, tester.last(user).button("Lewati"))
    await tester.press(user, tester.last(user).button("Batal"))
    assert "dibatalkan" in tester.last(user).text.lower()
    await tester.command(user, "bayar")
    await tester.command(user, "batal")
    assert await _rows(running) == []


async def test_english_user_sees_english(running, tester, make_person):
    borrower, user = await make_person(Role.BORROWER, language="en")
    await _loan(running, borrower.id)
    await tester.command(user, "pay")
    assert "How much did you pay" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Instalment "))
    await tester.press(user, tester.last(user).button("Skip"))
    assert "Cash to the treasurer" in tester.last(user).text


async def test_wrong_input_at_the_loan_tiny_and_method_steps(running, tester, make_person):
    borrower, user, _, _ = await _setup(running, make_person)
    await _loan(running, borrower.id, principal=1_200_000)
    await tester.command(user, "bayar")

    sent = texts(await tester.send(user, "yang pertama"))
    assert "pilih salah satu tombol" in sent[0] and "pinjaman yang mana" in sent[-1]
    sent = texts(await tester.sticker(user))
    assert "berupa teks" in sent[0] and "pinjaman yang mana" in sent[-1]
    await tester.press(user, tester.last(user).button("Pinjaman 1"))

    await tester.send(user, "5000")
    sent = texts(await tester.sticker(user))
    assert "berupa teks" in sent[0] and "betul?" in sent[-1]
    await tester.press(user, tester.last(user).button("Ya, betul"))
    await tester.press(user, tester.last(user).button("Lewati"))

    await tester.press(user, tester.last(user).button("Ubah cara bayar"))
    sent = texts(await tester.send(user, "tunai"))
    assert "pilih salah satu tombol" in sent[0] and "Bagaimana cara Anda membayar" in sent[-1]
    await tester.press(user, tester.last(user).button("Lainnya"))
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    row = (await _rows(running))[0]
    assert (row["amount"], row["method"]) == (5_000, "other")


async def test_summary_figures_are_cached_but_konfirmasi_rechecks_the_loan(running, tester, make_person):
    """The steps after the amount question use the figures cached in the draft (issue 6); Konfirmasi re-checks
    ownership and the amount inside the reporting transaction."""
    _, user, loan, _ = await _setup(running, make_person)
    await tester.command(user, "bayar")
    await tester.press(user, tester.last(user).button("Angsuran ke-"))
    await tester.press(user, tester.last(user).button("Lewati"))
    form = (await drafts.get(running.app.db, user.id)).data
    assert form["figures"]["still_owed"] == 6_000_000 and form["figures"]["inst"]["remaining"] == 500_000
    other, _ = await make_person(Role.BORROWER, name="Bona")
    await running.app.db.execute("UPDATE loans SET borrower_id = :b WHERE id = :id", {"b": other.id, "id": loan.id})

    calls = await tester.press(user, tester.last(user).button("Konfirmasi"))

    assert "tidak punya pinjaman aktif" in texts(calls)[-1]
    assert await _rows(running) == []
    assert await drafts.get(running.app.db, user.id) is None


async def test_konfirmasi_refuses_an_amount_that_became_too_much_after_the_figures_were_cached(
        running, tester, make_person):
    borrower, user, loan, _ = await _setup(running, make_person, principal=1_200_000)  # Rp100.000 a month
    await tester.command(user, "bayar")
    await tester.press(user, tester.last(user).button("Semua tunggakan"))  # Rp300.000
    await tester.press(user, tester.last(user).button("Lewati"))
    async with running.app.db.transaction() as tx:  # meanwhile, a report for almost everything
        await repayments.report(tx, loan_id=loan.id, amount=1_000_000, paid_on=date(2026, 11, 27), method="cash",
                                reported_by=borrower.id, idempotency_key="elsewhere", now=clock.utcnow())

    calls = await tester.press(user, tester.last(user).button("Konfirmasi"))

    assert any("Rp200.000" in t for t in texts(calls))  # still owed, shown with the question again
    assert [r["amount"] for r in await _rows(running)] == [1_000_000]


async def test_the_summary_shows_todays_balance_even_if_a_payment_was_recorded_meanwhile(running, tester,
                                                                                           make_person):
    _, user, loan, _ = await _setup(running, make_person)
    await tester.command(user, "bayar")
    await tester.press(user, tester.last(user).button("Angsuran ke-"))  # the photo step is open
    treasurer = await running.app.db.fetchval("SELECT id FROM people WHERE name = 'Bendahara Naikoten'")
    async with running.app.db.transaction() as tx:  # the treasurer records cash meanwhile
        await repayments.record_verified(tx, loan_id=loan.id, amount=1_000_000, paid_on=date(2026, 11, 27),
                                         method="cash", recorded_by=treasurer, idempotency_key="cash-1",
                                         now=clock.utcnow())
    await tester.press(user, tester.last(user).button("Lewati"))
    summary = tester.last(user).text
    assert "Rp4.500.000" in summary  # 6.000.000 − 1.000.000 recorded − 500.000 this payment


async def test_a_report_at_21_00_reaches_the_treasurer_at_once_silently(running, tester, make_person, frozen_clock):
    """Quiet hours (20:00-07:00 WITA) hold scheduled messages only: the treasurer, often with the cash in hand,
    gets the report now, without sound; in the afternoon the same notice rings."""
    from tests.jobs_fixtures import wita

    for moment, silent in ((wita(2026, 11, 28, 21, 0), True), (wita(2026, 11, 28, 15, 0), False)):
        frozen_clock.set(moment)
        _, user, loan, t_user = await _setup(running, make_person)
        await tester.command(user, "bayar")
        taps = Taps(tester, user)
        await taps.tap("Angsuran ke-")
        await taps.tap("Lewati")
        await taps.tap("Konfirmasi")
        assert "menunggu verifikasi bendahara" in tester.last(user).text

        [notice] = running.request.sent(t_user.chat_id)
        assert "Rp500.000" in notice.text and "Yosefina Lero" in notice.text
        assert notice.button("Setujui").startswith("ver:ok:")
        assert notice.params["disable_notification"] is silent
        [row] = await running.app.db.fetchall(
            "SELECT o.status FROM outbox o JOIN people p ON p.id = o.recipient_id "
            "WHERE o.kind = 'notice' AND p.telegram_user_id = :u", {"u": t_user.id})
        assert row["status"] == "sent"
        [rep] = [r for r in await _rows(running) if r["loan_id"] == loan.id]
        assert rep["status"] == "pending"


# --- the same races under the concurrent update processor (issue 12) -----------------------------------------
async def _to_summary(tester: BotTester, user: User) -> str:
    await tester.command(user, "bayar")
    await tester.press(user, tester.last(user).button("Angsuran ke-"))
    await tester.press(user, tester.last(user).button("Lewati"))
    return tester.last(user).button("Konfirmasi")


async def test_concurrent_two_borrowers_complete_their_forms_at_once(running, tester, make_person):
    tester.concurrent = True
    borrower_a, a, _, t_user = await _setup(running, make_person)
    borrower_b, b = await make_person(Role.BORROWER, name="Markus Bani")
    await _loan(running, borrower_b.id)

    async def conversation(user: User) -> None:
        await tester.press(user, await _to_summary(tester, user))

    await asyncio.gather(conversation(a), conversation(b))

    rows = await _rows(running)
    assert sorted(r["reported_by"] for r in rows) == sorted([borrower_a.id, borrower_b.id])
    assert all(r["status"] == "pending" for r in rows)
    assert any("PB-" in t for t in tester.texts(a)) and any("PB-" in t for t in tester.texts(b))
    assert await running.app.db.fetchval("SELECT COUNT(*) FROM form_drafts") == 0
    assert len([t for t in tester.texts(t_user) if "PB-" in t]) == 2, "the treasurer is told of each, once"


async def test_concurrent_double_tap_on_konfirmasi_stores_one_row(running, tester, make_person):
    tester.concurrent = True
    _, user, _, t_user = await _setup(running, make_person)
    confirm = await _to_summary(tester, user)

    first, second = await asyncio.gather(tester.press(user, confirm), tester.press(user, confirm))

    rows = await _rows(running)
    assert len(rows) == 1 and rows[0]["status"] == "pending"
    assert "tidak berlaku" in " ".join(answers(first) + answers(second)), "the second tap is told it is stale"
    assert len([t for t in tester.texts(t_user) if "PB-00001" in t]) == 1


async def test_concurrent_the_same_update_twice_at_once_stores_one_row(running, tester, make_person):
    tester.concurrent = True
    _, user, _, t_user = await _setup(running, make_person)
    confirm = await _to_summary(tester, user)
    payload = {"update_id": 999_002, "callback_query": {
        "id": "dup", "from": {"id": user.id, "is_bot": False, "first_name": user.first_name},
        "chat_instance": "ci", "data": confirm,
        "message": {"message_id": 1, "date": 1_764_000_000, "chat": {"id": user.chat_id, "type": "private"},
                    "text": "…"}}}
    app = running.app
    updates = [Update.de_json(payload, app.bot) for _ in range(2)]

    await asyncio.gather(*(app.update_processor.process_update(u, app.process_update(u)) for u in updates))
    await app.settle()

    assert len(await _rows(running)) == 1
    assert len([t for t in tester.texts(t_user) if "PB-00001" in t]) == 1, "treasurers are told once"


async def test_konfirmasi_does_not_wait_for_the_treasurers_notice(running, tester, make_person):
    """Issue 12: the notice to the treasurer is delivered by the sender beside the update, not inside it. Here
    Telegram holds the treasurer's message until we let it go: the borrower's update has ended before that."""
    _, user, _, t_user = await _setup(running, make_person)
    confirm = await _to_summary(tester, user)
    gate = asyncio.Event()
    original = running.request.do_request

    async def held(url, method, request_data=None, *args, **kw):
        if request_data is not None and str(request_data.parameters.get("chat_id")) == str(t_user.chat_id):
            await gate.wait()
        return await original(url, method, request_data, *args, **kw)

    running.request.do_request = held  # type: ignore[method-assign]
    payload = {"update_id": 999_003, "callback_query": {
        "id": "c1", "from": {"id": user.id, "is_bot": False, "first_name": user.first_name},
        "chat_instance": "ci", "data": confirm,
        "message": {"message_id": 1, "date": 1_764_000_000, "chat": {"id": user.chat_id, "type": "private"},
                    "text": "…"}}}
    app = running.app
    await asyncio.wait_for(app.process_update(Update.de_json(payload, app.bot)), timeout=30)

    assert any("PB-00001" in t for t in tester.texts(user)), "the borrower has the reply"
    assert not any("PB-00001" in t for t in tester.texts(t_user)), "the notice is still on its way"
    gate.set()
    await app.settle()
    assert len([t for t in tester.texts(t_user) if "PB-00001" in t]) == 1
    [row] = await running.app.db.fetchall("SELECT status FROM outbox WHERE recipient_id != 0 AND kind = 'notice'")
    assert row["status"] == "sent"


async def test_the_buttons_answer_goes_alongside_the_reply_not_before_it(running, tester, make_person):
    """Issue 12: Telegram holds the answerCallbackQuery; the next question still goes out meanwhile, and the
    update ends (the user's next update may start) only once the answer is done."""
    _, user, _, _ = await _setup(running, make_person)
    await tester.command(user, "bayar")
    data = tester.last(user).button("Angsuran ke-")
    gate, replied = asyncio.Event(), asyncio.Event()
    original = running.request.do_request

    async def held(url, method, request_data=None, *args, **kw):
        if url.endswith("/answerCallbackQuery"):
            await gate.wait()
        result = await original(url, method, request_data, *args, **kw)
        if url.endswith("/sendMessage"):
            replied.set()
        return result

    running.request.do_request = held  # type: ignore[method-assign]
    payload = {"update_id": 999_004, "callback_query": {
        "id": "c2", "from": {"id": user.id, "is_bot": False, "first_name": user.first_name},
        "chat_instance": "ci", "data": data,
        "message": {"message_id": 1, "date": 1_764_000_000, "chat": {"id": user.chat_id, "type": "private"},
                    "text": "…"}}}
    app = running.app
    update = asyncio.ensure_future(app.process_update(Update.de_json(payload, app.bot)))
    await asyncio.wait_for(replied.wait(), timeout=30)
    assert "foto bukti" in tester.last(user).text.lower()
    assert not update.done(), "the update waits for its answer at the end"
    gate.set()
    await asyncio.wait_for(update, timeout=30)
    assert running.request.of("answerCallbackQuery")
