"""The Application factory.

:func:`build_application` wires python-telegram-bot to the database, the rate limiter and the handlers. There
is no PTB persistence: form drafts live in the ``form_drafts`` table (:mod:`storage.drafts`), written by the
form engine in the step's own statement. The database is opened and migrated at the start of ``initialize()``,
the default command menus are set in ``post_init``, and the database is closed in ``post_shutdown``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

import handlers
import messages
from bot.runtime import clock, limiter, sender
from bot.runtime.config import Settings
from bot.runtime.processor import PerChatProcessor
from bot.runtime.scheduler import finish_catch_up, release_lease, setup_scheduler, start_catch_up
from bot.runtime.updates import OnSkip, ReadableUpdatesRequest
from bot.services.updates import record_skipped_update
from handlers.common import calls_alongside
from handlers.menus import set_default_menus
from storage.crypto import cipher_for
from storage.db import Database, shutdown_worker_pool, start_worker_pool
from storage.migrate import migrate

log = logging.getLogger(__name__)

class PemApplication(Application):
    """An Application that knows its settings and database (and whether the scheduler runs)."""

    settings: Settings
    db: Database
    #: True when the scheduler runs (ticks every minute, catch-up at start-up); see bot/runtime/scheduler.py.
    scheduled: bool = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._handed_off: set[asyncio.Task[Any]] = set()
        self._warm_up: asyncio.Task[int] | None = None

    def start_warm_up(self) -> None:
        """Compile every message template in the background (:func:`messages.warming`), one per turn of the
        event loop, so that the first replies after a start do not wait while Jinja compiles what they need:
        that was the last miss of issue 12 (the first burst of button presses after a start answered in
        230-370 ms at p99, docs/performance.md). From Jinja's bytecode cache it takes ~0.3 s; the very first
        start on a machine compiles, ~2-3 s. Polling does not wait for it. It ends with ``gc.freeze()``
        (see :meth:`_warm`)."""
        if self._warm_up is None:
            self._warm_up = asyncio.get_running_loop().create_task(self._warm(), name="pem-warm-up")

    async def _warm(self) -> int:
        count = 0
        for _ in messages.warming():
            count += 1
            await asyncio.sleep(0)
        # What start-up made (modules, compiled templates, the handlers) lives as long as the process: moved out
        # of the garbage collector's reach, a full collection no longer walks it. Such a collection stopped the
        # event loop for ~100 ms, the tail of the answers at N = 50 (docs/performance.md, issue 12).
        gc.freeze()
        return count

    async def warmed(self) -> int:
        """Wait for the warm-up started by :meth:`start_warm_up` (the bench, tests); the number of steps."""
        return await self._warm_up if self._warm_up is not None else 0

    async def _stop_warm_up(self) -> None:
        if self._warm_up is not None and not self._warm_up.done():
            self._warm_up.cancel()
            await asyncio.gather(self._warm_up, return_exceptions=True)

    async def process_update(self, update: object) -> None:
        """PTB's, then wait for the calls the handlers started alongside their replies (a callback's answer,
        :func:`handlers.common.alongside`): the update counts as handled, and the same user's next update
        starts, only once they are done."""
        async with calls_alongside():
            await super().process_update(update)

    def hand_off_notices(self, queued: Sequence[sender.QueuedNotice],
                         on_outcome: Callable[[str], Awaitable[None]] | None = None) -> None:
        """Let the sender deliver notices to other people off the update (issue 12): the update ends without
        waiting for their Bot API calls. The rows are already in the outbox, claimed with a lease
        (:func:`bot.runtime.sender.queue_notice`): if the process stops first, the minute tick sends them.
        ``on_outcome`` is called with each delivery's outcome (``"sent"``, ``"forbidden"``, ...), off the update
        too (:func:`handlers.common.notify_person` tells the person it answered when a notice could not go)."""
        if not queued:
            return
        with limiter.priority(limiter.Priority.NOTICE):
            self._keep(asyncio.get_running_loop().create_task(self._deliver(list(queued), on_outcome),
                                                              name="pem-notices"))

    async def _deliver(self, queued: list[sender.QueuedNotice],
                       on_outcome: Callable[[str], Awaitable[None]] | None = None) -> None:
        for one in queued:
            try:
                outcome = await sender.deliver_notice(self.db, self.bot, self.settings, one)
            except TelegramError:
                log.exception("could not deliver notice %s to person %s", one.notice.dedupe_key,
                              one.notice.person.id)
                outcome = "failed"
            if on_outcome is not None:
                try:
                    await on_outcome(outcome)
                except Exception:  # the follow-up is a courtesy: never let it take the sender down
                    log.exception("the follow-up of notice %s failed", one.notice.dedupe_key)

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self._handed_off.add(task)
        task.add_done_callback(self._handed_off.discard)

    async def settle(self) -> None:
        """Wait until the notices handed off so far have been delivered (tests, the bench, shutdown)."""
        while self._handed_off:
            await asyncio.gather(*list(self._handed_off), return_exceptions=True)

    def now(self) -> datetime:
        """The current time (UTC) from the runtime's clock, which tests freeze; handlers ask here
        (``handlers.common.now_of``) instead of importing the runtime."""
        return clock.utcnow()

    def today(self) -> date:
        """Today in the bot's time zone (WITA)."""
        return clock.local_today(self.settings.timezone)

    async def initialize(self) -> None:
        """Open and migrate the database before PTB initialises (handlers may query it from the first update)."""
        await self.db.open()
        applied = await migrate(self.db)
        if applied:
            log.info("database migrated: %s", ", ".join(applied))
        await super().initialize()

    async def shutdown(self) -> None:
        """Let a start-up catch-up still running finish first: it needs the bot and the database."""
        await self._stop_warm_up()
        if self.scheduled:
            await finish_catch_up(self)
            await self.settle()
            await super().shutdown()  # stops the JobQueue: no tick renews the lease after this
            await release_lease(self)
            return
        await self.settle()
        await super().shutdown()


