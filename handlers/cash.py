"""Treasurer's own entries: ``/catat_bayar`` (``/record``) records a cash payment, ``/batalkan_bayar``
(``/reverse``) reverses one.

``/catat_bayar`` (treasurers), state diagram::

    /catat_bayar ─► WHO ─[name typed → borrower buttons]─► LOAN (only if >1 active loan) ─► AMOUNT ─► DATE
                    │ nobody found / no active loan:        │ [loan button]                 │ bad amount, more
                    └─► WHO again                          └─► AMOUNT                       │ than owed: again
    DATE [hari ini | kemarin | typed] ─► NOTE [typed | Lewati] ─► CONFIRM [Konfirmasi | Batal] ─► END
      │ future, before disbursement, unreadable: asked again

``/batalkan_bayar`` (treasurers and admins)::

    /batalkan_bayar ─► WHO ─[borrower button]─► PICK (their verified payments, 5 per page) ─[payment]─►
    REASON (typed, 5–200 characters, mandatory) ─► CONFIRM [Konfirmasi | Batal] ─► reverse ─► END

Decisions:

- Both forms keep their step in the draft (``form["step"]``) and share one text handler and one button handler
  that dispatch on it, so every state accepts the same kinds of input and a restart resumes at the same step.
- Borrowers are searched in the treasurer's own kelurahan only, and a pressed borrower/loan/payment id must be
  one the form offered (forged callback data is answered as stale).
- A cash entry is verified on entry (``repayments.record_verified``); its idempotency key is derived from the
  person and the form id, so a double Konfirmasi stores it once. The amount is checked against the verified
  outstanding balance (pending reports are the borrower's claims and do not block a cash entry).
- Tiny amounts are not asked again here: the summary shows the amount written out before Konfirmasi.
- The payment date may be any day from the disbursement date to today (WITA).
- Both writes are use cases of :mod:`bot.services.repayments` (``record_cash_payment``,
  ``reverse_repayment``): one transaction each, with its audit row (``repayment.recorded`` /
  ``repayment.reversed``).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.domain.commands import CommandSpec
from bot.domain.loans import OverpaymentError, check_new_payment
from bot.domain.parsing.dates import parse_date_ex
from bot.domain.parsing.errors import AmountError, DateError
from bot.domain.parsing.money import parse_amount_ex
from bot.domain.roles import Role
from bot.runtime import clock
from bot.services import repayments as repayment_service
from bot.services.repayments import Outcome
from handlers.common import Context, Who, app_of, button, guarded, keyboard, notify_person, send
from handlers.feature import FeatureHandlers
from handlers.forms import current_form, data, drop_form, end_form, new_form, pattern, read_button
from messages import rupiah, tanggal
from storage import loans, people, repayments
from storage.people import Person

RECORD = CommandSpec("catat_bayar", "record", frozenset({Role.TREASURER}))
REVERSE = CommandSpec("batalkan_bayar", "reverse", frozenset({Role.TREASURER, Role.ADMIN}))
COMMANDS = (RECORD, REVERSE)
CASH, REV = "cash", "rev"
NOTE_MAX = 200
REASON_MIN, REASON_MAX = 5, 200
PAGE_SIZE = 5


class S(StrEnum):
    CASH_WHO = "cash.who"
    CASH_LOAN = "cash.loan"
    CASH_AMOUNT = "cash.amount"
    CASH_DATE = "cash.date"
    CASH_NOTE = "cash.note"
    CASH_CONFIRM = "cash.confirm"
    REV_WHO = "reverse.who"
    REV_PICK = "reverse.pick"
    REV_REASON = "reverse.reason"
    REV_CONFIRM = "reverse.confirm"


# --- shared: find a borrower by name ------------------------------------------------------------------------


async def search_borrowers(context: Context, who: Who, text: str) -> list[Person]:
    """Borrowers of the user's kelurahan whose name contains ``text`` (at least 2 letters)."""
    text = " ".join(text.split())
    if len(text) < 2 or who.kelurahan is None:
        return []
    found = await people.search_by_name(app_of(context).db, who.kelurahan, text, role=Role.BORROWER, limit=9)
    # Maker-checker: nobody records or reverses a payment on their own loan.
    return [p for p in found if p.id != who.person_id][:8]


