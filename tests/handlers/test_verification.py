"""Treasurer verification: announcements, Setujui, Tolak (preset and typed reasons), races, /verifikasi pages,
role refusals and kelurahan isolation."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest
from telegram.ext import CallbackContext

from bot.domain.roles import Role
from handlers.verification import announce_pending
from storage import audit, repayments
from tests.handlers.loan_fixtures import make_loan, report
from tests.harness import answers
from tests.jobs_fixtures import wita

OTHER_KEL = "53.71.01.1001"


@pytest.fixture
async def world(running, make_person):
    db = running.app.db
    borrower, b_user = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    t1, t1_user = await make_person(Role.TREASURER, name="Fransiska Manafe")
    t2, t2_user = await make_person(Role.TREASURER, name="Agus Lerik", language="en")
    other, other_user = await make_person(Role.TREASURER, name="Orang Lain", kelurahan=OTHER_KEL)
    loan = await make_loan(db, borrower)
    return {"db": db, "borrower": borrower, "b": b_user, "t1": t1, "t1u": t1_user, "t2": t2, "t2u": t2_user,
            "other": other, "otheru": other_user, "loan": loan}


async def _installments(db, loan_id):
    rows = await db.fetchall("SELECT number, principal_paid, fee_paid, paid_on FROM installments "
                             "WHERE loan_id = :l ORDER BY number", {"l": loan_id})
    return [(r["number"], r["principal_paid"], r["paid_on"]) for r in rows]


async def test_announce_reaches_each_treasurer_of_the_kelurahan_only(running, world):
    rep = await report(world["db"], world["loan"], world["borrower"], photo="receipt-1")
    running.request.clear()

    await announce_pending(CallbackContext(running.app), rep.id)
    await running.app.settle()  # notices go out off the update (issue 12)
    await running.app.settle()  # the sender delivers the notices off the caller (issue 12)

    photos = running.request.of("sendPhoto")
    assert sorted(c.chat_id for c in photos) == sorted([world["t1u"].chat_id, world["t2u"].chat_id])
    to_t1 = next(c for c in photos if c.chat_id == world["t1u"].chat_id)
    assert to_t1.params["photo"] == "receipt-1"
    assert "Yohanis Ndolu" in to_t1.text
    assert "Rp500.000" in to_t1.text
    assert "27 November 2026" in to_t1.text
    assert rep.reference in to_t1.text
    assert "Tunai" in to_t1.text
    assert to_t1.button("Setujui") == f"ver:ok:{rep.id}"
    assert to_t1.button("Tolak") == f"ver:no:{rep.id}"
    to_t2 = next(c for c in photos if c.chat_id == world["t2u"].chat_id)
    assert "Approve" in to_t2.button_texts[0]
    assert "waiting for verification" in to_t2.text
    assert not running.request.sent(world["otheru"].chat_id)


async def test_announce_without_photo_is_a_text_message(running, world):
    rep = await report(world["db"], world["loan"], world["borrower"])
    running.request.clear()
    await announce_pending(CallbackContext(running.app), rep.id)
    await running.app.settle()  # notices go out off the update (issue 12)
    await running.app.settle()  # the sender delivers the notices off the caller (issue 12)
    assert len(running.request.of("sendMessage")) == 2
    assert not running.request.of("sendPhoto")


async def test_approve_allocates_and_tells_borrower_the_balance(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])

    await tester.press(world["t1u"], f"ver:ok:{rep.id}")

    assert "sudah diverifikasi" in tester.last(world["t1u"]).text
    told = tester.last(world["b"]).text
    assert "Rp500.000" in told
    assert "sudah diverifikasi" in told
    assert "Sisa pinjaman: <b>Rp5.500.000</b>" in told
    assert "Angsuran berikutnya: <b>Rp500.000</b>, jatuh tempo 28 November 2026" in told
    stored = await repayments.get(db, rep.id)
    assert stored.status == "verified"
    assert stored.verified_by == world["t1"].id
    rows = await _installments(db, world["loan"].id)
    assert rows[0] == (1, 500_000, "2026-11-27")
    assert rows[1] == (2, 0, None)
    logged = await audit.recent(db, action="repayment.verified")
    assert len(logged) == 1
    assert logged[0].actor_person_id == world["t1"].id


async def test_two_treasurers_pressing_setujui_only_one_counts(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])

    await tester.press(world["t1u"], f"ver:ok:{rep.id}")
    await tester.press(world["t2u"], f"ver:ok:{rep.id}")

    second = tester.last(world["t2u"]).text
    assert "already" in second
    assert "approved" in second
    assert "Fransiska Manafe" in second
    assert len(await audit.recent(db, action="repayment.verified")) == 1
    assert (await _installments(db, world["loan"].id))[0][1] == 500_000
    borrower_msgs = [t for t in tester.texts(world["b"]) if "diverifikasi" in t]
    assert len(borrower_msgs) == 1


async def test_reject_with_preset_reason(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])

    await tester.press(world["t1u"], f"ver:no:{rep.id}")
    ask = tester.last(world["t1u"])
    assert "Mengapa" in ask.text
    await tester.press(world["t1u"], ask.button("Uang belum diterima"))

    stored = await repayments.get(db, rep.id)
    assert stored.status == "rejected"
    assert stored.reason == "Uang belum diterima"
    told = tester.last(world["b"])
    assert "ditolak" in told.text
    assert "Uang belum diterima" in told.text
    assert told.button("Lapor lagi") == f"payagain:{world['loan'].id}:{rep.id}"
    assert "ditolak" in tester.last(world["t1u"]).text
    assert (await _installments(db, world["loan"].id))[0][1] == 0
    assert len(await audit.recent(db, action="repayment.rejected")) == 1


async def test_reject_with_typed_reason_after_bad_inputs(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])
    await tester.press(world["t2u"], f"ver:no:{rep.id}")

    await tester.send(world["t2u"], "no")
    assert "3 to 200 characters" in tester.texts(world["t2u"])[-2]
    assert "Why is payment" in tester.last(world["t2u"]).text
    await tester.sticker(world["t2u"])
    assert "Why is payment" in tester.last(world["t2u"]).text
    await tester.send(world["t2u"], "Transfer dari rekening orang lain")

    stored = await repayments.get(db, rep.id)
    assert stored.status == "rejected"
    assert stored.reason == "Transfer dari rekening orang lain"
    told = tester.last(world["b"])
    assert "Transfer dari rekening orang lain" in told.text
    assert told.button("Lapor lagi")


async def test_reject_after_other_treasurer_approved_shows_who(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])
    await tester.press(world["t1u"], f"ver:no:{rep.id}")
    ask = tester.last(world["t1u"])
    await tester.press(world["t2u"], f"ver:ok:{rep.id}")

    await tester.press(world["t1u"], ask.button("Tanggal salah"))

    assert "sudah <b>disetujui</b> oleh <b>Agus Lerik</b>" in tester.last(world["t1u"]).text
    assert (await repayments.get(db, rep.id)).status == "verified"
    assert not await audit.recent(db, action="repayment.rejected")


async def test_verifikasi_lists_oldest_first_with_pages(running, tester, world, frozen_clock):
    db = world["db"]
    reps = []
    for i in range(7):
        reps.append(await report(db, world["loan"], world["borrower"], amount=100_000 + i * 1000))
        frozen_clock.advance(minutes=1)

    await tester.command(world["t1u"], "verifikasi")
    first = tester.last(world["t1u"])
    assert "7 pembayaran menunggu" in first.text
    assert "halaman 1 dari 2" in first.text
    assert first.text.index(reps[0].reference) < first.text.index(reps[4].reference)
    assert reps[5].reference not in first.text
    assert first.button(f"✅ {reps[0].reference}") == f"ver:ok:{reps[0].id}"
    assert first.button(f"❌ {reps[4].reference}") == f"ver:no:{reps[4].id}"

    await tester.press(world["t1u"], first.button("Berikutnya"))
    second = tester.last(world["t1u"])
    assert second.method == "editMessageText"
    assert "halaman 2 dari 2" in second.text
    assert reps[6].reference in second.text
    assert reps[0].reference not in second.text
    assert second.button("Sebelumnya") == "ver:page:0"

    await tester.press(world["t1u"], second.button(f"✅ {reps[6].reference}"))
    assert (await repayments.get(db, reps[6].id)).status == "verified"


async def test_verifikasi_empty(running, tester, world):
    await tester.command(world["t1u"], "verify")
    assert "Tidak ada pembayaran" in tester.last(world["t1u"]).text


async def test_borrower_cannot_verify_or_press_the_buttons(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])
    await tester.command(world["b"], "verifikasi")
    assert "tidak" in tester.last(world["b"]).text.lower()
    calls = await tester.press(world["b"], f"ver:ok:{rep.id}")
    assert answers(calls)
    assert (await repayments.get(db, rep.id)).status == "pending"
    calls = await tester.press(world["b"], f"ver:no:{rep.id}")
    assert answers(calls)
    assert (await repayments.get(db, rep.id)).status == "pending"


async def test_forged_ids_from_another_kelurahan_are_refused(running, tester, world, make_person):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])
    for data in (f"ver:ok:{rep.id}", f"ver:no:{rep.id}", "ver:ok:99999", "ver:ok:abc"):
        calls = await tester.press(world["otheru"], data)
        assert any("tidak ditemukan" in a for a in answers(calls)), data
    assert (await repayments.get(db, rep.id)).status == "pending"
    assert not running.request.sent(world["b"].chat_id)
    await tester.command(world["otheru"], "verifikasi")
    assert "Tidak ada pembayaran" in tester.last(world["otheru"]).text


async def test_treasurer_cannot_check_own_report(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["t1"])  # t1 reported on the borrower's behalf
    calls = await tester.press(world["t1u"], f"ver:ok:{rep.id}")
    assert any("Orang lain yang harus memeriksanya" in a for a in answers(calls))
    assert (await repayments.get(db, rep.id)).status == "pending"


async def test_reason_form_survives_restart(running, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])
    await running.tester.press(world["t1u"], f"ver:no:{rep.id}")
    await running.restart()
    await running.tester.send(world["t1u"], "Bukti transfer palsu")
    stored = await repayments.get(running.app.db, rep.id)
    assert stored.status == "rejected"
    assert stored.reason == "Bukti transfer palsu"


async def test_typing_a_presets_label_chooses_the_preset(running, tester, world):
    """The engine's rule: typing a button's label counts as tapping it (stored in Indonesian, shown to the
    borrower in theirs); the draft goes in reject_repayment's transaction."""
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])
    await tester.press(world["t2u"], f"ver:no:{rep.id}")
    assert await db.fetchval("SELECT count(*) FROM form_drafts") == 1
    await tester.send(world["t2u"], "wrong date")
    stored = await repayments.get(db, rep.id)
    assert (stored.status, stored.reason) == ("rejected", "Tanggal salah")
    assert "Tanggal salah" in tester.last(world["b"]).text
    assert await db.fetchval("SELECT count(*) FROM form_drafts") == 0


