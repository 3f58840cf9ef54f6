"""/bayar with a report already waiting (issue 14, item 1): the buttons offer what is still unreported, the
question says what waits, a matching report asks "Laporkan lagi?", and /verifikasi flags possible duplicates.

The frozen clock is Saturday 28 November 2026, 10:00 WITA. The loan: Rp6.000.000 over 12 months, disbursed
15 August 2026, so Rp500.000 falls due on the 15th of every month from September; three are overdue.
"""

from __future__ import annotations

from datetime import date

from bot.domain.roles import Role
from bot.runtime import clock
from storage import loans, repayments
from tests.handlers.test_repayment import _loan, _rows


async def _with_pending(running, make_person, *, language: str = "id"):
    borrower, user = await make_person(Role.BORROWER, name="Yosefina Lero", language=language)
    _, t_user = await make_person(Role.TREASURER, name="Bendahara Naikoten")
    loan = await _loan(running, borrower.id)
    summary = await loans.summary(running.app.db, loan.id)
    async with running.app.db.transaction() as tx:
        first, _ = await repayments.report(
            tx, loan_id=loan.id, amount=500_000, paid_on=date(2026, 11, 26), method="cash",
            reported_by=borrower.id, idempotency_key="seed-1", installment_id=summary.installment_ids[1],
            now=clock.utcnow())
    return borrower, user, loan, t_user, first


async def test_buttons_offer_the_unreported_instalment_named_by_number_and_month(running, tester, make_person):
    _, user, loan, _, first = await _with_pending(running, make_person)

    await tester.command(user, "bayar")
    ask = tester.last(user)
    assert "menunggu verifikasi" in ask.text and first.reference in ask.text and "26 November 2026" in ask.text
    assert "Angsuran ke-2" in ask.text and "Angsuran ke-1," not in ask.text
    assert "Angsuran ke-2 (Okt 2026)" in ask.button_texts
    assert not any("bulan ini" in b for b in ask.button_texts)
    assert "Semua tunggakan yang belum dilaporkan: <b>Rp1.000.000</b>" in ask.text

    await tester.press(user, ask.button("Angsuran ke-2"))
    await tester.press(user, tester.last(user).button("Lewati"))
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    rows = await _rows(running)
    summary = await loans.summary(running.app.db, loan.id)
    assert [(r["amount"], r["installment_id"], r["status"]) for r in rows] == [
        (500_000, summary.installment_ids[1], "pending"), (500_000, summary.installment_ids[2], "pending")]


async def test_a_partly_reported_instalment_offers_its_rest(running, tester, make_person):
    borrower, user = await make_person(Role.BORROWER, name="Yosefina Lero")
    loan = await _loan(running, borrower.id)
    async with running.app.db.transaction() as tx:
        await repayments.report(tx, loan_id=loan.id, amount=1_200_000, paid_on=date(2026, 11, 20), method="cash",
                                reported_by=borrower.id, idempotency_key="seed", now=clock.utcnow())
    await tester.command(user, "bayar")
    ask = tester.last(user)
    assert "Angsuran ke-3, jatuh tempo 15 November 2026: <b>Rp300.000</b> (sisa yang belum dilaporkan)" in ask.text
    await tester.press(user, ask.button("Angsuran ke-3 (Nov 2026)"))
    await tester.press(user, tester.last(user).button("Lewati"))
    assert "Rp300.000" in tester.last(user).text


