"""The ``pem-bot`` entry point and the commands that run the bot's own process or its scheduled work once: the
one CLI module that may use the runtime (tests/test_layers.py).

:func:`main` is the process edge: it builds the :class:`~bot.cli.common.Process` (the runtime's configuration
loader and clock) that every other command gets as ``args.process``, adds ``run``, ``tick`` and ``backup`` to
:data:`bot.cli.main.COMMANDS`, and dispatches.

- ``pem-bot run`` starts the bot with long polling; a rejected token ends with one line and exit status 2.
- ``pem-bot tick [--at 2026-12-05T07:00]`` runs one catch-up tick (:func:`bot.runtime.tick.run_due` with
  ``catch_up=True``) at that instant, read as WITA when it has no UTC offset (default: now; at most
  :data:`MAX_AHEAD` ahead), against the configured database, sends through the same outbox with a Bot built
  from the settings (the bot's own rate limiter), and exits. It sends only if it can take the sender lease
  (bot/runtime/lease.py); when the running bot holds it, the tick only enqueues and the bot sends.
  Running it twice for the same instant sends nothing new (job slots and dedupe keys).
  It is how an operator re-runs a missed digest (``--at`` that day's 07:00).
- ``pem-bot backup`` copies the database now, exactly like the nightly job.
- ``pem-bot try [--port 8090] [--fresh]`` runs the real bot against the embedded Bot API with the chat page
  (:mod:`bot.runtime.simulator.session`); no token needed, its database is ``./data/try.sqlite3``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
import threading
import time
import webbrowser
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, NetworkError
from telegram.ext import ExtBot

from bot.cli import main as commands
from bot.cli.common import EXIT_CONFIG, CliError, Process, configure_logging, open_database, say
from bot.cli.keys import ensure_data_key
from bot.jobs.backup import BackupError, make_backup
from bot.runtime import clock
from bot.runtime.app import allowed_updates, build_application, rate_limiter
from bot.runtime.config import Settings, check_database_writable, load_settings, read_environment
from bot.runtime.lease import SenderLease
from bot.runtime.simulator.session import TrySession, chats_dir, prepare, try_settings
from bot.runtime.tick import TickReport, run_due

#: How far ahead of the real clock ``--at`` may be (a tick started a little early); later is refused.
MAX_AHEAD = timedelta(minutes=10)


def parse_at(text: str | None, settings: Settings) -> datetime:
    """``--at``: ISO date and time, WITA unless it carries an offset; None means now. An instant more than
    :data:`MAX_AHEAD` in the future is refused (``at_future``): jobs run for a day are recorded as done."""
    if not text:
        return clock.utcnow()

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


def settings_bot(settings: Settings, **kwargs: Any) -> ExtBot:
    """A Bot like the application's: same API server and the very same rate limiter (:func:`rate_limiter`:
    evenly spaced, 30 messages/s, groups 20/min, flood-control retries). ``kwargs`` go to ExtBot (tests pass a
    ``request``)."""
    if settings.api_base_url:
        base = settings.api_base_url.rstrip("/")
        kwargs.update(base_url=base, base_file_url=base.replace("/bot", "/file/bot", 1))
    return ExtBot(settings.token, rate_limiter=rate_limiter(), **kwargs)


@dataclass(frozen=True)
class TickOutcome:
    report: TickReport
    #: The role of the process that holds the sender lease and was left the sending (normally ``run``, the bot),
    #: or None when this tick held it and sent.
    left_to: str | None = None


async def tick(settings: Settings, at: datetime, *, bot: Bot | None = None) -> TickReport:
    """Run every job due at ``at`` and send the outbox. Tests pass a ``bot`` over the recording request."""
    return (await tick_outcome(settings, at, bot=bot)).report


async def tick_outcome(settings: Settings, at: datetime, *, bot: Bot | None = None) -> TickOutcome:
    """:func:`tick`, and who was left the sending: the tick sends only if it can take the sender lease
    (bot/runtime/lease.py); when the running bot holds it, the tick enqueues and the bot sends."""
    db = await open_database(settings)
    lease = SenderLease(db, "tick")
    try:
        if not await lease.acquire():
            holder = await lease.holder_now()
            report = await run_due(db, bot or _no_bot(), settings, at, catch_up=True, send=False)
            return TickOutcome(report, left_to=holder.role if holder is not None else "?")
        if bot is not None:
            return TickOutcome(await run_due(db, bot, settings, at, catch_up=True, lease=lease))
        async with settings_bot(settings) as own:
            return TickOutcome(await run_due(db, own, settings, at, catch_up=True, lease=lease))
    finally:
        try:
            await lease.release()
        finally:
            await db.close()


def _no_bot() -> Bot:
    """A Bot that is never called: a tick that does not hold the lease sends nothing (not even getMe)."""
    return Bot("0:unused")


def tick_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--at", help='the instant, e.g. "2026-12-05T07:00" (WITA unless an offset is given); '
                                     "default: now")


def cmd_tick(args: argparse.Namespace) -> int:
    # --at first (it needs only the time zone): a typo is reported before a missing token is
    at = parse_at(args.at, args.process.settings())
    settings = args.process.settings(require_token=True)
    configure_logging(settings)

    try:
        outcome = asyncio.run(tick_outcome(settings, at))
    except InvalidToken:
        say(settings, "token_rejected", file=sys.stderr)
        return EXIT_CONFIG
    except NetworkError as exc:  # getMe failed: nothing was marked, the next tick sends it all
        say(settings, "tick_unreachable", file=sys.stderr, error=str(exc))
        return 1
    report = outcome.report
    say(settings, "tick", at=at, tz=settings.timezone, ran=list(report.ran), failed_jobs=list(report.failed_jobs),
        enqueued=report.enqueued, stale=report.stale_cancelled, sent=report.send.sent,
        failed=report.send.failed, cancelled=report.send.cancelled, retried=report.send.retried,
        deferred=report.send.deferred, left_to=outcome.left_to)
    return 1 if report.failed_jobs else 0


async def backup(settings: Settings) -> tuple[str, int]:

    try:
        path = await make_backup(settings.database, settings, clock.utcnow())
    except BackupError as exc:
        raise CliError("backup", path=str(settings.database), reason=str(exc)) from exc
    return str(path), path.stat().st_size


def cmd_backup(args: argparse.Namespace) -> int:

    settings = args.process.settings()
    path, size = asyncio.run(backup(settings))
    say(settings, "backup", path=path, size=size, keep=settings.backup_keep)
    return 0


# --- run ------------------------------------------------------------------------------------------------------
async def _check_token(settings: Settings) -> bool:
    """One getMe before PTB starts: a rejected token must end with one line, not with the traceback that PTB's
    bootstrap retry loop logs. Returns False when Telegram can't be reached (run_polling then keeps retrying)."""
    kwargs: dict[str, Any] = {}
    if settings.api_base_url:
        kwargs["base_url"] = settings.api_base_url.rstrip("/")
    try:
        async with Bot(settings.token, **kwargs):
            return True
    except NetworkError:
        return False