# --- issue 14, item 8: the words after a decision say what really happened to the borrower's notice ---------


async def test_approve_in_quiet_hours_says_the_borrower_was_told_silently(running, tester, world, frozen_clock):
    db = world["db"]
    frozen_clock.set(wita(2026, 11, 28, 23, 0))
    rep = await report(db, world["loan"], world["borrower"])

    await tester.press(world["t1u"], f"ver:ok:{rep.id}")

    said = tester.last(world["t1u"]).text
    assert "sudah diverifikasi" in said
    assert "diberi tahu sekarang, tanpa bunyi karena jam tenang" in said
    to_borrower = [c for c in running.request.sent(world["b"].chat_id) if "diverifikasi" in c.text]
    assert len(to_borrower) == 1 and to_borrower[0].params["disable_notification"] is True
    assert (await repayments.get(db, rep.id)).status == "verified"


async def test_reject_in_quiet_hours_says_so_in_english(running, tester, world, frozen_clock):
    db = world["db"]
    frozen_clock.set(wita(2026, 11, 29, 5, 30))
    rep = await report(db, world["loan"], world["borrower"])
    await tester.press(world["t2u"], f"ver:no:{rep.id}")
    await tester.press(world["t2u"], tester.last(world["t2u"]).button("not received"))

    said = tester.last(world["t2u"]).text
    assert "rejected" in said
    assert "told now, without sound because of quiet hours" in said
    assert tester.last(world["b"]).params["disable_notification"] is True
    assert (await repayments.get(db, rep.id)).status == "rejected"


