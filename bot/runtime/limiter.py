"""The bot's rate limiter: replies before broadcasts, Telegram's limits for everything together.

One :class:`PemRateLimiter` sits on the application's bot (PTB's ``BaseRateLimiter``), so every Bot API call
of the process passes through it: replies and edits made while an update is handled, notices to other people,
and the outbox sender's reminders and digests. The scheme (issue 12; docs/performance.md, README "Limits"):

- **What counts.** Messages: every ``send*`` (but ``sendChatAction``), ``edit*``, ``copyMessage``,
  ``forwardMessage``. ``answerCallbackQuery``, ``sendChatAction``, ``getUpdates``, ``getMe``, ``getFile``,
  command menus … are not messages and pass straight through, never waiting behind messages.
- **Overall budget.** At most :data:`PER_WINDOW` (29) counted calls start in any sliding window of
  :data:`WINDOW` (1) second, for everything together (one under Telegram's 30, for jitter on the way). Replies
  may use what is free of it at once (ten people writing at the same moment are answered at the same moment,
  not one every 1/30 s); the outbox sender's calls are evenly spaced, one every ``1 / rate`` seconds
  (:data:`OVERALL_RATE` = 29/s): a slot it did not use is lost, never saved up, so there is no burst after an
  idle spell or a pause. For :data:`WINDOW` seconds after a flood wait every class is evenly spaced.
- **Per chat.** A new call to a chat starts only when the previous one to it has *finished* and
  :data:`CHAT_INTERVAL` (1 s) has passed since that *delivery*: a message answered 429 nine times does not
  leave its slot to the next one (issue 13, item 1). Groups (negative chat ids) also get at most 20 per minute.
- **Priorities.** Each waiting call has a class: ``INTERACTIVE`` (the default: replies and edits to the person
  whose update is being handled), ``NOTICE`` (notices to other people, delivered off the update) and ``BULK``
  (the outbox sender's scheduled messages). A free slot goes to the first waiter, in (class, arrival) order,
  whose chat may receive now: replies overtake queued broadcasts, and waiters of one class are served in the
  order they came (no random wake-ups as with aiolimiter). The class comes from a context variable
  (:func:`priority`), which the sender sets for its runs; nothing in the handlers has to say it.
- **Headroom.** While people are being answered (an interactive call waited or went out in the last
  :data:`ACTIVE_WINDOW` seconds), bulk calls take at most :data:`BULK_RATE_WHEN_BUSY` (25/s) of the budget, so
  a reply finds a free slot within ~1/30 s; when nobody is being answered the sender gets the whole budget.
- **Flood control.** A ``429 retry_after`` on any counted call pauses *every* counted call of the process
  (sender, notices, replies) until ``retry_after`` has passed; the call itself keeps its place in the queue and
  is retried (up to ``max_retries`` times, then the ``RetryAfter`` is raised to the caller, as PTB's own does).

The clock is injected (:class:`Clock`), so tests drive the limiter with a fake one (no wall-clock timing).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import logging
import time
import warnings
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum
from typing import Any

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

#: The outbox sender's calls per second when nobody is being answered (evenly spaced; Telegram: 30 over all chats,
#: a little under it for jitter).
OVERALL_RATE = 29.0
#: At most this many counted calls start in any sliding window of :data:`WINDOW` seconds (Telegram: 30 a second;
#: one under it, because the time from here to Telegram varies: on a loaded 2-core machine bench/latency.py saw
#: 31 arrive in one second with a limit of 30 per 1.02 s).
PER_WINDOW = 29
WINDOW = 1.0
#: The outbox sender's share while people are being answered.
BULK_RATE_WHEN_BUSY = 25.0
#: Seconds after the last interactive call during which people count as "being answered".
ACTIVE_WINDOW = 2.0
#: Seconds between two deliveries to one chat.
CHAT_INTERVAL = 1.0
#: Messages per minute to one group chat.
GROUP_PER_MINUTE = 20
#: A chat's state is forgotten once it has been idle this long (bounded memory).
FORGET_AFTER = 120.0

#: API methods that are not messages: never counted, never queued.
NOT_MESSAGES = frozenset({"answerCallbackQuery", "sendChatAction"})


class Priority(IntEnum):
    INTERACTIVE = 0
    NOTICE = 1
    BULK = 2


_PRIORITY: contextvars.ContextVar[Priority] = contextvars.ContextVar("pem_send_priority",
                                                                     default=Priority.INTERACTIVE)


@contextlib.contextmanager
def priority(value: Priority) -> Iterator[None]:
    """Calls made inside (and in tasks started inside) wait in class ``value``."""
    token = _PRIORITY.set(value)
    try:
        yield
    finally:
        _PRIORITY.reset(token)


def current_priority() -> Priority:
    return _PRIORITY.get()


def is_counted(endpoint: str) -> bool:
    """Whether a Bot API method is a message (counted against the budget and the per-chat limit)."""
    if endpoint in NOT_MESSAGES:
        return False
    return endpoint.startswith(("send", "edit", "copyMessage", "forwardMessage"))


class Clock:
    """Monotonic time and sleeping; tests pass a fake one."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class _Chat:
    in_flight: bool = False
    ready_at: float = 0.0  # no new call before (the last delivery + CHAT_INTERVAL)
    recent: deque[float] = field(default_factory=deque)  # groups: deliveries in the last minute
    last_used: float = 0.0


