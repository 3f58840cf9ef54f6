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
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.domain.kota_kupang import find_kelurahan
from bot.domain.settings import ConfigError, Settings
from bot.domain.warnings import parse_steps
from storage.crypto import DataKeyError, parse_key
from storage.db import check_database_writable

__all__ = ["DEFAULTS", "ConfigError", "Settings", "check_database_writable", "load_settings", "read_environment"]

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
    "PEM_RECEIPT_KEY": "",
    "PEM_WARNING_STEPS": "30,60,90",
    "PEM_WARNING_DEADLINE_DAYS": "14",
    "PEM_MAX_CONCURRENT_UPDATES": "256",
    "PEM_RELENDING_MIN_REPAID_PERCENT": "0",
    "PEM_PRIVACY_CONTROLLER": "",
    "PEM_PRIVACY_CONTACT": "",
    "PEM_RETENTION_PARTICIPANT_YEARS": "2",
    "PEM_RETENTION_BORROWER_YEARS": "5",
    "PEM_RETENTION_DRAFT_HOURS": "24",
    "PEM_RETENTION_TIME": "01:30",
    "PEM_DATA_KEY": "",
}


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
    receipt_key = value["PEM_RECEIPT_KEY"]
    if receipt_key and len(receipt_key) < 16:
        raise ConfigError("receipt_key", minimum=16)

    data_key = value["PEM_DATA_KEY"]
    if data_key:
        try:
            parse_key(data_key)
        except DataKeyError as exc:
            raise ConfigError("data_key") from exc

    return Settings(
        token=token,
        bot_username=value["TELEGRAM_BOT_USERNAME"].lstrip("@") or None,
        api_base_url=base_url,
        database=Path(value["PEM_DATABASE"]).expanduser(),
        timezone=tz,
        default_kelurahan=kelurahan.code,
        language=language,
        log_level=level,
        receipt_key=receipt_key.encode() if receipt_key else None,
        data_key=data_key,
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


def _percent(key: str, text: str) -> int:
    """A whole percentage 0–100 (``60`` or ``60%``), else ConfigError ``percent``."""
    raw = text.strip().rstrip("%").strip()
    if not raw.isdigit() or int(raw) > 100:
        raise ConfigError("percent", key=key, value=text)
    return int(raw)


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

    try:
        warning_steps = parse_steps(value["PEM_WARNING_STEPS"])
    except ValueError as exc:
        raise ConfigError("warning_steps", value=value["PEM_WARNING_STEPS"]) from exc

    return {
        "warning_steps": warning_steps,
        "warning_deadline_days": _positive_int("PEM_WARNING_DEADLINE_DAYS", value["PEM_WARNING_DEADLINE_DAYS"],
                                               maximum=90),
        "quiet_hours": quiet,
        "send_max_attempts": _positive_int("PEM_SEND_MAX_ATTEMPTS", value["PEM_SEND_MAX_ATTEMPTS"],
                                           maximum=100),
        "backup_dir": Path(value["PEM_BACKUP_DIR"]).expanduser(),
        "backup_keep": _positive_int("PEM_BACKUP_KEEP", value["PEM_BACKUP_KEEP"], maximum=3650),
        "backup_time": _clock_time("PEM_BACKUP_TIME", value["PEM_BACKUP_TIME"]),
        "reminder_offsets": offsets,
        "reminder_time": _clock_time("PEM_REMINDER_TIME", value["PEM_REMINDER_TIME"]),
        "digest_time": _clock_time("PEM_DIGEST_TIME", value["PEM_DIGEST_TIME"]),
        "max_concurrent_updates": _positive_int("PEM_MAX_CONCURRENT_UPDATES", value["PEM_MAX_CONCURRENT_UPDATES"],
                                                maximum=1024),
        "relending_min_repaid_percent": _percent("PEM_RELENDING_MIN_REPAID_PERCENT",
                                                 value["PEM_RELENDING_MIN_REPAID_PERCENT"]),
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