async def test_approve_by_day_rings_and_says_plainly_told(running, tester, world, frozen_clock):
    frozen_clock.set(wita(2026, 11, 28, 10, 0))
    rep = await report(world["db"], world["loan"], world["borrower"])
    await tester.press(world["t1u"], f"ver:ok:{rep.id}")
    said = tester.last(world["t1u"]).text
    assert "Peminjam sudah diberi tahu." in said and "jam tenang" not in said
    assert tester.last(world["b"]).params["disable_notification"] is False


async def test_approve_for_an_unreachable_borrower_says_tell_them_yourself(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])
    await db.execute("UPDATE people SET reachable = 0 WHERE id = :p", {"p": world["borrower"].id})

    await tester.press(world["t1u"], f"ver:ok:{rep.id}")

    said = tester.last(world["t1u"]).text
    assert "tidak bisa diberi tahu lewat Telegram" in said
    assert "sudah diberi tahu" not in said
    assert not [c for c in running.request.sent(world["b"].chat_id) if "diverifikasi" in c.text]
    assert (await repayments.get(db, rep.id)).status == "verified"


# --- issue 14, item 11: a decided notice no longer asks for a decision -------------------------------------


async def _press_on(tester, user, notice, data: str):
    """Press ``data`` on the message the bot sent as ``notice`` (a photo with its caption, or a text), the way
    Telegram sends the callback: with that message, its buttons and all."""
    markup = notice.params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    message = {"message_id": 4242, "date": 1_764_000_000, "chat": {"id": user.chat_id, "type": "private"},
               "from": {"id": 7000000001, "is_bot": True, "first_name": "PEM Bot"}, "reply_markup": markup}
    if notice.method == "sendPhoto":
        message |= {"photo": [{"file_id": "receipt-1", "file_unique_id": "u", "width": 1, "height": 1}],
                    "caption": notice.text}
    else:
        message |= {"text": notice.text}
    query = {"id": "q-notice", "from": {"id": user.id, "is_bot": False, "first_name": "T", "language_code": "id"},
             "chat_instance": "ci", "data": data, "message": message}
    return await tester._process({"callback_query": query})


