"""``pem-bot init-key`` and ``pem-bot rotate-key``: the data key NIKs and phone numbers are sealed with
(``PEM_DATA_KEY``; storage/crypto.py, storage/identity.py), and the first-run rule.

- ``pem-bot init-key`` prints a new key (43 characters). ``--first-run`` (what ``./scripts/run`` calls before
  ``pem-bot run``) writes one into ``.env`` instead when no key is configured and the database holds no sealed
  data yet, and says so in one line; with a key configured it does nothing, and for a database that holds
  sealed data but has no key it refuses (the key must be found, a new one would open nothing).
- ``pem-bot rotate-key [--new-key KEY]`` re-seals every value and recomputes every hash with a new key, in one
  transaction (:func:`storage.identity.rotate`). Where the new key goes:

  * the key came from ``.env``: a new one is made (or ``--new-key``) and ``.env`` is rewritten with it. The new
    ``.env`` is written beside it first (``.env.rotating``) and only renamed over ``.env`` once the database
    has committed, so a failure leaves the old key in ``.env`` and the database as it was; a crash between the
    two leaves the new key in ``.env.rotating``;
  * the key came from the real environment (a service manager): the command can't change it, so it needs
    ``--new-key`` (made with ``init-key`` and stored first) and refuses without it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
from datetime import datetime
from pathlib import Path

from bot.cli.common import EXIT_CONFIG, database, require_data_key, say
from bot.domain.settings import Settings
from storage.crypto import DataKey, DataKeyError, new_key, parse_key
from storage.identity import holds_sealed_data, rotate
from storage.migrate import migrate

#: The ``.env`` the configuration is read from (the working folder's, as :func:`bot.runtime.config.read_environment`).
ENV_FILE = Path(".env")
KEY_NAME = "PEM_DATA_KEY"


def key_from_environment() -> bool:
    """Whether ``PEM_DATA_KEY`` is set in the real environment (which wins over ``.env``)."""
    return bool(os.environ.get(KEY_NAME, "").strip())


def env_text_with_key(text: str, key: str) -> str:
    """``.env``'s text with ``PEM_DATA_KEY=key``: the existing assignment replaced, else a line appended."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(f"{KEY_NAME}="):
            lines[i] = f"{KEY_NAME}={key}"
            break
    else:
        lines.append(f"{KEY_NAME}={key}")
    return "\n".join(lines) + "\n"


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by the owner only (the key is a secret)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(path, 0o600)


def write_env_key(env_file: Path, key: str) -> None:
    """Put ``PEM_DATA_KEY=key`` into ``env_file`` (created when missing), atomically."""
    old = env_file.read_text(encoding="utf-8") if env_file.is_file() else ""
    pending = env_file.with_name(env_file.name + ".writing")
    _write_private(pending, env_text_with_key(old, key))
    pending.replace(env_file)


def ensure_data_key(settings: Settings, database_path: Path, *, env_file: Path = ENV_FILE,
                    fresh: bool = False) -> Settings:
    """The first-run rule: no key configured and the database at ``database_path`` holds no sealed data (or is
    about to be replaced, ``fresh``): a new key is written into ``env_file`` and one line says where. A
    database holding sealed data without a key: DataKeyError ``missing``."""
    if settings.data_key:
        return settings
    if holds_sealed_data(database_path) and not fresh:
        raise DataKeyError("missing")
    key = new_key()
    write_env_key(env_file, key)
    say(settings, "data_key_created", path=str(env_file.resolve()))
    return dataclasses.replace(settings, data_key=key)


# --- init-key -------------------------------------------------------------------------------------------------
def init_key_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--first-run", action="store_true",
                        help="write a key into .env when none is configured and the database holds no "
                             "encrypted data yet (./scripts/run)")


def cmd_init_key(args: argparse.Namespace) -> int:
    if not args.first_run:
        print(new_key())
        return 0
    settings = args.process.settings()
    ensure_data_key(settings, settings.database)
    return 0


# --- rotate-key -----------------------------------------------------------------------------------------------
def rotate_key_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--new-key", help="the new key (from pem-bot init-key); required when PEM_DATA_KEY comes "
                                          "from the environment rather than .env")


async def _rotate(settings: Settings, new: DataKey, now: datetime) -> int:
    require_data_key(settings)
    db = await database(settings).open()
    try:
        await migrate(db)  # checks the current key (DataKeyError) and seals anything still in clear
        return await rotate(db, new, now=now)
    finally:
        await db.close()


def cmd_rotate_key(args: argparse.Namespace) -> int:
    settings = args.process.settings()
    require_data_key(settings)
    from_env_file = not key_from_environment()
    if args.new_key:
        parse_key(args.new_key)
        key_text = args.new_key.strip()
    elif from_env_file:
        key_text = new_key()
    else:
        say(settings, "rotate_key", file=sys.stderr, kind="need_new_key")
        return EXIT_CONFIG
    if key_text == settings.data_key:
        say(settings, "rotate_key", kind="same_key")
        return 0
    pending = ENV_FILE.with_name(ENV_FILE.name + ".rotating")
    if from_env_file:
        old = ENV_FILE.read_text(encoding="utf-8") if ENV_FILE.is_file() else ""
        _write_private(pending, env_text_with_key(old, key_text))
    try:
        rows = asyncio.run(_rotate(settings, DataKey(key_text), args.process.now()))
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    if from_env_file:
        pending.replace(ENV_FILE)
    say(settings, "rotate_key", kind="done", rows=rows, path=str(settings.database),
        env_file=str(ENV_FILE.resolve()) if from_env_file else "")
    return 0