async def test_a_report_matching_a_pending_one_asks_before_storing(running, tester, make_person):
    _, user, _, t_user, first = await _with_pending(running, make_person)

    await tester.command(user, "bayar")
    await tester.send(user, "500rb")
    ask = tester.last(user)
    assert (f"Anda sudah melaporkan <b>Rp500.000</b> pada 26 November 2026 ({first.reference})" in ask.text
            and "Laporkan lagi?" in ask.text)
    await tester.press(user, ask.button("Tidak"))
    assert "tidak dilaporkan lagi" in tester.last(user).text
    assert len(await _rows(running)) == 1, "nothing stored"

    await tester.command(user, "bayar")
    await tester.send(user, "500rb")
    await tester.send(user, "ya, laporkan lagi")  # typing the button's label counts as tapping it
    assert "foto bukti" in tester.last(user).text.lower()
    await tester.press(user, tester.last(user).button("Lewati"))
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    rows = await _rows(running)
    assert [(r["amount"], r["status"]) for r in rows] == [(500_000, "pending"), (500_000, "pending")]
    notice = tester.last(t_user).text  # the treasurer's notice of the second report warns
    assert "Mungkin laporan ganda" in notice and first.reference in notice


async def test_the_same_amount_weeks_apart_is_not_a_duplicate(running, tester, make_person):
    borrower, user = await make_person(Role.BORROWER, name="Yosefina Lero")
    loan = await _loan(running, borrower.id)
    async with running.app.db.transaction() as tx:
        await repayments.report(tx, loan_id=loan.id, amount=500_000, paid_on=date(2026, 11, 1), method="cash",
                                reported_by=borrower.id, idempotency_key="seed", now=clock.utcnow())
    await tester.command(user, "bayar")
    await tester.send(user, "500rb")  # paid today, 27 days after the pending one: another payment
    assert "foto bukti" in tester.last(user).text.lower()
    await tester.press(user, tester.last(user).button("Lewati"))
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    assert len(await _rows(running)) == 2


async def test_english_duplicate_question(running, tester, make_person):
    _, user, _, _, first = await _with_pending(running, make_person, language="en")
    await tester.command(user, "bayar")
    await tester.send(user, "500rb")
    text = tester.last(user).text
    assert f"You already reported <b>Rp500.000</b> on 26 November 2026 ({first.reference})" in text
    assert "Report it again?" in text


async def test_verifikasi_flags_possible_duplicates(running, tester, make_person):
    borrower, _, loan, t_user, first = await _with_pending(running, make_person)
    async with running.app.db.transaction() as tx:
        second, _ = await repayments.report(
            tx, loan_id=loan.id, amount=500_000, paid_on=date(2026, 11, 28), method="cash",
            reported_by=borrower.id, idempotency_key="seed-2", now=clock.utcnow())
        other, _ = await repayments.report(
            tx, loan_id=loan.id, amount=250_000, paid_on=date(2026, 11, 28), method="cash",
            reported_by=borrower.id, idempotency_key="seed-3", now=clock.utcnow())
    await tester.command(t_user, "verifikasi")
    text = tester.last(t_user).text
    assert text.count("Mungkin laporan ganda") == 2
    assert f"sama dengan {second.reference}" in text and f"sama dengan {first.reference}" in text
    assert other.reference in text and f"sama dengan {other.reference}" not in text
    assert text.index(other.reference) > text.rindex("Mungkin laporan ganda"), "the Rp250.000 one is not flagged"


async def test_a_reminder_button_for_an_instalment_already_reported_does_not_prefill_it(running, tester,
                                                                                      make_person):
    _, user, loan, _, first = await _with_pending(running, make_person)
    summary = await loans.summary(running.app.db, loan.id)
    await tester.press(user, f"payrem:{summary.installment_ids[1]}")  # instalment 1 is the one reported
    ask = tester.last(user)
    assert "Berapa yang Anda bayar" in ask.text and first.reference in ask.text
    assert "Angsuran ke-2 (Okt 2026)" in ask.button_texts
    # instalment 2's reminder still prefills instalment 2
    await tester.press(user, f"payrem:{summary.installment_ids[2]}")
    assert "foto bukti" in tester.last(user).text.lower()
    await tester.press(user, tester.last(user).button("Lewati"))
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    rows = await _rows(running)
    assert [(r["amount"], r["installment_id"]) for r in rows][-1] == (500_000, summary.installment_ids[2])
