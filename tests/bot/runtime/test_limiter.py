"""The rate limiter's rules, each on a fake clock (no wall-clock timing): bot/runtime/limiter.py."""

from __future__ import annotations

import asyncio
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise

import pytest
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.runtime.limiter import (
    BULK_RATE_WHEN_BUSY,
    OVERALL_RATE,
    PER_WINDOW,
    Budget,
    PemRateLimiter,
    Priority,
    is_counted,
    priority,
)
from tests.bot.runtime.fake_clock import FakeClock

L = 0.1  # every call takes 100 ms


@dataclass
class Server:
    """A fake Bot API on the fake clock: records when each call arrived, answers 429 on demand."""

    clock: FakeClock
    latency: float = L
    log: list[tuple[float, str, int | None, str]] = field(default_factory=list)  # (at, method, chat, tag)
    flood: dict[str, list[int]] = field(default_factory=dict)  # tag → retry_after of the next answers

    def call(self, method: str, chat: int | None, tag: str):
        async def callback() -> bool:
            self.log.append((self.clock.now, method, chat, tag))
            await self.clock.sleep(self.latency)
            waits = self.flood.get(tag)
            if waits:
                with warnings.catch_warnings():  # PTB 22 warns about the type of retry_after in its __init__
                    warnings.simplefilter("ignore", PTBDeprecationWarning)
                    raise RetryAfter(timedelta(seconds=waits.pop(0)))
            return True
        return callback

    def times(self, tag_prefix: str = "", *, method: str | None = None) -> list[float]:
        return [at for at, m, _, tag in self.log if tag.startswith(tag_prefix) and (method is None or m == method)]


def setup(**budget) -> tuple[FakeClock, PemRateLimiter, Server]:
    clock = FakeClock()
    return clock, PemRateLimiter(Budget(clock=clock, **budget)), Server(clock)


async def send(limiter: PemRateLimiter, server: Server, chat: int | None, tag: str, *,
               method: str = "sendMessage", prio: Priority = Priority.INTERACTIVE, after: float = 0.0) -> str:
    if after:
        await limiter.budget.clock.sleep(after)
    with priority(prio):
        data = {} if chat is None else {"chat_id": chat}
        await limiter.process_request(server.call(method, chat, tag), (), {}, method, data, None)
    return tag


def test_what_counts_as_a_message():
    assert is_counted("sendMessage") and is_counted("sendPhoto") and is_counted("editMessageText")
    assert is_counted("copyMessage") and is_counted("forwardMessage")
    for method in ("answerCallbackQuery", "sendChatAction", "getUpdates", "getMe", "setMyCommands", "getFile"):
        assert not is_counted(method), method


async def test_overall_budget_is_evenly_spaced_and_never_over_30_in_a_second():
    clock, limiter, server = setup()
    await clock.run(*(send(limiter, server, 1000 + i, f"m{i}", prio=Priority.BULK) for i in range(120)))
    times = server.times()
    assert len(times) == 120
    gaps = [b - a for a, b in pairwise(times)]
    assert min(gaps) >= 1 / OVERALL_RATE - 1e-9
    # several in flight: the latency does not slow the rate (the sliding window adds a few ms now and then)
    assert max(gaps) <= 0.04
    assert len(times) / (times[-1] - times[0]) >= 29
    assert max(sum(1 for t in times if s <= t < s + 1) for s in times) <= PER_WINDOW


async def test_a_reply_overtakes_queued_broadcasts():
    clock, limiter, server = setup()
    bulk = [send(limiter, server, 2000 + i, f"bulk{i}", prio=Priority.BULK) for i in range(60)]
    reply = send(limiter, server, 1, "reply", after=0.5)  # a person writes while 60 reminders wait
    await clock.run(*bulk, reply)
    order = [tag for _, _, _, tag in server.log]
    reply_at = server.times("reply")[0]
    assert reply_at - 0.5 <= 1 / OVERALL_RATE + 1e-9, "the reply takes the very next slot"
    assert order.index("reply") < 30, order[:20]


