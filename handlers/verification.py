"""Treasurer side of maker-checker: pending repayments are announced, approved or rejected (``/verifikasi``).

Flow::

    borrower /bayar ──► report_repayment(notify=…) ──► every active treasurer of the loan's kelurahan gets
                        (in the report's transaction)  the report (a photo message when there is a
                                                       receipt), with [Setujui] [Tolak]
    /verifikasi ──► list of pending repayments, oldest first, 5 per page [Setujui ref] [Tolak ref] [‹ ›]

    [Setujui] ver:ok:<id> ──► verify_repayment ──► treasurer: done; borrower: verified, sisa, next instalment
    [Tolak]   ver:no:<id> ──► REASON ──[reason button | typed 3–200 chars]──► reject_repayment ──► END
                               │ bad text / sticker: specific message, asked again
                               └ borrower: the reason and a [Lapor lagi] button (payagain:<loan_id>:<id>,
                                 /bayar with this report's amount and date filled in)

Decisions:

- Setujui is not a form (one tap, no draft); Tolak opens a declared one-step form (:data:`REJECT_FORM`, opened
  only by the button), so a typed reason survives a restart; typing a preset's label counts as choosing it.
- Kelurahan isolation: every press reloads the repayment and refuses, with the same "not found" notice,
  ids that do not exist or belong to another kelurahan (forged callback data tells nothing).
- Maker-checker (:func:`bot.domain.roles.checkers`): nobody decides a repayment they reported or that is on
  their own loan, and the list leaves those out. When no other treasurer of the kelurahan can check a report
  (the only treasurer reported her own repayment), the lurah and the admins are its checkers: they get the
  notice and ``/verifikasi`` lists it for them; otherwise a lurah's or admin's /verifikasi lists nothing and a
  press is refused (``verify/not_checker``).
- A repayment that is no longer pending (another treasurer was quicker, or the same button twice) shows who
  decided and what; the race inside the database is settled by ``repayments.decide`` raising
  ``AlreadyDecided``.
- Preset reasons are stored in the database in Indonesian (the programme's language, readable by every
  treasurer); the borrower's notice shows the preset in the borrower's language. Typed reasons are stored as
  typed.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.commands import CommandSpec
from bot.domain.parsing.errors import ParseError
from bot.domain.roles import Role
from bot.services import repayments as repayment_service
from bot.services.repayments import Outcome, QueueNotice, RepaymentResult
from handlers import receipts as receipt_handlers
from handlers.common import (
    Context,
    Who,
    alongside,
    answer_callback,
    app_of,
    button,
    deliver_notices,
    guarded,
    keyboard,
    notice_for,
    notices_are_silent,
    notify_person,
    now_of,
    queue_notice,
    send,
)
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Ended, Form, Option, Options, Step, Turn, open_form
from messages import MAX_MESSAGE_LENGTH, label, normalise_language, render, shorten
from storage import loans, people, repayments
from storage.db import Queryable
from storage.notices import QueuedNotice
from storage.people import Person

log = logging.getLogger(__name__)

#: treasurers check; the lurah and admins only what no treasurer can check (bot.domain.roles.checkers)
VERIFY = CommandSpec("verifikasi", "verify", repayment_service.CHECKER_ROLES)
COMMANDS = (VERIFY,)
KIND = "verify"
PAGE_SIZE = 5
REASON_MIN, REASON_MAX = 3, 200
#: preset rejection reasons, label keys in plain/labels/verify.j2
REASONS = ("reason_unclear", "reason_not_received", "reason_amount", "reason_date")


def decision_rows(repayment_id: int, lang: str, reference: str | None = None) -> list[list[tuple[str, str]]]:
    """The Setujui / Tolak buttons of one repayment (with its reference when several share a message)."""
    if reference is None:
        return [[button("verify.approve", lang, f"ver:ok:{repayment_id}"),
                 button("verify.reject", lang, f"ver:no:{repayment_id}")]]
    return [[button("verify.approve_ref", lang, f"ver:ok:{repayment_id}", ref=reference),
             button("verify.reject_ref", lang, f"ver:no:{repayment_id}", ref=reference)]]


def treasurer_notice(context: Context) -> QueueNotice[QueuedNotice]:
    """How a checker is told about a pending repayment: ``verify/pending`` in their language, with the
    decision buttons (and the receipt photo), a possible-duplicate warning, and why a lurah or admin is asked;
    queued in the transaction :mod:`bot.services.repayments` passes, so the notice exists exactly when the
    report does. Who is told is the service's rule (:func:`bot.domain.roles.checkers`). Send the result's
    notices with :func:`handlers.common.deliver_notices` once it has committed."""
    twins_of: dict[int, list[str]] = {}

    async def queue(tx: Queryable, treasurer: Person, view: repayments.RepaymentView) -> QueuedNotice | None:
        lang = normalise_language(treasurer.language)
        if view.repayment.id not in twins_of:  # once per report, however many checkers are told
            found = await repayment_service.duplicate_references(tx, [view])
            twins_of[view.repayment.id] = found.get(view.repayment.id, [])
        twins = twins_of[view.repayment.id]
        notice = notice_for(context, treasurer, "verify/pending", view=view, twins=twins,
                            fallback=Role.TREASURER not in treasurer.roles,  # a lurah or admin: no treasurer can
                            reply_markup=keyboard(decision_rows(view.repayment.id, lang)),
                            photo=view.repayment.receipt_file_id)
        return None if notice is None else await queue_notice(context, tx, notice)

    return queue


async def announce_pending(context: Context, repayment_id: int) -> None:
    """Tell every active treasurer about a pending repayment stored earlier (its own transaction, then send).

    Failures to reach one treasurer never stop the others nor the borrower's report.
    """
    queued = await repayment_service.announce_pending(app_of(context).db, repayment_id, treasurer_notice(context))
    await deliver_notices(context, queued)


async def _load_for_decision(update: Update, context: Context, who: Who) -> repayments.RepaymentView | None:
    """The repayment of a ``ver:ok|no:<id>`` press, or None after answering why not."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    parts = query.data.split(":")
    view = None
    if len(parts) == 3 and parts[2].isdigit():
        view = await repayments.view(app_of(context).db, int(parts[2]))
    if view is None or view.kelurahan_code != who.kelurahan:
        await answer_callback(update, who, "verify/not_found", alert=True)
        return None
    if who.person_id in (view.borrower_id, view.repayment.reported_by):
        await answer_callback(update, who, "verify/own_payment", alert=True)
        return None
    if view.repayment.status == "pending" and not await repayment_service.may_check(
            app_of(context).db, view, who.require().id):
        await answer_callback(update, who, "verify/not_checker", alert=True)
        return None
    if view.repayment.status != "pending":
        await alongside(query.answer())
        await send(update, context, who, "verify/already_decided", view=view)
        return None
    return view


