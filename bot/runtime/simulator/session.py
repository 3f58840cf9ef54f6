"""``pem-bot try``: the demo database, the embedded Bot API, the real bot against it, the chat page.

One process, two threads: the emulator's HTTP server (Bot API *and* page, one port) runs in daemon threads, the
bot runs in the main thread exactly as ``pem-bot run`` does (:func:`bot.runtime.app.build_application` and
``run_polling``, long polling through ``TELEGRAM_API_BASE_URL``), so what the page shows is what production does.

- The database is ``<data_dir>/try.sqlite3`` (``./data`` by default), never ``PEM_DATABASE``. The first run (or
  ``--fresh``) writes the demo kelurahan with :func:`bot.services.demo.write_demo`, inviting the staff, two
  borrowers (Yohanes and Maria) and a city user, and records the personas in ``try.personas.json``; each persona's
  invite is redeemed by a real ``/start <token>`` from their chat, so everyone starts linked, with their menu.
- Backups of the try database go to ``<data_dir>/try-backups``, never ``PEM_BACKUP_DIR``.
- The chats (messages, photos, documents, menus, the emulator's id counters) are saved at shutdown into
  ``<data_dir>/try-chats`` and brought back at the next start on the same database (``--fresh`` forgets them), so
  a training session can stop and go on; message ids are never reused, as in Telegram (the bot keeps ids of
  messages it edits later).
- The clock control (:meth:`TrySession.jump`) moves :mod:`bot.runtime.clock` to the chosen instant and runs the
  catch-up tick there in the bot's event loop, as ``pem-bot tick --at`` does (:func:`bot.runtime.tick.run_due` with
  ``catch_up=True``, under the scheduler's tick lock). The clock then keeps running from there, for the
  scheduler's minute tick and every handler. It only moves forward.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import shutil
import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from bot.domain.demo import generate
from bot.runtime import clock
from bot.runtime.app import PemApplication, allowed_updates, build_application
from bot.runtime.config import Settings
from bot.runtime.scheduler import tick_lock
from bot.runtime.simulator.botapi import BotApiEmulator
from bot.runtime.simulator.web import page_routes
from bot.runtime.tick import TickReport, run_due
from bot.services.demo import CITY_USER, write_demo
from messages import render
from storage import people
from storage.crypto import cipher_for
from storage.db import Database
from storage.migrate import migrate

log = logging.getLogger(__name__)

TOKEN = "700000002:PEM-try-simulator"
BOT = {"id": 700000002, "is_bot": True, "first_name": "PEM Bot", "username": "pem_try_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
DEMO_SEED = 1
#: The demo people shown on the page, in the switcher's order: (key, role, first name of a borrower or None).
PERSONA_ORDER = (("yohanes", "borrower", "Yohanes"), ("maria", "borrower", "Maria"), ("treasurer", "treasurer", None),
                 ("lurah", "lurah", None), ("coordinator", "coordinator", None), ("admin", "admin", None),
                 ("city", "city", None))
FIRST_USER_ID = 880_000_001


@dataclass(frozen=True)
class Persona:
    key: str
    role: str
    name: str
    person_id: int
    user_id: int
    token: str

    @property
    def first_name(self) -> str:
        parts = [p for p in self.name.split() if not p.endswith(".")]
        return parts[0] if parts else self.name


def try_settings(settings: Settings, data_dir: Path) -> Settings:
    """The configured settings with the simulator's token, database and backups (nothing of production)."""
    return dataclasses.replace(settings, token=TOKEN, bot_username=BOT["username"], api_base_url=None,
                               database=data_dir / "try.sqlite3", backup_dir=data_dir / "try-backups")


def _reset(db_path: Path, personas_file: Path, *, fresh: bool) -> bool:
    """Delete the try database and its personas for a fresh start; True when the demo must be (re)created."""
    if not fresh and db_path.exists() and personas_file.exists():
        return False
    personas_file.parent.mkdir(parents=True, exist_ok=True)
    for path in (db_path, db_path.with_name(db_path.name + "-wal"), db_path.with_name(db_path.name + "-shm"),
                 personas_file):
        path.unlink(missing_ok=True)
    return True


def chats_dir(data_dir: Path) -> Path:
    """Where the simulator keeps its chats between runs (they belong to this database)."""
    return data_dir / "try-chats"


def _forget_chats(folder: Path) -> None:
    if folder.is_dir():
        shutil.rmtree(folder)


def _save(personas_file: Path, personas: list[Persona]) -> None:
    personas_file.write_text(json.dumps([dataclasses.asdict(p) for p in personas], indent=1), "utf-8")


def _load(personas_file: Path) -> list[Persona]:
    return [Persona(**p) for p in json.loads(personas_file.read_text("utf-8"))]


async def prepare(settings: Settings, data_dir: Path, *, fresh: bool) -> tuple[list[Persona], bool]:
    """Create (or reuse) the demo database and its personas; True in the second place when it was created.
    A persona already linked (an earlier run redeemed the invite) comes back without a token."""
    personas_file = data_dir / "try.personas.json"
    created = _reset(settings.database, personas_file, fresh=fresh)
    if created:
        _forget_chats(chats_dir(data_dir))
    db = await Database(settings.database, data_key=cipher_for(settings.data_key)).open()
    try:
        await migrate(db)
        if created:
            data = generate(DEMO_SEED, clock.local_today(settings.timezone), settings.default_kelurahan)
            written = await write_demo(db, data, language=settings.language, timezone=settings.timezone,
                                       now=clock.utcnow(), invite_borrowers=("Yohanes", "Maria"), city_user=CITY_USER,
                                       receipt_key=settings.receipt_key)
            assert written is not None  # the database was just created
            by_role = {str(i.role): i for i in written.staff}
            borrowers = list(written.borrowers)
            personas = []
            for n, (key, role, _first) in enumerate(PERSONA_ORDER):
                invited = (borrowers.pop(0) if role == "borrower" and borrowers else
                           written.city if role == "city" else by_role.get(role))
                if invited is not None:
                    personas.append(Persona(key, role, invited.person.name, invited.person.id, FIRST_USER_ID + n,
                                            invited.token))
            _save(personas_file, personas)
        else:
            personas = _load(personas_file)
        linked = {p.key for p in personas if (person := await people.get(db, p.person_id)) is not None
                  and person.telegram_user_id is not None}
    finally:
        await db.close()
    return [dataclasses.replace(p, token="" if p.key in linked else p.token) for p in personas], created


