"""The sender against the recording Bot API: what reaches Telegram, and what the outbox says afterwards."""

from __future__ import annotations

import time as _time
from datetime import timedelta
from pathlib import Path

import pytest
from telegram.ext import ExtBot

from bot.domain.roles import Role
from bot.runtime.config import Settings
from bot.runtime.sender import ChatPacer, SendReport, backoff, send_due
from storage import audit, outbox, people
from storage.db import Database
from storage.outbox import Status
from tests.conftest import make_settings
from tests.jobs_fixtures import add_person, wita

NOW = wita(2026, 12, 5, 8, 0)
NO_PACING = ChatPacer(0)


@pytest.fixture(autouse=True)
def _clock_at_now(frozen_clock):
    """Every test here runs at ``NOW``: the sender counts leases and retry times from the clock too."""
    frozen_clock.set(NOW)
    return frozen_clock


async def queue(db: Database, person_id: int, key: str, *, template: str = "invites/ask_phone",
                context: dict | None = None, **kw) -> int:
    assert await outbox.enqueue(db, kind=kw.pop("kind", "reminder"), recipient_id=person_id, dedupe_key=key,
                                template=template, context={"name": "Maria"} if context is None else context,
                                not_before=kw.pop("not_before", NOW), **kw)
    msg = await outbox.by_key(db, key)
    assert msg is not None
    return msg.id


async def send(db: Database, bot: ExtBot, settings: Settings, now=NOW) -> SendReport:
    return await send_due(db, bot, settings, now, pacer=NO_PACING)


async def test_sends_in_the_recipients_current_language_with_buttons_and_marks_sent(
        db, bot, rec, settings, frozen_clock):
    person = await add_person(db, language="id")
    mid = await queue(db, person.id, "k1", buttons=[[("yes", "x:yes"), ("no", "x:no")]])
    await people.set_language(db, person.id, "en")  # changed after the message was queued
    report = await send(db, bot, settings)
    assert report == SendReport(sent=1)
    [call] = rec.sent()
    assert call.method == "sendMessage"
    assert call.chat_id == person.telegram_chat_id
    assert "Maria's mobile number?" in call.text
    assert call.params["parse_mode"] == "HTML"
    assert call.buttons == [[("Yes", "x:yes"), ("No", "x:no")]]
    msg = await outbox.get(db, mid)
    assert (msg.status, msg.attempts, msg.sent_at) == (Status.SENT, 1, frozen_clock.now)
    assert await send(db, bot, settings) == SendReport()  # nothing left
    assert len(rec.sent()) == 1


async def test_photo_goes_out_with_the_text_as_caption(db, bot, rec, settings, frozen_clock):
    person = await add_person(db)
    await queue(db, person.id, "chart", photo=b"\x89PNG\r\n\x1a\nfake")
    assert (await send(db, bot, settings)).sent == 1
    [call] = rec.sent()
    assert call.method == "sendPhoto"
    assert "Nomor HP Maria?" in call.text


async def test_recipients_who_cannot_be_reached_are_cancelled_not_sent(db, bot, rec, settings):
    unlinked = await add_person(db, "Unlinked", linked=False)
    inactive = await add_person(db, "Inactive")
    await db.execute("UPDATE people SET active = 0 WHERE id = :id", {"id": inactive.id})
    blocked = await add_person(db, "Blocked")
    await people.set_reachable(db, blocked.id, False)
    ids = [await queue(db, p.id, f"k{p.id}") for p in (unlinked, inactive, blocked)]
    assert await send(db, bot, settings) == SendReport(cancelled=3)
    assert rec.sent() == []
    assert [(m.status, m.last_error) for m in [await outbox.get(db, i) for i in ids]] == [
        (Status.CANCELLED, "not_linked"), (Status.CANCELLED, "inactive"), (Status.CANCELLED, "unreachable")]


async def test_flood_control_429_then_success_sends_once(db, bot, rec, settings, frozen_clock):
    person = await add_person(db)
    mid = await queue(db, person.id, "k")
    rec.fail("sendMessage", "429", retry_after=1)
    started = _time.monotonic()
    report = await send(db, bot, settings)
    assert _time.monotonic() - started >= 0.9  # waited as told
    assert report == SendReport(sent=1, retried=1)
    assert [c.method for c in rec.calls] == ["sendMessage!429", "sendMessage"]
    msg = await outbox.get(db, mid)
    assert (msg.status, msg.attempts, msg.last_error) == (Status.SENT, 1, None)


