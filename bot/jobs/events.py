"""Jobs: the Karang Taruna day-before reminder and the 30/90-day follow-up prompts (issue 5).

* :func:`run_reminders` at ``settings.reminder_time`` (08:00 WITA): for every event (open or closed) starting
  *tomorrow* (WITA), each participant with a seat (``registered``) who is linked to Telegram gets
  ``events/reminder`` (title, date and time, place, ``event_day`` = the WITA date as ISO text, which the
  template compares with the sender's ``sent_on`` to say "besok" or, when the message was held to the event
  day, "hari ini") with a button to cancel their registration. Dedupe
  ``evrem:<registration_id>``: one reminder per registration, ever.
* :func:`run_followups` at the same time: for every attended trainee of a training that started 30 or 90 days
  ago (with the 7-day catch-up window of :func:`storage.reports.events.due_followups`) and has no outcome
  since that milestone, each reachable coordinator of the event's kelurahan gets ``followup/prompt`` with the four
  outcome buttons (``fuq:<registration_id>:<status>``), which open the follow-up form of
  :mod:`handlers.followup`. Dedupe ``fu:<registration_id>:<milestone>:<coordinator_id>``.
* :func:`cancel_stale` (in ``bot.jobs.CLEANUPS``, so it runs before every send): cancels queued reminders
  whose registration was cancelled (or whose event was cancelled, or whose participant was unlinked/erased)
  since they were queued, and queued prompts already answered by another coordinator.

The kinds and dedupe-key formats are those of :mod:`storage.outbox_keys`; the clean-up queries of
:mod:`storage.reports.events` find the queued messages through the same definitions.

Decisions:

* Waitlisted participants get no reminder; one moved up after the morning run of the day before gets none
  either (the coordinator already told them, see :mod:`handlers.registration`).
* Recipients who are not linked or blocked the bot are skipped at planning time (the sender would cancel them
  anyway); people who are inactive are filtered by the sender.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.domain.roles import Role
from bot.jobs.base import Cleanup, JobSpec
from storage import events, outbox, outbox_keys, people
from storage.db import Database
from storage.reports import events as event_reports

log = logging.getLogger(__name__)

OUTCOME_BUTTONS = ("own_business", "employed", "still_looking", "other")


def followup_buttons(registration_id: int) -> list[list[tuple[str, str]]]:
    return [[(f"followup.status_{s}", f"fuq:{registration_id}:{s}")] for s in OUTCOME_BUTTONS]


async def run_reminders(db: Database, now: datetime, settings: Any) -> int:
    """Enqueue tomorrow's event reminders; returns how many were newly queued."""
    tz = settings.timezone
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    queued = 0
    async with db.transaction() as tx:
        for item in await event_reports.due_event_reminders(tx, tomorrow, tz):
            person = await people.get(tx, item.person_id)
            if person is None or person.telegram_chat_id is None or not person.reachable:
                continue
            queued += await outbox.enqueue(
                tx, kind=outbox_keys.EVENT_REMINDER_KIND, recipient_id=item.person_id,
                dedupe_key=outbox_keys.event_reminder_key(item.registration_id),
                template="events/reminder",
                context={"title": item.title, "starts_at": item.starts_at, "place": item.place,
                         "registration_id": item.registration_id,
                         # the event's WITA date: the template says "besok" or "hari ini" against ``sent_on``
                         "event_day": item.starts_at.astimezone(tz).date().isoformat()},
                not_before=now,
                buttons=[[("participant.cancel_registration", f"ev:unreg:{item.registration_id}")]],
            )
    log.info("event reminders for %s: %d queued", tomorrow, queued)
    return queued


async def run_followups(db: Database, now: datetime, settings: Any) -> int:
    """Enqueue the 30/90-day follow-up prompts to coordinators; returns how many were newly queued."""
    tz = settings.timezone
    today = now.astimezone(tz).date()
    queued = 0
    async with db.transaction() as tx:
        coordinators: dict[str, list] = {}
        for item in await event_reports.due_followups(tx, today, tz):
            if item.kelurahan_code not in coordinators:
                coordinators[item.kelurahan_code] = [
                    c for c in await people.with_role(tx, Role.COORDINATOR, item.kelurahan_code)
                    if c.telegram_chat_id is not None and c.reachable
                ]
            for coordinator in coordinators[item.kelurahan_code]:
                queued += await outbox.enqueue(
                    tx, kind=outbox_keys.FOLLOWUP_PROMPT_KIND, recipient_id=coordinator.id,
                    dedupe_key=outbox_keys.followup_prompt_key(item.registration_id, item.milestone, coordinator.id),
                    template="followup/prompt",
                    context={"name": item.participant_name, "title": item.title, "milestone": item.milestone},
                    not_before=now, buttons=followup_buttons(item.registration_id),
                )
    log.info("follow-up prompts for %s: %d queued", today, queued)
    return queued


async def cancel_stale(db: Database, now: datetime | None = None, settings: Any = None) -> int:
    """Cancel queued reminders and prompts that no longer apply (see the module docstring)."""
    tz = getattr(settings, "timezone", events.WITA)
    async with db.transaction() as tx:
        cancelled = await outbox.cancel(tx, await event_reports.stale_event_reminder_ids(tx, now), "no_longer_applies")
        cancelled += await outbox.cancel(tx, await event_reports.answered_followup_prompt_ids(tx, tz), "answered")
    if cancelled:
        log.info("cancelled %d stale event reminders / follow-up prompts", cancelled)
    return cancelled


def _reminder_time(settings: Any):
    return settings.reminder_time


JOBS: list[JobSpec] = [
    JobSpec("event_reminders", _reminder_time, run_reminders),
    JobSpec("event_followups", _reminder_time, run_followups),
]
CLEANUPS: list[Cleanup] = [cancel_stale]