@dataclass
class _Waiter:
    order: tuple[int, int]  # (priority, arrival): kept across 429 retries
    chat_id: int | None
    future: asyncio.Future[None]

    @property
    def priority(self) -> Priority:
        return Priority(self.order[0])


def retry_after_seconds(exc: RetryAfter) -> float:
    """A RetryAfter's wait in seconds, whether PTB gives an int (v22) or a timedelta, without the warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Budget:
    """The scheduler behind :class:`PemRateLimiter` (no PTB in here): slots, chats, classes, pauses."""

    def __init__(self, *, rate: float = OVERALL_RATE, bulk_rate_when_busy: float = BULK_RATE_WHEN_BUSY,
                 chat_interval: float = CHAT_INTERVAL, group_per_minute: int = GROUP_PER_MINUTE,
                 active_window: float = ACTIVE_WINDOW, per_window: int = PER_WINDOW, window: float = WINDOW,
                 clock: Clock | None = None) -> None:
        self.interval = 1.0 / rate
        self.per_window = per_window
        self.window = window
        self.bulk_interval = 1.0 / bulk_rate_when_busy
        self.chat_interval = chat_interval
        self.group_per_minute = group_per_minute
        self.active_window = active_window
        self.clock = clock or Clock()
        self._arrivals = itertools.count()
        self._waiting: list[_Waiter] = []  # kept sorted by order
        self._chats: dict[int, _Chat] = {}
        self._window: deque[float] = deque()  # when the counted calls of the last ``window`` seconds started
        self._next_slot = 0.0
        self._next_slot_bulk = 0.0
        self._next_bulk = 0.0
        self._last_interactive = float("-inf")
        self._paused_until = float("-inf")
        self._timer: asyncio.Task[None] | None = None
        self._timer_at = float("inf")

    # --- what callers use -------------------------------------------------------------------------------------
    def ticket(self, chat_id: int | None, prio: Priority) -> tuple[int, int]:
        """A place in the queue: (class, arrival)."""
        return (int(prio), next(self._arrivals))

    async def acquire(self, chat_id: int | None, order: tuple[int, int]) -> None:
        """Wait for a slot; the chat is then in flight until :meth:`release`."""
        waiter = _Waiter(order, chat_id, asyncio.get_running_loop().create_future())
        index = 0
        while index < len(self._waiting) and self._waiting[index].order < order:
            index += 1
        self._waiting.insert(index, waiter)
        if waiter.priority is Priority.INTERACTIVE:
            self._last_interactive = self.clock.monotonic()
        self._dispatch()
        try:
            await waiter.future
        except asyncio.CancelledError:
            if waiter in self._waiting:
                self._waiting.remove(waiter)
            elif waiter.future.done() and not waiter.future.cancelled():
                self.release(chat_id, delivered=False)  # granted just as we gave up
            raise

    def release(self, chat_id: int | None, *, delivered: bool, retry_after: float | None = None) -> None:
        """The call has finished: ``delivered`` (it may have reached the chat) or not (429)."""
        now = self.clock.monotonic()
        if retry_after is not None:
            self._paused_until = max(self._paused_until, now + retry_after)
            log.info("flood control: every message waits %.1f s", retry_after)
        if chat_id is not None:
            chat = self._chats.setdefault(chat_id, _Chat())
            chat.in_flight = False
            chat.last_used = now
            if delivered:
                chat.ready_at = now + self.chat_interval
                if chat_id < 0:
                    chat.recent.append(now)
        self._dispatch()

    @property
    def paused_until(self) -> float:
        return self._paused_until

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def busy(self, now: float | None = None) -> bool:
        """Whether people are being answered (bulk then gets :data:`BULK_RATE_WHEN_BUSY`)."""
        now = self.clock.monotonic() if now is None else now
        return (now - self._last_interactive < self.active_window
                or any(w.priority is Priority.INTERACTIVE for w in self._waiting))

    # --- scheduling -------------------------------------------------------------------------------------------
    def _chat_ready_at(self, chat_id: int | None, now: float) -> float:
        """When ``chat_id`` may get its next call (inf while one is in flight)."""
        if chat_id is None:
            return now
        chat = self._chats.get(chat_id)
        if chat is None:
            return now
        if chat.in_flight:
            return float("inf")
        ready = chat.ready_at
        if chat_id < 0:
            while chat.recent and chat.recent[0] <= now - 60:
                chat.recent.popleft()
            if len(chat.recent) >= self.group_per_minute:
                ready = max(ready, chat.recent[0] + 60)
        return ready

    def _window_ready_at(self, now: float) -> float:
        """When the sliding window has room for one more call (``now`` if it has)."""
        window = self._window
        while window and window[0] <= now - self.window:
            window.popleft()
        return now if len(window) < self.per_window else window[0] + self.window

    def _dispatch(self) -> None:
        """Grant the next call if one may go now, else set the timer for when one may."""
        if not self._waiting:
            self._forget()
            return
        now = self.clock.monotonic()
        wake = float("inf")
        if now < self._paused_until:
            wake = self._paused_until
        elif (room := self._window_ready_at(now)) > now:
            wake = room
        else:
            busy = self.busy(now)
            after_pause = now < self._paused_until + self.window  # evenly spaced for a while: no burst
            for waiter in list(self._waiting):
                if waiter.future.done():  # its caller was cancelled and has not woken up yet to leave
                    self._waiting.remove(waiter)
                    continue
                ready = self._chat_ready_at(waiter.chat_id, now)
                if waiter.priority is Priority.BULK:
                    ready = max(ready, self._next_bulk if busy else self._next_slot_bulk)
                if after_pause:
                    ready = max(ready, self._next_slot)
                if ready <= now:
                    self._grant(waiter, now)
                    if self._waiting:
                        wake = now  # the next one, if it may go too
                    break
                wake = min(wake, ready)
        if wake < float("inf"):
            self._arm(wake)

    def _grant(self, waiter: _Waiter, now: float) -> None:
        self._waiting.remove(waiter)
        self._window.append(now)
        self._next_slot = self._step(self._next_slot, now, self.interval)
        if waiter.priority is Priority.BULK:
            self._next_slot_bulk = self._step(self._next_slot_bulk, now, self.interval)
            self._next_bulk = self._step(self._next_bulk, now, self.bulk_interval)
        elif waiter.priority is Priority.INTERACTIVE:
            self._last_interactive = now
        if waiter.chat_id is not None:
            chat = self._chats.setdefault(waiter.chat_id, _Chat())
            chat.in_flight = True
            chat.last_used = now
        waiter.future.set_result(None)

    @staticmethod
    def _step(scheduled: float, now: float, interval: float) -> float:
        """The next slot of an evenly spaced sequence. Counted from the slot it was due (a timer woken a few ms
        late must not lose the budget, slot by slot, on a loaded machine), but from ``now`` when that was
        more than one interval ago: a slot not used is lost, never saved up (no burst after a pause or an idle
        spell). The sliding window caps any second at :data:`PER_WINDOW` either way."""
        base = scheduled if now - scheduled < interval else now
        return base + interval

    def _arm(self, at: float) -> None:
        if self._timer is not None and not self._timer.done():
            if self._timer_at <= at:
                return
            self._timer.cancel()
        self._timer_at = at
        self._timer = asyncio.get_running_loop().create_task(self._fire(at))

    async def _fire(self, at: float) -> None:
        await self.clock.sleep(max(at - self.clock.monotonic(), 0.0))
        if self._timer is asyncio.current_task():
            self._timer = None
            self._timer_at = float("inf")
        self._dispatch()

    def _forget(self) -> None:
        if len(self._chats) < 1000:
            return
        horizon = self.clock.monotonic() - FORGET_AFTER
        self._chats = {c: s for c, s in self._chats.items()
                       if s.in_flight or s.last_used > horizon or s.ready_at > horizon + FORGET_AFTER}

    async def aclose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer


#: A call that is not a message but got a 429 waits this much more than asked (as PTB's own limiter does).
_RETRY_MARGIN = 0.1


class PemRateLimiter(BaseRateLimiter[int]):
    """PTB's rate-limiter interface around one :class:`Budget` (see the module docstring)."""

    def __init__(self, budget: Budget | None = None, *, max_retries: int = 3) -> None:
        self.budget = budget or Budget()
        self.max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        await self.budget.aclose()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        max_retries = self.max_retries if rate_limit_args is None else rate_limit_args
        if not is_counted(endpoint):
            for attempt in range(max_retries + 1):
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as exc:
                    if attempt == max_retries:
                        raise
                    await self.budget.clock.sleep(retry_after_seconds(exc) + _RETRY_MARGIN)
        chat_id = _chat_of(data)
        budget = self.budget
        order = budget.ticket(chat_id, current_priority())
        for attempt in range(max_retries + 1):
            await budget.acquire(chat_id, order)
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                budget.release(chat_id, delivered=False, retry_after=retry_after_seconds(exc))
                if attempt == max_retries:
                    log.warning("flood control after %d retries on %s; giving up here", max_retries, endpoint)
                    raise
                continue
            except TelegramError as exc:
                # A network error may come after Telegram delivered it: count it as delivered to keep the spacing.
                budget.release(chat_id, delivered=not _refused(exc))
                raise
            except BaseException:
                budget.release(chat_id, delivered=True)
                raise
            budget.release(chat_id, delivered=True)
            return result
        raise AssertionError("unreachable")


def _refused(exc: TelegramError) -> bool:
    """Errors with which Telegram certainly delivered nothing (bad request, blocked)."""
    return isinstance(exc, BadRequest | Forbidden)


def _chat_of(data: dict[str, Any]) -> int | None:
    chat = data.get("chat_id")
    if chat is None:
        return None
    try:
        return int(chat)
    except (TypeError, ValueError):
        return -(10**13 + abs(hash(chat)) % 10**12)  # "@channel": a negative id of its own, spaced like a group


def rate_limiter(**kwargs: Any) -> PemRateLimiter:
    """The production rate limiter (bench/fanout.py and bench/latency.py measure this very configuration)."""
    return PemRateLimiter(Budget(**kwargs))


__all__ = ["ACTIVE_WINDOW", "BULK_RATE_WHEN_BUSY", "CHAT_INTERVAL", "GROUP_PER_MINUTE", "OVERALL_RATE", "Budget",
           "Clock", "PemRateLimiter", "Priority", "current_priority", "is_counted", "priority", "rate_limiter",
           "retry_after_seconds"]