def borrower_rows(kind: str, form: dict, found: list[Person]) -> list[list[tuple[str, str]]]:
    form["candidates"] = [p.id for p in found]
    return [[(p.name, data(kind, form, "who", p.id))] for p in found]


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


# --- /catat_bayar -------------------------------------------------------------------------------------------


async def _cash_ask(
    update: Update, context: Context, who: Who, form: dict, step: str, rows: list | None = None, **ctx: Any
) -> str:
    form["step"] = step
    rows = list(rows or [])
    if step == "date":
        rows = [
            [
                button("cash.today", who.lang, data(CASH, form, "date", "today")),
                button("cash.yesterday", who.lang, data(CASH, form, "date", "yesterday")),
            ]
        ]
    elif step == "note":
        rows = [[button("skip", who.lang, data(CASH, form, "skip"))]]
    await send(
        update,
        context,
        who,
        "cash/ask",
        step=step,
        form=form,
        reply_markup=keyboard(rows) if rows else None,
        **ctx,
    )
    return {
        "who": S.CASH_WHO,
        "loan": S.CASH_LOAN,
        "amount": S.CASH_AMOUNT,
        "date": S.CASH_DATE,
        "note": S.CASH_NOTE,
    }[step]


async def _cash_summary(update: Update, context: Context, who: Who, form: dict) -> str:
    form["step"] = "confirm"
    rows = [
        [
            button("confirm", who.lang, data(CASH, form, "ok")),
            button("cancel", who.lang, data(CASH, form, "no")),
        ]
    ]
    summary = await loans.summary(app_of(context).db, form["loan_id"])
    assert summary is not None
    await send(
        update,
        context,
        who,
        "cash/summary",
        form=form,
        paid_on=date.fromisoformat(form["paid_on"]),
        outstanding=summary.state.outstanding,
        reply_markup=keyboard(rows),
    )
    return S.CASH_CONFIRM


async def _cash_invalid(
    update: Update, context: Context, who: Who, form: dict, code: str, **params: Any
) -> str:
    await send(update, context, who, "cash/invalid", code=code, **params)
    return await _cash_reask(update, context, who, form)


async def _cash_reask(update: Update, context: Context, who: Who, form: dict) -> str:
    """Ask the question of the draft's current step again."""
    step = form.get("step", "who")
    if step == "loan":
        return await _borrower_chosen(update, context, who, form, form["borrower_id"])
    if step == "amount":
        return await _ask_amount(update, context, who, form)
    if step == "confirm":
        return await _cash_summary(update, context, who, form)
    return await _cash_ask(update, context, who, form, step if step in ("date", "note") else "who")


async def _ask_amount(update: Update, context: Context, who: Who, form: dict) -> str:
    summary = await loans.summary(app_of(context).db, form["loan_id"])
    assert summary is not None
    nxt = summary.state.next_due(clock.local_today(app_of(context).settings.timezone))
    return await _cash_ask(
        update,
        context,
        who,
        form,
        "amount",
        outstanding=summary.state.outstanding,
        next_amount=None if nxt is None else nxt.remaining,
        next_date=None if nxt is None else nxt.installment.due_date,
    )


@guarded(RECORD)
async def cash_begin(update: Update, context: Context, who: Who) -> str:
    return await _cash_ask(update, context, who, new_form(context, CASH), "who")


