"""The update processor: different users at once, one user (and one chat) in order (bot/runtime/processor.py).
The handlers' races under it are in tests/handlers (``-k concurrent``)."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.runtime.processor import PerChatProcessor, update_keys


def _update(update_id: int, user: int, chat: int | None = None) -> Update:
    chat_id = user if chat is None else chat
    return Update.de_json({"update_id": update_id, "message": {
        "message_id": update_id, "date": 1_764_000_000, "text": "x",
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
        "from": {"id": user, "is_bot": False, "first_name": "U"}}}, None)


class Probe:
    """Handling that waits until released, recording starts and ends."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.gates: dict[int, asyncio.Event] = {}

    async def handle(self, update: Update) -> None:
        self.log.append(f"start {update.update_id}")
        gate = self.gates.setdefault(update.update_id, asyncio.Event())
        await gate.wait()
        self.log.append(f"end {update.update_id}")

    def release(self, update_id: int) -> None:
        self.gates.setdefault(update_id, asyncio.Event()).set()


async def _settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


def test_keys_are_user_and_chat():
    assert update_keys(_update(1, 5)) == (("user", 5), ("chat", 5))
    assert update_keys(_update(1, 5, -100)) == (("user", 5), ("chat", -100))
    assert update_keys(object()) == (None,)


async def test_different_users_run_at_once_and_one_user_in_order():
    processor = PerChatProcessor(8)
    probe = Probe()
    updates = [_update(1, 10), _update(2, 20), _update(3, 10), _update(4, 30)]
    tasks = [asyncio.ensure_future(processor.process_update(u, probe.handle(u))) for u in updates]
    await _settle()
    assert probe.log == ["start 1", "start 2", "start 4"], "user 10's second update waits for its first"
    probe.release(3)  # the later one cannot finish first: it has not started
    await _settle()
    assert "start 3" not in probe.log
    probe.release(1)
    await _settle()
    assert probe.log[-2:] == ["end 1", "start 3"] or probe.log[-3:-1] == ["end 1", "start 3"]
    for u in (2, 4):
        probe.release(u)
    await asyncio.gather(*tasks)
    assert probe.log.index("end 1") < probe.log.index("start 3")
    assert processor.busy_keys == 0


async def test_a_group_update_waits_for_the_users_private_one_and_the_groups_earlier_one():
    processor = PerChatProcessor(8)
    probe = Probe()
    private = _update(1, 10)
    other_in_group = _update(2, 20, -100)
    group = _update(3, 10, -100)
    tasks = [asyncio.ensure_future(processor.process_update(u, probe.handle(u)))
             for u in (private, other_in_group, group)]
    await _settle()
    assert probe.log == ["start 1", "start 2"]
    probe.release(1)
    await _settle()
    assert "start 3" not in probe.log, "still behind the group's earlier update"
    probe.release(2)
    probe.release(3)
    await asyncio.gather(*tasks)
    assert probe.log.index("end 2") < probe.log.index("start 3")


async def test_many_updates_of_one_user_keep_their_order_under_a_full_bound():
    processor = PerChatProcessor(3)
    order: list[int] = []

    async def handle(update: Update) -> None:
        await asyncio.sleep(0)
        order.append(update.update_id)

    updates = [_update(i, 10 + i % 2) for i in range(1, 41)]
    await asyncio.gather(*(processor.process_update(u, handle(u)) for u in updates))
    assert [i for i in order if i % 2] == sorted(i for i in order if i % 2)
    assert [i for i in order if not i % 2] == sorted(i for i in order if not i % 2)


async def test_a_failing_update_does_not_block_the_next_one_of_that_user():
    processor = PerChatProcessor(4)
    done: list[int] = []

    async def boom(update: Update) -> None:
        raise RuntimeError("handler bug")

    async def ok(update: Update) -> None:
        done.append(update.update_id)

    first, second = _update(1, 10), _update(2, 10)
    results = await asyncio.gather(processor.process_update(first, boom(first)),
                                   processor.process_update(second, ok(second)), return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and done == [2]


async def test_the_bound_holds():
    processor = PerChatProcessor(5)
    running = peak = 0

    async def handle(update: Update) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        running -= 1

    updates = [_update(i, 100 + i) for i in range(50)]
    await asyncio.gather(*(processor.process_update(u, handle(u)) for u in updates))
    assert peak == 5
