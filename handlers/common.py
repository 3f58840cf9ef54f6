"""Helpers every feature module uses: who is talking, in which language, role checks, replies.

``@guarded(spec_or_roles)`` wraps every callback. It loads the person behind the Telegram user, picks their
language, refuses politely when the role does not fit or when a private command is used in a group chat, and
then calls the handler as ``handler(update, context, who)`` where ``who`` is a :class:`Who`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes

from bot.domain.commands import CommandSpec
from bot.domain.quiet_hours import is_quiet
from bot.domain.roles import Role
from bot.domain.settings import Settings
from bot.services import people as person_service
from messages import label, normalise_language, render, render_parts
from storage import people
from storage.db import Database
from storage.notices import Notice, QueuedNotice
from storage.notices import queue_notice as store_notice
from storage.people import Person

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


class PemApp(Protocol):
    """What handlers use of the application (:class:`bot.runtime.app.PemApplication` provides it), so that no
    handler imports the runtime: its settings and database, the clock, and the delivery of notices."""

    settings: Settings
    db: Database

    def now(self) -> datetime: ...

    def today(self) -> date: ...

    def hand_off_notices(self, queued: Sequence[QueuedNotice],
                         on_outcome: Callable[[str], Awaitable[None]] | None = None) -> None: ...


@dataclass(frozen=True)
class Who:
    """The person behind an update (None for an unknown Telegram user) and the language to answer in."""

    person: Person | None
    lang: str

    @property
    def person_id(self) -> int | None:
        return None if self.person is None else self.person.id

    @property
    def kelurahan(self) -> str | None:
        return None if self.person is None else self.person.kelurahan_code

    def require(self) -> Person:
        assert self.person is not None
        return self.person


def app_of(context: Context) -> PemApp:
    return context.application  # type: ignore[return-value]


def now_of(context: Context) -> datetime:
    """The current time (UTC), from the application's clock (frozen in tests)."""
    return app_of(context).now()


def today_of(context: Context) -> date:
    """Today in the bot's time zone (WITA), from the application's clock."""
    return app_of(context).today()


async def identify(update: Update, context: Context) -> Who:
    app = app_of(context)
    user = update.effective_user
    # On the point-read connection: the answer to a button comes after this read, and must not queue behind
    # other updates' statements on the shared connection (storage/db.py ``Database.latest``, issue 12).
    person = None if user is None else await people.by_telegram_user(app.db.latest, user.id)
    if person is not None and not person.reachable:
        # They wrote to us, so they have unblocked the bot: reminders and digests reach them again.
        await person_service.mark_reachable(app.db, person.id)
        person = await people.get(app.db, person.id)
    who = Who(person, normalise_language(person.language)) if person is not None else Who(None, app.settings.language)
    if update.effective_chat is not None:
        _ANSWERED.set((update.effective_chat.id, who.lang))
    return who


async def send(
    update: Update,
    context: Context,
    who: Who,
    template: str,
    /,
    *,
    reply_markup: Any = None,
    **ctx: object,
) -> Message | None:
    """Render a template in the user's language and send it to the chat of the update (HTML). A text over
    Telegram's 4,096 characters (a long list) goes as several messages, the buttons under the last one."""
    parts = render_parts(template, who.lang, tz=app_of(context).settings.timezone, **ctx)
    chat = update.effective_chat
    if chat is None:
        return None
    sent = None
    for n, text in enumerate(parts, start=1):
        sent = await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML,
                                              reply_markup=reply_markup if n == len(parts) else None)
    return sent


async def answer_callback(update: Update, who: Who, template: str | None = None, *, alert: bool = False,
                          **ctx: object) -> None:
    """Answer a button press (always needed so the client stops its spinner), optionally with a notice.

    The answer is sent *alongside* what the handler does next (its reply, an edit), not before it: the update
    waits for it only at its end (:meth:`bot.runtime.app.PemApplication.alongside`, issue 12)."""
    query = update.callback_query
    if query is None:
        return
    text = None if template is None else render(template, who.lang, **ctx)
    await alongside(query.answer(text=text, show_alert=alert))


#: The calls an update started alongside its reply (:func:`alongside`); set by the application per update.
_ALONGSIDE: contextvars.ContextVar[list[asyncio.Future[Any]] | None] = contextvars.ContextVar(
    "pem_alongside", default=None)


async def alongside(call: Awaitable[Any]) -> None:
    """Start a Bot API call without waiting for it, such as ``answerCallbackQuery`` next to the reply (issue
    12: no Bot API call waits for another inside an update). Inside :func:`calls_alongside` (every update the
    application handles) the update waits for it at its end; elsewhere it is awaited here."""
    calls = _ALONGSIDE.get()
    if calls is None:
        await call
    else:
        calls.append(asyncio.ensure_future(call))


@contextlib.asynccontextmanager
async def calls_alongside() -> AsyncIterator[None]:
    """Collect the calls started with :func:`alongside` inside, and wait for them at the end (a failure of one
    is logged, never raised: the spinner stops by itself after a while)."""
    calls: list[asyncio.Future[Any]] = []
    token = _ALONGSIDE.set(calls)
    try:
        yield
    finally:
        _ALONGSIDE.reset(token)
        if calls:
            for outcome in await asyncio.gather(*calls, return_exceptions=True):
                if isinstance(outcome, Exception):
                    log.warning("a call made alongside the reply failed: %s", outcome)


