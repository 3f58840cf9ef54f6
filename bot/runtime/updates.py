"""Updates the bot cannot read must not stop it for everyone (issue 13, item 4).

PTB's ``Bot.get_updates`` de-serialises the whole batch with ``Update.de_list``; one update it cannot read (a
``message`` without ``date``; in real life an update shape newer than the installed PTB) raises. It logs the
whole raw batch (names, texts) at CRITICAL, and the Updater (``telegram/ext/_updater.py``,
``polling_action_cb``) logs the exception and returns without moving its offset; ``network_retry_loop`` then
asks again at once with the *same* offset. Nobody gets an answer, for ever, and ``getUpdates`` spins (21 calls/s
measured).

:class:`ReadableUpdatesRequest` is the ``get_updates_request`` (a ``BaseRequest``, the public hook PTB offers; no
private attribute is touched). It wraps the real HTTP request and costs nothing while every batch is readable:
it only keeps a reference to the last answer. When PTB asks again from the same offset after a non-empty answer,
PTB could not use that answer; the wrapper then reads it update by update:

- an update that can't be read counts one failed attempt; the failure is logged with the update's id, type and
  field names only, and the request waits (1 s, then 1.5 s, …) before asking Telegram again, since PTB's loop
  would otherwise repeat at once;
- after :data:`SKIP_AFTER` failed attempts the update is replaced, in the answer handed to PTB, by a bare
  ``{"update_id": N}``: PTB reads it, no handler takes it, and the Updater's next offset confirms it. The skip is
  logged the same way and counted for the admins (``on_skip``: :func:`bot.services.updates.record_skipped_update`,
  an ``update.skipped`` audit row, shown by ``pem-bot skipped-updates``).

A repeat whose last answer reads fine (an answer lost on the way, a timeout) is not a failure and changes nothing.

PTB's own log lines about the failure would carry the content: :func:`quiet_ptb_parse_errors` installs a logging
filter (the standard ``logging`` API) on PTB's bot and updater loggers that replaces the raw batch and the
exception's text in exactly those two records by the exception's type name.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.services.updates import describe

log = logging.getLogger(__name__)

#: Failed attempts to read one update before it is skipped.
SKIP_AFTER = 3
#: The first wait before asking again after a failed attempt; grows 1.5× per attempt.
RETRY_WAIT = 1.0

OnSkip = Callable[[int | None, str, list[str], str, int], Awaitable[None]]

#: PTB's log lines about an unreadable batch (``telegram/_bot.py``, ``telegram/ext/_updater.py``).
_PTB_PARSE_ERRORS = ("Error while parsing updates!", "Something went wrong processing the data received")
_PTB_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "telegram.ext.Updater")


class _NoContent(logging.Filter):
    """Keeps PTB's parse-error records, without the raw data and the exception's text (they may hold names and
    messages people typed): the exception's type name instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        prefix = next((p for p in _PTB_PARSE_ERRORS if isinstance(message, str) and message.startswith(p)), None)
        if prefix is not None:
            error = record.exc_info[1] if record.exc_info else None
            record.msg = "%s (content not logged: %s; see bot.runtime.updates)"
            record.args = (prefix, type(error).__name__ if error is not None else "?")
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_ptb_parse_errors() -> None:
    """Install :class:`_NoContent` on PTB's loggers (once)."""
    for name in _PTB_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoContent) for f in logger.filters):
            logger.addFilter(_NoContent())


def _unreadable(item: Any) -> Exception | None:
    try:
        Update.de_json(item, None)
    except Exception as exc:  # whatever PTB raises on a shape it does not know
        return exc
    return None


def _offset(request_data: RequestData | None) -> Any:
    return None if request_data is None else request_data.parameters.get("offset")