async def test_long_flood_wait_postpones_without_failing(db, bot, rec, settings):
    person = await add_person(db)
    first = await queue(db, person.id, "a")
    second = await queue(db, person.id, "b")
    rec.fail("sendMessage", "429", retry_after=300)
    assert await send(db, bot, settings) == SendReport(retried=1)  # the run stops: flood control is bot-wide
    msg = await outbox.get(db, first)
    assert (msg.status, msg.attempts, msg.not_before) == (Status.QUEUED, 0, NOW + timedelta(seconds=300))
    assert (await outbox.get(db, second)).status == Status.QUEUED
    assert rec.sent() == []


async def test_network_errors_back_off_then_fail_when_attempts_run_out(db, bot, rec, db_path: Path):
    settings = make_settings(db_path, PEM_SEND_MAX_ATTEMPTS="3")
    person = await add_person(db)
    mid = await queue(db, person.id, "k")
    rec.fail("sendMessage", "network", times=10)

    assert await send(db, bot, settings) == SendReport(retried=1)
    msg = await outbox.get(db, mid)
    assert (msg.status, msg.attempts, msg.not_before) == (Status.QUEUED, 1, NOW + timedelta(seconds=30))
    assert msg.last_error == "NetworkError: simulated network failure"
    assert await send(db, bot, settings, NOW + timedelta(seconds=29)) == SendReport()  # not yet

    later = NOW + timedelta(seconds=30)
    assert await send(db, bot, settings, later) == SendReport(retried=1)
    msg = await outbox.get(db, mid)
    assert (msg.attempts, msg.not_before) == (2, later + timedelta(seconds=60))

    assert await send(db, bot, settings, later + timedelta(seconds=60)) == SendReport(failed=1)
    msg = await outbox.get(db, mid)
    assert (msg.status, msg.attempts) == (Status.FAILED, 3)
    assert msg.last_error == "NetworkError: simulated network failure"
    assert rec.sent() == []
    assert [c.method for c in rec.calls] == ["sendMessage!network"] * 3
    assert await send(db, bot, settings, NOW + timedelta(days=1)) == SendReport()


async def test_network_error_then_success(db, bot, rec, settings, frozen_clock):
    person = await add_person(db)
    mid = await queue(db, person.id, "k")
    rec.fail("sendMessage", "network", times=1)
    await send(db, bot, settings)
    assert (await send(db, bot, settings, NOW + timedelta(minutes=1))).sent == 1
    msg = await outbox.get(db, mid)
    assert (msg.status, msg.attempts, msg.last_error) == (Status.SENT, 2, None)
    assert len(rec.sent()) == 1


def test_backoff_doubles_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20) == timedelta(hours=1)


async def test_three_network_errors_in_a_row_end_the_run(db, bot, rec, settings):
    person = await add_person(db)
    ids = [await queue(db, person.id, f"k{i}") for i in range(5)]
    rec.fail("sendMessage", "network", times=5)
    assert await send(db, bot, settings) == SendReport(retried=3)
    assert [(await outbox.get(db, i)).attempts for i in ids] == [1, 1, 1, 0, 0]


async def test_blocked_user_is_marked_unreachable_and_their_queue_cancelled(db, bot, rec, settings, frozen_clock):
    blocker = await add_person(db, "Blocker", roles=(Role.BORROWER,))
    other = await add_person(db, "Other")
    first = await queue(db, blocker.id, "b1")
    await queue(db, other.id, "o1")
    await queue(db, blocker.id, "b2")
    await queue(db, blocker.id, "b3", not_before=NOW + timedelta(days=3))  # future ones too
    rec.fail("sendMessage", "403")
    report = await send(db, bot, settings)
    assert report == SendReport(sent=1, failed=1, cancelled=2)
    assert [c.chat_id for c in rec.sent()] == [other.telegram_chat_id]
    assert not (await people.get(db, blocker.id)).reachable
    msg = await outbox.get(db, first)
    assert msg.status == Status.FAILED
    assert msg.last_error.startswith("Forbidden")
    assert {m.status for m in await outbox.for_recipient(db, blocker.id)} == {Status.FAILED, Status.CANCELLED}
    [entry] = await audit.recent(db, action="person.unreachable")
    assert entry.entity_id == blocker.id
    assert entry.details["cancelled"] == 2
    # later messages to them are cancelled at once, never sent
    await queue(db, blocker.id, "b4")
    assert await send(db, bot, settings) == SendReport(cancelled=1)
    assert len(rec.sent()) == 1