async def _post_init(app: Application) -> None:
    await set_default_menus(app.bot, handlers.all_commands())
    if isinstance(app, PemApplication) and app.scheduled:
        app.start_warm_up()  # the templates, compiled while polling starts (issue 12)
        start_worker_pool()  # the long work's process (storage/db.py Database.off_loop), ready before it is needed
        start_catch_up(app)  # in the background: polling must not wait for it (bench/startup.py)


async def _post_shutdown(app: Application) -> None:
    assert isinstance(app, PemApplication)
    await app.db.close()
    shutdown_worker_pool()


#: Telegram's broadcast limit: messages per second over all chats (the limiter keeps a little under it).
OVERALL_RATE = 30


def rate_limiter() -> limiter.PemRateLimiter:
    """The production rate limiter (bot/runtime/limiter.py; bench/fanout.py and bench/latency.py measure this very
    configuration): evenly spaced slots a little under 30/s, replies before notices before the outbox, callback
    answers and chat actions not counted, one message a second per chat measured between deliveries, 20 a
    minute per group, and a 429 pausing every message of the process for its ``retry_after``."""
    return limiter.rate_limiter()


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    db: Database | None = None,
    with_updater: bool = True,
    rate_limit: bool = True,
    scheduler: bool | None = None,
) -> PemApplication:
    """Build the bot. Tests pass a recording ``request``, ``with_updater=False`` and ``rate_limit=False``.

    ``scheduler`` (default: the same as ``with_updater``, so test apps have none) runs the outbox tick every
    minute and a catch-up tick started in ``post_init`` (in the background; ``shutdown`` waits for it)."""
    db = db or Database(settings.database, data_key=cipher_for(settings.data_key))
    builder: ApplicationBuilder = (
        ApplicationBuilder()
        .application_class(PemApplication)
        .token(settings.token)
        .context_types(ContextTypes())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if settings.api_base_url:
        base = settings.api_base_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(base.replace("/bot", "/file/bot", 1))
    readable: ReadableUpdatesRequest | None = None
    if with_updater:
        # Unreadable updates are retried, then skipped and counted, instead of stalling polling for everyone.
        readable = ReadableUpdatesRequest(get_updates_request or request)
        builder = builder.get_updates_request(readable)
    if request is not None:
        builder = builder.request(request)
        if readable is None:
            builder = builder.get_updates_request(get_updates_request or request)
    if not with_updater:
        builder = builder.updater(None)
    if rate_limit:
        builder = builder.rate_limiter(rate_limiter())
    builder = builder.concurrent_updates(PerChatProcessor(settings.max_concurrent_updates))
    app = builder.build()
    assert isinstance(app, PemApplication)
    app.settings = settings
    app.db = db
    if readable is not None:
        readable.on_skip = _skip_counter(db)
    handlers.register(app)
    if with_updater if scheduler is None else scheduler:
        app.scheduled = setup_scheduler(app)
    return app


def _skip_counter(db: Database) -> OnSkip:
    async def count(update_id: int | None, kind: str, keys: list[str], error: str, attempts: int) -> None:
        await record_skipped_update(db, update_id=update_id, kind=kind, keys=keys, error=error, attempts=attempts)

    return count


def allowed_updates() -> list[str]:
    return [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