async def _borrower_chosen(update: Update, context: Context, who: Who, form: dict, person_id: int) -> str:
    db = app_of(context).db
    person = await people.get(db, person_id)
    if person is None or person.kelurahan_code != who.kelurahan or person.id == who.person_id:
        return await _cash_invalid(update, context, who, form, "not_found", text="")
    active = [ln for ln in await loans.for_borrower(db, person.id) if ln.status == "active"]
    form.update(borrower_id=person.id, name=person.name)
    if not active:
        return await _cash_invalid(update, context, who, form, "no_loans", name=person.name)
    if len(active) == 1:
        return await _loan_chosen(update, context, who, form, active[0])
    form["loans"] = [ln.id for ln in active]
    rows = [
        [
            button(
                "cash.loan",
                who.lang,
                data(CASH, form, "loan", ln.id),
                principal=rupiah(ln.principal, who.lang),
                date=tanggal(ln.disbursed_on, who.lang),
            )
        ]
        for ln in active
    ]
    return await _cash_ask(update, context, who, form, "loan", rows=rows, name=person.name)


async def _loan_chosen(update: Update, context: Context, who: Who, form: dict, loan: loans.Loan) -> str:
    form.update(loan_id=loan.id, disbursed_on=loan.disbursed_on.isoformat(), principal=loan.principal)
    return await _ask_amount(update, context, who, form)


@guarded(RECORD)
async def cash_text(update: Update, context: Context, who: Who) -> str | int:
    form = current_form(context, CASH)
    if form is None:
        return ConversationHandler.END
    assert update.message is not None
    text = update.message.text or ""
    step = form.get("step", "who")
    app = app_of(context)
    today = clock.local_today(app.settings.timezone)
    if step == "who":
        found = await search_borrowers(context, who, text)
        if not found:
            return await _cash_invalid(update, context, who, form, "not_found", text=text.strip()[:60])
        return await _pick(update, context, who, form, found)
    if step == "amount":
        try:
            amount, spelled = parse_amount_ex(text)
        except AmountError as exc:
            return await _cash_invalid(update, context, who, form, "amount_" + exc.code, **exc.params)
        summary = await loans.summary(app.db, form["loan_id"])
        assert summary is not None
        try:
            check_new_payment(summary.state, amount)
        except OverpaymentError as exc:
            return await _cash_invalid(update, context, who, form, "overpayment", outstanding=exc.outstanding)
        form["amount"] = amount
        if spelled:  # in words: show what was understood before the next question
            await send(update, context, who, "common/read_as", amount=amount)
        return await _cash_ask(update, context, who, form, "date")
    if step == "date":
        try:
            paid_on, inferred = parse_date_ex(text, today, prefer="past")
        except DateError as exc:
            return await _cash_invalid(update, context, who, form, "date_" + exc.code, **exc.params)
        return await _date_chosen(update, context, who, form, paid_on, echo=inferred)
    if step == "note":
        note = " ".join(text.split())
        if len(note) > NOTE_MAX:
            return await _cash_invalid(update, context, who, form, "note_too_long", max=NOTE_MAX)
        form["note"] = note or None
        return await _cash_summary(update, context, who, form)
    await send(update, context, who, "common/use_buttons")
    return await _cash_reask(update, context, who, form)


async def _pick(update: Update, context: Context, who: Who, form: dict, found: list[Person]) -> str:
    rows = borrower_rows(CASH, form, found)
    await send(
        update,
        context,
        who,
        "cash/ask",
        step="pick",
        form=form,
        count=len(found),
        reply_markup=keyboard(rows),
    )
    return S.CASH_WHO  # still the "who" step: typing another name searches again


async def _date_chosen(
    update: Update, context: Context, who: Who, form: dict, paid_on: date, *, echo: bool = False
) -> str:
    today = clock.local_today(app_of(context).settings.timezone)
    disbursed = date.fromisoformat(form["disbursed_on"])
    if paid_on > today:
        return await _cash_invalid(update, context, who, form, "date_future", day=paid_on)
    if paid_on < disbursed:
        return await _cash_invalid(
            update, context, who, form, "date_before_disbursement", day=paid_on, disbursed_on=disbursed
        )
    form["paid_on"] = paid_on.isoformat()
    if echo:  # "jumat", "tgl 25", "2 hari lalu": show the date understood
        await send(update, context, who, "common/read_as", day=paid_on)
    return await _cash_ask(update, context, who, form, "note")


