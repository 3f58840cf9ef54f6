"""What "never sent twice" does not cover, pinned (README "Never sent twice", docs/delivery.md): an answer lost
on the way back. Telegram accepted the message, the connection dropped before its answer arrived; the sender
can't tell that from a message that never arrived, so it retries and the person gets it twice."""

from __future__ import annotations

from datetime import timedelta

from telegram.error import NetworkError

from bot.runtime import clock
from bot.runtime.sender import ChatPacer, send_due
from storage import outbox
from tests.harness import RecordingRequest
from tests.jobs_fixtures import add_person, recording_bot


class _AnswerLost(RecordingRequest):
    """Delivers the first sendMessage (recorded as delivered), then loses its answer."""

    lost = 0

    async def do_request(self, url, method, request_data=None, **kwargs):
        result = await super().do_request(url, method, request_data, **kwargs)
        if url.endswith("/sendMessage") and not self.lost:
            self.lost += 1
            raise NetworkError("connection reset after delivery")
        return result


async def test_an_answer_lost_after_delivery_repeats_that_message_once(db, settings, frozen_clock):
    person = await add_person(db)
    await outbox.enqueue(db, kind="note", recipient_id=person.id, dedupe_key="k", template="common/cancelled",
                         context={}, not_before=clock.utcnow())
    request = _AnswerLost()
    bot = await recording_bot(request)
    try:
        first = await send_due(db, bot, settings, clock.utcnow(), pacer=ChatPacer(0))
        assert (first.sent, first.retried) == (0, 1)  # looks like a network error: kept queued
        frozen_clock.advance(minutes=1)
        second = await send_due(db, bot, settings, clock.utcnow() + timedelta(seconds=1), pacer=ChatPacer(0))
        assert second.sent == 1
    finally:
        await bot.shutdown()
    assert len(request.sent(person.telegram_chat_id)) == 2  # delivered twice: the documented limit
    assert (await outbox.by_key(db, "k")).status == outbox.Status.SENT
