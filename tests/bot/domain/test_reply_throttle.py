"""bot.domain.reply_throttle: a flood of messages the bot doesn't understand is not echoed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.reply_throttle import ReplyThrottle

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_two_answers_a_minute_per_chat_then_silence_until_the_window_moves():
    throttle = ReplyThrottle()
    assert throttle.allow(1, T0) and throttle.allow(1, T0 + timedelta(seconds=1))
    assert not any(throttle.allow(1, T0 + timedelta(seconds=s)) for s in range(2, 60))
    assert throttle.allow(2, T0 + timedelta(seconds=5)), "another chat has its own count"
    assert throttle.allow(1, T0 + timedelta(seconds=60))
    assert not throttle.allow(1, T0 + timedelta(seconds=60.5))
    assert throttle.allow(1, T0 + timedelta(seconds=61))


def test_forgets_quiet_chats_when_it_grows():
    throttle = ReplyThrottle(max_chats=10)
    for chat in range(11):
        throttle.allow(chat, T0)
    throttle.allow(99, T0 + timedelta(minutes=5))
    assert set(throttle._answers) == {99}
