"""The embedded Telegram Bot API: one emulator for ``pem-bot try`` and for the end-to-end tests.

A stdlib HTTP server (:class:`http.server.ThreadingHTTPServer` in a daemon thread: no new dependency) serves
``POST /bot<token>/<method>`` and ``GET /file/bot<token>/<path>`` the way Telegram does, so the real bot talks to
it through ``TELEGRAM_API_BASE_URL`` with long polling, the production code path. It keeps every chat's
messages (edited in place, deleted, with their inline keyboards, photos and documents), each scope's command
menu, callback answers, chat actions, and holds the bot to Telegram's rules (:mod:`.rules`): a violation is
answered with Telegram's own error, recorded as a red notice in that chat, and the call is recorded too.

The "user side" (:meth:`BotApiEmulator.user_sends`, :meth:`user_taps`, :meth:`user_sends_photo`) queues the
updates a Telegram client would cause; the chat page (:mod:`.web`) and the tests drive it. ``wait_for`` and
``wait_for_reply`` let a test block until the bot has answered.

Thread safety: one condition variable guards the whole state; the page's long poll and ``getUpdates`` wait on it.
"""

from __future__ import annotations

import dataclasses
import json
import mimetypes
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from bot.runtime.simulator import rules
from bot.runtime.simulator.rules import ApiError, FloodControl, bad_request
from bot.runtime.simulator.telegram_html import HtmlError, Parsed, parse, plain