async def _refused(update: Update, context: Context, who: Who, result: RepaymentResult) -> bool:
    """Explain a Setujui the service refused (checked again inside its transaction); False when stored. The
    press is not answered yet. (The reject form's refusals end it: :func:`_finish_reject`.)"""
    query = update.callback_query
    assert query is not None
    if result.outcome is Outcome.ALREADY_DECIDED:
        await alongside(query.answer())
        await send(update, context, who, "verify/already_decided", view=result.view)
        return True
    refusals = {Outcome.NOT_FOUND: "verify/not_found", Outcome.OWN_PAYMENT: "verify/own_payment",
                Outcome.NOT_CHECKER: "verify/not_checker"}
    if result.outcome in refusals:
        await answer_callback(update, who, refusals[result.outcome], alert=True)
        return True
    return False


async def _drop_buttons(update: Update) -> None:
    query = update.callback_query
    if query is None:
        return
    with contextlib.suppress(TelegramError):  # the message is too old or already changed: nothing to tidy
        await query.edit_message_reply_markup(None)


def _notice_of(update: Update, view: repayments.RepaymentView) -> dict[str, Any] | None:
    """Where the pressed message is when it is this repayment's own notice (a text, or a receipt photo with a
    caption) rather than a /verifikasi page: its buttons are exactly Setujui / Tolak of this repayment (a
    page's carry the references)."""
    query = update.callback_query
    message = None if query is None else query.message
    if message is None or not hasattr(message, "reply_markup"):
        return None
    markup = message.reply_markup
    photo = bool(getattr(message, "photo", None))
    if markup is None:
        if not photo:
            return None
    else:
        buttons = [b for row in markup.inline_keyboard for b in row]
        repayment = view.repayment
        if [b.callback_data for b in buttons] != [f"ver:ok:{repayment.id}", f"ver:no:{repayment.id}"]:
            return None
        if any(repayment.reference in b.text for b in buttons):
            return None
    return {"chat": message.chat.id, "message": message.message_id, "photo": photo}


