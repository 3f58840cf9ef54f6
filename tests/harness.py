"""Test harness: a recording Bot API and helpers that talk to the bot as a given user.

:class:`RecordingRequest` is a PTB ``BaseRequest`` that never touches the network. It answers ``getMe``,
records every Bot API call with its parameters, answers sends with plausible ``Message`` objects, and can be
told to fail the next call(s) of a method with a 403 (blocked), a 429 (flood control) or a network error.
It can also take a fixed time per call (for the benchmarks).

:class:`BotTester` drives an Application through ``process_update`` with updates built the way Telegram sends
them, and reads back what the bot sent to a chat.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.error import NetworkError
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

BOT_ID = 7000000001
BOT_USERNAME = "pem_test_bot"
_SENDS = {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup",
          "editMessageCaption"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    #: uploaded files (sendDocument with bytes): field name -> (file name, content)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return None if value is None else int(value)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        """Inline keyboard rows as ``(text, callback_data or url)``."""
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if not markup or "inline_keyboard" not in markup:
            return []
        return [[(b["text"], b.get("callback_data") or b.get("url") or "") for b in row]
                for row in markup["inline_keyboard"]]

    @property
    def button_texts(self) -> list[str]:
        return [t for row in self.buttons for t, _ in row]

    def button(self, text_part: str) -> str:
        """The callback data of the first button whose text contains ``text_part``."""
        for row in self.buttons:
            for text, data in row:
                if text_part.lower() in text.lower():
                    return data
        raise AssertionError(f"no button containing {text_part!r} in {self.button_texts}")


@dataclass
class Failure:
    kind: str  # "403" | "429" | "network" | "400"
    retry_after: int = 1
    chat_id: int | None = None  # only calls to this chat fail (None: any call)


@dataclass
class RecordingRequest(BaseRequest):
    delay: float = 0.0
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    _message_ids: Any = field(default_factory=lambda: itertools.count(1000))

    def __post_init__(self) -> None:
        super().__init__()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    def fail(self, method: str, kind: str, times: int = 1, retry_after: int = 1, chat_id: int | None = None) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id``, if given) fail with ``kind``."""
        self.failures.setdefault(method, []).extend(Failure(kind, retry_after, chat_id) for _ in range(times))

    def clear(self) -> None:
        self.calls.clear()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None, connect_timeout: Any = None,
                         pool_timeout: Any = None) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        if self.delay:
            await asyncio.sleep(self.delay)
        pending = self.failures.get(api_method) or []
        chat = params.get("chat_id")
        failure = next((f for f in pending if f.chat_id is None or str(f.chat_id) == str(chat)), None)
        if failure is not None:
            pending.remove(failure)
            self.calls.append(Call(f"{api_method}!{failure.kind}", params))
            return self._failure(failure)
        files = {}
        if request_data is not None and request_data.multipart_data:
            files = {name: (part[0], part[1]) for name, part in request_data.multipart_data.items()}
        self.calls.append(Call(api_method, params, files))
        return 200, json.dumps({"ok": True, "result": self._result(api_method, params)}).encode()

    @staticmethod
    def _failure(failure: Failure) -> tuple[int, bytes]:
        if failure.kind == "network":
            raise NetworkError("simulated network failure")
        if failure.kind == "403":
            body = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
            return 403, json.dumps(body).encode()
        if failure.kind == "429":
            body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after "
                    f"{failure.retry_after}", "parameters": {"retry_after": failure.retry_after}}
            return 429, json.dumps(body).encode()
        body = {"ok": False, "error_code": 400, "description": "Bad Request: simulated"}
        return 400, json.dumps(body).encode()

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "PEM Bot", "username": BOT_USERNAME,
                    "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}
        if method in _SENDS:
            chat_id = int(params.get("chat_id", 0))
            message = {"message_id": int(params.get("message_id") or next(self._message_ids)), "date": 0,
                       "chat": {"id": chat_id, "type": "private"},
                       "from": {"id": BOT_ID, "is_bot": True, "first_name": "PEM Bot"}}
            if "text" in params:
                message["text"] = params["text"]
            if method == "sendPhoto":
                message["photo"] = [{"file_id": "sent-photo", "file_unique_id": "u", "width": 1, "height": 1}]
            if method == "sendDocument":
                message["document"] = {"file_id": "sent-doc", "file_unique_id": "d"}
            return message
        if method == "getFile":
            return {"file_id": params.get("file_id"), "file_unique_id": "f", "file_path": "photos/file.jpg"}
        return True

    # --- reading what was sent -------------------------------------------------------------------------------
    def sent(self, chat_id: int | None = None) -> list[Call]:
        return [c for c in self.calls if c.method in _SENDS and (chat_id is None or c.chat_id == chat_id)]

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]


