"""Configuration from the environment and an optional ``.env`` file.

Real environment variables win over ``.env``. Every key is documented in ``.env.example`` and the README's
configuration table; a test checks that the three agree. A mistake raises :class:`ConfigError` with a stable
``code``; the CLI renders it as one line (``messages/templates/<lang>/plain/cli/config_error.j2``) and exits 2.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.kota_kupang import find_kelurahan

LANGUAGES = ("id", "en")

#: key → default ("" means no default); the order is the order of ``.env.example``.
DEFAULTS: dict[str, str] = {
    "TELEGRAM_BOT_TOKEN": "",
    "TELEGRAM_BOT_USERNAME": "",
    "TELEGRAM_API_BASE_URL": "",
    "PEM_DATABASE": "./data/pem.sqlite3",
    "PEM_TIMEZONE": "Asia/Makassar",
    "PEM_DEFAULT_KELURAHAN": "53.71.05.1004",
    "PEM_LANGUAGE": "id",
    "PEM_LOG_LEVEL": "",
}


class ConfigError(Exception):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Settings:
    token: str
    bot_username: str | None
    api_base_url: str | None
    database: Path
    timezone: ZoneInfo
    default_kelurahan: str
    language: str
    log_level: str


def read_environment(environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> dict[str, str]:
    """Merge ``.env`` (if present) under the real environment; return only our keys, stripped."""
    merged: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return {key: (merged.get(key) or "").strip() for key in DEFAULTS}


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: str | Path | None = ".env",
    *,
    require_token: bool = True,
) -> Settings:
    raw = read_environment(environ, env_file)
    value = {key: raw[key] or default for key, default in DEFAULTS.items()}

    token = value["TELEGRAM_BOT_TOKEN"]
    if require_token and not token:
        raise ConfigError("missing_token")

    try:
        tz = ZoneInfo(value["PEM_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("timezone", value=value["PEM_TIMEZONE"]) from exc

    kelurahan = find_kelurahan(value["PEM_DEFAULT_KELURAHAN"])
    if kelurahan is None:
        raise ConfigError("kelurahan", value=value["PEM_DEFAULT_KELURAHAN"])

    language = value["PEM_LANGUAGE"].lower()
    if language not in LANGUAGES:
        raise ConfigError("language", value=value["PEM_LANGUAGE"], allowed=", ".join(LANGUAGES))

    level = (value["PEM_LOG_LEVEL"] or "INFO").upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ConfigError("log_level", value=value["PEM_LOG_LEVEL"])

    base_url = value["TELEGRAM_API_BASE_URL"] or None
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigError("base_url", value=base_url)

    return Settings(
        token=token,
        bot_username=value["TELEGRAM_BOT_USERNAME"].lstrip("@") or None,
        api_base_url=base_url,
        database=Path(value["PEM_DATABASE"]).expanduser(),
        timezone=tz,
        default_kelurahan=kelurahan.code,
        language=language,
        log_level=level,
    )


def check_database_writable(path: Path) -> None:
    """Create the database's folder and make sure the file can be written, or raise ConfigError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab"):
            pass
    except OSError as exc:
        raise ConfigError("database", path=str(path), reason=exc.strerror or str(exc)) from exc
