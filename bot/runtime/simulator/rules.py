"""Telegram's limits and the exact errors the Bot API answers when a bot breaks them.

The embedded Bot API (:mod:`bot.runtime.simulator.botapi`) answers every violation with Telegram's own status,
``description`` and, for flood control, ``parameters.retry_after``, so the bot's real error handling runs
(python-telegram-bot raises ``BadRequest`` / ``RetryAfter`` from these, exactly as against Telegram).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 4096  # characters after entities parsing
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes (UTF-8)
MAX_CALLBACK_ANSWER = 200

TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
TEXT_EMPTY = "Bad Request: message text is empty"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
CANT_PARSE = "Bad Request: can't parse entities: {reason}"
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "Bad Request: there is no caption in the message to edit"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
CHAT_NOT_FOUND = "Bad Request: chat not found"
TOO_MANY_REQUESTS = "Too Many Requests: retry after {retry_after}"
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"

#: Methods that put a new message into a chat: these count against the flood limits.
SENDING_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendVoice",
                             "sendAnimation", "sendSticker", "sendLocation", "sendContact", "sendMediaGroup",
                             "copyMessage", "forwardMessage", "sendPoll", "sendDice", "sendVenue"})


class ApiError(Exception):
    """One refused call: the HTTP status and the JSON body Telegram sends back."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, description)


@dataclass
class _Bucket:
    """A token bucket: ``capacity`` messages at once, refilled at ``rate`` per second."""

    rate: float
    capacity: float
    tokens: float
    stamp: float

    def take(self, now: float) -> float:
        """Take one token; 0.0 when taken, else the seconds until one is there (nothing taken)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class FloodControl:
    """Telegram's flood limits for private chats: ``per_chat`` messages a second in one chat (a short burst of
    ``per_chat_burst`` tolerated, as Telegram does: "we may allow short bursts that go over this limit, but
    eventually you'll begin receiving 429 errors"), ``overall`` a second over all chats. A refused message takes
    no token, and the answer carries ``retry_after``: whole seconds, at least 1, as Telegram sends.
    ``monotonic`` is injectable so the unit tests need no sleeping."""

    per_chat: float = 1.0
    per_chat_burst: int = 3
    overall: float = 30.0
    monotonic: Callable[[], float] = time.monotonic
    _chats: dict[int, _Bucket] = field(default_factory=dict)
    _overall: _Bucket | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, chat_id: int) -> None:
        """Count one message to ``chat_id``, or raise the 429 Telegram would answer."""
        with self._lock:
            now = self.monotonic()
            if self._overall is None:
                self._overall = _Bucket(self.overall, self.overall, self.overall, now)
            chat = self._chats.get(chat_id)
            if chat is None:
                chat = self._chats[chat_id] = _Bucket(self.per_chat, self.per_chat_burst, self.per_chat_burst, now)
            wait = chat.take(now)
            if wait:
                raise self._too_many(wait)
            wait = self._overall.take(now)
            if wait:
                chat.tokens += 1  # give the chat's token back: nothing was sent
                raise self._too_many(wait)

    @staticmethod
    def _too_many(wait: float) -> ApiError:
        retry_after = max(1, math.ceil(wait))
        return ApiError(429, TOO_MANY_REQUESTS.format(retry_after=retry_after), retry_after=retry_after)


def check_callback_data(markup: Any) -> None:
    """Every inline button's ``callback_data`` must be 1–64 bytes."""
    if not isinstance(markup, dict):
        return
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise bad_request(BUTTON_DATA_INVALID)