async def test_bad_request_fails_and_is_not_retried(db, bot, rec, settings):
    person = await add_person(db)
    mid = await queue(db, person.id, "k")
    rec.fail("sendMessage", "400")
    assert await send(db, bot, settings) == SendReport(failed=1)
    msg = await outbox.get(db, mid)
    assert (msg.status, msg.attempts) == (Status.FAILED, 1)
    assert msg.last_error == "BadRequest: Simulated"
    assert await send(db, bot, settings, NOW + timedelta(hours=1)) == SendReport()
    assert [c.method for c in rec.calls] == ["sendMessage!400"]


async def test_a_template_that_fails_to_render_fails_alone(db, bot, rec, settings, frozen_clock):
    person = await add_person(db)
    broken = await queue(db, person.id, "broken", context={})  # ask_phone needs {{ name }}
    await queue(db, person.id, "fine")
    assert await send(db, bot, settings) == SendReport(sent=1, failed=1)
    msg = await outbox.get(db, broken)
    assert msg.status == Status.FAILED
    assert msg.last_error.startswith("render: UndefinedError")


async def test_quiet_hours_defer_to_the_next_morning(db, bot, rec, settings, frozen_clock):
    person = await add_person(db)
    mid = await queue(db, person.id, "k", not_before=wita(2026, 12, 5, 19, 0))
    evening = wita(2026, 12, 5, 21, 30)
    assert await send(db, bot, settings, evening) == SendReport(deferred=1)
    assert rec.sent() == []
    msg = await outbox.get(db, mid)
    assert (msg.status, msg.attempts, msg.not_before) == (Status.QUEUED, 0, wita(2026, 12, 6, 7, 0))
    assert await send(db, bot, settings, wita(2026, 12, 6, 6, 59)) == SendReport()
    assert await send(db, bot, settings, wita(2026, 12, 6, 7, 0)) == SendReport(sent=1)
    assert len(rec.sent()) == 1


async def test_quiet_hours_can_be_switched_off(db, bot, rec, db_path: Path, frozen_clock):
    settings = make_settings(db_path, PEM_QUIET_HOURS="off")
    person = await add_person(db)
    await queue(db, person.id, "k")
    assert await send(db, bot, settings, wita(2026, 12, 5, 23, 0)) == SendReport(sent=1)


async def test_one_message_per_second_per_chat(db, bot, rec, settings, frozen_clock):
    a = await add_person(db, "A")
    b = await add_person(db, "B")
    for i in range(2):
        await queue(db, a.id, f"a{i}")
    await queue(db, b.id, "b0")
    started = _time.monotonic()
    report = await send_due(db, bot, settings, NOW, pacer=ChatPacer(0.3))
    elapsed = _time.monotonic() - started
    assert report.sent == 3
    assert 0.3 <= elapsed < 1.0  # the second message to A waited; B did not add a wait


async def test_a_busy_chat_does_not_hold_up_the_others(db, bot, rec, settings, frozen_clock):
    a = await add_person(db, "A")
    b = await add_person(db, "B")
    c = await add_person(db, "C")
    for i in range(3):
        await queue(db, a.id, f"a{i}")
    await queue(db, b.id, "b0")
    await queue(db, c.id, "c0")
    started = _time.monotonic()
    report = await send_due(db, bot, settings, NOW, pacer=ChatPacer(0.3))
    elapsed = _time.monotonic() - started
    assert report.sent == 5
    order = [call.chat_id for call in rec.of("sendMessage")]
    assert order == [a.telegram_chat_id, b.telegram_chat_id, c.telegram_chat_id, a.telegram_chat_id,
                     a.telegram_chat_id]  # B and C went out while A had to wait
    assert 0.6 <= elapsed < 1.2  # only A's own spacing: two waits of 0.3 s


# --- send_notice: a handler's notice, queued already claimed and sent at once ------------------------------------
async def _notice(db, bot, settings, person, key="notice:t1", text="Ada setoran <b>baru</b>", **kw) -> str:
    from bot.runtime.sender import Notice, send_notice

    return await send_notice(db, bot, settings, Notice(person, key, text, **kw))


