"""A small fake Telegram Bot API server over real HTTP (stdlib only), for end-to-end tests of `pem-bot run`.

It serves ``POST /bot<token>/<method>``: ``getMe``, ``getUpdates`` (real long polling: it holds the request until
an update is queued or the poll's timeout, capped at 2 s, runs out), ``sendMessage`` / ``sendPhoto`` and friends
(answered with plausible messages), and answers ``True`` to anything else. Every call is recorded.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT = {"id": 7000000002, "is_bot": True, "first_name": "PEM Bot", "username": "pem_e2e_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}


@dataclass
class Recorded:
    method: str
    params: dict[str, Any]


@dataclass
class FakeBotApi:
    token: str
    calls: list[Recorded] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _update_ids: Any = field(default_factory=lambda: itertools.count(1))
    _message_ids: Any = field(default_factory=lambda: itertools.count(500))
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def start(self) -> FakeBotApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                prefix = f"/bot{api.token}/"
                if not self.path.startswith(prefix):
                    self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    return
                method = self.path[len(prefix):]
                params = api._parse(body, self.headers.get("Content-Type", ""))
                self._reply(200, {"ok": True, "result": api._handle(method, params)})

            do_GET = do_POST

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                """A long poll dropped by the bot at shutdown is normal; stay quiet about it."""

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @staticmethod
    def _parse(body: str, content_type: str) -> dict[str, Any]:
        if not body:
            return {}
        if "json" in content_type:
            return json.loads(body)
        params: dict[str, Any] = {}
        for key, values in parse_qs(body, keep_blank_values=True).items():
            value = values[0]
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
        return params

    def _handle(self, method: str, params: dict[str, Any]) -> Any:
        with self._cond:
            self.calls.append(Recorded(method, params))
            self._cond.notify_all()
        if method == "getMe":
            return BOT
        if method == "getUpdates":
            return self._poll(params)
        if method.startswith(("send", "edit")):
            chat_id = int(params.get("chat_id", 0))
            message = {"message_id": next(self._message_ids), "date": int(time.time()),
                       "chat": {"id": chat_id, "type": "private"}, "from": BOT}
            if "text" in params:
                message["text"] = params["text"]
            if "caption" in params:
                message["caption"] = params["caption"]
            return message
        if method == "getFile":
            return {"file_id": params.get("file_id"), "file_unique_id": "f", "file_path": "photos/x.jpg"}
        return True

    def _poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)
        with self._cond:
            while True:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or time.monotonic() >= deadline:
                    return list(self._updates)
                self._cond.wait(timeout=max(deadline - time.monotonic(), 0.01))

    # --- used by tests ----------------------------------------------------------------------------------------
    def push(self, payload: dict[str, Any]) -> None:
        with self._cond:
            self._updates.append({"update_id": next(self._update_ids), **payload})
            self._cond.notify_all()

    def push_command(self, user_id: int, text: str, first_name: str = "Tester") -> None:
        command = text.split()[0]
        self.push({"message": {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": first_name},
            "from": {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "id"},
            "text": text, "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}]}})

    def push_text(self, user_id: int, text: str) -> None:
        self.push({"message": {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "T"},
            "from": {"id": user_id, "is_bot": False, "first_name": "T", "language_code": "id"}, "text": text}})

    def push_button(self, user_id: int, data: str) -> None:
        self.push({"callback_query": {
            "id": str(next(self._message_ids)), "chat_instance": "ci", "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": "T", "language_code": "id"},
            "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": user_id, "type": "private"},
                        "from": BOT, "text": "…"}}})

    def mark(self) -> int:
        """A position in the call history, for ``wait_for(..., since=mark)``."""
        with self._cond:
            return len(self.calls)

    def wait_for(self, method: str, predicate: Any = None, timeout: float = 20.0, since: int = 0) -> Recorded:
        """Block until a call of ``method`` (matching ``predicate(params)``) made after call number ``since``
        arrives; return it."""
        deadline = time.monotonic() + timeout
        seen = since
        with self._cond:
            while True:
                for call in self.calls[seen:]:
                    if call.method == method and (predicate is None or predicate(call.params)):
                        return call
                seen = len(self.calls)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no {method} within {timeout}s; calls: {[c.method for c in self.calls]}")
                self._cond.wait(timeout=remaining)

    def wait_for_reply(self, chat_id: int, needle: str, timeout: float = 20.0, since: int = 0) -> Recorded:
        return self.wait_for("sendMessage", lambda p: int(p.get("chat_id", 0)) == chat_id
                             and needle in str(p.get("text", "")), timeout, since)