async def test_approving_from_a_photo_notice_edits_its_caption_to_the_decision(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"], photo="receipt-1")
    await announce_pending(CallbackContext(running.app), rep.id)
    await running.app.settle()  # notices go out off the update (issue 12)
    notice = next(c for c in running.request.of("sendPhoto") if c.chat_id == world["t1u"].chat_id)
    assert "tekan <b>Setujui</b> atau <b>Tolak</b>" in notice.text

    calls = await _press_on(tester, world["t1u"], notice, f"ver:ok:{rep.id}")

    [edit] = [c for c in calls if c.method == "editMessageCaption"]
    assert int(edit.params["message_id"]) == 4242
    assert "Setujui" not in edit.text and "Tolak" not in edit.text
    assert "✅" in edit.text and rep.reference in edit.text and "diverifikasi oleh Fransiska Manafe" in edit.text
    assert not edit.buttons
    assert (await repayments.get(db, rep.id)).status == "verified"


async def test_rejecting_from_a_text_notice_edits_it_to_the_decision_in_english(running, tester, world):
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])
    await announce_pending(CallbackContext(running.app), rep.id)
    await running.app.settle()  # notices go out off the update (issue 12)
    notice = next(c for c in running.request.of("sendMessage") if c.chat_id == world["t2u"].chat_id)

    await _press_on(tester, world["t2u"], notice, f"ver:no:{rep.id}")
    calls = await tester.press(world["t2u"], tester.last(world["t2u"]).button("not received"))

    [edit] = [c for c in calls if c.method == "editMessageText" and int(c.params["message_id"]) == 4242]
    assert "❌" in edit.text and "Rejected by Agus Lerik. Reason: Uang belum diterima" in edit.text
    assert "Approve" not in edit.text and not edit.buttons
    assert (await repayments.get(db, rep.id)).status == "rejected"


