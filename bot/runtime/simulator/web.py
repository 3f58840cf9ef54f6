"""The chat page of ``pem-bot try``: static files (``static/``, package data) and a small JSON API on the
emulator's own port.

- ``GET /`` the page; ``GET /static/<file>`` its script and style (no build step, no npm);
- ``GET /sim/state?after=<version>`` long-polls (up to 20 s) until something changed, then returns the clock,
  the personas with their command menus (from ``setMyCommands``, per scope and language) and every chat;
- ``POST /sim/send`` ``{"user_id", "text"}``, ``POST /sim/tap`` ``{"user_id", "message_id", "data"}``,
  ``POST /sim/photo`` (multipart: ``user_id``, ``caption``, ``photo``): what a Telegram client does;
- ``POST /sim/clock`` ``{"preset": "tomorrow-0700"}`` or ``{"date": "2026-12-10", "time": "07:00"}``: the clock
  control (:meth:`bot.runtime.simulator.session.TrySession.jump`);
- ``GET /sim/files/<file id>`` a photo inline, or with ``?download=1`` a document as an attachment.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from bot.runtime.simulator.botapi import parse_body
from messages import render

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

    from bot.runtime.simulator.session import TrySession

STATIC = resources.files("bot.runtime.simulator") / "static"
STATE_WAIT = 20.0


def static_file(name: str) -> bytes | None:
    if "/" in name or name.startswith("."):
        return None
    path = STATIC / name
    return path.read_bytes() if path.is_file() else None


def state(session: TrySession) -> dict[str, Any]:
    api = session.api
    with api._cond:
        personas = [{"key": p.key, "role": p.role, "name": p.name, "user_id": p.user_id,
                     "menu": api.menu_for(p.user_id), "typing": p.user_id in api.typing}
                    for p in session.personas]
        chats = {str(p.user_id): api.chat_view(p.user_id) for p in session.personas}
        version = api.version
    now = session.now_local()
    return {"version": version, "now": now.isoformat(timespec="minutes"),
            "now_label": render("plain/try/now", session.settings.language, now=now, tz=session.settings.timezone),
            "ready": session.ready.is_set(), "personas": personas, "chats": chats}


def page_routes(session: TrySession) -> Callable[[BaseHTTPRequestHandler, str, str], bool]:
    """The page's routes, for :attr:`bot.runtime.simulator.botapi.BotApiEmulator.page_routes`."""

    def route(handler: Any, verb: str, path: str) -> bool:
        api = session.api
        query = parse_qs(urlsplit(handler.path).query)
        if verb == "GET" and path in ("/", "/index.html"):
            handler.reply_bytes(200, static_file("index.html") or b"", "text/html; charset=utf-8",
                                {"Cache-Control": "no-store"})
            return True
        if verb == "GET" and path.startswith("/static/"):
            data = static_file(path[len("/static/"):])
            if data is None:
                return False
            handler.reply_bytes(200, data, (mimetypes.guess_type(path)[0] or "application/octet-stream")
                                + ("; charset=utf-8" if path.endswith((".js", ".css")) else ""),
                                {"Cache-Control": "no-store"})
            return True
        if verb == "GET" and path == "/sim/state":
            after = int((query.get("after") or ["-1"])[0])
            api.wait_version(after, STATE_WAIT)
            handler.reply_json(200, state(session))
            return True
        if verb == "GET" and path.startswith("/sim/files/"):
            stored = api.files.get(path[len("/sim/files/"):])
            if stored is None:
                return False
            headers = {}
            if query.get("download"):
                headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(stored.name)}"
            handler.reply_bytes(200, stored.data, stored.mime, headers)
            return True
        if verb != "POST" or not path.startswith("/sim/"):
            return False
        body = handler.read_body()
        try:
            if path == "/sim/photo":
                params, files = parse_body(body, handler.headers.get("Content-Type", ""))
                upload = files.get("photo")
                if upload is None or not upload.data:
                    handler.reply_json(400, {"ok": False, "error": "no photo"})
                    return True
                message_id = api.user_sends_photo(int(params["user_id"]), upload.data, name=upload.name or "photo.jpg",
                                                  caption=str(params.get("caption") or ""))
                handler.reply_json(200, {"ok": True, "message_id": message_id})
                return True
            payload = json.loads(body or b"{}")
            if path == "/sim/send":
                text = str(payload.get("text") or "").strip()
                if not text:
                    handler.reply_json(400, {"ok": False, "error": "empty"})
                    return True
                handler.reply_json(200, {"ok": True, "message_id": api.user_sends(int(payload["user_id"]), text)})
            elif path == "/sim/tap":
                api.user_taps(int(payload["user_id"]), int(payload["message_id"]), str(payload["data"]))
                handler.reply_json(200, {"ok": True})
            elif path == "/sim/clock":
                try:
                    target = session.target(payload.get("preset"), payload.get("date"), payload.get("time"))
                except ValueError:
                    handler.reply_json(400, {"ok": False, "error": render("plain/try/clock",
                                                                          session.settings.language, kind="bad")})
                    return True
                result = session.jump(target)
                handler.reply_json(200 if result["ok"] else 409, result)
            else:
                return False
        except (KeyError, ValueError) as exc:
            handler.reply_json(400, {"ok": False, "error": str(exc)})
        return True

    return route