async def _check_database(settings: Settings) -> None:
    """Open and migrate the database once before PTB starts: a missing or wrong data key (DataKeyError) ends
    with one line, not with a traceback from inside ``run_polling``."""
    db = await open_database(settings)
    await db.close()


def cmd_run(args: argparse.Namespace) -> int:
    settings = args.process.settings(require_token=True)
    check_database_writable(settings.database)
    asyncio.run(_check_database(settings))
    configure_logging(settings)
    try:
        if not asyncio.run(_check_token(settings)):
            logging.getLogger("pem_bot").warning("Telegram is not reachable yet; retrying until it is")
    except InvalidToken:
        say(settings, "token_rejected", file=sys.stderr)
        return EXIT_CONFIG
    app = build_application(settings)
    # bootstrap_retries=-1: on patchy networks keep retrying start-up instead of exiting.
    app.run_polling(allowed_updates=allowed_updates(), close_loop=False, bootstrap_retries=-1)
    return 0


# --- try ------------------------------------------------------------------------------------------------------
def try_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8090, help="the page's port on 127.0.0.1 (default 8090)")
    parser.add_argument("--fresh", action="store_true", help="start again from new demo data")
    parser.add_argument("--data-dir", default="./data", help="where try.sqlite3 lives (default ./data)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")


def _can_open_browser() -> bool:
    """Not on a Linux box without a display: webbrowser would fall back to a text browser in this terminal."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def cmd_try(args: argparse.Namespace) -> int:
    started = time.monotonic()
    settings = try_settings(args.process.settings(), Path(args.data_dir))
    if not read_environment()["PEM_LOG_LEVEL"]:  # a newcomer's terminal: the address, not the scheduler's chatter
        settings = dataclasses.replace(settings, log_level="WARNING")
    check_database_writable(settings.database)
    settings = ensure_data_key(settings, settings.database, fresh=args.fresh)
    configure_logging(settings)
    personas, created = asyncio.run(prepare(settings, Path(args.data_dir), fresh=args.fresh))
    session = TrySession(settings, personas, port=args.port, state_dir=chats_dir(Path(args.data_dir)))
    try:
        session.start_server()
    except OSError as exc:
        say(settings, "try", file=sys.stderr, kind="port", port=args.port, reason=exc.strerror or str(exc))
        return EXIT_CONFIG

    def announce() -> None:
        if session.ready.wait(timeout=120):
            say(settings, "try", kind="ready", url=session.url, path=str(settings.database), created=created,
                people=[(p.name, str(p.role)) for p in personas],
                seconds=round(time.monotonic() - started, 1))
            sys.stdout.flush()
            if not args.no_browser and _can_open_browser():
                webbrowser.open(session.url)

    threading.Thread(target=announce, name="try-announce", daemon=True).start()
    session.run()
    return 0


#: Every ``pem-bot`` command, in the order ``pem-bot --help`` lists them; the README documents each one.
SUBCOMMANDS: dict[str, tuple[str, commands.Subcommand]] = {
    "run": ("start the bot (long polling)", (commands.no_args, cmd_run)),
    **commands.COMMANDS,
    "tick": ("run the scheduled jobs due now (or --at) and send the outbox", (tick_args, cmd_tick)),
    "backup": ("copy the database into PEM_BACKUP_DIR now", (commands.no_args, cmd_backup)),
    "try": ("try the bot without Telegram: the real bot, a built-in Telegram and a chat page per demo person",
            (try_args, cmd_try)),
}


def process() -> Process:
    """The configuration and the clock of this process (the runtime's: tests freeze ``clock.utcnow``)."""
    return Process(load_settings=load_settings, utcnow=lambda: clock.utcnow())


def main(argv: Sequence[str] | None = None) -> int:
    return commands.dispatch(argv, process(), SUBCOMMANDS)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
