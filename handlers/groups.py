"""Our commands in a group chat (issue 14, item 7): one short message that the bot works in a private chat,
with a deep link to it, whatever the command (/bantuan would list a treasurer's commands to the whole group;
/start and /bahasa are not "private data" but make no sense there either).

The handler sits in :data:`GROUP`, before the form engine and every feature, and stops the update, so no
feature ever answers in a group. Only our own command names are answered (a command for another bot in the
group is none of ours: PTB's ``CommandHandler`` also skips ``/cmd@otherbot``), at most twice a minute per
group (:func:`handlers.fallback.may_answer`; Telegram allows 20 messages a minute in a group). Plain text in
a group is never answered.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, filters

from bot.domain.commands import CommandSpec
from handlers.common import Context, Who, app_of, guarded, send
from handlers.fallback import may_answer
from messages import label

#: before the form engine (-1) and the features (0)
GROUP = -2


def private_chat_link(context: Context) -> str:
    username = context.bot.username or app_of(context).settings.bot_username or ""
    return f"https://t.me/{username}"


@guarded(None, private=False)
async def in_group(update: Update, context: Context, who: Who) -> None:
    if may_answer(update, context):
        link = private_chat_link(context)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(label("groups.open_private_chat", who.lang), url=link)]])
        await send(update, context, who, "groups/private_chat", link=link, reply_markup=markup)
    raise ApplicationHandlerStop


def register(application: Application, commands: tuple[CommandSpec, ...]) -> None:
    names = sorted({n for spec in commands for n in spec.names})
    application.add_handler(CommandHandler(names, in_group, filters=~filters.ChatType.PRIVATE), group=GROUP)
