"""What is left over: ``/batal`` (``/cancel``) and buttons that no longer belong to anything.

``/batal`` inside a form is handled by the form engine (:mod:`handlers.forms.engine`): it drops the draft and
saves nothing. What reaches this module's ``/batal`` found no open form: it says there is nothing to cancel.
A button press that no handler claims comes from an old message (the form is finished, or replaced) and gets a
short "this button has expired" notice.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.commands import CommandSpec
from handlers.common import Context, Who, answer_callback, guarded, send
from handlers.feature import FeatureHandlers

CANCEL = CommandSpec("batal", "cancel", None, private=False)
COMMANDS = (CANCEL,)


@guarded(CANCEL)
async def cancel(update: Update, context: Context, who: Who) -> None:
    await send(update, context, who, "common/nothing_to_cancel")


@guarded(None, private=False)
async def stale_button(update: Update, context: Context, who: Who) -> None:
    await answer_callback(update, who, "errors/stale_button")


def cancel_handler() -> CommandHandler:
    return CommandHandler(list(CANCEL.names), cancel)


def stale_button_handler() -> CallbackQueryHandler:
    return CallbackQueryHandler(stale_button)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(handlers=[cancel_handler(), stale_button_handler()])
