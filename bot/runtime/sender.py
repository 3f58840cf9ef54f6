"""The sender: empties the outbox within Telegram's limits.

:func:`send_due` takes the queued messages whose ``not_before`` has come (oldest first), renders each in the
recipient's *current* language and sends it as HTML text, or as a photo with the text as caption, with its
inline keyboard (button labels rendered from label keys at send time).

Rules, one per outcome:

- **quiet hours** (``PEM_QUIET_HOURS``): when ``now`` falls inside, *scheduled* messages (reminders, digests,
  nudges, follow-ups: every kind but ``notice``) are postponed to the end of the window (counted as
  ``deferred``). *Notices* (kind ``notice``: caused by another person's action, such as a new report to the
  treasurers or a decision to the borrower) go out at once, **silently** (``disable_notification``: no sound, no
  vibration), because someone is waiting for them. Replies to users never pass through here.
- **recipient gone**: no such person, inactive, not linked to Telegram, or already unreachable → the message
  is ``cancelled`` with that reason (the digest counts such borrowers as "tidak bisa dihubungi").
- **sent**: marked ``sent`` right after the API call returns, in its own autocommit statement. A crash between
  the two repeats those messages at the next run: the ones whose call was on its way, at most :data:`POOL_SIZE`
  (documented in the README).
- ``RetryAfter`` (flood control; the production limiter already retries it a few times): wait and retry
  the same message when the wait is short, otherwise postpone it and stop this run. Never counted as an
  attempt, never ``failed``.
- ``NetworkError``/``TimedOut``: an attempt is recorded and the message stays queued with ``not_before``
  pushed back exponentially (30 s, 60 s, 120 s …); after ``PEM_SEND_MAX_ATTEMPTS`` attempts it is
  ``failed`` with the error. Three network errors in a row end the run (Telegram is unreachable: don't burn
  every message's attempts).
- ``Forbidden`` (the user blocked the bot): the message is ``failed``, the person is marked unreachable, all
  their other queued messages are cancelled, and it is audited (``person.unreachable``).
- ``BadRequest`` (and any other Telegram error, or a template that fails to render): ``failed``, logged, not
  retried.

Rate limits: the application's rate limiter (:mod:`bot.runtime.limiter`) keeps the overall rate, the per-chat
spacing between deliveries and flood waits for every call of the process; a run's calls wait there in the
``BULK`` class, behind replies and notices. :class:`ChatPacer` also spaces chats here (1 message/s), so that a
run picks other chats' messages while one chat waits; at the start of every run it learns from the outbox when
each recipient of the run last got a message (:func:`seed_from_outbox`), so the spacing survives a restart and a
change of sender. With a rate limiter on the bot, up to :data:`POOL_SIZE` messages are in flight at once (the
limiter spaces their starts evenly); without one (tests), one at a time.

Every message is **claimed** (:func:`storage.outbox.claim`) before it is sent, so two senders at once (a
``pem-bot tick`` next to the running bot, or a handler's notice next to the minute tick) never send the same
message twice. A handler's notice (:func:`queue_notice`, :func:`deliver_notice`) is inserted already claimed,
possibly in the transaction that stores what it is about, and sent right after from what the handler has.
"""

from __future__ import annotations

import asyncio
import logging
import time as _time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.domain.quiet_hours import is_quiet, next_allowed
from bot.runtime import clock
from bot.runtime.config import Settings
from bot.runtime.limiter import Priority, priority
from messages import label, normalise_language, render, split_message
from storage import audit, outbox, people
from storage.db import Database, Queryable
from storage.notices import Notice, QueuedNotice, queue_notice
from storage.outbox import OutboxMessage

log = logging.getLogger(__name__)

#: First retry delay after a network error; doubled for every further attempt.
BACKOFF_BASE = timedelta(seconds=30)
#: Flood-control waits up to this long are slept through; longer ones postpone the message.
MAX_INLINE_RETRY_AFTER = 60.0
#: How many times one message is retried in place after RetryAfter within a run.
MAX_RETRY_AFTER_IN_RUN = 3
#: Consecutive network errors that end a run.
MAX_NETWORK_ERRORS_IN_A_ROW = 3
#: Telegram's limit for a photo caption.
MAX_CAPTION = 1024
#: Messages in flight at once in a run (with a rate limiter on the bot). 29.5 messages/s at 300 ms per call
#: need 9; the rest covers the database work around each call.
POOL_SIZE = 16


