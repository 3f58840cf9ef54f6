"""The Application factory.

:func:`build_application` wires python-telegram-bot to the database, the rate limiter and the handlers. There
is no PTB persistence: form drafts live in the ``form_drafts`` table (:mod:`storage.drafts`), written by the
form engine in the step's own statement. The database is opened and migrated at the start of ``initialize()``,
the default command menus are set in ``post_init``, and the database is closed in ``post_shutdown``.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

import handlers
from bot.runtime import clock
from bot.runtime.config import Settings
from bot.runtime.scheduler import finish_catch_up, release_lease, setup_scheduler, start_catch_up
from bot.runtime.updates import OnSkip, ReadableUpdatesRequest
from bot.services.updates import record_skipped_update
from handlers.menus import set_default_menus
from storage.db import Database
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
        if self.scheduled:
            await finish_catch_up(self)
            await super().shutdown()  # stops the JobQueue: no tick renews the lease after this
            await release_lease(self)
            return
        await super().shutdown()


async def _post_init(app: Application) -> None:
    await set_default_menus(app.bot, handlers.all_commands())
    if isinstance(app, PemApplication) and app.scheduled:
        start_catch_up(app)  # in the background: polling must not wait for it (bench/startup.py)


async def _post_shutdown(app: Application) -> None:
    assert isinstance(app, PemApplication)
    await app.db.close()


#: Telegram's broadcast limit: messages per second over all chats.
OVERALL_RATE = 30


def rate_limiter() -> AIORateLimiter:
    """The production rate limiter (bench/fanout.py measures this very configuration).

    The overall limit is expressed as ONE message per 1/30 s rather than 30 per second: aiolimiter's leaky bucket
    holds ``max_rate`` tokens, so "30 per 1 s" lets a burst through on top of the steady 30/s (measured: 32
    calls in one second with the sequential sender; docs/performance.md, section 3). A bucket of one spaces the
    messages evenly, never more than 30 in any second, at the same steady rate. Groups: 20 per minute.
    A 429 pauses every request for the time Telegram asks (PTB's own handling), up to 3 retries."""
    return AIORateLimiter(overall_max_rate=1, overall_time_period=1 / OVERALL_RATE,
                          group_max_rate=20, group_time_period=60, max_retries=3)


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
    db = db or Database(settings.database)
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
