"""Job: repayment reminders to borrowers, and the treasurer escalation.

Runs at ``settings.reminder_time`` (08:00 WITA). For ``today`` (the WITA date of ``now``) and every offset
``o`` of ``settings.reminder_offsets`` (default D-3, D-0, D+1, D+7) it plans, in ONE query
(:func:`storage.reports.reminders.due_on`), the unpaid instalments of active loans due on ``today - o`` that
pending repayments do not already cover, and enqueues one ``reminders/reminder`` per (instalment, offset) with
dedupe key ``rem:<installment_id>:<offset>`` (kind and key from :mod:`storage.outbox_keys`). Running the job
twice for the same day adds nothing.

Decisions:

* Borrowers not linked to Telegram, inactive or who blocked the bot get no reminder (the digest lists them as
  "tidak bisa dihubungi"); they still appear in the treasurer escalation.
* "Covered" means pending repayments ≥ everything still owed up to and including that instalment (allocation
  pays the oldest instalment first), see :mod:`storage.reports.reminders`.
* The context holds the figures at planning time; :func:`cancel_stale` cancels a queued reminder whose
  instalment was paid (or became covered, or whose loan closed) before it went out. It must run before each
  send batch: it is registered in ``bot.jobs.CLEANUPS``, which every tick (scheduler, start-up catch-up,
  ``pem-bot tick``) runs right before the sender.
* Escalation at :data:`ESCALATION_OFFSETS` (D+7, D+30): ONE ``reminders/escalation`` message per reachable
  treasurer of the kelurahan, listing every such borrower (dedupe ``esc:<kel>:<date>:<treasurer_id>``), at
  most :data:`ESCALATION_LIST_LIMIT` names then "dan N lainnya". Borrowers whose instalment is covered by a
  pending repayment are left out (the treasurer has to verify, not chase).
* A pause (bot/domain/pauses.py, rule 3): while one covers today in a kelurahan, no D+ reminder and no
  escalation goes out there (D-3 and D-0 still do: a due date inside a pause has moved past its end).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.domain.roles import Role
from bot.jobs.base import Cleanup, JobSpec
from storage import outbox, outbox_keys, pauses, people
from storage.db import Database
from storage.reports import reminders as repo

log = logging.getLogger(__name__)

ESCALATION_OFFSETS = (7, 30)
ESCALATION_LIST_LIMIT = 30
ESCALATION_KIND = "escalation"


def _reminder_context(item: repo.DueInstallment) -> dict[str, Any]:
    return {
        "installment_id": item.installment_id,
        "loan_id": item.loan_id,
        "number": item.number,
        "due_date": item.due_date.isoformat(),
        "offset": item.offset,
        "remaining": item.remaining,
        "outstanding": item.outstanding,
    }


def reminder_buttons(installment_id: int) -> list[list[tuple[str, str]]]:
    return [[("reminders.paid", f"payrem:{installment_id}"), ("reminders.view_loan", "loanview")]]


async def run(db: Database, now: datetime, settings: Any) -> int:
    """Enqueue the day's reminders and escalations; returns how many messages were newly queued."""
    today = now.astimezone(settings.timezone).date()
    offsets = tuple(settings.reminder_offsets)
    reminder_targets = {o: today - timedelta(days=o) for o in offsets}
    escalation_targets = {o: today - timedelta(days=o) for o in ESCALATION_OFFSETS}
    queued = 0
    async with db.transaction() as tx:
        await _cancel_stale(tx)
        planned = await repo.due_on(tx, {**reminder_targets, **escalation_targets})
        paused = await pauses.paused_kelurahan(tx, today)
        planned = [i for i in planned if i.offset <= 0 or i.kelurahan_code not in paused]
        for item in planned:
            if item.offset not in reminder_targets or not item.reachable:
                continue
            queued += await outbox.enqueue(
                tx, kind=outbox_keys.LOAN_REMINDER_KIND, recipient_id=item.borrower_id,
                dedupe_key=outbox_keys.loan_reminder_key(item.installment_id, item.offset),
                template="reminders/reminder", context=_reminder_context(item), not_before=now,
                buttons=reminder_buttons(item.installment_id),
            )
        queued += await _escalate(tx, [i for i in planned if i.offset in escalation_targets], today, now)
    log.info("reminders for %s: %d queued", today, queued)
    return queued


async def _escalate(tx, items: list[repo.DueInstallment], today, now: datetime) -> int:
    by_kel: dict[str, list[repo.DueInstallment]] = {}
    for item in items:
        by_kel.setdefault(item.kelurahan_code, []).append(item)
    queued = 0
    for kel, late in by_kel.items():
        late.sort(key=lambda i: (-i.offset, i.borrower_name, i.installment_id))
        context = {
            "day": today.isoformat(),
            "borrowers": [
                {"name": i.borrower_name, "days": i.offset, "amount": i.remaining,
                 "due_date": i.due_date.isoformat(), "outstanding": i.outstanding, "linked": i.linked}
                for i in late[:ESCALATION_LIST_LIMIT]
            ],
            "more": max(len(late) - ESCALATION_LIST_LIMIT, 0),
        }
        for treasurer in await people.with_role(tx, Role.TREASURER, kel):
            if treasurer.telegram_chat_id is None or not treasurer.reachable:
                continue
            queued += await outbox.enqueue(
                tx, kind=ESCALATION_KIND, recipient_id=treasurer.id,
                dedupe_key=f"esc:{kel}:{today.isoformat()}:{treasurer.id}", template="reminders/escalation",
                context=context, not_before=now,
            )
    return queued


async def _cancel_stale(tx) -> int:
    return await outbox.cancel(tx, await repo.stale_reminder_ids(tx), "paid")


async def cancel_stale(db: Database, now: datetime | None = None, settings: Any = None) -> int:
    """Cancel queued reminders that no longer matter (instalment paid or covered by pending repayments, loan
    closed). Registered in :data:`bot.jobs.CLEANUPS`, so every tick (scheduler, start-up catch-up,
    ``pem-bot tick``) runs it right before sending. Returns how many were cancelled."""
    del now, settings  # the decision depends on the data only; the signature is the Cleanup one
    async with db.transaction() as tx:
        cancelled = await _cancel_stale(tx)
    if cancelled:
        log.info("cancelled %d stale reminders", cancelled)
    return cancelled


def _reminder_time(settings: Any):
    return settings.reminder_time


JOBS: list[JobSpec] = [JobSpec("reminders", _reminder_time, run)]
CLEANUPS: list[Cleanup] = [cancel_stale]
