"""Warning letters (surat peringatan SP-1..SP-3) in the bot, issue 16 part 1.

The task ``warnings/task`` reaches each treasurer of the kelurahan through the outbox (the daily job,
:mod:`bot.jobs.warnings`), with two buttons:

* **Terbitkan** (``spl:go:<step>``): :func:`bot.services.warnings.issue` numbers and records the letter; once that
  has committed, the borrower (if linked) gets ``warnings/borrower_notice`` (through the outbox, as a notice) and
  the PDF, and the treasurer gets ``warnings/issued`` and the PDF to print. A second press, by anyone, shows
  what was done (``warnings/already``); a step whose arrears were cleared meanwhile says so and is closed.
* **Tunda 7 hari** (``spl:wait:<step>``): opens :data:`POSTPONE_FORM`, a declared one-step form asking the reason
  (3–200 characters; a restart keeps it), then :func:`bot.services.warnings.postpone`.

``/surat_peringatan`` (``/warning_letters``, treasurer and admin) shows the kelurahan's open tasks again, each with
its buttons (a lost message, or a task postponed and due again). Typing a button's label (*terbitkan*, *tunda 7
hari*) counts as tapping it when one task is open; with several, the tasks are shown so that one is chosen.

``spl:pdf:<step>`` sends an issued letter's PDF again (from the borrower's detail, ``/peminjam``, and
``/pinjaman``): to the borrower of the letter and to the treasurers, lurah and admins of its kelurahan only.

The PDF is rendered from the stored letter every time (what it said is stored with it, so it never changes), in
the reader's language, in a worker thread (CPU-bound, like the receipts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import unicodedata
from typing import Any

from telegram import InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain import warnings as rules
from bot.domain.commands import CommandSpec
from bot.domain.parsing.errors import ParseError
from bot.domain.quiet_hours import is_quiet
from bot.domain.roles import ALL_ROLES
from bot.services import warnings as service
from bot.services.warnings import Outcome
from handlers.common import (
    Context,
    Who,
    answer_callback,
    app_of,
    button,
    guarded,
    keyboard,
    notify_person,
    now_of,
    send,
)
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Ended, Form, Step, Turn, open_form
from handlers.receipts import may_see
from messages import LANGUAGES, label, normalise_language, render
from messages.documents import warning_letter_pdf
from storage.people import Person
from storage.warnings import WarningStep

log = logging.getLogger(__name__)

TASKS = CommandSpec("surat_peringatan", "warning_letters", service.ACTORS)
COMMANDS = (TASKS,)
KIND = "spw"


def _quiet(context: Context) -> bool:
    settings = app_of(context).settings
    if settings.quiet_hours is None:
        return False
    return is_quiet(app_of(context).now().astimezone(settings.timezone).time(), *settings.quiet_hours)


def letter_button(step: WarningStep, lang: str) -> tuple[str, str]:
    return button("warnings.get", lang, f"spl:pdf:{step.id}", level=step.level, number=step.number)


async def send_letter(context: Context, chat_id: int, step: WarningStep, lang: str) -> bool:
    app = app_of(context)
    lang = normalise_language(lang)
    caption = render("warnings/caption", lang, tz=app.settings.timezone, step=step)
    try:
        pdf = await asyncio.to_thread(warning_letter_pdf, step, lang)
        await context.bot.send_document(
            chat_id, InputFile(pdf, filename=f"SP-{step.level}-{(step.number or '').replace('/', '-')}.pdf"),
            caption=caption, parse_mode=ParseMode.HTML, disable_notification=_quiet(context))
    except TelegramError:
        log.warning("could not send warning letter %s to chat %s", step.number, chat_id, exc_info=True)
        return False
    return True


async def _drop_buttons(update: Update) -> None:
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.edit_message_reply_markup(None)


def _step_of(update: Update) -> int:
    assert update.callback_query is not None
    raw = (update.callback_query.data or "").rsplit(":", 1)[-1]
    return int(raw) if raw.isdigit() else 0


async def _tell_borrower(context: Context, borrower: Person | None, step: WarningStep) -> bool:
    if borrower is None or borrower.telegram_chat_id is None or not borrower.active or not borrower.reachable:
        return False
    told = await notify_person(context, borrower, "warnings/borrower_notice", step=step,
                               roman=rules.roman(step.level), key=f"sp:notice:{step.id}")
    if told:
        await send_letter(context, borrower.telegram_chat_id, step, borrower.language)
    return told


@guarded(service.ACTORS)
async def issue_pressed(update: Update, context: Context, who: Who) -> None:
    await _issue(update, context, who, _step_of(update))


async def _issue(update: Update, context: Context, who: Who, step_id: int) -> None:
    app = app_of(context)
    result = await service.issue(app.db, step_id, by=who.require().id, now=now_of(context),
                                 today=app.today(), deadline_days=app.settings.warning_deadline_days)
    if result.outcome is Outcome.NOT_ALLOWED:
        await answer_callback(update, who, "errors/not_allowed", alert=True)
        if update.callback_query is None:
            await send(update, context, who, "errors/not_allowed")
        return
    await answer_callback(update, who)
    await _drop_buttons(update)
    step = result.step
    assert step is not None
    if result.outcome is Outcome.ALREADY:
        await send(update, context, who, "warnings/already", step=step)
        return
    if result.outcome is Outcome.CLEARED:
        await send(update, context, who, "warnings/cleared", step=step)
        return
    told = await _tell_borrower(context, result.borrower, step)
    await send(update, context, who, "warnings/issued", step=step, told=told)
    chat = update.effective_chat
    if chat is not None and not await send_letter(context, chat.id, step, who.lang):
        await send(update, context, who, "warnings/send_failed")


@guarded(service.ACTORS)
async def postpone_pressed(update: Update, context: Context, who: Who) -> None:
    await _postpone(update, context, who, _step_of(update))


async def _postpone(update: Update, context: Context, who: Who, step_id: int) -> None:
    step = await service.letter(app_of(context).db, step_id)
    if not service.may_act(who.person, step):
        await answer_callback(update, who, "errors/not_allowed", alert=True)
        return
    assert step is not None
    await answer_callback(update, who)
    today = app_of(context).today()
    if step.status != "open" or (step.postponed_until is not None and step.postponed_until > today):
        await send(update, context, who, "warnings/already", step=step)
        return
    await _drop_buttons(update)
    await open_form(POSTPONE_FORM, update, context, who,
                    {"step_id": step.id, "level": step.level, "borrower": step.borrower_name})


def _parse_reason(text: str, turn: Turn) -> str:
    reason = " ".join(text.split())
    if not rules.REASON_MIN <= len(reason) <= rules.REASON_MAX:
        raise ParseError("length", min=rules.REASON_MIN, max=rules.REASON_MAX)
    return reason


async def _reason_context(turn: Turn) -> dict[str, Any]:
    return {"form": turn.data, "min": rules.REASON_MIN, "max": rules.REASON_MAX}


async def _finish(turn: Turn) -> None:
    result = await service.postpone(turn.db, turn.data["step_id"], by=turn.who.require().id,
                                    reason=turn.data["reason"], today=turn.today(), now=turn.now(),
                                    draft_of=turn.user_id)
    if result.outcome is Outcome.NOT_ALLOWED:
        raise Ended("errors/not_allowed")
    if result.outcome is Outcome.ALREADY:
        raise Ended("warnings/already", step=result.step)
    await turn.say("warnings/postponed", step=result.step)


POSTPONE_FORM = Form(
    kind=KIND,
    command=None,
    roles=service.ACTORS,
    steps=(Step("reason", "warnings/ask_reason", parse=_parse_reason, invalid="warnings/reason_invalid",
                context=_reason_context),),
    finish=_finish,
    entry_points=(CallbackQueryHandler(postpone_pressed, pattern=r"^spl:wait:\d+$"),),
)


@guarded(ALL_ROLES)
async def pdf_pressed(update: Update, context: Context, who: Who) -> None:
    step = await service.letter(app_of(context).db, _step_of(update))
    if step is None or step.status != "issued" or not may_see(who.person, step.kelurahan_code, step.borrower_id):
        await answer_callback(update, who, "errors/not_allowed", alert=True)
        return
    await answer_callback(update, who)
    chat = update.effective_chat
    if chat is not None and not await send_letter(context, chat.id, step, who.lang):
        await send(update, context, who, "warnings/send_failed")


async def _show_tasks(update: Update, context: Context, who: Who) -> list[WarningStep]:
    app = app_of(context)
    kelurahan = who.kelurahan
    tasks = [] if kelurahan is None else await service.open_tasks(app.db, kelurahan, today=app.today())
    if not tasks:
        await send(update, context, who, "warnings/none")
    for step, ctx in tasks:
        rows = service.task_buttons(step.id)
        markup = keyboard([[(label(key, who.lang), data) for key, data in row] for row in rows])
        await send(update, context, who, service.TASK_TEMPLATE, reply_markup=markup, **ctx)
    return [step for step, _ in tasks]


@guarded(TASKS)
async def tasks_command(update: Update, context: Context, who: Who) -> None:
    await _show_tasks(update, context, who)


def _fold(text: str) -> str:
    """Letters and digits only, case and accents ignored: "tunda 7 hari" reads as "⏸ Tunda 7 hari"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c if unicodedata.category(c)[0] in "LN" else " " for c in decomposed).casefold().split())


