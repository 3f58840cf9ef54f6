"""The single error handler.

It logs the exception together with the update, tells the user in their language that something went wrong and
that the step was not saved (every write happens in a transaction that rolls back on error), and never shows a
traceback in the chat. ``Forbidden`` (the user blocked the bot) marks that person unreachable instead.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.services import people as person_service
from handlers.common import Context, app_of, identify, send

log = logging.getLogger("pem_bot.errors")


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if isinstance(error, Forbidden):
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None:
            await person_service.mark_unreachable_by_chat(app_of(context).db, chat.id)
        log.warning("bot was blocked in chat %s: %s", getattr(chat, "id", None), error)
        return

    update_text = update.to_dict() if isinstance(update, Update) else repr(update)
    log.error("error while handling update %s", update_text, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        who = await identify(update, context)
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        await send(update, context, who, "errors/internal")
    except Exception:  # the apology itself failed (network down, database gone): only log it
        log.exception("could not tell the user about the error")
