"""The kinds and dedupe keys of the outbox messages that the jobs queue and the clean-up queries read back.

Each format is defined once, here: the code that queues a message builds its key with the function below
(:mod:`bot.jobs.events`, :mod:`bot.jobs.reminders`, :mod:`handlers.registration`), and the queries that find
those messages again (:mod:`storage.reports.events`, :mod:`storage.reports.reminders`,
:func:`storage.participants.erase_participant`) match on the same ``kind`` and take the prefix from the same
constant, so the two sides can never disagree.

The formats are frozen: messages already queued in production databases carry them, and a changed prefix
would leave those rows unfound (never cancelled, never scrubbed).

* ``event_reminder`` · ``evrem:<registration_id>``: the day-before reminder of an event, one per registration;
* ``followup_prompt`` · ``fu:<registration_id>:<milestone>:<coordinator_id>``: a 30/90-day follow-up prompt;
* ``reminder`` · ``rem:<installment_id>:<offset>``: a borrower's instalment reminder (``offset`` in days after
  the due date, negative before);
* ``notice`` · ``notice:unreg:reg:<registration_id>:reg:<promoted_id or 0>:to:<coordinator_id>``: the notice to a
  coordinator that a participant cancelled (queued by :mod:`handlers.registration`); it names both
  registrations (:func:`registration_mark`), so erasing either participant finds it;
* ``promise_reminder`` · ``promise:<visit_id>:remind``: the borrower's reminder on a promise's date (issue 16);
* ``promise_result`` · ``promise:<visit_id>:result:<treasurer_id>``: kept or broken, the day after;
* ``pause_notice`` · ``pause:<pause_id>:<person_id>``: the one message a borrower gets about a pause.
"""

from __future__ import annotations

EVENT_REMINDER_KIND = "event_reminder"
EVENT_REMINDER_PREFIX = "evrem:"

FOLLOWUP_PROMPT_KIND = "followup_prompt"
FOLLOWUP_PROMPT_PREFIX = "fu:"

LOAN_REMINDER_KIND = "reminder"
LOAN_REMINDER_PREFIX = "rem:"


def event_reminder_key(registration_id: int) -> str:
    return f"{EVENT_REMINDER_PREFIX}{registration_id}"


def followup_prompt_key(registration_id: int, milestone: int, coordinator_id: int) -> str:
    return f"{followup_prompt_prefix(registration_id)}{milestone}:{coordinator_id}"


def followup_prompt_prefix(registration_id: int) -> str:
    """What every follow-up prompt key about one registration starts with (any milestone, any coordinator)."""
    return f"{FOLLOWUP_PROMPT_PREFIX}{registration_id}:"


def parse_followup_prompt_key(key: str) -> tuple[int, int] | None:
    """``(registration_id, milestone)`` of a follow-up prompt key, None when it is not one."""
    if not key.startswith(FOLLOWUP_PROMPT_PREFIX):
        return None
    parts = key[len(FOLLOWUP_PROMPT_PREFIX):].split(":")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]), int(parts[1])


def loan_reminder_key(installment_id: int, offset: int) -> str:
    return f"{LOAN_REMINDER_PREFIX}{installment_id}:{offset}"


def unregistered_notice_key(registration_id: int, promoted_id: int | None, coordinator_id: int) -> str:
    return f"notice:unreg{registration_mark(registration_id)}reg:{promoted_id or 0}:to:{coordinator_id}"


def registration_mark(registration_id: int) -> str:
    """What the key of every notice about a registration contains (see :func:`unregistered_notice_key`)."""
    return f":reg:{registration_id}:"


PROMISE_REMINDER_KIND = "promise_reminder"
PROMISE_RESULT_KIND = "promise_result"
PROMISE_PREFIX = "promise:"
PAUSE_NOTICE_KIND = "pause_notice"
PAUSE_NOTICE_PREFIX = "pause:"


def promise_reminder_key(visit_id: int) -> str:
    return f"{PROMISE_PREFIX}{visit_id}:remind"


def promise_result_key(visit_id: int, treasurer_id: int) -> str:
    return f"{PROMISE_PREFIX}{visit_id}:result:{treasurer_id}"


def pause_notice_key(pause_id: int, person_id: int) -> str:
    return f"{PAUSE_NOTICE_PREFIX}{pause_id}:{person_id}"


# ``warning_task`` · ``sp:<step_id>:<round>:<treasurer_id>``: a treasurer's task to issue a warning letter (issue 16
# part 1, :mod:`bot.services.warnings`); ``round`` counts the step's postponements, so a postponed task is sent
# again as a new message once its week is over.
WARNING_TASK_KIND = "warning_task"
WARNING_TASK_PREFIX = "sp:"


def warning_task_key(step_id: int, round_: int, treasurer_id: int) -> str:
    return f"{warning_task_prefix(step_id)}{round_}:{treasurer_id}"


def warning_task_prefix(step_id: int) -> str:
    """What every task key of one warning step starts with (any round, any treasurer)."""
    return f"{WARNING_TASK_PREFIX}{step_id}:"
