"""Configuration from the environment and an optional ``.env`` file.

Real environment variables win over ``.env``. Every key is documented in ``.env.example`` and the README's
configuration table; a test checks that the three agree. A mistake raises :class:`ConfigError` with a stable
``code``; the CLI renders it as one line (``messages/templates/<lang>/plain/cli/config_error.j2``) and exits 2.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.domain.kota_kupang import find_kelurahan

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
    "PEM_QUIET_HOURS": "20:00-07:00",
    "PEM_SEND_MAX_ATTEMPTS": "5",
    "PEM_BACKUP_DIR": "./backups",
    "PEM_BACKUP_KEEP": "14",
    "PEM_BACKUP_TIME": "02:00",
    "PEM_REMINDER_OFFSETS": "-3,0,1,7",
    "PEM_REMINDER_TIME": "08:00",
    "PEM_DIGEST_TIME": "07:00",
    "PEM_PRIVACY_CONTROLLER": "",
    "PEM_PRIVACY_CONTACT": "",
    "PEM_RETENTION_PARTICIPANT_YEARS": "2",
    "PEM_RETENTION_BORROWER_YEARS": "5",
    "PEM_RETENTION_DRAFT_HOURS": "24",
    "PEM_RETENTION_TIME": "01:30",
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
    #: WITA (start, end) of quiet hours, the window may cross midnight; None when switched off.
    quiet_hours: tuple[time, time] | None = (time(20, 0), time(7, 0))
    send_max_attempts: int = 5
    backup_dir: Path = Path("./backups")
    backup_keep: int = 14
    backup_time: time = time(2, 0)
    reminder_offsets: tuple[int, ...] = (-3, 0, 1, 7)
    reminder_time: time = time(8, 0)
    digest_time: time = time(7, 0)
    #: UU 27/2022: the controller named in /privasi and how to reach them (empty: "the kelurahan office").
    privacy_controller: str = ""
    privacy_contact: str = ""
    #: Retention (bot/jobs/retention.py): participants with no registration for this many years, borrowers this
    #: many years after their last loan ended, form drafts this many hours; the job runs at ``retention_time``.
    retention_participant_years: int = 2
    retention_borrower_years: int = 5
    retention_draft_hours: int = 24
    retention_time: time = time(1, 30)


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

    schedule = _schedule_settings(value)

    return Settings(
        token=token,
        bot_username=value["TELEGRAM_BOT_USERNAME"].lstrip("@") or None,
        api_base_url=base_url,
        database=Path(value["PEM_DATABASE"]).expanduser(),
        timezone=tz,
        default_kelurahan=kelurahan.code,
        language=language,
        log_level=level,
        **schedule,
        **_privacy_settings(value),
    )


def _clock_time(key: str, text: str) -> time:
    """``HH:MM`` (or ``H.MM``) as a time of day, else ConfigError ``time``."""
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigError("time", key=key, value=text)
    return time(int(match[1]), int(match[2]))


def _positive_int(key: str, text: str, *, maximum: int) -> int:
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise ConfigError("number", key=key, value=text, maximum=maximum)
    return int(text)


def _schedule_settings(value: Mapping[str, str]) -> dict[str, object]:
    """The settings of scheduled work (issue 4): quiet hours, sending, backups, reminders, digests."""
    quiet_text = value["PEM_QUIET_HOURS"]
    quiet: tuple[time, time] | None = None
    if quiet_text.lower() not in ("off", "none", "-"):
        start, dash, end = quiet_text.partition("-")
        if not dash:
            raise ConfigError("quiet_hours", value=quiet_text)
        try:
            quiet = (_clock_time("PEM_QUIET_HOURS", start.strip()),
                     _clock_time("PEM_QUIET_HOURS", end.strip()))
        except ConfigError as exc:
            raise ConfigError("quiet_hours", value=quiet_text) from exc
        if quiet[0] == quiet[1]:
            raise ConfigError("quiet_hours", value=quiet_text)

    offsets_text = value["PEM_REMINDER_OFFSETS"]
    try:
        offsets = tuple(sorted({int(part) for part in offsets_text.split(",") if part.strip()}))
    except ValueError as exc:
        raise ConfigError("reminder_offsets", value=offsets_text) from exc
    if not offsets or any(abs(o) > 365 for o in offsets):
        raise ConfigError("reminder_offsets", value=offsets_text)

    return {
        "quiet_hours": quiet,
        "send_max_attempts": _positive_int("PEM_SEND_MAX_ATTEMPTS", value["PEM_SEND_MAX_ATTEMPTS"],
                                           maximum=100),
        "backup_dir": Path(value["PEM_BACKUP_DIR"]).expanduser(),
        "backup_keep": _positive_int("PEM_BACKUP_KEEP", value["PEM_BACKUP_KEEP"], maximum=3650),
        "backup_time": _clock_time("PEM_BACKUP_TIME", value["PEM_BACKUP_TIME"]),
        "reminder_offsets": offsets,
        "reminder_time": _clock_time("PEM_REMINDER_TIME", value["PEM_REMINDER_TIME"]),
        "digest_time": _clock_time("PEM_DIGEST_TIME", value["PEM_DIGEST_TIME"]),
    }


def _privacy_settings(value: Mapping[str, str]) -> dict[str, object]:
    """UU 27/2022 (issue 18): the controller named in the privacy notice and the retention periods."""
    return {
        "privacy_controller": value["PEM_PRIVACY_CONTROLLER"],
        "privacy_contact": value["PEM_PRIVACY_CONTACT"],
        "retention_participant_years": _positive_int("PEM_RETENTION_PARTICIPANT_YEARS",
                                                     value["PEM_RETENTION_PARTICIPANT_YEARS"], maximum=50),
        "retention_borrower_years": _positive_int("PEM_RETENTION_BORROWER_YEARS",
                                                  value["PEM_RETENTION_BORROWER_YEARS"], maximum=50),
        "retention_draft_hours": _positive_int("PEM_RETENTION_DRAFT_HOURS", value["PEM_RETENTION_DRAFT_HOURS"],
                                               maximum=24 * 30),
        "retention_time": _clock_time("PEM_RETENTION_TIME", value["PEM_RETENTION_TIME"]),
    }


def check_database_writable(path: Path) -> None:
    """Create the database's folder and make sure the file can be written, or raise ConfigError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab"):
            pass
    except OSError as exc:
        raise ConfigError("database", path=str(path), reason=exc.strerror or str(exc)) from exc
