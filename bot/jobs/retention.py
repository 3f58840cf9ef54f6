"""The nightly retention job (UU 27/2022; ``PEM_RETENTION_TIME``, 01:30 WITA by default, before the backup so
the night's backup holds nothing that was due).

It anonymises (:func:`bot.services.privacy.apply_retention`):

- participants with no registration for ``PEM_RETENTION_PARTICIPANT_YEARS`` (2) years, exactly as
  ``pem-bot erase-participant`` does;
- former borrowers ``PEM_RETENTION_BORROWER_YEARS`` (5) years after their last loan ended: name, phone, NIK and
  Telegram link go, the loans, repayments and receipts stay as the fund's (now anonymous) records. Staff are
  never anonymised by the job.

Nothing is deleted, so every count (registrations, loans, money) stays the same. One audit line per person
(``retention.anonymised``) and one for the run with its counts (``retention.run``). Form drafts (24 h,
``PEM_RETENTION_DRAFT_HOURS``) are dropped by the minute tick and backups pruned by the backup job
(``PEM_BACKUP_KEEP``). The job sends nothing; running it twice anonymises nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.jobs.base import JobSpec
from bot.services import privacy as privacy_service
from storage import audit
from storage.db import Database

log = logging.getLogger(__name__)


async def run_retention(db: Database, now: datetime, settings: Any) -> int:
    """``settings``: the runtime's Settings (not imported here: jobs sit below the runtime, tests/test_layers.py)."""
    today = now.astimezone(settings.timezone).date()
    report = await privacy_service.apply_retention(
        db, now=now, today=today, participant_years=settings.retention_participant_years,
        borrower_years=settings.retention_borrower_years)
    async with db.transaction() as tx:
        await audit.record(tx, "retention.run", details={
            "participants": len(report.participants), "borrowers": len(report.borrowers),
            "participant_years": settings.retention_participant_years,
            "borrower_years": settings.retention_borrower_years})
    log.info("retention: %d participant(s) and %d borrower(s) anonymised", len(report.participants),
             len(report.borrowers))
    return 0


JOBS: list[JobSpec] = [JobSpec("retention", at=lambda s: s.retention_time, run=run_retention)]
