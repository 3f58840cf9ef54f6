"""What is left over: ``/batal`` (``/cancel``), buttons that no longer belong to anything, and whatever else
a private chat sends that nobody claimed.

``/batal`` inside a form is handled by the form engine (:mod:`handlers.forms.engine`): it drops the draft and
saves nothing. What reaches this module's ``/batal`` found no open form: it says there is nothing to cancel.
A button press that no handler claims comes from an old message (the form is finished, or replaced) and gets a
short "this button has expired" notice.

Silence is never the answer in a private chat (issue 14, item 6): an unknown Telegram user who writes
anything ("halo", a command) is told what the bot is and that access is by invitation; a registered user's
unknown command gets "perintah tidak dikenal" with /bantuan, and their text outside a form a pointer to
/bantuan. Those answers are rate-limited per chat (:class:`bot.domain.reply_throttle.ReplyThrottle`, two a
minute), so a flood is not echoed. In groups this module says nothing (commands there: :mod:`handlers.groups`).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.commands import CommandSpec
from bot.domain.reply_throttle import ReplyThrottle
from handlers.common import Context, Who, answer_callback, guarded, now_of, send
from handlers.feature import FeatureHandlers

CANCEL = CommandSpec("batal", "cancel", None, private=False)
COMMANDS = (CANCEL,)


@guarded(CANCEL)
async def cancel(update: Update, context: Context, who: Who) -> None:
    await send(update, context, who, "common/nothing_to_cancel")


@guarded(None, private=False)
async def stale_button(update: Update, context: Context, who: Who) -> None:
    await answer_callback(update, who, "errors/stale_button")


def throttle_of(context: Context) -> ReplyThrottle:
    """The application's one throttle for answers to what the bot doesn't understand (kept in bot_data)."""
    throttle = context.application.bot_data.get("reply_throttle")
    if not isinstance(throttle, ReplyThrottle):
        throttle = context.application.bot_data["reply_throttle"] = ReplyThrottle()
    return throttle


def may_answer(update: Update, context: Context) -> bool:
    chat = update.effective_chat
    return chat is not None and throttle_of(context).allow(chat.id, now_of(context))


@guarded(None)
async def unknown_command(update: Update, context: Context, who: Who) -> None:
    """A command no handler took, in a private chat."""
    if not may_answer(update, context):
        return
    if who.person is None:
        await send(update, context, who, "onboarding/unknown_user")
        return
    assert update.message is not None
    command = (update.message.text or "").split()[0].split("@")[0][:40]
    await send(update, context, who, "fallback/unknown_command", command=command)


@guarded(None)
async def unclaimed_text(update: Update, context: Context, who: Who) -> None:
    """Text outside any form, in a private chat: what the bot is (unknown user) or where to start."""
    if not may_answer(update, context):
        return
    await send(update, context, who, "onboarding/unknown_user" if who.person is None else "fallback/not_understood")


def cancel_handler() -> CommandHandler:
    return CommandHandler(list(CANCEL.names), cancel)


def stale_button_handler() -> CallbackQueryHandler:
    return CallbackQueryHandler(stale_button)


def handlers() -> FeatureHandlers:
    private = filters.ChatType.PRIVATE
    return FeatureHandlers(handlers=[
        cancel_handler(),
        MessageHandler(filters.COMMAND & private, unknown_command),
        MessageHandler(filters.TEXT & ~filters.COMMAND & private, unclaimed_text),
        stale_button_handler(),  # the catch-all button handler stays the very last one
    ])