class SendLease(Protocol):
    """The right to send (:class:`bot.runtime.lease.SenderLease`), renewed as a run goes on."""

    async def keep(self) -> bool: ...


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    retried: int = 0
    deferred: int = 0


class ChatPacer:
    """At most one message per ``interval`` seconds to each chat (Telegram's per-chat limit).

    :func:`send_due` asks :meth:`ready_in` and, when a chat is not ready yet, sends other chats' messages first
    and comes back to it, so one busy chat (a treasurer's digest, nudge and escalation) never holds up the rest.
    :meth:`wait` is for a single message (a retry after flood control)."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._next: dict[int, float] = {}

    def ready_in(self, chat_id: int) -> float:
        """Seconds until ``chat_id`` may get its next message (0 when it may now)."""
        if self.interval <= 0:
            return 0.0
        return max(self._next.get(chat_id, 0.0) - _time.monotonic(), 0.0)

    def mark(self, chat_id: int) -> None:
        """A message to ``chat_id`` is going out now."""
        if self.interval <= 0:
            return
        now = _time.monotonic()
        self._next[chat_id] = now + self.interval
        if len(self._next) > 5000:
            self._next = {c: t for c, t in self._next.items() if t > now}

    def seed(self, chat_id: int, ready_in: float) -> None:
        """``chat_id`` may get its next message no sooner than ``ready_in`` seconds from now (what the outbox
        records of another process's or a previous run's sends, :func:`seed_from_outbox`); never earlier than
        this pacer already knows."""
        if self.interval <= 0 or ready_in <= 0:
            return
        at = _time.monotonic() + min(ready_in, self.interval + SENT_AT_RESOLUTION)
        if at > self._next.get(chat_id, 0.0):
            self._next[chat_id] = at

    async def wait(self, chat_id: int) -> None:
        delay = self.ready_in(chat_id)
        if delay > 0:
            await asyncio.sleep(delay)
        self.mark(chat_id)


NO_PACING = ChatPacer(0)

#: Shared by every run of the process, so consecutive ticks keep the spacing too. A little over one second, so
#: that jitter on the way to Telegram never brings two messages to one chat closer than a second.
DEFAULT_PACER = ChatPacer(1.05)


#: ``sent_at`` is stored to the second, truncated: the message went out at most this much after the recorded time.
SENT_AT_RESOLUTION = 1.0


async def seed_from_outbox(db: Queryable, pacer: ChatPacer, recipients: set[int]) -> None:
    """Per-chat spacing from what the outbox records, not only from memory: a restarted sender (kill -9, a new
    ``pem-bot tick``, the lease passed from one process to another) must not send a second message to a chat
    that got one half a second ago. ``sent_at`` is truncated to the second, so the last send is taken to have
    happened at the end of that second (at most one second more of waiting than needed, never less)."""
    if pacer.interval <= 0 or not recipients:
        return
    real_now = clock.utcnow()
    window = timedelta(seconds=pacer.interval + SENT_AT_RESOLUTION)
    for recipient, last in (await outbox.last_sent(db, recipients, since=real_now - window)).items():
        ready_at = last + timedelta(seconds=SENT_AT_RESOLUTION + pacer.interval)
        pacer.seed(recipient, (ready_at - real_now).total_seconds())


def quiet_until(settings: Settings, now: datetime) -> datetime | None:
    """The end of the quiet-hours window ``now`` falls in, or None when it is not quiet (or quiet hours are off)."""
    if settings.quiet_hours is None:
        return None
    start, end = settings.quiet_hours
    if not is_quiet(now.astimezone(settings.timezone).time().replace(tzinfo=None), start, end):
        return None
    return next_allowed(now, start, end, settings.timezone)


def is_silent(settings: Settings, now: datetime) -> bool:
    """Whether a notice sent at ``now`` goes out without sound (inside quiet hours)."""
    return quiet_until(settings, now) is not None


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed attempts (1 → 30 s, 2 → 60 s, …, capped at 1 h)."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), timedelta(hours=1))


def _seconds(exc: RetryAfter) -> float:
    """The wait of a RetryAfter in seconds, whether PTB gives an int (v22) or a timedelta (its announced future),
    without the deprecation warning that reading the int now raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _Counts:
    def __init__(self) -> None:
        self.sent = self.failed = self.cancelled = self.retried = self.deferred = 0

    def report(self) -> SendReport:
        return SendReport(self.sent, self.failed, self.cancelled, self.retried, self.deferred)


class _StopRun(Exception):
    """End this run early (flood control, Telegram unreachable); the rest waits for the next tick."""