@dataclass(frozen=True)
class User:
    id: int
    first_name: str = "Tester"
    language_code: str = "id"

    @property
    def chat_id(self) -> int:
        return self.id  # private chat id == user id, as in Telegram


class BotTester:
    """Talk to the bot as users; every helper returns the calls the bot made while handling that update."""

    def __init__(self, app: Application, request: RecordingRequest) -> None:
        self.app = app
        self.request = request
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        #: feed updates through the application's update processor (bot/runtime/processor.py), as
        #: ``Application.start()`` does, instead of calling ``process_update`` directly
        self.concurrent = False

    def _user(self, user: User) -> dict[str, Any]:
        return {"id": user.id, "is_bot": False, "first_name": user.first_name, "language_code": user.language_code}

    def _chat(self, user: User, group: bool) -> dict[str, Any]:
        if group:
            return {"id": -100_000 - user.id, "type": "supergroup", "title": "Kelompok"}
        return {"id": user.chat_id, "type": "private", "first_name": user.first_name}

    async def _process(self, payload: dict[str, Any]) -> list[Call]:
        before = len(self.request.calls)
        update = Update.de_json({"update_id": next(self._update_ids), **payload}, self.app.bot)
        if self.concurrent:
            await self.app.update_processor.process_update(update, self.app.process_update(update))
        else:
            await self.app.process_update(update)
        settle = getattr(self.app, "settle", None)
        if settle is not None:  # notices handed to the sender off the update: delivered before we look
            await settle()
        return self.request.calls[before:]

    def _message(self, user: User, group: bool = False, **content: Any) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": 1_764_000_000, "chat": self._chat(user, group),
                "from": self._user(user), **content}

    async def send(self, user: User, text: str, *, group: bool = False) -> list[Call]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self._process({"message": self._message(user, group, **content)})

    async def command(self, user: User, name: str, *args: str, group: bool = False) -> list[Call]:
        return await self.send(user, " ".join([f"/{name}", *args]), group=group)

    async def photo(self, user: User, file_id: str = "photo-file-id") -> list[Call]:
        sizes = [{"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 90},
                 {"file_id": file_id, "file_unique_id": "b", "width": 800, "height": 800}]
        return await self._process({"message": self._message(user, photo=sizes)})

    async def sticker(self, user: User) -> list[Call]:
        sticker = {"file_id": "sticker", "file_unique_id": "st", "type": "regular", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False}
        return await self._process({"message": self._message(user, sticker=sticker)})

    async def document(self, user: User, file_name: str = "file.pdf") -> list[Call]:
        doc = {"file_id": "doc", "file_unique_id": "dc", "file_name": file_name}
        return await self._process({"message": self._message(user, document=doc)})

    async def press(self, user: User, data: str, *, message_id: int = 1) -> list[Call]:
        query = {"id": str(next(self._update_ids)), "from": self._user(user), "chat_instance": "ci", "data": data,
                 "message": {"message_id": message_id, "date": 1_764_000_000, "chat": self._chat(user, False),
                             "from": {"id": BOT_ID, "is_bot": True, "first_name": "PEM Bot"}, "text": "…"}}
        return await self._process({"callback_query": query})

    # --- reading ----------------------------------------------------------------------------------------------
    def last(self, user: User) -> Call:
        sent = self.request.sent(user.chat_id)
        assert sent, f"nothing was sent to {user}"
        return sent[-1]

    def texts(self, user: User) -> list[str]:
        return [c.text for c in self.request.sent(user.chat_id)]


def texts(calls: Iterable[Call]) -> list[str]:
    return [c.text for c in calls if c.method in _SENDS]


def answers(calls: Iterable[Call]) -> list[str]:
    """Texts of ``answerCallbackQuery`` notices among ``calls``."""
    return [str(c.params.get("text") or "") for c in calls if c.method == "answerCallbackQuery"]
