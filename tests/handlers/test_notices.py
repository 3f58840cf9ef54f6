"""Notices to other people (treasurers, borrowers) go through the outbox: a failed one never turns a saved
decision into "nothing was saved", in quiet hours they go out at once but silently, and two senders never send one
message twice."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from telegram.ext import CallbackContext

from bot.domain.roles import Role
from bot.runtime import clock
from bot.runtime.sender import send_due
from handlers.verification import announce_pending
from storage import outbox, repayments
from storage.db import Database
from tests.conftest import TEST_KEY
from tests.handlers.loan_fixtures import make_loan, report
from tests.harness import RecordingRequest
from tests.jobs_fixtures import add_person, recording_bot, wita


@pytest.fixture
async def world(running, make_person):
    db = running.app.db
    borrower, b_user = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    treasurer, t_user = await make_person(Role.TREASURER, name="Fransiska Manafe")
    loan = await make_loan(db, borrower)
    return {"db": db, "borrower": borrower, "b": b_user, "t": treasurer, "tu": t_user, "loan": loan}


async def test_a_failed_notice_after_a_saved_decision_is_retried_not_reported_as_lost(running, tester, world):
    db, b, tu = world["db"], world["b"], world["tu"]
    rep = await report(db, world["loan"], world["borrower"])
    running.request.fail("sendMessage", "network", chat_id=b.chat_id)

    await tester.press(tu, f"ver:ok:{rep.id}")

    assert not any("terjadi kesalahan" in t for t in tester.texts(tu)), "the treasurer was told nothing was saved"
    assert (await repayments.get(db, rep.id)).status == "verified"
    [notice] = await outbox.for_recipient(db, world["borrower"].id)
    assert (notice.kind, notice.status, notice.attempts) == ("notice", outbox.Status.QUEUED, 1)
    assert not any("diverifikasi" in t for t in tester.texts(b))

    later = clock.utcnow() + timedelta(minutes=1)  # the minute tick after the 30 s backoff
    report_ = await send_due(db, running.app.bot, running.app.settings, later)
    assert report_.sent == 1
    assert "sudah diverifikasi" in tester.last(b).text
    assert (await outbox.get(db, notice.id)).status == outbox.Status.SENT


async def test_in_quiet_hours_a_notice_goes_out_at_once_but_silently(running, world, frozen_clock):
    """A borrower reports at 23:00 WITA (often with the treasurer in front of them): the treasurer is told now,
    without sound; nothing waits for 07:00."""
    db, tu = world["db"], world["tu"]
    frozen_clock.set(wita(2026, 11, 28, 23, 0))
    rep = await report(db, world["loan"], world["borrower"])
    running.request.clear()

    await announce_pending(CallbackContext(running.app), rep.id)
    await running.app.settle()  # the sender delivers the notices off the caller (issue 12)

    [call] = running.request.sent(tu.chat_id)
    assert "Rp500.000" in call.text and call.button("Setujui") == f"ver:ok:{rep.id}"
    assert call.params["disable_notification"] is True
    [notice] = await outbox.for_recipient(db, world["t"].id)
    assert notice.status == outbox.Status.SENT


async def test_outside_quiet_hours_a_notice_rings(running, world, frozen_clock):
    db, tu = world["db"], world["tu"]
    frozen_clock.set(wita(2026, 11, 28, 19, 59))
    rep = await report(db, world["loan"], world["borrower"])
    running.request.clear()

    await announce_pending(CallbackContext(running.app), rep.id)
    await running.app.settle()  # the sender delivers the notices off the caller (issue 12)

    [call] = running.request.sent(tu.chat_id)
    assert call.params["disable_notification"] is False


async def _race_two_senders(db_path, db, settings, queued_for: datetime, first_at: datetime,
                            second_at: datetime) -> list:
    """Five queued messages, then two senders on two connections at once; returns every sendMessage call."""
    for i in range(5):
        person = await add_person(db, f"Penerima {i}")
        await outbox.enqueue(db, kind="note", recipient_id=person.id, dedupe_key=f"k{i}",
                             template="common/cancelled", context={}, not_before=queued_for)
    other = await Database(db_path, data_key=TEST_KEY).open()
    first, second = RecordingRequest(delay=0.01), RecordingRequest(delay=0.01)
    bot1, bot2 = await recording_bot(first), await recording_bot(second)
    try:
        await asyncio.gather(send_due(db, bot1, settings, first_at), send_due(other, bot2, settings, second_at))
    finally:
        await bot1.shutdown()
        await bot2.shutdown()
        await other.close()
    return first.of("sendMessage") + second.of("sendMessage")


@pytest.mark.usefixtures("no_pacing", "frozen_clock")
async def test_two_senders_at_once_send_each_message_once(db_path, db, settings):
    now = wita(2026, 11, 28, 10, 0)
    sent = await _race_two_senders(db_path, db, settings, now, now, now)
    assert len(sent) == 5 and len({c.chat_id for c in sent}) == 5
    assert (await outbox.counts(db)).get("sent") == 5


@pytest.mark.usefixtures("no_pacing")
async def test_a_tick_at_a_past_instant_next_to_the_bot_sends_each_message_once(db_path, db, settings, frozen_clock):
    """`pem-bot tick --at 07:00` typed at 09:30 while the bot's own tick runs: no message goes out twice."""
    morning, real_now = wita(2026, 11, 28, 7, 0), wita(2026, 11, 28, 9, 30)
    frozen_clock.set(real_now)
    sent = await _race_two_senders(db_path, db, settings, morning, morning, real_now)
    assert len(sent) == 5


