"""Job: promises to pay (issue 16, part 2), at ``settings.reminder_time`` (08:00 WITA) with the reminders.

* On a promise's date, the borrower (if linked and reachable) gets ``visits/promise_reminder``
  (``promise:<visit_id>:remind``), unless a pause covers that day in the kelurahan (bot/domain/pauses.py,
  rule 3): the reminder of a promise due during a pause is not sent at all.
* On the day after (or at the first run after it, after an outage), the promise is judged with
  :func:`bot.domain.visits.promise_kept` (verified payments paid since the visit ≥ the promised amount), the
  verdict is stored once (audited ``promise.judged``), and every reachable treasurer of the kelurahan gets
  ``visits/promise_result`` (``promise:<visit_id>:result:<treasurer_id>``). A payment reported but not yet
  verified at 08:00 of that day does not count: verification is what makes money count.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.domain.roles import Role
from bot.domain.visits import promise_kept
from bot.jobs.base import JobSpec
from storage import audit, outbox, outbox_keys, pauses, people, visits
from storage.db import Database

log = logging.getLogger(__name__)


async def run(db: Database, now: datetime, settings: Any) -> int:
    today = now.astimezone(settings.timezone).date()
    queued = 0
    async with db.transaction() as tx:
        paused = await pauses.paused_kelurahan(tx, today)
        for visit in await visits.promises_on(tx, today):
            borrower = await people.get(tx, visit.borrower_id)
            if (visit.kelurahan_code in paused or borrower is None or borrower.telegram_chat_id is None
                    or not borrower.reachable or not borrower.active):
                continue
            queued += await outbox.enqueue(
                tx, kind=outbox_keys.PROMISE_REMINDER_KIND, recipient_id=borrower.id,
                dedupe_key=outbox_keys.promise_reminder_key(visit.id), template="visits/promise_reminder",
                context={"amount": visit.promise_amount, "promise_on": visit.promise_on,
                         "visited_on": visit.visited_on}, not_before=now)
        for visit in await visits.promises_to_judge(tx, today):
            assert visit.promise_amount is not None
            kept, paid = promise_kept(visit.promise_amount, visit.visited_on,
                                      await visits.payments_since(tx, visit.loan_id, visit.visited_on))
            if not await visits.judge(tx, visit.id, kept=kept, paid=paid, now=now):
                continue
            await audit.record(tx, "promise.judged", entity="visit", entity_id=visit.id,
                               kelurahan_code=visit.kelurahan_code,
                               details={"loan_id": visit.loan_id, "promised": visit.promise_amount, "paid": paid,
                                        "kept": kept, "promise_on": visit.promise_on})
            borrower = await people.get(tx, visit.borrower_id)
            context = {"name": borrower.name if borrower else "-", "amount": visit.promise_amount, "paid": paid,
                       "kept": kept, "promise_on": visit.promise_on, "visited_on": visit.visited_on}
            for treasurer in await people.with_role(tx, Role.TREASURER, visit.kelurahan_code):
                if treasurer.telegram_chat_id is None or not treasurer.reachable:
                    continue
                queued += await outbox.enqueue(
                    tx, kind=outbox_keys.PROMISE_RESULT_KIND, recipient_id=treasurer.id,
                    dedupe_key=outbox_keys.promise_result_key(visit.id, treasurer.id),
                    template="visits/promise_result", context=context, not_before=now)
    log.info("promises for %s: %d queued", today, queued)
    return queued


def _reminder_time(settings: Any):
    return settings.reminder_time


JOBS: list[JobSpec] = [JobSpec("promises", _reminder_time, run)]