async def send_due(
    db: Database, bot: Bot, settings: Settings, now: datetime, *, limit: int = 500,
    pacer: ChatPacer | None = None, lease: SendLease | None = None,
) -> SendReport:
    """Send every queued message due at ``now`` (at most ``limit``). With a ``lease`` (bot/runtime/lease.py)
    the run renews it as it goes and stops as soon as it is no longer this process's."""
    counts = _Counts()
    messages = await outbox.due(db, now, limit)
    if not messages:
        return counts.report()
    # Quiet hours by the real clock too: `pem-bot tick --at 07:00` typed at 21:30 must not ring phones at night.
    until = quiet_until(settings, max(now, clock.utcnow()))
    silent = until is not None
    if until is not None:
        scheduled = [m.id for m in messages if m.kind != outbox.NOTICE_KIND]
        if scheduled:
            counts.deferred = await outbox.postpone(db, scheduled, until)
            log.info("quiet hours: %d message(s) postponed to %s", counts.deferred, until.isoformat())
        messages = [m for m in messages if m.kind == outbox.NOTICE_KIND]  # notices go out now, silently

    pacer = pacer or DEFAULT_PACER
    await seed_from_outbox(db, pacer, {m.recipient_id for m in messages})
    # Several in flight when the bot has a rate limiter (production: it spaces them, bot/runtime/limiter.py),
    # so the rate is the budget's, not one over the call latency (issue 12); one at a time without one.
    pool = asyncio.Semaphore(POOL_SIZE if getattr(bot, "rate_limiter", None) is not None else 1)
    network_errors = 0
    stop = False
    gone: set[int] = set()  # recipients found unreachable during this run
    pending = deque(messages)
    later: list[OutboxMessage] = []  # their chat had a message less than a second ago: after the others
    in_flight: set[asyncio.Task[None]] = set()

    async def one(message: OutboxMessage) -> None:
        nonlocal network_errors, stop
        try:
            outcome = await _send_one(db, bot, settings, now, message, NO_PACING, counts, silent=silent)
        except _StopRun:
            stop = True
            return
        finally:
            pool.release()
        if outcome == "network":
            network_errors += 1
            if network_errors >= MAX_NETWORK_ERRORS_IN_A_ROW and not stop:
                log.warning("outbox: %d network errors in a row; stopping this run", network_errors)
                stop = True
        else:
            network_errors = 0
        if outcome == "forbidden":
            gone.add(message.recipient_id)

    with priority(Priority.BULK):  # replies and notices overtake these (bot/runtime/limiter.py)
        try:
            await _pick_and_send(pending, later, gone, pacer, pool, in_flight, one, lambda: stop, lease)
        finally:
            if in_flight:  # also when cancelled (shutdown): what is on its way finishes and is marked
                outcomes = await asyncio.shield(asyncio.gather(*in_flight, return_exceptions=True))
                errors = [o for o in outcomes if isinstance(o, Exception)]
                if errors:
                    raise errors[0]
    report = counts.report()
    if report != SendReport():
        log.info("outbox: %s", report)
    return report


async def _pick_and_send(pending: deque[OutboxMessage], later: list[OutboxMessage], gone: set[int],
                         pacer: ChatPacer, pool: asyncio.Semaphore, in_flight: set[asyncio.Task[None]],
                         one: Callable[[OutboxMessage], Awaitable[None]], stopped: Callable[[], bool],
                         lease: SendLease | None = None) -> None:
    """Start the run's messages, oldest first, as the pool has room; a chat that had a message less than a
    second ago waits in ``later`` while other chats' messages go. With a ``lease``, stop as soon as it is no
    longer this process's."""
    while (pending or later) and not stopped():
        if not pending:
            await asyncio.sleep(min(pacer.ready_in(m.recipient_id) for m in later))
            pending.extend(later)
            later.clear()
        if lease is not None and not await lease.keep():
            log.warning("outbox: the sender lease is no longer ours; stopping this run")
            break
        message = pending.popleft()
        if message.recipient_id in gone:
            continue  # already cancelled with the rest of their queue
        if pacer.ready_in(message.recipient_id) > 0:
            later.append(message)
            continue
        await pool.acquire()
        if stopped():
            pool.release()
            break
        pacer.mark(message.recipient_id)  # one person, one private chat: the recipient stands for the chat
        task = asyncio.get_running_loop().create_task(one(message))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)