async def _show_decision(context: Context, who: Who, notice: dict[str, Any] | None,
                         view: repayments.RepaymentView) -> None:
    """Replace a notice's text (or its photo's caption) with the decision, so it no longer asks for one
    (issue 14, item 11). Best effort: an old or changed message is left as it is."""
    if notice is None:
        return
    text = render("verify/notice_decided", who.lang, tz=app_of(context).settings.timezone, view=view)
    with contextlib.suppress(TelegramError):
        if notice["photo"]:
            await context.bot.edit_message_caption(chat_id=notice["chat"], message_id=notice["message"],
                                                   caption=text, parse_mode=ParseMode.HTML, reply_markup=None)
        else:
            await context.bot.edit_message_text(text, chat_id=notice["chat"], message_id=notice["message"],
                                                parse_mode=ParseMode.HTML, reply_markup=None)


@guarded(VERIFY)
async def approve(update: Update, context: Context, who: Who) -> None:
    view = await _load_for_decision(update, context, who)
    if view is None:
        return
    assert update.callback_query is not None
    result = await repayment_service.verify_repayment(app_of(context).db, view.repayment.id, by=who.require().id,
                                                      kelurahan_code=who.kelurahan, now=now_of(context),
                                                      receipt_key=app_of(context).settings.receipt_key)
    if await _refused(update, context, who, result):
        return
    if result.outcome is Outcome.OVERPAYMENT:  # a cash entry in the meantime left less owing than this report
        await alongside(update.callback_query.answer())
        await send(update, context, who, "verify/overpayment", view=view, outstanding=result.outstanding)
        return
    decided = result.view
    assert decided is not None
    await alongside(update.callback_query.answer())
    notice = _notice_of(update, decided)
    if notice is None:
        await _drop_buttons(update)
    else:
        await _show_decision(context, who, notice, decided)
    await receipt_handlers.deliver_issued(update, context, who, result.receipt)  # the kuitansi (issue 15)
    told = await _tell_borrower_approved(context, decided)
    await send(update, context, who, "verify/approved", view=decided, told=told, silent=notices_are_silent(context))


async def _tell_borrower_approved(context: Context, view: repayments.RepaymentView) -> bool:
    """Tell the borrower; False when they can't be reached on Telegram."""
    app = app_of(context)
    borrower = await people.get(app.db, view.borrower_id)
    summary = await loans.summary(app.db, view.repayment.loan_id)
    if borrower is None or summary is None:
        return False
    today = app.today()
    nxt = summary.state.next_due(today)
    return await notify_person(
        context, borrower, "verify/borrower_approved", view=view, outstanding=summary.state.outstanding,
        next_amount=None if nxt is None else nxt.remaining,
        next_date=None if nxt is None else nxt.installment.due_date,
    )


# --- rejection form (a declared form, handlers/forms/engine.py) --------------------------------------------


async def _reason_options(turn: Turn) -> Options:
    return [[Option(key, label(f"verify.{key}", turn.lang))] for key in REASONS]


