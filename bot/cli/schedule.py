"""``pem-bot tick`` and ``pem-bot backup`` (wired into :data:`bot.cli.main.SUBCOMMANDS`).

- ``pem-bot tick [--at 2026-12-05T07:00]`` runs one catch-up tick (:func:`bot.jobs.run_due` with
  ``catch_up=True``) at that instant, read as WITA when it has no UTC offset (default: now), against the
  configured database, sends through the same outbox with a Bot built from the settings, and exits. Running it
  twice for the same instant sends nothing new (job slots and dedupe keys). It is how an operator re-runs a
  missed digest (``--at`` that day's 07:00) and how tests travel in time.
- ``pem-bot backup`` copies the database now, exactly like the nightly job.

This module must not import :mod:`bot.cli.main` at import time (``bot.cli.main`` imports it); it does so inside the
command functions.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.runtime import clock
from bot.runtime.config import Settings, load_settings

if TYPE_CHECKING:
    from telegram import Bot

    from bot.jobs import TickReport


#: How far ahead of the real clock ``--at`` may be (a tick started a little early); later is refused.
MAX_AHEAD = timedelta(minutes=10)


def parse_at(text: str | None, settings: Settings) -> datetime:
    """``--at``: ISO date and time, WITA unless it carries an offset; None means now. An instant more than
    :data:`MAX_AHEAD` in the future is refused (``at_future``): jobs run for a day are recorded as done."""
    if not text:
        return clock.utcnow()
    from bot.cli.main import CliError

    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError as exc:
        raise CliError("bad_at", value=text) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.timezone)
    if moment > clock.utcnow() + MAX_AHEAD:
        # A typo ("2026-12-25" for "2026-11-25") would send that day's reminders and a digest dated then, now,
        # and record the day's jobs as done so they would not run on the day itself.
        raise CliError("at_future", value=text, now=clock.utcnow().astimezone(settings.timezone))
    return moment


def settings_bot(settings: Settings) -> Bot:
    """A Bot like the application's: same API server, overall 30 messages/s, flood-control retries."""
    from telegram.ext import AIORateLimiter, ExtBot

    kwargs: dict[str, Any] = {}
    if settings.api_base_url:
        base = settings.api_base_url.rstrip("/")
        kwargs.update(base_url=base, base_file_url=base.replace("/bot", "/file/bot", 1))
    return ExtBot(settings.token, rate_limiter=AIORateLimiter(overall_max_rate=30, overall_time_period=1,
                                                               max_retries=3), **kwargs)


async def tick(settings: Settings, at: datetime, *, bot: Bot | None = None) -> TickReport:
    """Run every job due at ``at`` and send the outbox. Tests pass a ``bot`` over the recording request."""
    from bot.cli.main import open_database
    from bot.jobs import run_due

    db = await open_database(settings)
    try:
        if bot is not None:
            return await run_due(db, bot, settings, at, catch_up=True)
        async with settings_bot(settings) as own:
            return await run_due(db, own, settings, at, catch_up=True)
    finally:
        await db.close()


def tick_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--at", help='the instant, e.g. "2026-12-05T07:00" (WITA unless an offset is given); '
                                     "default: now")


def _cli_errors(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Render :class:`bot.cli.main.CliError` here: under ``python -m bot.cli`` the ``main()`` that would catch it is
    ``__main__``'s copy, whose ``CliError`` is a different class from the one this module imports."""

    @functools.wraps(command)
    def wrapper(args: argparse.Namespace) -> int:
        import sys

        from bot.cli.main import EXIT_CONFIG, CliError, say

        try:
            return command(args)
        except CliError as exc:
            say(None, "error", file=sys.stderr, code=exc.code, **exc.params)
            return EXIT_CONFIG

    return wrapper


@_cli_errors
def cmd_tick(args: argparse.Namespace) -> int:
    import sys

    from bot.cli.main import EXIT_CONFIG, configure_logging, say

    settings = load_settings()
    configure_logging(settings)
    at = parse_at(args.at, settings)
    from telegram.error import InvalidToken, NetworkError

    try:
        report = asyncio.run(tick(settings, at))
    except InvalidToken:
        say(settings, "token_rejected", file=sys.stderr)
        return EXIT_CONFIG
    except NetworkError as exc:  # getMe failed: nothing was marked, the next tick sends it all
        say(settings, "tick_unreachable", file=sys.stderr, error=str(exc))
        return 1
    say(settings, "tick", at=at, tz=settings.timezone, ran=list(report.ran), failed_jobs=list(report.failed_jobs),
        enqueued=report.enqueued, stale=report.stale_cancelled, sent=report.send.sent,
        failed=report.send.failed, cancelled=report.send.cancelled, retried=report.send.retried,
        deferred=report.send.deferred)
    return 1 if report.failed_jobs else 0


async def backup(settings: Settings) -> tuple[str, int]:
    from bot.cli.main import CliError
    from bot.jobs.backup import BackupError, make_backup

    try:
        path = await make_backup(settings.database, settings, clock.utcnow())
    except BackupError as exc:
        raise CliError("backup", path=str(settings.database), reason=str(exc)) from exc
    return str(path), path.stat().st_size


@_cli_errors
def cmd_backup(args: argparse.Namespace) -> int:
    from bot.cli.main import say

    settings = load_settings(require_token=False)
    path, size = asyncio.run(backup(settings))
    say(settings, "backup", path=path, size=size, keep=settings.backup_keep)
    return 0
