"""Onboarding: ``/start`` with or without an invite token.

- ``/start <token>``: a valid, unused, unexpired invite links this Telegram account to the invited person, grants
  the invite's role and marks the invite used; the bot greets them by name, in their language, lists what they
  can do and sets their command menu.
- An unknown, expired or used token gets a message saying what to do; the attempt is audited (without the token).
- ``/start`` from an unknown Telegram user explains what the bot is and that access is by invitation. No data.
- ``/start`` from a linked person shows the greeting again.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.domain.commands import CommandSpec, commands_for
from bot.services.invites import redeem_invite
from handlers.common import Context, Who, app_of, guarded, now_of, send
from handlers.feature import FeatureHandlers
from handlers.menus import set_person_menu
from handlers.registry import all_commands
from storage.invites import RedeemStatus
from storage.people import Person

START = CommandSpec("start", None, None, private=True)
COMMANDS = (START,)


async def greet(update: Update, context: Context, person: Person, *, first: bool = False) -> None:
    """The greeting; ``first`` (right after an invite was opened) adds the line pointing to /privasi."""
    specs = all_commands()
    who = Who(person, person.language)
    await send(
        update, context, who, "onboarding/welcome",
        name=person.name, first=first,
        roles=sorted(str(r) for r in person.roles),
        commands=[(s.menu_name(who.lang), s.name) for s in commands_for(specs, person.roles)],
    )
    await set_person_menu(context.bot, specs, person)


@guarded(START)
async def start(update: Update, context: Context, who: Who) -> None:
    args = context.args or []
    if not args:
        if who.person is None:
            await send(update, context, who, "onboarding/unknown_user")
        else:
            await greet(update, context, who.person)
        return

    token = args[0]
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    result = await redeem_invite(app_of(context).db, token, telegram_user_id=user.id, chat_id=chat.id,
                                 now=now_of(context))
    if result.status is RedeemStatus.OK:
        assert result.person is not None
        await greet(update, context, result.person, first=True)
    elif result.status is RedeemStatus.ALREADY_LINKED:
        assert result.person is not None
        await send(update, context, who, "onboarding/invite_already_linked", name=result.person.name)
    else:
        await send(update, context, who, f"onboarding/invite_{result.status}")


def handlers() -> FeatureHandlers:
    return FeatureHandlers(handlers=[CommandHandler("start", start)])
