"""Different users at once, each user (and each chat) in order: the bot's update processor.

PTB handles one update at a time by default, so every user waits behind every other user's Bot API round trips
(issue 12: p99 14.8 s for 50 users at 100 ms per call, with the CPU idle). :class:`PerChatProcessor` runs the
updates of *different* users and chats concurrently and the updates of one user, and of one chat, strictly in
the order they arrived:

- every update has *keys*: its user (``effective_user``) and its chat (``effective_chat``); an update without
  either (a poll, a ``my_chat_member`` of a channel) gets the key ``None`` and is serialised with the other
  keyless ones;
- on arrival each update takes its place at the tail of each of its keys and waits until every update that
  was ahead of it under any of its keys has finished (failed or not, cancelled or not); then it runs. A press
  in a group is therefore ordered after that user's private messages *and* after the group's other updates;
- the number of updates admitted at once is bounded (``PEM_MAX_CONCURRENT_UPDATES``, default 256) by PTB's own
  semaphore around :meth:`do_process_update`. An update waiting for its user's previous one holds its place in
  that bound: a user cannot make more than one update *run*, and with the FIFO semaphore (asyncio's, fair since
  Python 3.11.1) the updates enter in the order PTB fetched them, which is the order the ordering relies on.

Why 256 and not 64 (``bench/latency.py`` run 2, docs/performance.md): when more people write than Telegram's
30 messages a second can answer, the admitted updates sit in the rate limiter waiting for their reply's slot,
each holding its place in the bound. With 64, a burst of 200 people left the other updates waiting for
*admission*, and a button's ``answerCallbackQuery`` (the spinner), which a handler sends only once it has
read who is pressing and their form, waited 4.1–4.5 s with them. An admitted update waiting for its slot is a
suspended coroutine: the bench's peak memory grew by 7.3 MiB with 256 against 6.6 MiB with 64 for the same
200 people (about 5 KiB per extra admitted update). The answer itself no longer waits for the shared
connection either (``Database.latest``). Beyond ~250 people writing within the same few seconds, answers
wait for admission again; raise the bound if that is the real load.

The form engine's drafts, the services' transactions and their idempotency keys stay correct under it: the
race tests of the handlers (two users completing forms at once, a double tap, two treasurers deciding the same
payment, two coordinators taking the last seat) run again through this processor in
``tests/bot/runtime/test_processor.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

#: The default bound on updates handled at once (``PEM_MAX_CONCURRENT_UPDATES``).
DEFAULT_MAX_CONCURRENT = 256


def update_keys(update: object) -> tuple[Hashable, ...]:
    """What an update must be ordered with: ``("user", id)`` and ``("chat", id)``, or ``(None,)``."""
    keys: list[Hashable] = []
    if isinstance(update, Update):
        if update.effective_user is not None:
            keys.append(("user", update.effective_user.id))
        if update.effective_chat is not None:
            keys.append(("chat", update.effective_chat.id))
    return tuple(keys) or (None,)


class PerChatProcessor(BaseUpdateProcessor):
    """Concurrent across users and chats, sequential within one (see the module docstring)."""

    def __init__(self, max_concurrent_updates: int = DEFAULT_MAX_CONCURRENT) -> None:
        super().__init__(max_concurrent_updates)
        #: key → the future of the last update admitted under that key (done once it has finished)
        self._tails: dict[Hashable, asyncio.Future[None]] = {}

    @property
    def busy_keys(self) -> int:
        """How many users/chats have an update running or waiting (for tests and logs)."""
        return len(self._tails)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        keys = update_keys(update)
        loop = asyncio.get_running_loop()
        mine: asyncio.Future[None] = loop.create_future()
        # Taking the place under every key happens before the first await: the order is the arrival order.
        ahead = list({id(f): f for f in (self._tails.get(k) for k in keys) if f is not None}.values())
        for key in keys:
            self._tails[key] = mine
        try:
            for previous in ahead:
                if not previous.done():
                    await asyncio.shield(previous)
            await coroutine
        finally:
            close = getattr(coroutine, "close", None)
            if close is not None:
                close()  # a coroutine never started (cancelled while waiting): no "never awaited" warning
            pending = [f for f in ahead if not f.done()]
            if pending:  # cancelled while waiting: those behind still wait for those ahead
                asyncio.gather(*pending).add_done_callback(lambda _: self._finish(keys, mine))
            else:
                self._finish(keys, mine)

    def _finish(self, keys: tuple[Hashable, ...], mine: asyncio.Future[None]) -> None:
        if not mine.done():
            mine.set_result(None)
        for key in keys:
            if self._tails.get(key) is mine:
                del self._tails[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