async def test_approving_from_the_verifikasi_list_only_drops_its_buttons(running, tester, world):
    rep = await report(world["db"], world["loan"], world["borrower"])
    await tester.command(world["t1u"], "verifikasi")
    page = tester.last(world["t1u"])
    calls = await _press_on(tester, world["t1u"], page, page.button(f"✅ {rep.reference}"))
    assert [c.method for c in calls if c.method.startswith("edit")] == ["editMessageReplyMarkup"]


# --- issue 14, item 14: "Lapor lagi" opens /bayar with the rejected report's amount and date ---------------


async def test_lapor_lagi_opens_bayar_prefilled_with_the_rejected_report(running, tester, world):
    db, b = world["db"], world["b"]
    rep = await report(db, world["loan"], world["borrower"], 450_000, paid_on=date(2026, 11, 25),
                       method="transfer")
    await tester.press(world["t1u"], f"ver:no:{rep.id}")
    await tester.press(world["t1u"], tester.last(world["t1u"]).button("Bukti tidak jelas"))

    await tester.press(b, tester.last(b).button("Lapor lagi"))
    assert "foto" in tester.last(b).text.lower()  # only the receipt is asked
    await tester.press(b, tester.last(b).button("Lewati"))
    summary = tester.last(b).text
    assert "Rp450.000" in summary and "25 November 2026" in summary and "Transfer" in summary
    await tester.press(b, tester.last(b).button("Konfirmasi"))

    rows = await db.fetchall("SELECT id, amount, paid_on, method, status FROM repayments ORDER BY id")
    assert [(r["amount"], r["paid_on"], r["method"], r["status"]) for r in rows] == [
        (450_000, "2026-11-25", "transfer", "rejected"), (450_000, "2026-11-25", "transfer", "pending")]


async def test_lapor_lagi_of_another_loans_report_opens_the_plain_form(running, tester, world, make_person):
    """A report id that is not this loan's rejected report (forged, or an old button) fills nothing in."""
    db, b = world["db"], world["b"]
    pending = await report(db, world["loan"], world["borrower"], 450_000, paid_on=date(2026, 11, 25))
    await tester.press(b, f"payagain:{world['loan'].id}:{pending.id}")
    # the question lists the report waiting (issue 14 item 1), but nothing is filled in: no summary yet
    assert "Konfirmasi" not in " ".join(tester.last(b).button_texts)
    assert "berapa" in tester.last(b).text.lower() or "jumlah" in tester.last(b).text.lower()
async def test_concurrent_two_treasurers_pressing_setujui_at_once_only_one_counts(running, tester, world):
    """The race above, both presses fed at once through the concurrent update processor (issue 12)."""
    tester.concurrent = True
    db = world["db"]
    rep = await report(db, world["loan"], world["borrower"])

    await asyncio.gather(tester.press(world["t1u"], f"ver:ok:{rep.id}"),
                         tester.press(world["t2u"], f"ver:ok:{rep.id}"))

    assert len(await audit.recent(db, action="repayment.verified")) == 1
    assert (await repayments.get(db, rep.id)).status == "verified"
    assert (await _installments(db, world["loan"].id))[0][1] == 500_000, "allocated once"
    assert len([t for t in tester.texts(world["b"]) if "diverifikasi" in t]) == 1, "the borrower is told once"
    told = tester.last(world["t1u"]).text + tester.last(world["t2u"]).text
    assert "already" in told or "sudah" in told, "the one who lost is told who decided"
