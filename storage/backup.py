"""The SQLite side of backups: a consistent copy of the database file with SQLite's online backup API.

Used by the nightly job and ``pem-bot backup`` (:mod:`bot.jobs.backup`, which names, schedules and prunes them).
The copy runs on a *separate* connection (call it in a worker thread), so the bot keeps working meanwhile and
the copy is a consistent snapshot even in WAL mode. It is written to a temporary name, checked with
``PRAGMA quick_check`` and only then renamed, so a half-written file never looks like a backup.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.db import BUSY_TIMEOUT_MS


class BackupError(Exception):
    pass


def copy_database(source: Path, target: Path) -> None:
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            result = dst.execute("PRAGMA quick_check").fetchone()
            if result is None or result[0] != "ok":
                raise BackupError(f"quick_check of the copy failed: {result}")
            dst.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
        finally:
            dst.close()
    finally:
        src.close()
    tmp.replace(target)