async def test_a_notice_hit_by_flood_control_does_not_hold_up_the_handler(running, tester, world):
    db, b, tu = world["db"], world["b"], world["tu"]
    rep = await report(db, world["loan"], world["borrower"])
    running.request.fail("sendMessage", "429", retry_after=30, chat_id=b.chat_id)

    await asyncio.wait_for(tester.press(tu, f"ver:ok:{rep.id}"), timeout=5)  # no 30 s sleep inside the handler

    [notice] = await outbox.for_recipient(db, world["borrower"].id)
    assert notice.status == outbox.Status.QUEUED
    assert notice.not_before >= clock.utcnow() + timedelta(seconds=30)


async def test_the_treasurers_notice_is_stored_with_the_report_and_sent_even_after_a_crash(
        running, tester, world, monkeypatch):
    """/bayar queues the treasurer's notice in the report's own transaction. If the bot stops right after the
    commit, before sending it, the minute tick sends it once the claim's lease has run out."""
    import handlers.repayment as repayment_module

    db, b, tu = world["db"], world["b"], world["tu"]

    async def stopped_before_sending(context, queued):
        assert [q.notice.person.id for q in queued] == [world["t"].id]

    monkeypatch.setattr(repayment_module, "deliver_notices", stopped_before_sending)
    await tester.command(b, "bayar")
    for step in ("Angsuran ke-", "Lewati", "Konfirmasi"):
        await tester.press(b, tester.last(b).button(step))
    assert "menunggu verifikasi" in tester.last(b).text
    assert running.request.sent(tu.chat_id) == []
    [rep_id] = [r["id"] for r in await db.fetchall("SELECT id FROM repayments")]
    [notice] = await outbox.for_recipient(db, world["t"].id)
    assert (notice.kind, notice.status) == ("notice", outbox.Status.QUEUED)

    assert (await send_due(db, running.app.bot, running.app.settings, clock.utcnow())).sent == 0  # still claimed
    later = clock.utcnow() + outbox.CLAIM_LEASE
    assert (await send_due(db, running.app.bot, running.app.settings, later)).sent == 1
    assert ("✅ Setujui", f"ver:ok:{rep_id}") in tester.last(tu).buttons[0]
    assert (await repayments.get(db, rep_id)).status == "pending"


async def test_no_report_no_notice(running, tester, world, monkeypatch):
    """The report and its notices commit together: a failure after a notice was queued (here, while queueing
    it) leaves neither the repayment nor the notice behind."""
    import handlers.common as common_module

    db, b = world["db"], world["b"]
    original = common_module.store_notice

    async def queue_then_fail(q, settings, notice, *, now):
        await original(q, settings, notice, now=now)
        assert await q.fetchval("SELECT count(*) FROM outbox") == 1  # queued inside the transaction
        raise RuntimeError("disk full")

    monkeypatch.setattr(common_module, "store_notice", queue_then_fail)
    await tester.command(b, "bayar")
    for step in ("Angsuran ke-", "Lewati", "Konfirmasi"):
        await tester.press(b, tester.last(b).button(step))
    assert "terjadi kesalahan" in tester.last(b).text
    assert await db.fetchval("SELECT count(*) FROM outbox") == 0
    assert await db.fetchval("SELECT count(*) FROM repayments") == 0
