"""Command menus (``set_my_commands``).

- Default scope, per language (``id`` also as the no-language default, and ``en``): the commands anyone may use.
- Once a person is linked, a per-chat scope (``BotCommandScopeChat``) with the commands of their roles, in their
  language. It is set again when their language changes, when a loan makes them a borrower, and on /bantuan
  (which also catches roles added from the command line, e.g. by ``pem-bot import-loans``).
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.domain.commands import CommandSpec, commands_for
from handlers.registry import all_commands
from messages import render
from storage.people import Person


def bot_commands(specs: list[CommandSpec], lang: str) -> list[BotCommand]:
    return [BotCommand(s.menu_name(lang), render("plain/commands", lang, command=s.name)) for s in specs]


async def set_default_menus(bot: Bot, specs: tuple[CommandSpec, ...]) -> None:
    public = commands_for(specs, frozenset())
    await bot.set_my_commands(bot_commands(public, "id"))
    for lang in ("id", "en"):
        await bot.set_my_commands(bot_commands(public, lang), language_code=lang)


async def set_person_menu(bot: Bot, specs: tuple[CommandSpec, ...], person: Person) -> None:
    if person.telegram_chat_id is None:
        return
    mine = commands_for(specs, person.roles)
    await bot.set_my_commands(bot_commands(mine, person.language), scope=BotCommandScopeChat(person.telegram_chat_id))


async def refresh_person_menu(bot: Bot, person: Person) -> None:
    """Re-set a linked person's menu after their roles changed (a loan made them a borrower, /bantuan). Best
    effort: the change it follows is already saved, so a Telegram error is logged, not raised."""
    try:
        await set_person_menu(bot, all_commands(), person)
    except TelegramError:
        logging.getLogger(__name__).warning("could not refresh the menu of person %s", person.id, exc_info=True)
