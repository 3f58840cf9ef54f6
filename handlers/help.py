"""``/bantuan`` (``/help``): the commands of the user's roles, in their language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.domain.commands import CommandSpec, commands_for
from handlers.common import Context, Who, guarded, send
from handlers.feature import FeatureHandlers
from handlers.menus import refresh_person_menu
from handlers.registry import all_commands

HELP = CommandSpec("bantuan", "help", None, private=False)
COMMANDS = (HELP,)


@guarded(HELP)
async def show_help(update: Update, context: Context, who: Who) -> None:
    roles = frozenset() if who.person is None else who.person.roles
    if who.person is not None and update.effective_chat is not None and update.effective_chat.type == "private":
        await refresh_person_menu(context.bot, who.person)  # roles may have changed since the menu was set
    await send(
        update, context, who, "help/help",
        linked=who.person is not None,
        commands=[(s.menu_name(who.lang), s.name) for s in commands_for(all_commands(), roles)],
    )


def handlers() -> FeatureHandlers:
    return FeatureHandlers(handlers=[CommandHandler(list(HELP.names), show_help)])
