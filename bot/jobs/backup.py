"""Nightly database backup (``PEM_BACKUP_TIME``, 02:00 WITA by default) and ``pem-bot backup``.

The copy (:func:`storage.backup.copy_database`) uses SQLite's online backup API on a *separate* connection (in
a thread), so the bot keeps working meanwhile and the copy is a consistent snapshot even in WAL mode. It is written to a
temporary name, checked with ``PRAGMA quick_check`` and then renamed to ``pem-YYYYMMDD-HHMM.sqlite3`` (WITA),
so a half-written file never looks like a backup. Backups older than ``PEM_BACKUP_KEEP`` days (by the date in
their name) are deleted; other files in the folder are left alone.

Restore (also in the README): stop the bot, copy the backup over ``PEM_DATABASE``, delete ``PEM_DATABASE-wal``
and ``PEM_DATABASE-shm`` if present, start the bot.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.settings import Settings
from bot.jobs.base import JobSpec
from storage.backup import BackupError, copy_database
from storage.db import Database

log = logging.getLogger(__name__)

_NAME = re.compile(r"^pem-(\d{8})-(\d{4})\.sqlite3$")


def backup_name(now: datetime, tz: ZoneInfo) -> str:
    return now.astimezone(tz).strftime("pem-%Y%m%d-%H%M.sqlite3")


def prune(folder: Path, now: datetime, tz: ZoneInfo, keep_days: int) -> list[Path]:
    """Delete ``pem-YYYYMMDD-HHMM.sqlite3`` files dated more than ``keep_days`` days before ``now``."""
    cutoff = now.astimezone(tz).replace(tzinfo=None) - timedelta(days=keep_days)
    removed = []
    for path in sorted(folder.glob("pem-*.sqlite3")):
        match = _NAME.match(path.name)
        if match is None:
            continue
        taken = datetime.strptime(match[1] + match[2], "%Y%m%d%H%M")
        if taken < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


async def make_backup(database: Path, settings: Settings, now: datetime) -> Path:
    """Copy ``database`` into ``settings.backup_dir``, prune old backups, return the new file."""
    if str(database) == ":memory:":
        raise BackupError("an in-memory database can't be backed up")
    if not await asyncio.to_thread(database.is_file):
        raise BackupError(f"no database at {database}")
    folder = settings.backup_dir
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / backup_name(now, settings.timezone)
    await asyncio.to_thread(copy_database, database, target)
    removed = prune(folder, now, settings.timezone, settings.backup_keep)
    log.info("backup written to %s (%d old backup(s) removed)", target, len(removed))
    return target


async def run_backup(db: Database, now: datetime, settings: Settings) -> int:
    """The nightly job: it sends nothing, so it enqueues 0 messages."""
    await make_backup(db.path, settings, now)
    return 0


JOBS: list[JobSpec] = [JobSpec("backup", at=lambda s: s.backup_time, run=run_backup)]
