"""Notices to other people (a new report to the treasurers, a decision to the borrower): what one is, and putting
it in the outbox inside the transaction that stores what it is about. Delivering it (a Bot API call) is the
runtime's (:func:`bot.runtime.sender.deliver_notice`), reached by handlers through the application."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.settings import Settings
from storage import outbox, people
from storage.db import Queryable
from storage.outbox import OutboxMessage


@dataclass(frozen=True)
class Notice:
    """A notice to ``person``, already rendered in their language (:func:`handlers.common.notice_for`).
    Button labels starting with ``=`` are literal (see :func:`storage.outbox.enqueue`)."""

    person: people.Person
    dedupe_key: str
    text: str
    buttons: list[list[tuple[str, str]]] | None = None
    photo_file_id: str | None = None


@dataclass(frozen=True)
class QueuedNotice:
    """What :func:`queue_notice` stored: ``message`` is None when the key was queued before."""

    notice: Notice
    message: OutboxMessage | None


async def queue_notice(q: Queryable, settings: Settings, notice: Notice, *, now: datetime) -> QueuedNotice:
    """Put a notice in the outbox, already claimed by this sender (its ``not_before`` a lease ahead, see
    :func:`storage.outbox.claim`), so the minute tick leaves it to :func:`bot.runtime.sender.deliver_notice`;
    if the process dies before that, the lease runs out and the tick sends it. Quiet hours don't hold a notice
    (someone is waiting for it): it goes out at once, silently. ``q`` may be the transaction that stores what
    the notice is about (a reported payment): then the notice exists exactly when that does."""
    message = await outbox.enqueue_notice(q, recipient_id=notice.person.id, dedupe_key=notice.dedupe_key,
                                          text=notice.text, buttons=notice.buttons,
                                          photo_file_id=notice.photo_file_id,
                                          not_before=now + outbox.CLAIM_LEASE)
    return QueuedNotice(notice, message)
