"""The borrower confirms the disbursement (issue 15 part 3, the ghost-borrower check).

The question ``disbursement/ask`` comes through the outbox (:mod:`bot.services.disbursements`), or as a reply to
``/konfirmasi_dana`` (``/confirm_funds``), with two buttons:

* **Ya, sudah terima** (``dsb:yes:<loan>``): :func:`bot.services.disbursements.confirm`, one tap, no draft;
* **Belum / tidak sesuai** (``dsb:no:<loan>``): opens :data:`NOTE_FORM`, a declared one-step form asking a short
  note (3–200 characters; a restart keeps it), then :func:`bot.services.disbursements.dispute` and an alert,
  at once, to the lurah and the admins of the kelurahan (``disbursement/alert``, through the outbox as a notice).

Only the loan's borrower may answer (the service checks it again); a second answer shows the first one. Typing
a button's label ("ya, sudah terima") counts as tapping it when one question is open; with several open, each is
asked again with its buttons.
"""

from __future__ import annotations

import contextlib
import unicodedata
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.commands import CommandSpec
from bot.domain.parsing.errors import ParseError
from bot.domain.roles import Role
from bot.services import disbursements as service
from bot.services.disbursements import Answer
from handlers.common import Context, Who, answer_callback, app_of, guarded, keyboard, notify_person, now_of, send
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Ended, Form, Step, Turn, open_form
from messages import LANGUAGES, label
from storage import disbursements

CONFIRM = CommandSpec("konfirmasi_dana", "confirm_funds", frozenset({Role.BORROWER}))
COMMANDS = (CONFIRM,)
KIND = "dsbn"


def _buttons(loan_id: int, lang: str):
    return keyboard([[(label(key, lang), data)] for row in service.ask_buttons(loan_id) for key, data in row])


@guarded(CONFIRM)
async def ask_again(update: Update, context: Context, who: Who) -> None:
    open_ = await service.open_questions(app_of(context).db, who.require().id)
    if not open_:
        await send(update, context, who, "disbursement/none")
        return
    for d in open_:
        await send(update, context, who, service.ASK_TEMPLATE, reply_markup=_buttons(d.loan_id, who.lang),
                   **service.ask_context(d))


async def _drop_buttons(update: Update) -> None:
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.edit_message_reply_markup(None)


def _loan_of(update: Update) -> int | None:
    assert update.callback_query is not None
    raw = (update.callback_query.data or "").rsplit(":", 1)[-1]
    return int(raw) if raw.isdigit() else None


@guarded(CONFIRM)
async def yes_pressed(update: Update, context: Context, who: Who) -> None:
    loan_id = _loan_of(update)
    result = await service.confirm(app_of(context).db, loan_id or 0, by=who.require().id, now=now_of(context))
    if result.outcome is Answer.NOT_OWNED:
        await answer_callback(update, who, "errors/not_allowed", alert=True)
        return
    await answer_callback(update, who)
    await _drop_buttons(update)
    template = "disbursement/confirmed" if result.outcome is Answer.STORED else "disbursement/already"
    await send(update, context, who, template, d=result.disbursement)


@guarded(CONFIRM)
async def no_pressed(update: Update, context: Context, who: Who) -> None:
    loan_id = _loan_of(update)
    d = None if loan_id is None else await disbursements.get(app_of(context).db, loan_id)
    if d is None or d.borrower_id != who.person_id:
        await answer_callback(update, who, "errors/not_allowed", alert=True)
        return
    await answer_callback(update, who)
    if d.status != "unconfirmed":
        await send(update, context, who, "disbursement/already", d=d)
        return
    await _drop_buttons(update)
    await open_form(NOTE_FORM, update, context, who, {"loan_id": d.loan_id, "principal": d.principal,
                                                      "disbursed_on": d.disbursed_on.isoformat()})


def _parse_note(text: str, turn: Turn) -> str:
    note = " ".join(text.split())
    if not service.NOTE_MIN <= len(note) <= service.NOTE_MAX:
        raise ParseError("length", min=service.NOTE_MIN, max=service.NOTE_MAX)
    return note


async def _note_context(turn: Turn) -> dict[str, Any]:
    return {"form": turn.data, "min": service.NOTE_MIN, "max": service.NOTE_MAX}


async def _finish(turn: Turn) -> None:
    result = await service.dispute(turn.db, turn.data["loan_id"], by=turn.who.require().id, note=turn.data["note"],
                                   now=turn.now(), draft_of=turn.user_id)
    if result.outcome is Answer.NOT_OWNED:
        raise Ended("errors/not_allowed")
    if result.outcome is Answer.ALREADY:
        raise Ended("disbursement/already", d=result.disbursement)
    d = result.disbursement
    assert d is not None
    told = 0
    for person in result.alert:
        told += await notify_person(turn.context, person, "disbursement/alert", d=d, key=f"dsb:alert:{d.loan_id}:"
                                    f"{person.id}")
    await turn.say("disbursement/disputed", d=d, told=told)


NOTE_FORM = Form(
    kind=KIND,
    command=None,
    roles=CONFIRM.roles,
    steps=(Step("note", "disbursement/ask_note", parse=_parse_note, invalid="disbursement/note_invalid",
                context=_note_context),),
    finish=_finish,
    entry_points=(CallbackQueryHandler(no_pressed, pattern=r"^dsb:no:\d+$"),),
)


# --- typing a button's label counts as tapping it --------------------------------------------------------------


class _AnswerLabel(filters.MessageFilter):
    """Private text that reads as one of the two answers' labels, in either language."""

    def filter(self, message: Message) -> bool:
        return _answer_of(message.text or "") is not None


def _fold(text: str) -> str:
    """Letters and digits only, case and accents ignored: "ya sudah terima" reads as "✅ Ya, sudah terima"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c if unicodedata.category(c)[0] in "LN" else " " for c in decomposed).casefold().split())


def _answer_of(text: str) -> str | None:
    folded = _fold(text)
    for answer in ("yes", "no"):
        if folded in {_fold(label(f"disbursement.{answer}", lang)) for lang in LANGUAGES}:
            return answer
    return None


@guarded(CONFIRM)
async def answer_typed(update: Update, context: Context, who: Who) -> None:
    """The label typed: with one question open it answers it; with several, each is shown again with its buttons
    (which loan is meant must be chosen); with none, says so."""
    assert update.effective_message is not None
    answer = _answer_of(update.effective_message.text or "")
    open_ = await service.open_questions(app_of(context).db, who.require().id)
    if len(open_) != 1:
        await ask_again(update, context, who)
        return
    d = open_[0]
    if answer == "yes":
        result = await service.confirm(app_of(context).db, d.loan_id, by=who.require().id, now=now_of(context))
        template = "disbursement/confirmed" if result.outcome is Answer.STORED else "disbursement/already"
        await send(update, context, who, template, d=result.disbursement)
        return
    await open_form(NOTE_FORM, update, context, who, {"loan_id": d.loan_id, "principal": d.principal,
                                                      "disbursed_on": d.disbursed_on.isoformat()})


def handlers() -> FeatureHandlers:
    return FeatureHandlers(
        forms=[NOTE_FORM],
        handlers=[
            CommandHandler(list(CONFIRM.names), ask_again),
            CallbackQueryHandler(yes_pressed, pattern=r"^dsb:yes:\d+$"),
            MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & _AnswerLabel(),
                           answer_typed),
        ],
    )