async def test_people_writing_at_once_are_answered_at_once_within_30_a_second():
    clock, limiter, server = setup()
    await clock.run(*(send(limiter, server, 100 + i, f"r{i:02d}") for i in range(45)))
    times = server.times()
    assert times[:10] == [0.0] * 10, "ten replies at the same moment go out at the same moment"
    assert max(sum(1 for t in times if s <= t < s + 1) for s in times) <= PER_WINDOW < 30
    assert times[PER_WINDOW] >= 1.0, "the next one waits for the window"


async def test_notices_go_before_bulk_and_after_replies():
    clock, limiter, server = setup()
    work = [send(limiter, server, 2000 + i, f"first{i}") for i in range(30)]  # the window is full
    work += [send(limiter, server, 3000 + i, f"bulk{i}", prio=Priority.BULK, after=0.001) for i in range(10)]
    work += [send(limiter, server, 4000, "notice", prio=Priority.NOTICE, after=0.002),
             send(limiter, server, 4001, "reply", after=0.003)]
    await clock.run(*work)
    order = [tag for _, _, _, tag in server.log]
    assert order[30:33] == ["reply", "notice", "bulk0"], order[30:]


async def test_callback_answers_and_chat_actions_are_not_counted_and_never_wait():
    clock, limiter, server = setup()
    bulk = [send(limiter, server, 5000 + i, f"bulk{i}", prio=Priority.BULK) for i in range(90)]
    answers = [send(limiter, server, None, f"answer{i}", method="answerCallbackQuery", after=0.2 + i * 0.01)
               for i in range(20)]
    typing = [send(limiter, server, 9, "typing", method="sendChatAction", after=0.3)]
    await clock.run(*bulk, *answers, *typing)
    for i, at in enumerate(server.times("answer")):
        assert at == pytest.approx(0.2 + i * 0.01), "an answer goes out the moment it is made"
    assert server.times("typing") == [pytest.approx(0.3)]
    bulk_times = server.times("bulk")
    assert min(b - a for a, b in pairwise(bulk_times)) >= 1 / OVERALL_RATE - 1e-9  # budget untouched by answers
    assert bulk_times[-1] <= 89 / OVERALL_RATE + 1e-6, "the answers took nothing from the budget"


async def test_one_chat_gets_a_message_a_second_after_the_previous_delivery():
    clock, limiter, server = setup()
    await clock.run(*(send(limiter, server, 7, f"m{i}", prio=Priority.BULK) for i in range(4)),
                    send(limiter, server, 7, "reply", after=0.05))
    times = server.times()
    assert len(times) == 5
    # the next call starts 1 s after the previous one *finished* (arrived + L): arrivals >= 1 s + L apart
    assert min(b - a for a, b in pairwise(times)) >= 1.0 + L - 1e-9


async def test_spacing_holds_across_429_retries_of_the_first_message():
    """Issue 13, item 1: a message answered 429 several times must not leave its slot to the next one."""
    clock, limiter, server = setup()
    server.flood["first"] = [2, 3, 1]  # three 429s, then delivered
    await clock.run(send(limiter, server, 8, "first", prio=Priority.BULK),
                    send(limiter, server, 8, "second", prio=Priority.BULK, after=0.01))
    first = server.times("first")
    second = server.times("second")
    assert len(first) == 4 and len(second) == 1
    delivered = first[-1] + L
    assert second[0] >= delivered + 1.0 - 1e-9


