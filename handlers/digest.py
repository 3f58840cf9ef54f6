"""``/ringkasan`` (``/digest``): the morning digest on demand, and the admins' opt-in to get it every morning.

::

    /ringkasan ──► lurah / treasurer / admin: digest/daily of their kelurahan
               └─► city: digest/city (one line per kelurahan, worst PAR30 first)
    admin: button "Kirim tiap pagi ke saya" / "Berhenti kirim tiap pagi" ──► digest/optin_changed

The figures are the same as the scheduled digest's (:func:`bot.services.digest.kelurahan_contexts`), as of now.
A city account that also holds a kelurahan role sees the city version. No form: nothing to cancel.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.commands import CommandSpec
from bot.domain.roles import Role
from bot.services import people as person_service
from bot.services.digest import city_context, kelurahan_contexts
from handlers.common import Context, Who, alongside, answer_callback, app_of, button, guarded, keyboard, send
from handlers.feature import FeatureHandlers
from storage import people

DIGEST = CommandSpec("ringkasan", "digest", frozenset({Role.LURAH, Role.TREASURER, Role.ADMIN, Role.CITY}))
COMMANDS = (DIGEST,)
OPTIN_PREFIX = "digestopt"


def _optin_markup(who: Who, opted_in: bool):
    person = who.require()
    if Role.ADMIN not in person.roles or Role.LURAH in person.roles or Role.CITY in person.roles:
        return None  # a lurah gets it anyway; only kelurahan admins choose
    if opted_in:
        return keyboard([[button("digest.optin_off", who.lang, f"{OPTIN_PREFIX}:0")]])
    return keyboard([[button("digest.optin_on", who.lang, f"{OPTIN_PREFIX}:1")]])


@guarded(DIGEST)
async def show(update: Update, context: Context, who: Who) -> None:
    person = who.require()
    app = app_of(context)
    tz = app.settings.timezone
    now = app.now()
    today = now.astimezone(tz).date()
    # The aggregates on the read-only connection (storage/db.py): other users' replies don't wait behind them.
    # The city's (51 kelurahan) is long work: read and assembled in a worker process (Database.off_loop).
    if Role.CITY in person.roles or person.kelurahan_code is None:
        city = await app.db.off_loop(city_context, today, tz)
        await send(update, context, who, "digest/city", **city)
        return
    async with app.db.snapshot() as reads:
        ctx = (await kelurahan_contexts(reads, today, now, tz, person.kelurahan_code))[person.kelurahan_code]
    markup = _optin_markup(who, await people.opted_in(app.db, person.id))
    await send(update, context, who, "digest/daily", reply_markup=markup, **ctx)


@guarded(frozenset({Role.ADMIN}))
async def opt_in(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    value = query.data.split(":", 1)[1]
    if value not in ("0", "1"):
        await answer_callback(update, who, "errors/stale_button")
        return
    person = who.require()
    db = app_of(context).db
    wanted = value == "1"
    await person_service.set_digest_opt_in(db, person, wanted)
    await alongside(query.answer())
    await send(update, context, who, "digest/optin_changed", opt_in=wanted)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(handlers=[
        CommandHandler(list(DIGEST.names), show),
        CallbackQueryHandler(opt_in, pattern=rf"^{OPTIN_PREFIX}:"),
    ])
