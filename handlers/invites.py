"""``/undang`` (``/invite``), for admins: create a person and a one-time invite link, ready to forward.

State diagram::

    /undang ──► ROLE ──[role button]──► NAME ──[text]──► PHONE ──[text | Lewati]──► (link sent) END
                 │ text: "choose a button"  │ bad name / not text:   │ bad number / not text:
                 └──► ROLE                  └──► NAME (asked again)   └──► PHONE (asked again)
    /batal at any step ──► END, nothing saved

The person is created in the admin's kelurahan when the form is finished, never before, by
:func:`bot.services.invites.create_invite`, the same use case as ``pem-bot invite`` (its docstring has the rule):
a phone of a person of that kelurahan makes the invite theirs (the role is added when they open the link)
instead of a duplicate; a phone of a person of another kelurahan is refused and the phone asked again.
"""

from __future__ import annotations

from enum import StrEnum

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.domain.commands import CommandSpec
from bot.domain.invite_tokens import deep_link
from bot.domain.parsing.errors import PhoneError
from bot.domain.parsing.phone import normalize_phone
from bot.domain.roles import INVITABLE_BY_ADMIN, Role
from bot.runtime import clock
from bot.services import invites as invite_service
from bot.services.invites import NAME_MAX, InviteOutcome, clean_name
from handlers.common import Context, Who, app_of, button, guarded, keyboard, send
from handlers.feature import FeatureHandlers
from handlers.forms import current_form, data, end_form, new_form, pattern, read_button
from storage import invites

INVITE = CommandSpec("undang", "invite", frozenset({Role.ADMIN}))
COMMANDS = (INVITE,)
KIND = "undang"


class S(StrEnum):
    ROLE = "undang.role"
    NAME = "undang.name"
    PHONE = "undang.phone"


async def ask_role(update: Update, context: Context, who: Who, form: dict) -> str:
    rows = [[button(f"role_{r}", who.lang, data(KIND, form, "role", r))] for r in INVITABLE_BY_ADMIN]
    await send(update, context, who, "invites/ask_role", reply_markup=keyboard(rows))
    return S.ROLE


async def ask_name(update: Update, context: Context, who: Who, form: dict) -> str:
    await send(update, context, who, "invites/ask_name", role=form["role"])
    return S.NAME


async def ask_phone(update: Update, context: Context, who: Who, form: dict) -> str:
    markup = keyboard([[button("skip", who.lang, data(KIND, form, "skip"))]])
    await send(update, context, who, "invites/ask_phone", name=form["name"], reply_markup=markup)
    return S.PHONE


@guarded(INVITE)
async def begin(update: Update, context: Context, who: Who) -> str:
    return await ask_role(update, context, who, new_form(context, KIND))


@guarded(INVITE)
async def role_chosen(update: Update, context: Context, who: Who) -> str | None:
    pressed = await read_button(update, context, who, KIND)
    if pressed is None:
        return None
    form, action, value = pressed
    if action != "role" or value not in {str(r) for r in INVITABLE_BY_ADMIN}:
        return await ask_role(update, context, who, form)
    form["role"] = value
    return await ask_name(update, context, who, form)


@guarded(INVITE)
async def role_typed(update: Update, context: Context, who: Who) -> str:
    form = current_form(context, KIND) or new_form(context, KIND)
    await send(update, context, who, "common/use_buttons")
    return await ask_role(update, context, who, form)


@guarded(INVITE)
async def name_typed(update: Update, context: Context, who: Who) -> str:
    form = current_form(context, KIND)
    if form is None or "role" not in form:
        return await begin.__wrapped__(update, context, who)  # draft lost: start over
    assert update.message is not None
    name = clean_name(update.message.text or "")
    if name is None:
        await send(update, context, who, "invites/name_invalid", max=NAME_MAX)
        return await ask_name(update, context, who, form)
    form["name"] = name
    return await ask_phone(update, context, who, form)


@guarded(INVITE)
async def phone_typed(update: Update, context: Context, who: Who) -> str:
    form = current_form(context, KIND)
    if form is None or "name" not in form:
        return await begin.__wrapped__(update, context, who)
    assert update.message is not None
    try:
        phone = normalize_phone(update.message.text or "")
    except PhoneError as exc:
        await send(update, context, who, "invites/phone_invalid", code=exc.code)
        return await ask_phone(update, context, who, form)
    return await finish(update, context, who, form, phone)


@guarded(INVITE)
async def phone_skipped(update: Update, context: Context, who: Who) -> str | None:
    pressed = await read_button(update, context, who, KIND)
    if pressed is None:
        return None
    form, action, _ = pressed
    if action != "skip" or "name" not in form:
        return await ask_phone(update, context, who, form)
    return await finish(update, context, who, form, None)


async def finish(update: Update, context: Context, who: Who, form: dict, phone: str | None) -> str | int:
    admin = who.require()
    app = app_of(context)
    result = await invite_service.create_invite(
        app.db, role=Role(form["role"]), name=form["name"], kelurahan_code=admin.kelurahan_code, now=clock.utcnow(),
        phone=phone,
        created_by=admin.id, language=app.settings.language, via="bot",
    )
    if result.outcome is InviteOutcome.BAD_NAME:  # a draft from before the rule changed
        form.pop("name", None)
        await send(update, context, who, "invites/name_invalid", max=NAME_MAX)
        return await ask_name(update, context, who, form)
    if result.outcome is InviteOutcome.PHONE_ELSEWHERE:
        await send(update, context, who, "invites/phone_invalid", code="other_kelurahan")
        return await ask_phone(update, context, who, form)
    assert result.person is not None and result.invite is not None and result.token is not None
    username = app.settings.bot_username or context.bot.username
    await send(
        update, context, who, "invites/created",
        name=result.person.name, typed_name=form["name"], existing=result.outcome is InviteOutcome.REUSED,
        role=str(result.invite.role), link=deep_link(username, result.token),
        expires_at=invites.parse_expiry(result.invite),
    )
    end_form(context)
    return ConversationHandler.END


@guarded(INVITE)
async def not_text(update: Update, context: Context, who: Who) -> str | None:
    form = current_form(context, KIND)
    if form is None:
        return None
    await send(update, context, who, "errors/not_text")
    if "name" in form:
        return await ask_phone(update, context, who, form)
    if "role" in form:
        return await ask_name(update, context, who, form)
    return await ask_role(update, context, who, form)


def handlers() -> FeatureHandlers:
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    return FeatureHandlers(
        form_entry_points=[CommandHandler(list(INVITE.names), begin)],
        form_states={
            S.ROLE: [CallbackQueryHandler(role_chosen, pattern=pattern(KIND)), MessageHandler(text, role_typed),
                     MessageHandler(other, not_text)],
            S.NAME: [MessageHandler(text, name_typed), MessageHandler(other, not_text)],
            S.PHONE: [
                MessageHandler(text, phone_typed),
                CallbackQueryHandler(phone_skipped, pattern=pattern(KIND)),
                MessageHandler(other, not_text),
            ],
        },
    )