class ReadableUpdatesRequest(BaseRequest):
    """The ``get_updates_request``: the real request, with unreadable updates retried and then skipped."""

    def __init__(self, inner: BaseRequest | None = None, *, on_skip: OnSkip | None = None,
                 skip_after: int = SKIP_AFTER, retry_wait: float = RETRY_WAIT) -> None:
        self.inner = inner or HTTPXRequest(connection_pool_size=1)  # PTB's own default for getUpdates
        self.on_skip = on_skip
        self.skip_after = skip_after
        self.retry_wait = retry_wait
        self._failures: dict[int, int] = {}
        self._last_offset: Any = None
        self._last_answer: bytes | None = None
        quiet_ptb_parse_errors()

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
        if not url.endswith("/getUpdates"):
            return await self.inner.do_request(url, method, request_data, read_timeout=read_timeout,
                                               write_timeout=write_timeout, connect_timeout=connect_timeout,
                                               pool_timeout=pool_timeout)
        offset = _offset(request_data)
        if self._last_answer is not None and offset == self._last_offset:
            await self._failed_again(self._last_answer)  # PTB could not use the last answer
        else:
            self._failures.clear()  # the offset moved on: whatever failed before has been confirmed
        self._last_offset, self._last_answer = offset, None
        code, payload = await self.inner.do_request(url, method, request_data, read_timeout=read_timeout,
                                                    write_timeout=write_timeout, connect_timeout=connect_timeout,
                                                    pool_timeout=pool_timeout)
        if code != 200:
            return code, payload
        if self._failures:
            payload = await self._skip_hopeless(payload)
        self._last_answer = payload if payload.count(b'"update_id"') else None  # an empty answer is never a failure
        return code, payload

    async def _failed_again(self, answer: bytes) -> None:
        """Count a failed attempt for each update of ``answer`` that can't be read; wait before asking again."""
        failed = 0
        for item in _results(answer):
            error = _unreadable(item)
            if error is None:
                continue
            update_id, kind, keys = describe(item)
            if update_id is None:
                continue
            attempts = self._failures.get(update_id, 0) + 1
            self._failures[update_id] = attempts
            failed = max(failed, attempts)
            log.warning("update %s can't be read (%s, keys %s): %s, attempt %d of %d", update_id, kind, keys,
                        type(error).__name__, attempts, self.skip_after)
        if failed and failed < self.skip_after:
            await asyncio.sleep(self.retry_wait * 1.5 ** (failed - 1))

    async def _skip_hopeless(self, payload: bytes) -> bytes:
        """Replace the updates that failed :attr:`skip_after` times by their bare id, and count them."""
        try:
            data = json.loads(payload)
        except ValueError:
            return payload
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, list):
            return payload
        kept: list[Any] = []
        changed = False
        for item in result:
            update_id, kind, keys = describe(item)
            error = None
            if update_id is not None and self._failures.get(update_id, 0) >= self.skip_after:
                error = _unreadable(item)
            if error is None:
                kept.append(item)
                continue
            attempts = self._failures.pop(update_id)  # type: ignore[arg-type]
            log.warning("skipping update %s that can't be read (%s, keys %s): %s after %d attempts", update_id,
                        kind, keys, type(error).__name__, attempts)
            kept.append({"update_id": update_id})  # read, ignored, confirmed by the next offset
            changed = True
            await self._count(update_id, kind, keys, type(error).__name__, attempts)
        return json.dumps({**data, "result": kept}).encode() if changed else payload

    async def _count(self, update_id: int | None, kind: str, keys: list[str], error: str, attempts: int) -> None:
        if self.on_skip is None:
            return
        try:
            await self.on_skip(update_id, kind, keys, error, attempts)
        except Exception:  # counting must not stop polling (the database may be locked or gone)
            log.exception("could not record skipped update %s", update_id)


def _results(answer: bytes) -> list[Any]:
    try:
        data = json.loads(answer)
    except ValueError:
        return []
    result = data.get("result") if isinstance(data, dict) else None
    return result if isinstance(result, list) else []