@guarded(RECORD)
async def cash_button(update: Update, context: Context, who: Who) -> str | int | None:
    pressed = await read_button(update, context, who, CASH)
    if pressed is None:
        return None
    form, action, value = pressed
    step = form.get("step")
    db = app_of(context).db
    if action == "who" and step == "who" and _int(value) in form.get("candidates", []):
        return await _borrower_chosen(update, context, who, form, int(value))
    if action == "loan" and step == "loan" and _int(value) in form.get("loans", []):
        loan = await loans.get(db, int(value))
        assert loan is not None
        return await _loan_chosen(update, context, who, form, loan)
    if action == "date" and step == "date" and value in ("today", "yesterday"):
        today = clock.local_today(app_of(context).settings.timezone)
        return await _date_chosen(update, context, who, form, today - timedelta(days=value == "yesterday"))
    if action == "skip" and step == "note":
        form["note"] = None
        return await _cash_summary(update, context, who, form)
    if action == "no" and step == "confirm":
        return await drop_form(update, context, who)
    if action == "ok" and step == "confirm":
        return await _cash_finish(update, context, who, form)
    await send(update, context, who, "common/use_buttons")
    return await _cash_reask(update, context, who, form)


async def _cash_finish(update: Update, context: Context, who: Who, form: dict) -> str | int:
    app = app_of(context)
    treasurer = who.require()
    result = await repayment_service.record_cash_payment(
        app.db,
        loan_id=form["loan_id"],
        recorded_by=treasurer.id,
        kelurahan_code=who.kelurahan,
        amount=form["amount"],
        paid_on=date.fromisoformat(form["paid_on"]),
        idempotency_key=f"cash:{treasurer.id}:{form['id']}",
        note=form.get("note"),
    )
    if result.outcome is Outcome.OVERPAYMENT:  # someone else's entry in the meantime
        form["step"] = "amount"
        return await _cash_invalid(update, context, who, form, "overpayment", outstanding=result.outstanding)
    if not result.ok:  # not found / own loan: checked when the borrower was chosen, so only a forged draft
        end_form(context)
        await send(update, context, who, "cash/invalid", code="not_found", text="")
        return ConversationHandler.END
    repayment = result.repayment
    end_form(context)
    summary = await loans.summary(app.db, form["loan_id"])
    assert summary is not None
    nxt = summary.state.next_due(clock.local_today(app.settings.timezone))
    borrower = await people.get(app.db, form["borrower_id"])
    told = borrower is not None and await notify_person(
        context,
        borrower,
        "cash/borrower_recorded",
        repayment=repayment,
        outstanding=summary.state.outstanding,
        next_amount=None if nxt is None else nxt.remaining,
        next_date=None if nxt is None else nxt.installment.due_date,
    )
    await send(
        update,
        context,
        who,
        "cash/done",
        repayment=repayment,
        name=form["name"],
        outstanding=summary.state.outstanding,
        told=told,
    )
    return ConversationHandler.END


# --- /batalkan_bayar ----------------------------------------------------------------------------------------


async def _rev_ask(update: Update, context: Context, who: Who, form: dict, step: str, **ctx: Any) -> str:
    form["step"] = step
    if step == "reason":
        ctx.update(
            view=await repayments.view(app_of(context).db, form["repayment_id"]),
            min=REASON_MIN,
            max=REASON_MAX,
        )
    await send(update, context, who, "reverse/ask", step=step, form=form, **ctx)
    return {"who": S.REV_WHO, "reason": S.REV_REASON}[step]