async def test_a_notice_is_sent_at_once_with_its_buttons_and_kept_without_its_text(db, bot, rec, settings,
                                                                                   frozen_clock):
    person = await add_person(db, language="en")
    outcome = await _notice(db, bot, settings, person, buttons=[[("=Setujui", "ver:ok:1")]])
    assert outcome == "sent"
    [call] = rec.sent()
    assert (call.chat_id, call.text, call.params["parse_mode"]) == (person.telegram_chat_id,
                                                                   "Ada setoran <b>baru</b>", "HTML")
    assert call.buttons == [[("Setujui", "ver:ok:1")]]
    msg = await outbox.by_key(db, "notice:t1")
    assert (msg.kind, msg.status, msg.attempts, msg.sent_at) == ("notice", Status.SENT, 1, frozen_clock.now)
    assert msg.context == {}  # the rendered text (names, amounts) is not kept once sent
    assert await send(db, bot, settings, frozen_clock.now + timedelta(hours=1)) == SendReport()


async def test_a_notice_is_claimed_before_it_is_sent(db, bot, rec, settings, frozen_clock, monkeypatch):
    """The minute tick running while the notice is on its way finds nothing to send."""
    import bot.runtime.sender as sender_module

    person = await add_person(db)
    seen = []
    original = sender_module._attempt

    async def attempt_with_a_tick_in_between(*args, **kwargs):
        seen.append(await send(db, bot, settings, frozen_clock.now))
        return await original(*args, **kwargs)

    monkeypatch.setattr(sender_module, "_attempt", attempt_with_a_tick_in_between)
    assert await _notice(db, bot, settings, person) == "sent"
    assert seen == [SendReport()]
    assert len(rec.sent()) == 1


async def test_a_notice_whose_sender_died_is_sent_by_the_tick_after_the_lease(db, bot, rec, settings, frozen_clock,
                                                                               monkeypatch):
    import bot.runtime.sender as sender_module

    person = await add_person(db)

    async def dies(*args, **kwargs):
        raise KeyboardInterrupt  # the process stops between queueing and sending

    monkeypatch.setattr(sender_module, "_attempt", dies)
    with pytest.raises(KeyboardInterrupt):
        await _notice(db, bot, settings, person)
    monkeypatch.undo()
    assert await send(db, bot, settings, frozen_clock.now + timedelta(minutes=9)) == SendReport()
    assert await send(db, bot, settings, frozen_clock.now + outbox.CLAIM_LEASE) == SendReport(sent=1)
    [call] = rec.sent()
    assert call.text == "Ada setoran <b>baru</b>"


async def test_a_notice_in_quiet_hours_goes_out_at_once_silently(db, bot, rec, settings, frozen_clock):
    person = await add_person(db)
    frozen_clock.now = wita(2026, 12, 5, 22, 0)
    assert await _notice(db, bot, settings, person) == "sent"
    [call] = rec.sent()
    assert call.text == "Ada setoran <b>baru</b>"
    assert call.params["disable_notification"] is True
    assert (await outbox.by_key(db, "notice:t1")).status == Status.SENT


async def test_a_notice_outside_quiet_hours_rings(db, bot, rec, settings, frozen_clock):
    person = await add_person(db)
    frozen_clock.now = wita(2026, 12, 5, 7, 0)  # the window is half-open: 07:00 is no longer quiet
    assert await _notice(db, bot, settings, person) == "sent"
    [call] = rec.sent()
    assert call.params["disable_notification"] is False


async def test_in_quiet_hours_the_tick_sends_notices_silently_and_holds_scheduled_messages(
        db, bot, rec, settings, frozen_clock):
    """A notice left queued (a network retry, a sender that died) still goes out in quiet hours, silently; a
    reminder due at 21:00 waits until 07:00 and then rings."""
    borrower = await add_person(db, "Borrower")
    treasurer = await add_person(db, "Treasurer")
    evening = wita(2026, 12, 5, 21, 0)
    frozen_clock.now = evening
    reminder = await queue(db, borrower.id, "rem:1:0", kind="reminder", not_before=evening)
    assert await outbox.enqueue_notice(db, recipient_id=treasurer.id, dedupe_key="notice:left", text="Ada setoran",
                                       buttons=None, photo_file_id=None, not_before=evening)
    assert await send(db, bot, settings, evening) == SendReport(sent=1, deferred=1)
    [call] = rec.sent()
    assert (call.chat_id, call.text, call.params["disable_notification"]) == (
        treasurer.telegram_chat_id, "Ada setoran", True)
    assert (await outbox.get(db, reminder)).not_before == wita(2026, 12, 6, 7, 0)

    rec.clear()
    morning = wita(2026, 12, 6, 7, 0)
    frozen_clock.now = morning
    assert await send(db, bot, settings, morning) == SendReport(sent=1)
    [call] = rec.sent()
    assert (call.chat_id, call.params["disable_notification"]) == (borrower.telegram_chat_id, False)


