"""``/bahasa`` (``/language``): switch between Bahasa Indonesia and English with buttons.

The choice is stored on the person; replies from then on, and their command menu, use it.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.commands import CommandSpec
from bot.domain.roles import ALL_ROLES
from bot.services import people as person_service
from handlers.common import Context, Who, alongside, answer_callback, app_of, button, guarded, keyboard, send
from handlers.feature import FeatureHandlers
from handlers.menus import set_person_menu
from handlers.registry import all_commands
from messages import LANGUAGES
from storage import people

LANGUAGE = CommandSpec("bahasa", "language", ALL_ROLES)
COMMANDS = (LANGUAGE,)


@guarded(LANGUAGE)
async def choose(update: Update, context: Context, who: Who) -> None:
    markup = keyboard([[button(f"language_{lang}", who.lang, f"lang:{lang}") for lang in LANGUAGES]])
    await send(update, context, who, "language/choose", reply_markup=markup)


@guarded(LANGUAGE)
async def chosen(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = query.data.split(":", 1)[1]
    if lang not in LANGUAGES:
        await answer_callback(update, who, "errors/stale_button")
        return
    person = who.require()
    db = app_of(context).db
    await person_service.set_language(db, person, lang)
    await alongside(query.answer())
    new_who = Who(await people.get(db, person.id), lang)
    await send(update, context, new_who, "language/changed")
    assert new_who.person is not None
    await set_person_menu(context.bot, all_commands(), new_who.person)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(
        handlers=[CommandHandler(list(LANGUAGE.names), choose), CallbackQueryHandler(chosen, pattern=r"^lang:")]
    )