async def _rev_invalid(
    update: Update, context: Context, who: Who, form: dict, code: str, **params: Any
) -> str:
    await send(update, context, who, "reverse/invalid", code=code, **params)
    step = form.get("step", "who")
    if step == "pick":
        return await _rev_list(update, context, who, form, form.get("page", 0))
    if step == "confirm":
        return await _rev_summary(update, context, who, form)
    return await _rev_ask(update, context, who, form, step)


@guarded(REVERSE)
async def rev_begin(update: Update, context: Context, who: Who) -> str:
    return await _rev_ask(update, context, who, new_form(context, REV), "who")


async def _rev_list(update: Update, context: Context, who: Who, form: dict, page: int) -> str:
    assert who.kelurahan is not None
    items, total = await repayments.verified_for_kelurahan(
        app_of(context).db,
        who.kelurahan,
        borrower_id=form["borrower_id"],
        offset=page * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    if total == 0:
        form["step"] = "who"
        return await _rev_invalid(update, context, who, form, "no_payments", name=form["name"])
    form.update(step="pick", page=page, offered=[v.repayment.id for v in items])
    rows = [
        [button("cash.pick_ref", who.lang, data(REV, form, "pay", v.repayment.id), ref=v.repayment.reference)]
        for v in items
    ]
    pages = -(-total // PAGE_SIZE)
    nav = []
    if page > 0:
        nav.append(button("prev_page", who.lang, data(REV, form, "page", page - 1)))
    if page + 1 < pages:
        nav.append(button("next_page", who.lang, data(REV, form, "page", page + 1)))
    if nav:
        rows.append(nav)
    await send(
        update,
        context,
        who,
        "reverse/pick",
        name=form["name"],
        items=items,
        total=total,
        page=page + 1,
        pages=pages,
        reply_markup=keyboard(rows),
    )
    return S.REV_PICK


async def _rev_summary(update: Update, context: Context, who: Who, form: dict) -> str:
    form["step"] = "confirm"
    view = await repayments.view(app_of(context).db, form["repayment_id"])
    assert view is not None
    rows = [
        [
            button("confirm", who.lang, data(REV, form, "ok")),
            button("cancel", who.lang, data(REV, form, "no")),
        ]
    ]
    await send(
        update, context, who, "reverse/summary", view=view, reason=form["reason"], reply_markup=keyboard(rows)
    )
    return S.REV_CONFIRM


@guarded(REVERSE)
async def rev_text(update: Update, context: Context, who: Who) -> str | int:
    form = current_form(context, REV)
    if form is None:
        return ConversationHandler.END
    assert update.message is not None
    text = update.message.text or ""
    step = form.get("step", "who")
    if step == "who":
        found = await search_borrowers(context, who, text)
        if not found:
            return await _rev_invalid(update, context, who, form, "not_found", text=text.strip()[:60])
        await send(
            update,
            context,
            who,
            "reverse/ask",
            step="pickwho",
            form=form,
            count=len(found),
            reply_markup=keyboard(borrower_rows(REV, form, found)),
        )
        return S.REV_WHO
    if step == "reason":
        reason = " ".join(text.split())
        if not REASON_MIN <= len(reason) <= REASON_MAX:
            return await _rev_invalid(
                update, context, who, form, "reason_length", min=REASON_MIN, max=REASON_MAX
            )
        form["reason"] = reason
        return await _rev_summary(update, context, who, form)
    await send(update, context, who, "common/use_buttons")
    if step == "pick":
        return await _rev_list(update, context, who, form, form.get("page", 0))
    return await _rev_summary(update, context, who, form)


@guarded(REVERSE)
async def rev_button(update: Update, context: Context, who: Who) -> str | int | None:
    pressed = await read_button(update, context, who, REV)
    if pressed is None:
        return None
    form, action, value = pressed
    step = form.get("step")
    db = app_of(context).db
    if action == "who" and step == "who" and _int(value) in form.get("candidates", []):
        person = await people.get(db, int(value))
        assert person is not None
        form.update(borrower_id=person.id, name=person.name)
        return await _rev_list(update, context, who, form, 0)
    if action == "page" and step == "pick" and _int(value) is not None:
        return await _rev_list(update, context, who, form, int(value))
    if action == "pay" and step == "pick" and _int(value) in form.get("offered", []):
        view = await repayments.view(db, int(value))
        if view is None or view.kelurahan_code != who.kelurahan or view.repayment.status != "verified":
            return await _rev_invalid(update, context, who, form, "not_reversible")
        form["repayment_id"] = view.repayment.id
        return await _rev_ask(update, context, who, form, "reason")
    if action == "no" and step == "confirm":
        return await drop_form(update, context, who)
    if action == "ok" and step == "confirm":
        return await _rev_finish(update, context, who, form)
    await send(update, context, who, "common/use_buttons")
    if step == "pick":
        return await _rev_list(update, context, who, form, form.get("page", 0))
    if step == "confirm":
        return await _rev_summary(update, context, who, form)
    return await _rev_ask(update, context, who, form, "who")


async def _rev_finish(update: Update, context: Context, who: Who, form: dict) -> int:
    app = app_of(context)
    end_form(context)
    result = await repayment_service.reverse_repayment(
        app.db, form["repayment_id"], by=who.require().id, kelurahan_code=who.kelurahan, reason=form["reason"],
        now=clock.utcnow(),
    )
    if not result.ok:  # reversed meantime (or, from a forged draft, not this kelurahan's)
        await send(update, context, who, "reverse/invalid", code="not_reversible", view=result.view)
        return ConversationHandler.END
    view = result.view
    assert view is not None
    summary = await loans.summary(app.db, view.repayment.loan_id)
    assert summary is not None
    borrower = await people.get(app.db, view.borrower_id)
    told = borrower is not None and await notify_person(
        context,
        borrower,
        "reverse/borrower_reversed",
        view=view,
        reason=form["reason"],
        outstanding=summary.state.outstanding,
    )
    await send(
        update, context, who, "reverse/done", view=view, outstanding=summary.state.outstanding, told=told
    )
    return ConversationHandler.END


# --- non-text input -----------------------------------------------------------------------------------------


@guarded(RECORD)
async def cash_not_text(update: Update, context: Context, who: Who) -> str | int:
    form = current_form(context, CASH)
    if form is None:
        return ConversationHandler.END
    await send(update, context, who, "errors/not_text")
    return await _cash_reask(update, context, who, form)


@guarded(REVERSE)
async def rev_not_text(update: Update, context: Context, who: Who) -> str | int:
    form = current_form(context, REV)
    if form is None:
        return ConversationHandler.END
    await send(update, context, who, "errors/not_text")
    step = form.get("step", "who")
    if step == "pick":
        return await _rev_list(update, context, who, form, form.get("page", 0))
    if step == "confirm":
        return await _rev_summary(update, context, who, form)
    return await _rev_ask(update, context, who, form, step)


def handlers() -> FeatureHandlers:
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    cash = [
        CallbackQueryHandler(cash_button, pattern=pattern(CASH)),
        MessageHandler(text, cash_text),
        MessageHandler(other, cash_not_text),
    ]
    rev = [
        CallbackQueryHandler(rev_button, pattern=pattern(REV)),
        MessageHandler(text, rev_text),
        MessageHandler(other, rev_not_text),
    ]
    return FeatureHandlers(
        form_entry_points=[
            CommandHandler(list(RECORD.names), cash_begin),
            CommandHandler(list(REVERSE.names), rev_begin),
        ],
        form_states={
            **{
                state: cash
                for state in (
                    S.CASH_WHO,
                    S.CASH_LOAN,
                    S.CASH_AMOUNT,
                    S.CASH_DATE,
                    S.CASH_NOTE,
                    S.CASH_CONFIRM,
                )
            },
            **{state: rev for state in (S.REV_WHO, S.REV_PICK, S.REV_REASON, S.REV_CONFIRM)},
        },
    )