def _parse_reason(text: str, turn: Turn) -> dict[str, str]:
    """A typed reason (3–200 characters once spaces are collapsed), stored as typed."""
    reason = " ".join(text.split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise ParseError("length")
    return {"typed": reason}


async def _accept_reason(turn: Turn, answer: str | dict[str, str]) -> dict[str, Any]:
    """A preset (a button, or its label typed) is stored in Indonesian, the programme's language; the borrower's
    notice shows it in theirs (``preset``)."""
    if isinstance(answer, dict):
        return {"reason": answer["typed"], "preset": None}
    return {"reason": label(f"verify.{answer}", "id"), "preset": answer}


async def _reason_context(turn: Turn) -> dict[str, Any]:
    return {"min": REASON_MIN, "max": REASON_MAX}


@guarded(VERIFY)
async def reject(update: Update, context: Context, who: Who) -> None:
    """Tolak (on /verifikasi's list or a treasurer's notice): open the reason form on that repayment."""
    view = await _load_for_decision(update, context, who)
    if view is None:
        return None
    assert update.callback_query is not None
    await alongside(update.callback_query.answer())
    await open_form(REJECT_FORM, update, context, who, {
        "repayment_id": view.repayment.id, "reference": view.repayment.reference, "name": view.borrower_name,
        "notice": _notice_of(update, view)})
    return None


async def _finish_reject(turn: Turn) -> None:
    data, who = turn.data, turn.who
    reason, preset = data["reason"], data["preset"]
    result = await repayment_service.reject_repayment(turn.db, data["repayment_id"], by=who.require().id,
                                                      kelurahan_code=who.kelurahan, reason=reason,
                                                      now=turn.now(), draft_of=turn.user_id)
    if result.outcome is Outcome.ALREADY_DECIDED:
        raise Ended("verify/already_decided", view=result.view)
    if result.outcome is Outcome.NOT_FOUND:
        raise Ended("verify/not_found")
    if result.outcome is Outcome.OWN_PAYMENT:
        raise Ended("verify/own_payment")
    if result.outcome is Outcome.NOT_CHECKER:
        raise Ended("verify/not_checker")
    decided = result.view
    assert decided is not None
    await _show_decision(turn.context, who, data.get("notice"), decided)
    borrower = await people.get(turn.db, decided.borrower_id)
    told = False
    if borrower is not None:
        lang = normalise_language(borrower.language)
        again = f"payagain:{decided.repayment.loan_id}:{decided.repayment.id}"  # /bayar prefilled from this report
        markup = keyboard([[button("verify.pay_again", lang, again)]])
        told = await notify_person(turn.context, borrower, "verify/borrower_rejected", view=decided,
                                   reason=reason, preset=preset, reply_markup=markup)
    await turn.say("verify/rejected", view=decided, reason=reason, told=told, silent=notices_are_silent(turn.context))


REJECT_FORM = Form(
    kind=KIND,
    command=None,
    roles=VERIFY.roles,
    steps=(
        Step("reason", "verify/ask_reason", options=_reason_options, parse=_parse_reason, accept=_accept_reason,
             invalid="verify/reason_invalid", context=_reason_context),
    ),
    finish=_finish_reject,
    entry_points=(CallbackQueryHandler(reject, pattern=r"^ver:no:"),),
)


# --- /verifikasi list --------------------------------------------------------------------------------------


async def _show_page(update: Update, context: Context, who: Who, page: int, *, edit: bool) -> None:
    db = app_of(context).db
    kel = who.kelurahan
    assert kel is not None
    me = who.require().id
    items, total = await repayment_service.checkable_pending(db, person_id=me, kelurahan_code=kel,
                                                             offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if not items and page > 0:  # the list shrank since the button was made
        page = pages - 1
        items, total = await repayment_service.checkable_pending(db, person_id=me, kelurahan_code=kel,
                                                                 offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    if total == 0:
        await send(update, context, who, "verify/empty")
        return
    rows = [row for v in items for row in decision_rows(v.repayment.id, who.lang, v.repayment.reference)]
    nav = []
    if page > 0:
        nav.append(button("prev_page", who.lang, f"ver:page:{page - 1}"))
    if page + 1 < pages:
        nav.append(button("next_page", who.lang, f"ver:page:{page + 1}"))
    if nav:
        rows.append(nav)
    text_ctx = {"items": items, "total": total, "page": page + 1, "pages": pages,
                "first": page * PAGE_SIZE + 1, "twins": await repayment_service.duplicate_references(db, items)}
    if edit and update.callback_query is not None:
        text = shorten(render("verify/list", who.lang, tz=app_of(context).settings.timezone, **text_ctx),
                       MAX_MESSAGE_LENGTH)  # an edit is one message
        try:
            await update.callback_query.edit_message_text(text, parse_mode=ParseMode.HTML,
                                                          reply_markup=keyboard(rows))
            return
        except TelegramError:
            pass
    await send(update, context, who, "verify/list", reply_markup=keyboard(rows), **text_ctx)


@guarded(VERIFY)
async def list_pending(update: Update, context: Context, who: Who) -> None:
    await _show_page(update, context, who, 0, edit=False)


@guarded(VERIFY)
async def page_pressed(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    raw = query.data.rsplit(":", 1)[-1]
    await alongside(query.answer())
    await _show_page(update, context, who, int(raw) if raw.isdigit() else 0, edit=True)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(
        forms=[REJECT_FORM],
        handlers=[
            CommandHandler(list(VERIFY.names), list_pending),
            CallbackQueryHandler(approve, pattern=r"^ver:ok:"),
            CallbackQueryHandler(page_pressed, pattern=r"^ver:page:"),
        ],
    )