async def test_a_notice_key_queued_before_is_not_queued_twice(db, bot, rec, settings, frozen_clock):
    person = await add_person(db)
    assert await _notice(db, bot, settings, person, key="notice:same") == "sent"
    assert await _notice(db, bot, settings, person, key="notice:same", text="lagi") == "taken"
    assert [c.text for c in rec.sent()] == ["Ada setoran <b>baru</b>"]
    assert (await outbox.counts(db)) == {"sent": 1}


async def test_a_notice_to_someone_who_blocked_the_bot_marks_them_unreachable(db, bot, rec, settings, frozen_clock):
    person = await add_person(db)
    rec.fail("sendMessage", "403", chat_id=person.telegram_chat_id)
    assert await _notice(db, bot, settings, person) == "forbidden"
    assert (await people.get(db, person.id)).reachable is False
    assert (await outbox.by_key(db, "notice:t1")).status == Status.FAILED


async def test_a_notice_cancelled_or_erased_before_delivery_is_not_sent(db, bot, rec, settings, frozen_clock):
    """Between queueing (in the report's transaction) and delivery, another update may cancel the recipient's
    queue or an erasure may scrub it: the notice then stays unsent, and its status is not rewritten."""
    from bot.runtime.sender import Notice, deliver_notice, queue_notice

    person = await add_person(db)
    for key, undo in (("notice:a", lambda m: outbox.cancel(db, [m.id], "unreachable")),
                      ("notice:b", lambda m: outbox.scrub(db, keys=["notice:b"]))):
        queued = await queue_notice(db, settings, Notice(person, key, "Ada setoran"), now=frozen_clock())
        await undo(queued.message)
        assert await deliver_notice(db, bot, settings, queued) == "taken"
        assert (await outbox.by_key(db, key)).status == Status.CANCELLED
    assert rec.sent() == []


async def test_marking_never_revives_a_cancelled_message(db, settings, frozen_clock):
    person = await add_person(db)
    mid = await queue(db, person.id, "k")
    await outbox.cancel(db, [mid], "erased")
    await outbox.mark_sent(db, mid, frozen_clock.now)
    await outbox.mark_failed(db, mid, "late")
    msg = await outbox.get(db, mid)
    assert (msg.status, msg.last_error, msg.attempts) == (Status.CANCELLED, "erased", 0)


async def test_a_tick_for_a_past_morning_typed_at_night_still_waits_for_the_end_of_quiet_hours(
        db, bot, rec, settings, frozen_clock):
    """`pem-bot tick --at 07:00` typed at 21:30: the digest it queues must not ring phones at night (review of
    issue 10). Quiet hours follow the real clock as well as the tick's instant."""
    person = await add_person(db)
    morning = wita(2026, 12, 5, 7, 0)
    await queue(db, person.id, "digest:1", kind="digest", not_before=morning)
    frozen_clock.set(wita(2026, 12, 5, 21, 30))
    assert await send(db, bot, settings, morning) == SendReport(deferred=1)
    assert rec.sent() == []
    assert (await outbox.by_key(db, "digest:1")).not_before == wita(2026, 12, 6, 7, 0)


async def test_a_text_over_4096_characters_goes_as_several_messages_buttons_on_the_last(db, bot, rec, settings):
    """Issue 14, item 3: Telegram rejects a message over 4,096 characters; the sender splits it."""
    person = await add_person(db)
    await queue(db, person.id, "long", context={"name": "Maria " * 1_200}, buttons=[[("yes", "x:yes")]])
    assert (await send(db, bot, settings)).sent == 1
    calls = rec.sent()
    assert len(calls) == 2 and all(len(c.text) <= 4096 for c in calls)
    assert calls[0].buttons == [] and calls[1].buttons == [[("Ya", "x:yes")]]
    assert "".join(c.text for c in calls).count("Maria") == 1_200
