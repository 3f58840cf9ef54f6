"""Receipts in the bot (issue 15 part 1): the PDF to the borrower after Setujui and /catat_bayar, the treasurer's
line, the re-send button, the void notice after /batalkan_bayar, and /cek_kuitansi."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from bot.domain.roles import Role
from bot.services import repayments as svc
from storage import receipts
from tests.handlers.loan_fixtures import make_loan, report

OTHER_KEL = "53.71.01.1001"


def pdf_text(call) -> str:
    [(name, content)] = call.files.values()
    assert name.endswith(".pdf")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
async def world(running, make_person):
    db = running.app.db
    borrower, b_user = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    t1, t1_user = await make_person(Role.TREASURER, name="Fransiska Manafe")
    stranger, s_user = await make_person(Role.BORROWER, name="Orang Lain", kelurahan=OTHER_KEL)
    loan = await make_loan(db, borrower)
    return {"db": db, "borrower": borrower, "b": b_user, "t1": t1, "t1u": t1_user, "s": s_user,
            "stranger": stranger, "loan": loan}


async def test_setujui_sends_the_borrower_the_receipt_pdf(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])
    running.request.clear()

    await tester.press(world["t1u"], f"ver:ok:{rep.id}")

    [doc] = [c for c in running.request.of("sendDocument") if c.chat_id == world["b"].chat_id]
    assert "NKT1-2026-000001" in doc.text and "Rp500.000" in doc.text
    text = pdf_text(doc)
    for part in ("NKT1-2026-000001", "Yohanis Ndolu", "Rp500.000", "Lima ratus ribu rupiah", "Fransiska Manafe",
                 "Rp5.500.000", "28 Oktober 2026"):
        assert part in text, part
    receipt = await receipts.by_number(db, "NKT1-2026-000001")
    assert receipt.repayment_id == rep.id and receipt.file_id == "sent-doc"
    assert receipt.code in text
    [line] = [c for c in running.request.sent(world["t1u"].chat_id) if "Kuitansi" in c.text]
    assert "NKT1-2026-000001" in line.text and "sudah dikirim ke peminjam" in line.text
    assert line.button("NKT1-2026-000001") == f"rcpt:{receipt.id}"


async def test_the_receipt_button_resends_it_to_its_borrower_and_staff_only(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])
    await tester.press(world["t1u"], f"ver:ok:{rep.id}")
    receipt = await receipts.by_number(db, "NKT1-2026-000001")
    running.request.clear()

    await tester.press(world["b"], f"rcpt:{receipt.id}")
    [again] = running.request.of("sendDocument")
    assert again.params["document"] == "sent-doc"  # the stored file_id: not rendered again

    running.request.clear()
    calls = await tester.press(world["s"], f"rcpt:{receipt.id}")
    assert not running.request.of("sendDocument")
    assert any("tidak" in str(c.params.get("text", "")).lower() for c in calls)


async def test_catat_bayar_for_a_borrower_without_telegram_gives_the_treasurer_the_pdf(running, tester,
                                                                                        make_person, world):
    db = world["db"]
    offline, _ = await make_person(Role.BORROWER, name="Mama Ina", linked=False)
    await make_loan(db, offline)
    tu = world["t1u"]
    await tester.command(tu, "catat_bayar")
    await tester.send(tu, "Mama Ina")
    await tester.press(tu, tester.last(tu).button("Mama Ina"))
    await tester.send(tu, "500rb")
    await tester.press(tu, tester.last(tu).button("Hari ini"))
    await tester.press(tu, tester.last(tu).button("Lewati"))
    confirm = tester.last(tu).button("Konfirmasi")
    running.request.clear()
    await tester.press(tu, confirm)
    [doc] = running.request.of("sendDocument")
    assert doc.chat_id == tu.chat_id
    text = pdf_text(doc)
    assert "Mama Ina" in text and "Dicatat oleh bendahara" in text and "Fransiska Manafe" in text
    assert "28 November 2026" in text
    assert any("cetak dan serahkan" in c.text for c in running.request.sent(tu.chat_id))


async def test_a_reversal_voids_the_receipt_and_tells_the_borrower(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])
    await tester.press(world["t1u"], f"ver:ok:{rep.id}")
    tu = world["t1u"]
    await tester.command(tu, "batalkan_bayar")
    await tester.send(tu, "Yohanis")
    await tester.press(tu, tester.last(tu).button("Yohanis"))
    await tester.press(tu, tester.last(tu).button(rep.reference))
    await tester.send(tu, "transfer tidak masuk")
    confirm = tester.last(tu).button("Konfirmasi")
    running.request.clear()
    await tester.press(tu, confirm)

    told = [c.text for c in running.request.sent(world["b"].chat_id)]
    assert any("NKT1-2026-000001" in t and "BATAL" in t and "transfer tidak masuk" in t for t in told)
    assert any("NKT1-2026-000001" in c.text and "BATAL" in c.text for c in running.request.sent(tu.chat_id))
    receipt = await receipts.by_number(db, "NKT1-2026-000001")
    assert receipt.void and receipt.file_id is None
    # the PDF sent from now on is the void one
    running.request.clear()
    await tester.press(world["b"], f"rcpt:{receipt.id}")
    [doc] = running.request.of("sendDocument")
    assert "BATAL" in doc.text and "BATAL" in pdf_text(doc)


async def test_cek_kuitansi(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])
    await tester.press(world["t1u"], f"ver:ok:{rep.id}")
    receipt = await receipts.by_number(db, "NKT1-2026-000001")
    s = world["s"]  # any registered user, even of another kelurahan, may check a receipt they hold

    await tester.command(s, "cek_kuitansi", receipt.number, receipt.code)
    assert "asli dan berlaku" in tester.last(s).text and "Rp500.000" in tester.last(s).text
    assert tester.last(s).buttons == []  # not theirs: no PDF
    await tester.command(world["b"], "cek_kuitansi", receipt.number, receipt.code)
    assert tester.last(world["b"]).button(receipt.number) == f"rcpt:{receipt.id}"  # their own: the PDF again
    await tester.command(s, "cek_kuitansi", receipt.number.lower(), *receipt.code.split("-"))
    assert "asli dan berlaku" in tester.last(s).text
    await tester.command(s, "cek_kuitansi", receipt.number, "ZZZZ-ZZZZ")
    assert "tidak sah" in tester.last(s).text and "Rp500.000" not in tester.last(s).text
    await tester.command(s, "cek_kuitansi", "NKT1-2026-000002", receipt.code)
    assert "tidak sah" in tester.last(s).text
    await tester.command(s, "cek_kuitansi")
    assert "/cek_kuitansi NKT1-2026-000123" in tester.last(s).text
    await tester.command(s, "cek_kuitansi", "halo", "ABCD")
    assert "bukan nomor kuitansi" in tester.last(s).text

    await svc.reverse_repayment(db, rep.id, by=world["t1"].id, kelurahan_code=world["t1"].kelurahan_code,
                                reason="salah catat", now=running.app.now())
    await tester.command(s, "check_receipt", receipt.number, receipt.code)
    assert "BATAL" in tester.last(s).text and "salah catat" in tester.last(s).text
