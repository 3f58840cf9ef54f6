"""Form drafts and their buttons, shared by the older hand-written conversations; the form engine for declared
forms is :mod:`handlers.forms.engine` (every form moves there; see docs/forms.md).

A form's draft lives in ``context.user_data["form"]`` (persisted, so it survives a restart) and carries a short
random ``id``. Every button of the form has callback data ``<prefix>:<form id>:<action>[:<value>]``; a press
whose form id is not the current one comes from an older, stale message and only gets a short notice.

Answers that are not text where text is expected (a sticker, a photo) get :func:`not_text`, which says so and
asks the same question again.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, ConversationHandler

from bot.runtime import clock
from handlers.common import Context, Who, answer_callback, send
from storage import drafts

FORM_KEY = "form"


#: A form left unfinished this long is dropped with everything typed into it (see :func:`expire_stale_forms`).
FORM_MAX_AGE = timedelta(hours=24)


def new_form(context: Context, kind: str, **fields: Any) -> dict[str, Any]:
    draft = {"kind": kind, "id": secrets.token_hex(3), "started_at": clock.utcnow(),  # id: see ANY_FORM_BUTTON
             **fields}
    context.user_data[FORM_KEY] = draft  # type: ignore[index]
    return draft


def current_form(context: Context, kind: str | None = None) -> dict[str, Any] | None:
    draft = (context.user_data or {}).get(FORM_KEY)
    if draft is None or (kind is not None and draft.get("kind") != kind):
        return None
    return draft


def end_form(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(FORM_KEY, None)


async def expire_stale_forms(application: Application, now: datetime, max_age: timedelta = FORM_MAX_AGE) -> int:
    """Drop form drafts older than ``max_age`` from every user's data and write that through.

    A draft holds what someone typed before confirming: a NIK and a phone number in /daftar, before consent was
    given. UU 27/2022 allows keeping that only while the form is being filled in, so an abandoned draft goes
    after a day (the scheduler's minute tick calls this). The user's next answer then finds no form and ends
    it; they start again. Returns how many drafts were dropped."""
    stale = []
    for uid, data in application.user_data.items():
        if FORM_KEY in data:
            # A draft saved before drafts had a start time gets one now, instead of counting as a day old.
            started = data[FORM_KEY].setdefault("started_at", now)
            if started <= now - max_age:
                stale.append(uid)
    for uid in stale:
        application.user_data[uid].pop(FORM_KEY, None)
    if stale:
        application.mark_data_for_update_persistence(user_ids=stale)
        await application.update_persistence()
    # The declared forms' drafts (handlers/forms/engine.py): one DELETE.
    declared = await drafts.expire(application.db, now - max_age)  # type: ignore[attr-defined]
    return len(stale) + declared


async def drop_form(update: Update, context: Context, who: Who) -> int:
    """The form's Batal button (or /batal): forget the draft, say nothing was saved, end the conversation."""
    end_form(context)
    await send(update, context, who, "common/cancelled")
    return ConversationHandler.END


def data(prefix: str, form: dict[str, Any], action: str, value: object = "") -> str:
    text = f"{prefix}:{form['id']}:{action}" + (f":{value}" if value != "" else "")
    if len(text.encode()) > 64:
        raise ValueError(f"callback data over 64 bytes: {text!r}")
    return text


def pattern(prefix: str) -> str:
    return rf"^{prefix}:"


#: Any form's button (``prefix:<6 hex form id>:action…``), for the conversation's stale-button fallback: buttons of
#: other kinds (a language choice, a verification on a notification) must pass through to their own handlers.
ANY_FORM_BUTTON = r"^[a-z_]+:[0-9a-f]{6}:"


async def read_button(update: Update, context: Context, who: Who, kind: str) -> tuple[dict, str, str] | None:
    """Parse a form button press. Returns ``(form, action, value)``, or None after telling the user the
    button is stale (its form is finished or was replaced by a newer one)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split(":", 3)
    form = current_form(context, kind)
    if len(parts) < 3 or form is None or parts[1] != form["id"]:
        await answer_callback(update, who, "errors/stale_button")
        return None
    await query.answer()
    return form, parts[2], parts[3] if len(parts) > 3 else ""
