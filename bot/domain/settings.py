"""The bot's settings: plain, frozen data (the runtime reads them from the environment, ``bot.runtime.config``).

Kept in the domain so that every layer can be typed with them and handed them, while only the runtime and the
CLI read the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo


class ConfigError(Exception):
    """A configuration mistake, with a stable ``code`` the CLI renders as one line (exit status 2)."""

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
    #: PEM_RECEIPT_KEY: the secret of the receipts' verification codes (bot/domain/receipts.py); None: the key
    #: kept beside the database is used (storage/receipts.py, fallback_key).
    receipt_key: bytes | None = None
    #: PEM_DATA_KEY: the key NIKs and phone numbers are sealed with (storage/crypto.py); empty: none configured
    #: (``pem-bot run`` refuses to start; ``./scripts/run`` and ``pem-bot try`` create one on the first run).
    data_key: str = ""
    #: PEM_WARNING_STEPS: days late at which warning letters SP-1, SP-2, SP-3 fall due (bot/domain/warnings.py).
    warning_steps: tuple[int, ...] = (30, 60, 90)
    #: PEM_WARNING_DEADLINE_DAYS: days a warning letter gives the borrower to pay the arrears.
    warning_deadline_days: int = 14
    #: updates handled at once (different users concurrently, each user in order: bot/runtime/processor.py)
    max_concurrent_updates: int = 256
    #: PEM_RELENDING_MIN_REPAID_PERCENT: the re-lending rule (issue 16 part 5), the share (%) of what the
    #: kelurahan's loans owe that must be repaid before an application is disbursed; 0 = off.
    relending_min_repaid_percent: int = 0
    #: UU 27/2022: the controller named in /privasi and how to reach them (empty: "the kelurahan office").
    privacy_controller: str = ""
    privacy_contact: str = ""
    #: Retention (bot/jobs/retention.py): participants with no registration for this many years, borrowers this
    #: many years after their last loan ended, form drafts this many hours; the job runs at ``retention_time``.
    retention_participant_years: int = 2
    retention_borrower_years: int = 5
    retention_draft_hours: int = 24
    retention_time: time = time(1, 30)
