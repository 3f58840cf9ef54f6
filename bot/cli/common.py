"""What every ``pem-bot`` command shares: the error that exits with status 2, operator output, logging and
opening the database. It imports no command module, so every command module imports it at the top."""

from __future__ import annotations

import logging
import sys
from typing import Any

from bot.runtime.config import Settings, check_database_writable, load_settings
from messages import render
from storage.db import Database
from storage.migrate import migrate

EXIT_CONFIG = 2


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


def cli_settings() -> Settings:
    """The configuration a command that needs no bot token reads (``PEM_*`` and ``.env``)."""
    return load_settings(require_token=False)


async def open_database(settings: Settings) -> Database:
    check_database_writable(settings.database)
    db = await Database(settings.database).open()
    await migrate(db)
    return db