def notice_for(
    context: Context, person: Person, template: str, /, *, reply_markup: Any = None, photo: str | None = None,
    key: str | None = None, **ctx: object,
) -> Notice | None:
    """A notice to someone other than the sender, rendered in *their* language; None when they can't be
    reached (not linked, inactive, blocked the bot). ``key`` makes it idempotent (the same key is queued once);
    ``photo`` is a Telegram file_id. Queue it with :func:`queue_notice`, or use :func:`notify_person`."""
    if person.telegram_chat_id is None or not person.active or not person.reachable:
        return None
    text = render(template, normalise_language(person.language), tz=app_of(context).settings.timezone, **ctx)
    buttons = None
    if reply_markup is not None:
        buttons = [[("=" + b.text, b.callback_data or "") for b in row] for row in reply_markup.inline_keyboard]
    return Notice(person, key or f"notice:{secrets.token_hex(8)}", text, buttons, photo)


async def notify_person(
    context: Context, person: Person, template: str, /, *, reply_markup: Any = None, photo: str | None = None,
    key: str | None = None, **ctx: object,
) -> bool:
    """Tell someone other than the sender (a treasurer, a borrower), in *their* language, through the outbox.

    The notice (:func:`notice_for`) is queued (already claimed) and handed to the sender, which delivers it off
    the update (the application's ``hand_off_notices``, issue 12): the reply to the person being answered does
    not wait for it. A network error leaves it queued for the minute tick, in quiet hours it goes out at once but
    silently, a blocked bot marks the person unreachable.
    Returns False when the person can't be reached as far as the bot knows (not linked, inactive, blocked the bot
    before); True when the notice is on its way. Should its delivery then fail for good (they blocked the bot
    since), the person being answered in this update is told so in a short follow-up
    (``errors/notice_undelivered``), so that a "they have been told" is corrected.
    """
    notice = notice_for(context, person, template, reply_markup=reply_markup, photo=photo, key=key, **ctx)
    if notice is None:
        return False
    app = app_of(context)
    queued = await store_notice(app.db, app.settings, notice, now=app.now())
    app.hand_off_notices([queued], on_outcome=_undelivered_follow_up(context, person))
    return True


#: Who is being answered in the current update (chat id, language): set by :func:`identify`, read by the
#: follow-up of a notice that could not be delivered (:func:`notify_person`).
_ANSWERED: contextvars.ContextVar[tuple[int, str] | None] = contextvars.ContextVar("pem_answered", default=None)

#: Outcomes of a notice's delivery (:func:`bot.runtime.sender.deliver_notice`) that mean it will never arrive.
UNDELIVERED = frozenset({"forbidden", "failed", "cancelled"})


def _undelivered_follow_up(context: Context, person: Person) -> Callable[[str], Awaitable[None]] | None:
    answered = _ANSWERED.get()
    if answered is None:
        return None
    chat_id, lang = answered

    async def follow_up(outcome: str) -> None:
        if outcome in UNDELIVERED:
            text = render("errors/notice_undelivered", lang, name=person.name)
            await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)

    return follow_up


def notices_are_silent(context: Context) -> bool:
    """Whether a notice sent now goes out without sound (quiet hours send notices at once, silently, never
    held; :func:`bot.runtime.sender.is_silent` is the same rule): what a "the borrower has been told" must
    say (``verify/told``)."""
    app = app_of(context)
    quiet = app.settings.quiet_hours
    if quiet is None:
        return False
    local = app.now().astimezone(app.settings.timezone).time().replace(tzinfo=None)
    return is_quiet(local, *quiet)


async def queue_notice(context: Context, tx: Any, notice: Notice) -> QueuedNotice:
    """Queue a notice (:func:`notice_for`) in the caller's transaction ``tx``, so it commits with the change it
    announces; send it with :func:`deliver_notices` once that has committed."""
    app = app_of(context)
    return await store_notice(tx, app.settings, notice, now=app.now())


async def deliver_notices(context: Context, queued: Sequence[QueuedNotice]) -> None:
    """Hand notices queued inside a transaction that has now committed (:func:`queue_notice`)
    to the sender, which delivers them off the update (:meth:`bot.runtime.app.PemApplication.hand_off_notices`):
    the update does not wait for their Bot API calls. A failure to reach one never stops the others."""
    app_of(context).hand_off_notices(queued)


def keyboard(rows: Iterable[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of ``(text, callback_data)``."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])


def button(key: str, lang: str, data: str, **params: object) -> tuple[str, str]:
    return (label(key, lang, **params), data)


Handler = Callable[[Update, Context, Who], Awaitable[Any]]


def guarded(
    allowed: CommandSpec | Iterable[Role] | None, *, private: bool | None = None
) -> Callable[[Handler], Callable[[Update, Context], Awaitable[Any]]]:
    """Role and chat-type check around a callback.

    ``allowed`` is a CommandSpec (its roles and ``private`` flag), a set of roles, or None (anyone, including
    unknown users). A refusal answers in the user's language and ends any conversation.
    """
    if isinstance(allowed, CommandSpec):
        roles, private_only = allowed.roles, allowed.private if private is None else private
    else:
        roles = None if allowed is None else frozenset(allowed)
        private_only = True if private is None else private

    def decorator(fn: Handler) -> Callable[[Update, Context], Awaitable[Any]]:
        @functools.wraps(fn)
        async def wrapper(update: Update, context: Context) -> Any:
            who = await identify(update, context)
            chat = update.effective_chat
            refusal = None
            if private_only and chat is not None and chat.type != ChatType.PRIVATE:
                refusal = "errors/private_only"
            elif roles is not None:
                if who.person is None:
                    refusal = "errors/not_registered"
                elif not who.person.active or not who.person.has_any(roles):
                    refusal = "errors/not_allowed"
            if refusal is not None:
                if update.callback_query is not None:
                    await answer_callback(update, who, refusal, alert=True)
                else:
                    await send(update, context, who, refusal)
                return None
            return await fn(update, context, who)

        wrapper.pem_guarded = True  # type: ignore[attr-defined]  # checked by tests/handlers/test_roles.py
        return wrapper

    return decorator