def _typed_action(text: str) -> str | None:
    folded = _fold(text)
    for action in ("issue", "postpone"):
        if folded in {_fold(label(f"warnings.{action}", lang)) for lang in LANGUAGES}:
            return action
    return None


class _ActionLabel(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return _typed_action(message.text or "") is not None


@guarded(service.ACTORS)
async def label_typed(update: Update, context: Context, who: Who) -> None:
    """A button's label typed: with one task open it is that task's button; otherwise the tasks are shown."""
    assert update.effective_message is not None
    action = _typed_action(update.effective_message.text or "")
    app = app_of(context)
    kelurahan = who.kelurahan
    tasks = [] if kelurahan is None else await service.open_tasks(app.db, kelurahan, today=app.today())
    if len(tasks) != 1:
        await _show_tasks(update, context, who)
        return
    step = tasks[0][0]
    if action == "issue":
        await _issue(update, context, who, step.id)
    else:
        await _postpone(update, context, who, step.id)


async def letters_of(context: Context, loan_id: int) -> list[WarningStep]:
    return await service.letters_of_loan(app_of(context).db, loan_id)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(
        forms=[POSTPONE_FORM],
        handlers=[
            CommandHandler(list(TASKS.names), tasks_command),
            CallbackQueryHandler(issue_pressed, pattern=r"^spl:go:\d+$"),
            CallbackQueryHandler(pdf_pressed, pattern=r"^spl:pdf:\d+$"),
            MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & _ActionLabel(), label_typed),
        ],
    )