async def test_a_429_pauses_every_path_for_the_whole_retry_after():
    """Issue 13, item 2: a reply and a notice wait for a flood wait the sender's call got."""
    clock, limiter, server = setup()
    server.flood["bulk0"] = [5]
    work = [send(limiter, server, 6000 + i, f"bulk{i}", prio=Priority.BULK) for i in range(5)]
    work += [send(limiter, server, 1, "reply", after=0.5), send(limiter, server, 2, "notice", prio=Priority.NOTICE,
                                                                  after=0.6)]
    await clock.run(*work)
    answered_429_at = server.times("bulk0")[0] + L
    for at, _method, _, tag in server.log:
        if answered_429_at <= at < answered_429_at + 5:
            raise AssertionError(f"{tag} went out at {at:.3f} during the flood wait")
    after = sorted(at for at in server.times() if at >= answered_429_at)
    assert after and after[0] >= answered_429_at + 5 - 1e-9
    assert min(b - a for a, b in pairwise(after)) >= 1 / OVERALL_RATE - 1e-9, "no burst after the pause"
    order = [tag for at, _, _, tag in server.log if at >= answered_429_at]
    assert order[:2] == ["reply", "notice"], order


async def test_bulk_leaves_headroom_while_people_are_answered_and_gets_it_back_after():
    clock, limiter, server = setup()
    bulk = [send(limiter, server, 10_000 + i, f"bulk{i}", prio=Priority.BULK) for i in range(200)]
    # one person tapping every 0.5 s during the first 3 s
    replies = [send(limiter, server, 1, f"reply{i}", after=i * 1.2) for i in range(3)]
    await clock.run(*bulk, *replies)
    bulk_times = server.times("bulk")
    busy = [t for t in bulk_times if 0.5 <= t < 3.0]
    idle = [t for t in bulk_times if 6.0 <= t < 7.0]
    assert len(busy) / 2.5 <= BULK_RATE_WHEN_BUSY + 1
    assert len(idle) >= OVERALL_RATE - 1, "the whole budget again once nobody is being answered"


async def test_interactive_waiters_are_served_in_arrival_order():
    clock, limiter, server = setup()
    work = [send(limiter, server, 100 + i, f"r{i:03d}", after=i * 0.001) for i in range(80)]
    await clock.run(*work)
    order = [tag for _, _, _, tag in server.log]
    assert order == sorted(order)


async def test_a_group_gets_at_most_20_a_minute():
    clock, limiter, server = setup()
    await clock.run(*(send(limiter, server, -100_5, f"g{i}", prio=Priority.BULK) for i in range(25)))
    times = server.times()
    assert max(sum(1 for t in times if s <= t < s + 60) for s in times) <= 20
    assert min(b - a for a, b in pairwise(times)) >= 1.0


async def test_after_max_retries_the_retry_after_reaches_the_caller():
    clock, limiter, server = setup()
    server.flood["x"] = [1, 1, 1, 1]
    with pytest.raises(RetryAfter):
        await clock.run(send(limiter, server, 3, "x"))
    assert len(server.times("x")) == 4


async def test_a_caller_cancelled_while_waiting_leaves_the_queue_and_blocks_nobody():
    clock, limiter, server = setup()
    work = [send(limiter, server, 2000 + i, f"first{i}") for i in range(30)]  # the window is full
    waiting = asyncio.ensure_future(send(limiter, server, 1, "gone", after=0.01))

    async def cancel_it() -> None:
        await clock.sleep(0.5)
        waiting.cancel()

    await clock.run(*work, cancel_it(), send(limiter, server, 2, "next", after=0.6))
    assert waiting.cancelled()
    assert "gone" not in [tag for _, _, _, tag in server.log]
    assert server.times("next") and limiter.budget.waiting == 0


class LateClock(FakeClock):
    """Every timer fires 4 ms late, as on a loaded machine."""

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds + 0.004)


async def test_timers_firing_late_do_not_eat_the_senders_budget():
    clock = LateClock()
    limiter = PemRateLimiter(Budget(clock=clock))
    server = Server(clock)
    await clock.run(*(send(limiter, server, 20_000 + i, f"b{i}", prio=Priority.BULK) for i in range(290)))
    times = server.times()
    assert (len(times) - 1) / (times[-1] - times[0]) >= 0.97 * OVERALL_RATE
    assert max(sum(1 for t in times if s <= t < s + 1) for s in times) <= PER_WINDOW
