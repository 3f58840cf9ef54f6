"""Updates the bot cannot read must not stop it for everyone (issue 13, item 4).

PTB's ``Bot.get_updates`` de-serialises the whole batch with ``Update.de_list``; one update it cannot read (a
``message`` without ``date``; in real life an update shape newer than the installed PTB) raises, the Updater
logs it and asks again with the *same* offset (``telegram/ext/_updater.py``, ``polling_action_cb``: a
non-Telegram exception is logged as CRITICAL and the loop repeats at once), so the offset never moves, nobody
gets an answer, and ``getUpdates`` spins (21 calls/s measured). ``Bot.get_updates`` also logs the whole raw
batch (names, texts) at CRITICAL.

:class:`ReadableUpdatesRequest` is the public hook PTB offers for this, a ``BaseRequest`` for the
``get_updates_request`` (no private attribute touched). It wraps the real HTTP request and reads every
``getUpdates`` answer before PTB does:

- a batch PTB can read passes through unchanged (at the cost of one extra ``Update.de_list``: about 0.15 ms per
  update on the 2-core box, a few per cent of handling one);
- an update it cannot read fails the call with :class:`UnreadableUpdate` (a ``TelegramError`` whose text carries
  only the update's id, type and field names), so PTB's retry loop waits (1 s, then 1.5 s) and asks again;
- at the :data:`SKIP_AFTER`-th failure of the same update it is replaced by a bare ``{"update_id": N}``, which
  PTB reads, the application ignores (no handler matches an update without content) and the Updater confirms
  with the next offset. The skip is logged with the id, type and field names only, and counted for the admins
  (``on_skip``: :func:`bot.services.updates.record_skipped_update`, an ``update.skipped`` audit row shown by
  ``pem-bot skipped-updates``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.services.updates import describe

log = logging.getLogger(__name__)

#: Failed attempts to read one update before it is skipped.
SKIP_AFTER = 3

OnSkip = Callable[[int | None, str, list[str], str, int], Awaitable[None]]


class UnreadableUpdate(TelegramError):
    """A ``getUpdates`` answer held an update PTB cannot read (it is retried, then skipped)."""


def _readable(item: Any) -> Exception | None:
    try:
        Update.de_json(item, None)
    except Exception as exc:  # whatever PTB raises on a shape it does not know
        return exc
    return None


class ReadableUpdatesRequest(BaseRequest):
    """The ``get_updates_request``: the real request, with unreadable updates retried and then skipped."""

    def __init__(self, inner: BaseRequest | None = None, *, on_skip: OnSkip | None = None,
                 skip_after: int = SKIP_AFTER) -> None:
        self.inner = inner or HTTPXRequest(connection_pool_size=1)  # PTB's own default for getUpdates
        self.on_skip = on_skip
        self.skip_after = skip_after
        self._failures: dict[int | None, int] = {}

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        code, payload = await self.inner.do_request(url, method, request_data, read_timeout=read_timeout,
                                                    write_timeout=write_timeout, connect_timeout=connect_timeout,
                                                    pool_timeout=pool_timeout)
        if code != 200 or not url.endswith("/getUpdates"):
            return code, payload
        return code, await self._checked(payload)

    async def _checked(self, payload: bytes) -> bytes:
        try:
            data = json.loads(payload)
        except ValueError:
            return payload  # PTB reports an invalid answer itself, and retries
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, list) or not result:
            return payload
        try:
            Update.de_list(result, None)
        except Exception:  # find the update(s) that can't be read, below
            pass
        else:
            self._failures.clear()
            return payload
        kept: list[Any] = []
        retry: list[str] = []
        for item in result:
            error = _readable(item)
            if error is None:
                kept.append(item)
                continue
            update_id, kind, keys = describe(item)
            attempts = self._failures.get(update_id, 0) + 1
            self._failures[update_id] = attempts
            if attempts < self.skip_after:
                retry.append(f"update {update_id} ({kind}, keys {keys}): {type(error).__name__}, "
                             f"attempt {attempts} of {self.skip_after}")
                continue
            log.warning("skipping update %s that can't be read (%s, keys %s): %s after %d attempts", update_id,
                        kind, keys, type(error).__name__, attempts)
            self._failures.pop(update_id, None)
            if update_id is not None:
                kept.append({"update_id": update_id})  # read, ignored, confirmed by the next offset
            await self._count(update_id, kind, keys, type(error).__name__, attempts)
        if retry:
            raise UnreadableUpdate("; ".join(retry))
        return json.dumps({**data, "result": kept}).encode()

    async def _count(self, update_id: int | None, kind: str, keys: list[str], error: str, attempts: int) -> None:
        if self.on_skip is None:
            return
        try:
            await self.on_skip(update_id, kind, keys, error, attempts)
        except Exception:  # counting must not stop polling (the database may be locked or gone)
            log.exception("could not record skipped update %s", update_id)