async def _send_one(
    db: Database, bot: Bot, settings: Settings, now: datetime, message: OutboxMessage, pacer: ChatPacer,
    counts: _Counts, *, max_inline_wait: float = MAX_INLINE_RETRY_AFTER, silent: bool = False,
) -> str:
    # Leases and retry times count from the real clock too: `pem-bot tick --at 07:00` run at 09:30 must not hand
    # out a lease that has already run out (the bot's own minute tick would then send the same message).
    later = max(now, clock.utcnow())
    if not await outbox.claim(db, message.id, now, lease=later - now + outbox.CLAIM_LEASE):
        return "taken"  # another sender has it (or it was cancelled meanwhile)
    person = await people.get(db, message.recipient_id)
    reason = _unsendable(person)
    if reason is not None:
        counts.cancelled += await outbox.cancel(db, [message.id], reason)
        return "cancelled"
    assert person is not None
    assert person.telegram_chat_id is not None
    lang = normalise_language(person.language)
    try:
        text = render(message.template, lang, tz=settings.timezone, sent_on=now.astimezone(settings.timezone).date(),
                      **message.context)
        markup = _markup(message, lang)
    except Exception as exc:  # a template bug must not block the rest of the outbox
        log.exception("outbox %s: cannot render %s", message.id, message.template)
        await outbox.mark_failed(db, message.id, f"render: {type(exc).__name__}: {exc}")
        counts.failed += 1
        return "failed"

    return await _attempt(db, bot, settings, message, person, text, markup, counts, pacer, later=later,
                          max_inline_wait=max_inline_wait, silent=silent)


async def _attempt(
    db: Database, bot: Bot, settings: Settings, message: OutboxMessage, person: people.Person, text: str,
    markup: InlineKeyboardMarkup | None, counts: _Counts, pacer: ChatPacer, *, later: datetime,
    max_inline_wait: float, silent: bool,
) -> str:
    """Send a claimed, rendered message and record the outcome by the rules of the module docstring."""
    chat_id = person.telegram_chat_id
    assert chat_id is not None
    for _ in range(MAX_RETRY_AFTER_IN_RUN + 1):
        await pacer.wait(chat_id)
        try:
            await _deliver(bot, chat_id, text, markup, message.photo or message.photo_file_id, silent=silent)
        except RetryAfter as exc:
            wait = _seconds(exc)
            counts.retried += 1
            if wait > max_inline_wait:
                await outbox.postpone(db, [message.id], later + timedelta(seconds=wait))
                log.warning("outbox %s: flood control for %.0f s; postponed", message.id, wait)
                raise _StopRun from exc
            log.info("outbox %s: flood control, retrying in %.0f s", message.id, wait)
            await asyncio.sleep(wait)
            continue
        except Forbidden as exc:
            await _blocked(db, person, message, str(exc), counts)
            return "forbidden"
        except InvalidToken:
            raise
        except BadRequest as exc:
            log.error("outbox %s (%s) to person %s: bad request: %s", message.id, message.template, person.id,
                      exc)
            await outbox.mark_failed(db, message.id, f"BadRequest: {exc}")
            counts.failed += 1
            return "failed"
        except NetworkError as exc:  # includes TimedOut
            attempts = message.attempts + 1
            error = f"{type(exc).__name__}: {exc}"
            if attempts >= settings.send_max_attempts:
                log.error("outbox %s: giving up after %d attempts: %s", message.id, attempts, error)
                await outbox.mark_failed(db, message.id, error)
                counts.failed += 1
            else:
                await outbox.record_attempt(db, message.id, error, later + backoff(attempts))
                counts.retried += 1
            return "network"
        except TelegramError as exc:
            log.error("outbox %s: telegram error: %s", message.id, exc)
            await outbox.mark_failed(db, message.id, f"{type(exc).__name__}: {exc}")
            counts.failed += 1
            return "failed"
        await outbox.mark_sent(db, message.id, clock.utcnow())
        counts.sent += 1
        return "sent"
    # flood control every time: leave it queued for the next run
    await outbox.postpone(db, [message.id], later + timedelta(seconds=MAX_INLINE_RETRY_AFTER))
    raise _StopRun


async def send_now(db: Database, bot: Bot, settings: Settings, message_id: int) -> str:
    """Send one queued message right away (a notice to another person, from a handler), by the same rules as
    :func:`send_due`, except that it is not paced per chat (like a reply). In quiet hours a notice goes out
    silently and any other message is postponed to the end of the window. Never raises a Telegram error: what
    could not be sent stays queued for the minute tick (network), or ends failed/cancelled as the rules say.
    Returns the outcome."""
    message = await outbox.get(db, message_id)
    if message is None or message.status != outbox.Status.QUEUED:
        return "taken"
    now = clock.utcnow()
    until = quiet_until(settings, now)
    if until is not None and message.kind != outbox.NOTICE_KIND:
        await outbox.postpone(db, [message.id], until)
        return "deferred"
    try:
        # max_inline_wait=0: a handler never sleeps through flood control; the minute tick sends it later.
        return await _send_one(db, bot, settings, now, message, NO_PACING, _Counts(), max_inline_wait=0,
                               silent=until is not None)
    except _StopRun:
        return "postponed"


