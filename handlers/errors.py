"""The single error handler.

It logs the exception together with the update, tells the user in their language that something went wrong and
that the step was not saved (every write happens in a transaction that rolls back on error), and never shows a
traceback in the chat. ``Forbidden`` (the user blocked the bot) marks that person unreachable instead.

A write that gave up waiting for SQLite's lock (another process held it longer than the busy timeout,
``storage.db.is_busy``) gets its own plain message, ``errors/database_busy``: nothing was saved, press the same
button again; a form is still at the same step, since its draft is only moved on by the write that failed.
That case is logged without the update's content (it is not a bug to debug, and the content is personal).
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.services import people as person_service
from handlers.common import Context, alongside, app_of, identify, send
from storage.db import is_busy

log = logging.getLogger("pem_bot.errors")


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if isinstance(error, Forbidden):
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None:
            await person_service.mark_unreachable_by_chat(app_of(context).db, chat.id)
        log.warning("bot was blocked in chat %s: %s", getattr(chat, "id", None), error)
        return

    busy = error is not None and is_busy(error)
    if busy:
        log.warning("database locked by another process while handling update %s: nothing was saved",
                    update.update_id if isinstance(update, Update) else "?")
    else:
        update_text = update.to_dict() if isinstance(update, Update) else repr(update)
        log.error("error while handling update %s", update_text, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        who = await identify(update, context)
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await alongside(update.callback_query.answer())
        await send(update, context, who, "errors/database_busy" if busy else "errors/internal")
    except Exception:  # the apology itself failed (network down, database gone): only log it
        log.exception("could not tell the user about the error")
