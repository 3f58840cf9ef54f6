"""What is left over: ``/batal`` (``/cancel``) and buttons that no longer belong to anything.

``/batal`` inside a form is a fallback of the ``forms`` conversation: it drops the draft and saves nothing.
Outside a form it says there is nothing to cancel. A button press that no handler claims comes from an old
message (the form is finished, or replaced) and gets a short "this button has expired" notice.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.domain.commands import CommandSpec
from handlers.common import Context, Who, answer_callback, guarded, send
from handlers.feature import FeatureHandlers
from handlers.forms import current_form, drop_form

CANCEL = CommandSpec("batal", "cancel", None, private=False)
COMMANDS = (CANCEL,)


@guarded(CANCEL)
async def cancel(update: Update, context: Context, who: Who) -> int:
    if current_form(context) is None:
        await send(update, context, who, "common/nothing_to_cancel")
        return ConversationHandler.END
    return await drop_form(update, context, who)


@guarded(None, private=False)
async def stale_button(update: Update, context: Context, who: Who) -> None:
    await answer_callback(update, who, "errors/stale_button")


def cancel_handler() -> CommandHandler:
    return CommandHandler(list(CANCEL.names), cancel)


def stale_button_handler(pattern: str | None = None) -> CallbackQueryHandler:
    return CallbackQueryHandler(stale_button, pattern=pattern)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(handlers=[cancel_handler(), stale_button_handler()])