async def deliver_notice(db: Database, bot: Bot, settings: Settings, queued: QueuedNotice) -> str:
    """Send a notice :func:`queue_notice` stored (after its transaction committed), by the rules of
    :func:`send_now`, from what is in hand: no re-reading of the row, the person or the template (a notice's
    template only wraps its text). A key queued before goes the usual way (:func:`send_now`)."""
    notice, message = queued.notice, queued.message
    if message is None:
        existing = await outbox.by_key(db, notice.dedupe_key)
        return "taken" if existing is None else await send_now(db, bot, settings, existing.id)
    if await outbox.status_of(db, message.id) != outbox.Status.QUEUED:
        return "taken"  # cancelled or erased since it was queued (another update, a CLI erasure)
    reason = _unsendable(notice.person)
    if reason is not None:
        await outbox.cancel(db, [message.id], reason)
        return "cancelled"
    try:
        markup = _markup(message, normalise_language(notice.person.language))
        now = clock.utcnow()
        return await _attempt(db, bot, settings, message, notice.person, notice.text, markup, _Counts(), NO_PACING,
                              later=now, max_inline_wait=0, silent=is_silent(settings, now))
    except _StopRun:
        return "postponed"


async def send_notice(db: Database, bot: Bot, settings: Settings, notice: Notice) -> str:
    """Queue a notice and send it at once. Returns the outcome. (Handlers hand theirs to the application, which
    delivers them off the update: :func:`handlers.common.notify_person`.)"""
    return await deliver_notice(db, bot, settings, await queue_notice(db, settings, notice, now=clock.utcnow()))


def _unsendable(person: people.Person | None) -> str | None:
    if person is None:
        return "no_person"
    if not person.active:
        return "inactive"
    if person.telegram_chat_id is None:
        return "not_linked"
    if not person.reachable:
        return "unreachable"
    return None


def _markup(message: OutboxMessage, lang: str) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(key[1:] if key.startswith("=") else label(key, lang), callback_data=data)
          for key, data in row]
         for row in message.buttons]
    )


async def _deliver(bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None,
                   photo: bytes | str | None, *, silent: bool = False) -> None:
    """Send one message; ``silent`` sends it without sound or vibration (``disable_notification``). A text over
    4,096 characters goes as several messages (:func:`messages.split_message`), the buttons under the last."""
    if photo is None:
        parts = split_message(text)
        for n, part in enumerate(parts, start=1):
            await bot.send_message(chat_id, part, parse_mode=ParseMode.HTML,
                                   reply_markup=markup if n == len(parts) else None, disable_notification=silent)
    elif len(text) <= MAX_CAPTION:
        await bot.send_photo(chat_id, photo, caption=text, parse_mode=ParseMode.HTML, reply_markup=markup,
                             disable_notification=silent)
    else:
        # A long text can't be a caption: the chart first, then the text (a crash in between repeats both).
        await bot.send_photo(chat_id, photo, disable_notification=silent)
        parts = split_message(text)
        for n, part in enumerate(parts, start=1):
            await bot.send_message(chat_id, part, parse_mode=ParseMode.HTML,
                                   reply_markup=markup if n == len(parts) else None, disable_notification=silent)


async def _blocked(db: Database, person: people.Person, message: OutboxMessage, error: str,
                   counts: _Counts) -> None:
    """The user blocked the bot: fail this message, mark them unreachable, cancel their queue, audit."""
    async with db.transaction() as tx:
        await outbox.mark_failed(tx, message.id, f"Forbidden: {error}")
        await people.set_reachable(tx, person.id, False)
        cancelled = await outbox.cancel_for_recipient(tx, person.id, "unreachable")
        await audit.record(tx, "person.unreachable", entity="person", entity_id=person.id,
                           kelurahan_code=person.kelurahan_code,
                           details={"outbox_id": message.id, "kind": message.kind, "cancelled": cancelled})
    log.info("person %s blocked the bot; %d queued message(s) cancelled", person.id, cancelled)
    counts.failed += 1
    counts.cancelled += cancelled
