"""/kartu (issue 15 part 2): the instalment card as a PDF, for the borrower and for the kelurahan's staff, with
the read model's figures checked by hand."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from bot.domain.roles import Role
from bot.runtime import clock
from bot.services import repayments as svc
from messages.documents import card_pdf
from storage import people
from storage.reports import card as card_model
from tests.handlers.loan_fixtures import make_loan

OTHER_KEL = "53.71.01.1001"


def pdf_text(call) -> str:
    [(name, content)] = call.files.values()
    assert name.endswith(".pdf")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
async def world(running, make_person):
    """A 6 juta loan over 12 months disbursed 28 Sep 2026 (500.000 due on the 28th from 28 Oct); today is
    28 Nov 2026. Paid: 500.000 on 30 Oct (2 days late), 200.000 on 20 Nov, and 100.000 that was reversed."""
    db = running.app.db
    borrower, b_user = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    t, t_user = await make_person(Role.TREASURER, name="Fransiska Manafe")
    _lurah, l_user = await make_person(Role.LURAH, name="Pak Lurah")
    _other, o_user = await make_person(Role.TREASURER, name="Orang Lain", kelurahan=OTHER_KEL)
    loan = await make_loan(db, borrower)
    kel = t.kelurahan_code
    results = []
    for key, amount, day in (("a", 500_000, date(2026, 10, 30)), ("b", 200_000, date(2026, 11, 20)),
                             ("c", 100_000, date(2026, 11, 21))):
        results.append(await svc.record_cash_payment(db, loan_id=loan.id, recorded_by=t.id, kelurahan_code=kel,
                                                     amount=amount, paid_on=day, idempotency_key=key,
                                                     now=clock.utcnow()))
    await svc.reverse_repayment(db, results[2].repayment.id, by=t.id, kelurahan_code=kel, reason="dobel",
                                now=running.app.now())
    return {"db": db, "b": b_user, "t": t_user, "l": l_user, "o": o_user, "loan": loan, "borrower": borrower}


async def test_the_card_figures(running, world):
    card = await card_model.card(world["db"], world["loan"].id, date(2026, 11, 28))
    first, second, third = card.rows[:3]
    assert (first.amount_due, first.paid, first.remaining, first.days_late) == (500_000, 500_000, 0, 2)
    assert [(p.amount, p.paid_on, p.receipt_number) for p in first.payments] == [
        (500_000, date(2026, 10, 30), "NKT1-2026-000001")]
    assert (second.due_date, second.paid, second.remaining, second.days_late) == (date(2026, 11, 28), 200_000,
                                                                                   300_000, 0)
    assert [p.receipt_number for p in second.payments] == ["NKT1-2026-000002"]
    assert (third.paid, third.days_late, third.payments) == (0, 0, ())
    assert (card.total_due, card.total_paid, card.outstanding, card.days_in_arrears) == (
        6_000_000, 700_000, 5_300_000, 0)
    assert [r.number for r in card.voided] == ["NKT1-2026-000003"]
    later = await card_model.card(world["db"], world["loan"].id, date(2026, 12, 5))
    assert later.rows[1].days_late == 7 and later.days_in_arrears == 7


async def test_kartu_sends_the_borrower_their_card(running, tester, world):
    running.request.clear()
    await tester.command(world["b"], "kartu")
    [doc] = running.request.of("sendDocument")
    assert doc.chat_id == world["b"].chat_id and "Rp5.300.000" in doc.text
    text = pdf_text(doc)
    for part in ("KARTU ANGSURAN", "Yohanis Ndolu", "Naikoten Satu", "28 Okt 2026", "30 Okt 2026", "28 Sep 2027",
                 "NKT1-2026-000001", "NKT1-2026-000002", "Rp500.000", "Rp300.000", "Rp5.300.000", "28 September 2026",
                 "NKT1-2026-000003", "BATAL", "dobel"):
        assert part in text, part


async def test_staff_find_any_borrower_of_their_kelurahan(running, tester, world):
    lu = world["l"]
    await tester.command(lu, "kartu")
    assert "Ketik nama peminjam" in tester.last(lu).text
    await tester.send(lu, "tidak ada")
    assert "Tidak ada peminjam" in " ".join(tester.texts(lu)[-2:])
    await tester.send(lu, "ndolu")
    pick = tester.last(lu).button("Yohanis Ndolu")
    running.request.clear()
    await tester.press(lu, pick)
    [doc] = running.request.of("sendDocument")
    assert doc.chat_id == lu.chat_id and "NKT1-2026-000002" in pdf_text(doc)


async def test_the_card_button_is_for_the_borrower_and_their_kelurahan_only(running, tester, world):
    loan_id = world["loan"].id
    running.request.clear()
    await tester.press(world["t"], f"card:{loan_id}")
    assert len(running.request.of("sendDocument")) == 1
    running.request.clear()
    await tester.press(world["o"], f"card:{loan_id}")
    assert not running.request.of("sendDocument")


async def test_pinjaman_offers_the_card_and_the_receipts(running, tester, world):
    await tester.command(world["b"], "pinjaman")
    detail = tester.last(world["b"])
    assert "🧾 NKT1-2026-000002" in detail.text and "NKT1-2026-000003 BATAL" in detail.text
    assert detail.button("Kartu angsuran") == f"card:{world['loan'].id}"
    assert detail.button("NKT1-2026-000001").startswith("rcpt:")


async def test_an_instalment_paid_in_many_parts_spans_pages(running, world):
    db, t = world["db"], await _treasurer(world)
    for n in range(45):  # 45 payments of Rp10.000 on instalment 3: one line each, the table goes on a page
        await svc.record_cash_payment(db, loan_id=world["loan"].id, recorded_by=t.id, kelurahan_code=t.kelurahan_code,
                                      amount=10_000, paid_on=date(2026, 11, 27), idempotency_key=f"many-{n}",
                                      now=clock.utcnow())
    card = await card_model.card(db, world["loan"].id, date(2026, 11, 28))
    reader = PdfReader(io.BytesIO(card_pdf(card, "id")))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) >= 2
    assert "NKT1-2026-000004" in text and "NKT1-2026-000048" in text and "Rp10.000" in text


async def _treasurer(world):
    return next(p for p in await people.with_role(world["db"], Role.TREASURER, "53.71.05.1004"))