DEFAULT_BOT = {"id": 7000000002, "is_bot": True, "first_name": "PEM Bot", "username": "pem_try_bot",
               "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
#: getUpdates holds a request at most this long (the bot asks for 10 s; a short cap keeps shutdown quick).
POLL_CAP = 2.0


@dataclass
class Recorded:
    """One call the bot made: its method, parameters, and what it was answered (result or error)."""

    method: str
    params: dict[str, Any]
    result: Any = None
    error: ApiError | None = None


@dataclass
class StoredFile:
    file_id: str
    data: bytes
    name: str
    mime: str
    kind: str  # "photo" | "document"

    @property
    def file_path(self) -> str:
        folder = "photos" if self.kind == "photo" else "documents"
        return f"{folder}/{self.file_id}{mimetypes.guess_extension(self.mime) or ''}"


@dataclass
class ChatMessage:
    """A message as a chat shows it. ``sender`` is "bot" or "user"."""

    message_id: int
    chat_id: int
    sender: str
    date: int
    text: str = ""  # plain text (after entities parsing)
    html: str = ""  # safe HTML for the page
    has_caption: bool = False
    markup: dict[str, Any] | None = None
    photo: str | None = None  # file id
    document: str | None = None  # file id
    edited: int = 0
    deleted: bool = False
    raw_text: str = ""  # what the bot sent, before parsing (for "message is not modified")
    parse_mode: str | None = None

    def api(self, bot: dict[str, Any], user: dict[str, Any] | None, files: dict[str, StoredFile]) -> dict[str, Any]:
        """The Bot API ``Message`` object for this message."""
        message: dict[str, Any] = {"message_id": self.message_id, "date": self.date,
                                   "chat": {"id": self.chat_id, "type": "private",
                                            "first_name": (user or {}).get("first_name", "")},
                                   "from": bot if self.sender == "bot" else user}
        if self.photo:
            message["photo"] = photo_sizes(files[self.photo])
        if self.document:
            stored = files[self.document]
            message["document"] = {"file_id": stored.file_id, "file_unique_id": "u" + stored.file_id,
                                   "file_name": stored.name, "mime_type": stored.mime, "file_size": len(stored.data)}
        if self.has_caption or self.photo or self.document:
            if self.text:
                message["caption"] = self.text
        else:
            message["text"] = self.text
        if self.markup and self.markup.get("inline_keyboard"):
            message["reply_markup"] = self.markup
        if self.edited:
            message["edit_date"] = self.edited
        return message

    def page(self) -> dict[str, Any]:
        """The page's view of this message."""
        view: dict[str, Any] = {"kind": "message", "id": self.message_id, "from": self.sender, "html": self.html,
                                "text": self.text, "edited": bool(self.edited), "date": self.date}
        if self.markup and self.markup.get("inline_keyboard"):
            view["buttons"] = [[{"text": b.get("text", ""), "data": b.get("callback_data"), "url": b.get("url")}
                                for b in row] for row in self.markup["inline_keyboard"]]
        if self.photo:
            view["photo"] = f"/sim/files/{self.photo}"
        if self.document:
            view["document"] = {"url": f"/sim/files/{self.document}?download=1", "name": self.document_name}
        return view

    document_name: str = ""


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG (0, 0 when neither): the ``PhotoSize`` Telegram reports."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2:i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return width, height
            i += 2 + length
    return 0, 0


def photo_sizes(stored: StoredFile) -> list[dict[str, Any]]:
    width, height = image_size(stored.data)
    return [{"file_id": stored.file_id, "file_unique_id": "u" + stored.file_id, "width": width, "height": height,
             "file_size": len(stored.data)}]


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(rules.CHAT_NOT_FOUND) from None


class BotApiEmulator:
    """The embedded Bot API (see the module docstring). ``start()`` it, give the bot ``base_url``."""

    def __init__(self, token: str, *, host: str = "127.0.0.1", port: int = 0, bot: dict[str, Any] | None = None,
                 flood: FloodControl | None = None, poll_cap: float = POLL_CAP,
                 clock: Callable[[], float] = time.time) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.bot = dict(bot or DEFAULT_BOT)
        self.flood = flood or FloodControl()
        self.poll_cap = poll_cap
        self.clock = clock  # epoch seconds for message dates (``try`` passes the shifted clock)
        self.calls: list[Recorded] = []
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, list[dict[str, Any]]] = {}  # chat id → page items (messages and notices)
        self.messages: dict[tuple[int, int], ChatMessage] = {}
        self.files: dict[str, StoredFile] = {}
        self.menus: dict[str, list[dict[str, str]]] = {}  # scope key → commands
        self.typing: dict[int, float] = {}  # chat id → until (monotonic)
        self.version = 0
        self.page_routes: Callable[[BaseHTTPRequestHandler, str, str], bool] | None = None
        self._updates: list[dict[str, Any]] = []
        self._queries: dict[str, tuple[int, int]] = {}  # callback query id → (chat, message)
        self._cond = threading.Condition()
        self._counter_lock = threading.Lock()
        self._counters = {"update": 0, "message": 0, "file": 0, "notice": 0}
        self.server: ThreadingHTTPServer | None = None

    def _next(self, counter: str) -> int:
        """The next id of a kind (message ids, like Telegram's, are never reused, even after a restore)."""
        with self._counter_lock:
            self._counters[counter] += 1
            return self._counters[counter]

    # --- keeping the chats over a restart (pem-bot try) -------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the chats, menus, files and id counters into ``folder`` (``state.json`` and ``files/``)."""
        with self._cond:
            files_dir = folder / "files"
            files_dir.mkdir(parents=True, exist_ok=True)
            for stored in self.files.values():
                path = files_dir / stored.file_id
                if not path.exists():
                    path.write_bytes(stored.data)
            state = {"counters": self._counters, "users": list(self.users.values()), "menus": self.menus,
                     "chats": {str(k): v for k, v in self.chats.items()},
                     "messages": [dataclasses.asdict(m) for m in self.messages.values()],
                     "files": [{"file_id": f.file_id, "name": f.name, "mime": f.mime, "kind": f.kind}
                               for f in self.files.values()]}
            (folder / "state.json").write_text(json.dumps(state), "utf-8")

    def restore(self, folder: Path) -> bool:
        """Load what :meth:`save` wrote (False when there is nothing, or it cannot be read)."""
        try:
            state = json.loads((folder / "state.json").read_text("utf-8"))
            files = {f["file_id"]: StoredFile(f["file_id"], (folder / "files" / f["file_id"]).read_bytes(), f["name"],
                                              f["mime"], f["kind"]) for f in state["files"]}
            messages = {(m["chat_id"], m["message_id"]): ChatMessage(**m) for m in state["messages"]}
        except (OSError, ValueError, KeyError, TypeError):
            return False
        with self._cond:
            self._counters.update(state["counters"])
            self.users.update({int(u["id"]): u for u in state["users"]})
            self.menus.update(state["menus"])
            self.chats.update({int(k): v for k, v in state["chats"].items()})
            self.messages.update(messages)
            self.files.update(files)
            self._changed()
        return True

    # --- life cycle -------------------------------------------------------------------------------------------
    @property
    def address(self) -> str:
        assert self.server is not None
        return f"http://{self.host}:{self.server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """What the bot's ``TELEGRAM_API_BASE_URL`` is set to."""
        return f"{self.address}/bot"

    def start(self) -> BotApiEmulator:
        self.server = _Server((self.host, self.port), _handler_class(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="bot-api-emulator", daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def _changed(self) -> None:
        """Call with the condition held: wake the page's long polls and the waiting tests."""
        self.version += 1
        self._cond.notify_all()

    # --- the Bot API ------------------------------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any], files: dict[str, StoredFile] | None = None) -> Any:
        """Answer one Bot API call: its result, or raise :class:`ApiError` (also recorded, and shown)."""
        if method == "getUpdates":
            record = Recorded(method, params)
            with self._cond:
                self.calls.append(record)
                self._cond.notify_all()
            record.result = self._poll(params)
            return record.result
        with self._cond:
            record = Recorded(method, params)
            self.calls.append(record)
            try:
                record.result = self._dispatch(method, params, files or {})
            except ApiError as exc:
                record.error = exc
                chat = params.get("chat_id")
                if chat is not None and str(chat).lstrip("-").isdigit():
                    self._notice(int(chat), "error", f"{method}: {exc.code} {exc.description}")
                raise
            finally:
                self._changed()
            return record.result

    def _dispatch(self, method: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        if method in rules.SENDING_METHODS:
            self._check_send(method, params, files)
            self.flood.check(_as_int(params.get("chat_id")))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return True  # setWebhook, deleteWebhook, setMyDescription, …: accepted, nothing to show
        return handler(params, files)

    def _check_send(self, method: str, params: dict[str, Any], files: dict[str, StoredFile]) -> None:
        """The checks Telegram makes before anything is sent (so a refused message takes no flood token)."""
        rules.check_callback_data(params.get("reply_markup"))
        if method == "sendMessage":
            self._content(params.get("text"), params.get("parse_mode"), caption=False)
        elif "caption" in params:
            self._content(params.get("caption"), params.get("parse_mode"), caption=True)

    @staticmethod
    def _content(value: Any, parse_mode: Any, *, caption: bool) -> Parsed:
        source = "" if value is None else str(value)
        if parse_mode and str(parse_mode).upper() == "HTML":
            try:
                parsed = parse(source)
            except HtmlError as exc:
                raise bad_request(rules.CANT_PARSE.format(reason=exc)) from None
        else:
            parsed = plain(source)
        text = parsed.text.strip()
        if caption:
            if len(text) > rules.MAX_CAPTION:
                raise bad_request(rules.CAPTION_TOO_LONG)
        else:
            if not text:
                raise bad_request(rules.TEXT_EMPTY)
            if len(text) > rules.MAX_TEXT:
                raise bad_request(rules.TEXT_TOO_LONG)
        return parsed

    def _new_message(self, chat_id: int, sender: str, **fields: Any) -> ChatMessage:
        message = ChatMessage(self._next('message'), chat_id, sender, int(self.clock()), **fields)
        self.messages[(chat_id, message.message_id)] = message
        self.chats.setdefault(chat_id, []).append({"ref": message.message_id})
        self.typing.pop(chat_id, None)
        return message

    def _send(self, params: dict[str, Any], parsed: Parsed, **fields: Any) -> dict[str, Any]:
        chat_id = _as_int(params.get("chat_id"))
        markup = params.get("reply_markup") if isinstance(params.get("reply_markup"), dict) else None
        message = self._new_message(chat_id, "bot", text=parsed.text, html=parsed.safe_html, markup=markup,
                                    raw_text=str(params.get("text", params.get("caption", "")) or ""),
                                    parse_mode=params.get("parse_mode"), **fields)
        return message.api(self.bot, self.users.get(chat_id), self.files)

    def _file(self, value: Any, files: dict[str, StoredFile], kind: str) -> StoredFile:
        """An uploaded file (``attach://`` or the part itself) or a file id this server issued."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = files.get(value[len("attach://"):])
        if isinstance(value, StoredFile):
            value.kind = kind
            self.files[value.file_id] = value
            return value
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        raise bad_request(rules.WRONG_FILE_ID)

    def _api_getMe(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        return self.bot

    def _api_sendMessage(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        parsed = self._content(params.get("text"), params.get("parse_mode"), caption=False)
        return self._send(params, parsed)

    def _api_sendPhoto(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        stored = self._file(files.get("photo", params.get("photo")), files, "photo")
        parsed = self._content(params.get("caption"), params.get("parse_mode"), caption=True)
        return self._send(params, parsed, photo=stored.file_id, has_caption=bool(parsed.text))

    def _api_sendDocument(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        stored = self._file(files.get("document", params.get("document")), files, "document")
        parsed = self._content(params.get("caption"), params.get("parse_mode"), caption=True)
        return self._send(params, parsed, document=stored.file_id, document_name=stored.name,
                          has_caption=bool(parsed.text))

    def _editable(self, params: dict[str, Any]) -> ChatMessage:
        key = (_as_int(params.get("chat_id")), _as_int(params.get("message_id")))
        message = self.messages.get(key)
        if message is None or message.deleted or message.sender != "bot":
            raise bad_request(rules.EDIT_NOT_FOUND)
        return message

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        return markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None

    def _edited(self, message: ChatMessage, parsed: Parsed | None, markup: dict[str, Any] | None) -> Any:
        same_content = parsed is None or (parsed.text == message.text and parsed.safe_html == message.html)
        if same_content and markup == (message.markup or None):
            raise bad_request(rules.NOT_MODIFIED)
        if parsed is not None:
            message.text, message.html = parsed.text, parsed.safe_html
        message.markup = markup
        message.edited = int(self.clock())
        return message.api(self.bot, self.users.get(message.chat_id), self.files)

    def _api_editMessageText(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        rules.check_callback_data(params.get("reply_markup"))
        message = self._editable(params)
        if message.photo or message.document:
            raise bad_request(rules.NO_TEXT_TO_EDIT)
        parsed = self._content(params.get("text"), params.get("parse_mode"), caption=False)
        return self._edited(message, parsed, self._markup(params))

    def _api_editMessageCaption(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        rules.check_callback_data(params.get("reply_markup"))
        message = self._editable(params)
        if not (message.photo or message.document):
            raise bad_request(rules.NO_CAPTION_TO_EDIT)
        parsed = self._content(params.get("caption"), params.get("parse_mode"), caption=True)
        return self._edited(message, parsed, self._markup(params))

    def _api_editMessageReplyMarkup(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        rules.check_callback_data(params.get("reply_markup"))
        return self._edited(self._editable(params), None, self._markup(params))

    def _api_deleteMessage(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        message = self.messages.get((_as_int(params.get("chat_id")), _as_int(params.get("message_id"))))
        if message is None or message.deleted:
            raise bad_request(rules.DELETE_NOT_FOUND)
        message.deleted = True
        return True

    def _api_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        where = self._queries.pop(str(params.get("callback_query_id")), None)
        if where is None:
            raise bad_request(rules.QUERY_TOO_OLD)
        text = str(params.get("text") or "")
        if len(text) > rules.MAX_CALLBACK_ANSWER:
            raise bad_request("Bad Request: MESSAGE_TOO_LONG")
        if text:
            alert = str(params.get("show_alert")).lower() == "true"
            self._notice(where[0], "alert" if alert else "toast", text)
        return True

    def _api_sendChatAction(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        self.typing[_as_int(params.get("chat_id"))] = time.monotonic() + 5
        return True

    def _api_getFile(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise bad_request(rules.WRONG_FILE_ID)
        return {"file_id": stored.file_id, "file_unique_id": "u" + stored.file_id, "file_size": len(stored.data),
                "file_path": stored.file_path}

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        if isinstance(scope, str):
            scope = json.loads(scope)
        key = scope.get("type", "default")
        if "chat_id" in scope:
            key += f":{scope['chat_id']}"
        return f"{key}|{params.get('language_code') or ''}"

    def _api_setMyCommands(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        commands = params.get("commands") or []
        self.menus[self._scope_key(params)] = [{"command": c["command"], "description": c["description"]}
                                               for c in commands]
        return True

    def _api_deleteMyCommands(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        self.menus.pop(self._scope_key(params), None)
        return True

    def _api_getMyCommands(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        return self.menus.get(self._scope_key(params), [])

    def menu_for(self, user_id: int) -> list[dict[str, str]]:
        """The menu a Telegram client shows this user: their chat's scope, else the default scope in their
        language, else the default scope (Telegram's order, for a private chat)."""
        lang = (self.users.get(user_id) or {}).get("language_code") or ""
        for key in (f"chat:{user_id}|{lang}", f"chat:{user_id}|", f"all_private_chats|{lang}",
                    "all_private_chats|", f"default|{lang}", "default|"):
            if key in self.menus:
                return self.menus[key]
        return []

    def _poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), self.poll_cap)
        with self._cond:
            while True:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or time.monotonic() >= deadline:
                    return list(self._updates)
                self._cond.wait(timeout=max(deadline - time.monotonic(), 0.01))

    # --- the user side (the page and the tests) ---------------------------------------------------------------
    def add_user(self, user_id: int, first_name: str, language_code: str = "id", last_name: str = "") -> None:
        with self._cond:
            user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
            if last_name:
                user["last_name"] = last_name
            self.users[user_id] = user
            self.chats.setdefault(user_id, [])
            self._changed()

    def _user(self, user_id: int) -> dict[str, Any]:
        if user_id not in self.users:
            self.users[user_id] = {"id": user_id, "is_bot": False, "first_name": "T", "language_code": "id"}
            self.chats.setdefault(user_id, [])
        return self.users[user_id]

    def _queue(self, payload: dict[str, Any]) -> int:
        update_id = self._next('update')
        self._updates.append({"update_id": update_id, **payload})
        self._changed()
        return update_id

    def push_raw(self, payload: dict[str, Any]) -> int:
        """Queue an update exactly as given, with the next update id (fault tests: an update PTB can't read)."""
        with self._cond:
            return self._queue(payload)

    def user_sends(self, user_id: int, text: str) -> int:
        """The user types ``text`` (a leading ``/command`` becomes a bot_command entity). Returns the message id."""
        with self._cond:
            user = self._user(user_id)
            # A deep link (t.me/bot?start=TOKEN) sends "/start TOKEN"; the client shows only "/start".
            shown = "/start" if text.startswith("/start ") else text
            message = self._new_message(user_id, "user", text=text, html=plain(shown).safe_html)
            api = message.api(self.bot, user, self.files)
            if text.startswith("/"):
                api["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
            self._queue({"message": api})
            return message.message_id

    def user_sends_photo(self, user_id: int, data: bytes, *, name: str = "photo.jpg", caption: str = "") -> int:
        """The user sends a photo (the page's upload button stands in for the camera)."""
        with self._cond:
            user = self._user(user_id)
            stored = StoredFile(f"sim-{self._next('file')}", data, name, mimetypes.guess_type(name)[0]
                                or "image/jpeg", "photo")
            self.files[stored.file_id] = stored
            message = self._new_message(user_id, "user", text=caption, html=plain(caption).safe_html,
                                        photo=stored.file_id, has_caption=bool(caption))
            self._queue({"message": message.api(self.bot, user, self.files)})
            return message.message_id

    def user_taps(self, user_id: int, message_id: int, data: str) -> str:
        """The user taps the inline button with ``data`` under the bot's message ``message_id``. Like a Telegram
        client, only a button that is on the message now can be tapped (ValueError otherwise)."""
        with self._cond:
            user = self._user(user_id)
            message = self.messages.get((user_id, message_id))
            buttons = [b.get("callback_data") for row in ((message.markup or {}).get("inline_keyboard") or [])
                       for b in row] if message and not message.deleted else []
            if data not in buttons:
                raise ValueError(f"no button {data!r} on message {message_id} of chat {user_id}")
            query_id = str(self._next('update') * 1000 + user_id % 1000)
            self._queries[query_id] = (user_id, message_id)
            self._queue({"callback_query": {"id": query_id, "from": user, "chat_instance": str(user_id),
                                            "data": data, "message": message.api(self.bot, user, self.files)}})
            return query_id

    def _notice(self, chat_id: int, kind: str, text: str) -> None:
        self.chats.setdefault(chat_id, []).append({"kind": kind, "id": f"n{self._next('notice')}", "text": text,
                                                   "date": int(self.clock())})

    def notice(self, chat_id: int, kind: str, text: str) -> None:
        """A line in a chat that is not a message (the clock control's report, an error of the simulator)."""
        with self._cond:
            self._notice(chat_id, kind, text)
            self._changed()

    # --- views ------------------------------------------------------------------------------------------------
    def chat_view(self, chat_id: int) -> list[dict[str, Any]]:
        items = []
        for item in self.chats.get(chat_id, []):
            if "ref" in item:
                message = self.messages[(chat_id, item["ref"])]
                if not message.deleted:
                    items.append(message.page())
            else:
                items.append(item)
        return items

    def bot_messages(self, chat_id: int) -> list[ChatMessage]:
        with self._cond:
            return [self.messages[(chat_id, i["ref"])] for i in self.chats.get(chat_id, []) if "ref" in i
                    and self.messages[(chat_id, i["ref"])].sender == "bot"
                    and not self.messages[(chat_id, i["ref"])].deleted]

    def wait_version(self, after: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.version <= after:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(timeout=remaining)
            return self.version

    def mark(self) -> int:
        """A position in the call history, for ``wait_for(..., since=mark)``."""
        with self._cond:
            return len(self.calls)

    def wait_for(self, method: str, predicate: Callable[[dict[str, Any]], bool] | None = None,
                 timeout: float = 20.0, since: int = 0, *, ok: bool = True) -> Recorded:
        """Block until a call of ``method`` (answered without error when ``ok``, matching ``predicate(params)``)
        made after call number ``since`` arrives; return it."""
        deadline = time.monotonic() + timeout
        seen = since
        with self._cond:
            while True:
                for call in self.calls[seen:]:
                    if call.method == method and (not ok or call.error is None) and (
                            predicate is None or predicate(call.params)):
                        return call
                seen = len(self.calls)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no {method} within {timeout}s; calls: {[c.method for c in self.calls]}")
                self._cond.wait(timeout=remaining)

    def wait_for_reply(self, chat_id: int, needle: str, timeout: float = 20.0, since: int = 0) -> Recorded:
        """The first message sent (or edited into) ``chat_id`` after ``since`` whose text contains ``needle``."""
        def matches(params: dict[str, Any]) -> bool:
            return str(params.get("chat_id")) == str(chat_id) and needle in str(
                params.get("text", params.get("caption", "")))
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.wait_for_any(("sendMessage", "sendPhoto", "editMessageText"), matches,
                                         max(deadline - time.monotonic(), 0.01), since)
            except TimeoutError:
                raise TimeoutError(f"no reply with {needle!r} to {chat_id} within {timeout}s; bot said: "
                                   f"{[m.text[:60] for m in self.bot_messages(chat_id)]}") from None

    def wait_for_any(self, methods: tuple[str, ...], predicate: Callable[[dict[str, Any]], bool],
                     timeout: float, since: int) -> Recorded:
        deadline = time.monotonic() + timeout
        seen = since
        with self._cond:
            while True:
                for call in self.calls[seen:]:
                    if call.method in methods and call.error is None and predicate(call.params):
                        return call
                seen = len(self.calls)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no {methods} within {timeout}s")
                self._cond.wait(timeout=remaining)

    def errors(self) -> list[Recorded]:
        with self._cond:
            return [c for c in self.calls if c.error is not None]


# --- HTTP -----------------------------------------------------------------------------------------------------
class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A long poll dropped by the bot at shutdown, a page closed mid-request: normal, stay quiet."""


def parse_body(body: bytes, content_type: str) -> tuple[dict[str, Any], dict[str, StoredFile]]:
    """A Bot API request's parameters (JSON, form or multipart, values JSON-decoded where they are JSON) and its
    uploaded files."""
    params: dict[str, Any] = {}
    files: dict[str, StoredFile] = {}
    if not body:
        return params, files
    if "json" in content_type:
        return json.loads(body), files
    if content_type.startswith("multipart/"):
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                mime = part.get_content_type()
                if mime in ("application/octet-stream", "text/plain"):
                    mime = mimetypes.guess_type(filename)[0] or mime
                files[str(name)] = StoredFile("", payload, filename, mime, "document")
            else:
                params[str(name)] = _json_or_text(payload.decode("utf-8", "replace"))
        return params, files
    for key, values in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items():
        params[key] = _json_or_text(values[0])
    return params, files


def _json_or_text(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _handler_class(api: BotApiEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            return None

        def _route(self, verb: str) -> None:
            path = unquote(urlsplit(self.path).path)
            bot_prefix = f"/bot{api.token}/"
            file_prefix = f"/file/bot{api.token}/"
            if path.startswith(bot_prefix):
                self._bot_api(path[len(bot_prefix):])
            elif path.startswith(file_prefix):
                self._download(path[len(file_prefix):])
            elif path.startswith(("/bot", "/file/bot")):
                self.reply_json(401, {"ok": False, "error_code": 401, "description": rules.UNAUTHORIZED})
            elif api.page_routes is None or not api.page_routes(self, verb, path):
                self.reply_json(404, {"ok": False, "error_code": 404, "description": rules.NOT_FOUND})

        def do_POST(self) -> None:
            self._route("POST")

        def do_GET(self) -> None:
            self._route("GET")

        def read_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _bot_api(self, method: str) -> None:
            try:
                params, files = parse_body(self.read_body(), self.headers.get("Content-Type", ""))
                for stored in files.values():
                    stored.file_id = f"bot-{api._next('file')}"
                result = api.call(method, params, files)
            except ApiError as exc:
                self.reply_json(exc.code, exc.payload())
                return
            self.reply_json(200, {"ok": True, "result": result})

        def _download(self, file_path: str) -> None:
            stored = next((f for f in list(api.files.values()) if f.file_path == file_path), None)
            if stored is None:
                self.reply_json(404, {"ok": False, "error_code": 404, "description": rules.NOT_FOUND})
                return
            self.reply_bytes(200, stored.data, stored.mime)

        def reply_json(self, status: int, payload: Any) -> None:
            self.reply_bytes(status, json.dumps(payload).encode(), "application/json")

        def reply_bytes(self, status: int, data: bytes, content_type: str,
                        headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
