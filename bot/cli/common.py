"""What every ``pem-bot`` command shares: the error that exits with status 2, operator output, logging and
opening the database. It imports no command module, so every command module imports it at the top."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain.settings import Settings
from messages import render
from storage.crypto import DataKeyError, cipher_for
from storage.db import Database, check_database_writable
from storage.identity import holds_sealed_data
from storage.migrate import migrate

EXIT_CONFIG = 2


@dataclass(frozen=True)
class Process:
    """What a command gets from the process around it: the configuration and the clock. The process edge
    (:mod:`bot.cli.run`, the ``pem-bot`` entry point) builds it from the runtime and hands it to every command as
    ``args.process``, so no other command module imports the runtime (tests/test_layers.py)."""

    load_settings: Callable[..., Settings]
    utcnow: Callable[[], datetime]

    def settings(self, *, require_token: bool = False) -> Settings:
        return self.load_settings(require_token=require_token)

    def now(self) -> datetime:
        return self.utcnow()

    def today(self, settings: Settings) -> date:
        """Today in the bot's time zone (WITA)."""
        return self.utcnow().astimezone(settings.timezone).date()


class CliError(Exception):
    """A mistake in the command's arguments: rendered from ``plain/cli/error`` and exit status 2."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def _lang(settings: Settings | None) -> str:
    return settings.language if settings is not None else "id"


def say(settings: Settings | None, template: str, *, file: Any = None, **ctx: object) -> None:
    text = render(f"plain/cli/{template}", _lang(settings), **ctx)
    print(text, file=file or sys.stdout)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


def require_data_key(settings: Settings) -> None:
    """Every command that opens the database needs ``PEM_DATA_KEY``: DataKeyError ``missing`` when the database
    holds sealed data (the key was lost or not copied), ``no_key`` when it holds none yet (``./scripts/run``
    creates one on the first run, ``pem-bot init-key`` prints one)."""
    if not settings.data_key:
        raise DataKeyError("missing" if holds_sealed_data(settings.database) else "no_key")


def database(settings: Settings) -> Database:
    """The configured database with its data key (not opened)."""
    return Database(settings.database, data_key=cipher_for(settings.data_key))


async def open_database(settings: Settings) -> Database:
    """Open and migrate the configured database; DataKeyError (one line, exit 2) when the key is missing or
    does not open it (:func:`storage.identity.seal_at_rest`)."""
    check_database_writable(settings.database)
    require_data_key(settings)
    db = await database(settings).open()
    try:
        await migrate(db)
    except BaseException:
        await db.close()
        raise
    return db