class TrySession:
    """The running simulator: emulator + page + the bot (``run()`` blocks until Ctrl+C)."""

    def __init__(self, settings: Settings, personas: list[Persona], *, host: str = "127.0.0.1",
                 port: int = 8090, state_dir: Path | None = None) -> None:
        self.personas = personas
        #: where the chats are kept between runs (``<data dir>/try-chats``); None keeps nothing
        self.state_dir = state_dir
        self.api = BotApiEmulator(TOKEN, host=host, port=port, bot=BOT, clock=lambda: clock.utcnow().timestamp())
        self.api.page_routes = page_routes(self)
        self.settings = settings
        self.app: PemApplication | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.started = threading.Event()  # the bot polls
        self.ready = threading.Event()  # … and every persona's /start has been answered (the page may jump)

    @property
    def url(self) -> str:
        return self.api.address + "/"

    def start_server(self) -> None:
        """Bind the port (OSError when it is taken), bring back the chats of the last run on this database
        (:attr:`state_dir`), and add the personas' chats."""
        self.api.start()
        if self.state_dir is not None:
            self.api.restore(self.state_dir)
        for persona in self.personas:
            self.api.add_user(persona.user_id, persona.first_name, language_code=self.settings.language)
        self.settings = dataclasses.replace(self.settings, api_base_url=self.api.base_url)

    def run(self) -> None:
        """Start the bot (the production path) and block until it stops; then stop the server."""
        app = build_application(self.settings)
        self.app = app
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        original_post_init = app.post_init

        async def post_init(application: Any) -> None:
            if original_post_init is not None:
                await original_post_init(application)
            self.started.set()

        app.post_init = post_init
        threading.Thread(target=self._wait_linked, name="try-linked", daemon=True).start()
        for persona in self.personas:  # redeem the invites: the bot sees a real /start from each chat
            if persona.token:
                self.api.user_sends(persona.user_id, f"/start {persona.token}")
        try:
            app.run_polling(allowed_updates=allowed_updates(), close_loop=False, bootstrap_retries=-1)
        finally:
            self.api.stop()
            if self.state_dir is not None:
                self.api.save(self.state_dir)
            self.loop.close()

    def _wait_linked(self, timeout: float = 30.0) -> None:
        """Set :attr:`ready` once the bot polls and has greeted every persona it was sent a /start for."""
        if self.started.wait(timeout=120):
            for persona in self.personas:
                if persona.token:
                    try:
                        self.api.wait_for("sendMessage", lambda p, uid=persona.user_id: str(p.get("chat_id"))
                                          == str(uid), timeout=timeout)
                    except TimeoutError:
                        log.warning("no greeting for %s within %ss", persona.name, timeout)
            self.ready.set()

    # --- the clock control ------------------------------------------------------------------------------------
    def now_local(self) -> datetime:
        return clock.local_now(self.settings.timezone)

    def target(self, preset: str | None, day: str | None, at: str | None) -> datetime:
        """The instant a jump asks for, in WITA: ``preset="tomorrow-0700"`` or a date (and a time, 07:00 when
        none); ValueError for a date that cannot be read."""
        tz = self.settings.timezone
        if preset == "tomorrow-0700":
            return datetime.combine(self.now_local().date() + timedelta(days=1), time(7), tz)
        if preset == "next-hour":
            return (self.now_local() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        if not day:
            raise ValueError("no date")
        moment = time.fromisoformat(at) if at else time(7)
        return datetime.combine(datetime.strptime(day, "%Y-%m-%d").date(), moment, tz)

    def jump(self, target: datetime) -> dict[str, Any]:
        """Move the clock to ``target`` and run the tick there (called from the page's thread)."""
        if self.loop is None or self.app is None or not self.ready.is_set():
            return {"ok": False, "error": render("plain/try/clock", self.settings.language, kind="not_ready")}
        if target <= clock.utcnow():
            return {"ok": False, "error": render("plain/try/clock", self.settings.language, kind="past",
                                                 now=clock.utcnow(), at=target, tz=self.settings.timezone)}
        future = asyncio.run_coroutine_threadsafe(self._tick(target), self.loop)
        report = future.result(timeout=600)
        text = render("plain/try/clock", self.settings.language, kind="ran", at=target, ran=list(report.ran),
                      tz=self.settings.timezone,
                      enqueued=report.enqueued, sent=report.send.sent, deferred=report.send.deferred,
                      failed=report.send.failed + len(report.failed_jobs))
        for persona in self.personas:
            self.api.notice(persona.user_id, "clock", text)
        return {"ok": True, "report": text}

    async def _tick(self, target: datetime) -> TickReport:
        app = self.app
        assert app is not None
        async with tick_lock(app):
            clock.travel_to(target)
            return await run_due(app.db, app.bot, app.settings, target, catch_up=True)
