"""``/bayar`` (``/pay``), for borrowers: report a repayment in a few taps; the treasurer verifies it later.

State diagram (every state re-asks its question after a bad input, with a message about that input)::

    /bayar ──► LOAN ──[loan button]──► AMOUNT        (LOAN is skipped when the borrower has one active loan)
    payagain:<loan id> ──────────────► AMOUNT
    payrem:<instalment id> ──────────────────────────────────► PHOTO   (loan and amount already chosen)

    AMOUNT ──[instalment | all overdue | typed amount]──► PHOTO ──[photo | Lewati]──► SUMMARY
      │ [jumlah lain] → "type it" → AMOUNT
      └ typed amount < Rp10.000 ──► TINY ──[Ya]──► PHOTO        TINY ──[Ubah]──► AMOUNT

    SUMMARY ──[ubah jumlah]──► AMOUNT ──► SUMMARY
    SUMMARY ──[ubah tanggal]─► DATE ──[hari ini | kemarin | typed date]──► SUMMARY
    SUMMARY ──[ubah cara]────► METHOD ──[tunai | transfer | lainnya]──► SUMMARY
    SUMMARY ──[ubah foto]────► PHOTO ──► SUMMARY
    SUMMARY ──[Konfirmasi]──► stored once as pending, treasurers told ──► END
    SUMMARY ──[Batal], or /batal at any step ──► END, nothing saved

Decisions
---------
* **Asked vs defaulted (the 4-tap bound).** Only the amount and the receipt photo are asked on the way to the
  summary. The payment date defaults to today (WITA) and the method to the borrower's last method
  (``repayments.last_method``), else cash; both are shown on the summary and changed only through its
  "ubah" buttons. The common path is therefore: [Pinjaman N, only with several loans] → instalment → Lewati →
  Konfirmasi = 3 taps (4 with several loans). From a reminder's ``payrem:<instalment id>`` button the loan
  and amount are known: payrem → Lewati → Konfirmasi = 3 taps.
* The photo is asked rather than defaulted because it cannot be added later and a treasurer verifies much
  faster with one; "Lewati" keeps it one tap.
* The tiny-amount check ("Rp1.500 — betul?") applies to *typed* amounts only: button amounts come from the
  schedule and can legitimately be small (the rest of a partly paid instalment).
* Amounts are checked against ``LoanSummary.still_owed`` (outstanding minus other pending reports) when typed
  or tapped, and again by ``repayments.report`` at Konfirmasi (something may have changed since).
* The draft holds only JSON-friendly values (ids, ints, ISO dates, the photo file id) in
  ``context.user_data["form"]``, so a restart at any step continues where the borrower was.
* **Figures cached in the draft** (issue 6, bench/handlers.py): the amount question computes the loan summary
  once and keeps what the next steps show in ``form["figures"]`` (principal, business, outstanding, still owed,
  pending total, the next instalment, the overdue amount). The amount buttons and the summary use those
  figures instead of recomputing the summary (three queries and the allocation) at every step. What matters is
  re-checked at Konfirmasi inside the reporting transaction (:func:`bot.services.repayments.report_repayment`):
  the loan still belongs to the presser and is active, and ``repayments.report`` refuses an amount above what
  is still owed at that moment. A draft without figures (from an older version) falls back to computing them.
* Idempotency: the repayment's key is ``pay:<form id>``, so a double Konfirmasi or a redelivered update
  stores one row (the second press is answered as a stale button, or re-shows the same reference).
* Ownership: a loan is only ever loaded through :func:`_own_loan`, which checks that the loan belongs to the
  person pressing and is active. Forged ``payrem:``/``payagain:``/loan-button data gets an
  ``errors/not_allowed`` notice and nothing else.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.domain.commands import CommandSpec
from bot.domain.parsing.dates import parse_date_ex
from bot.domain.parsing.errors import AmountError, DateError
from bot.domain.parsing.money import is_tiny_payment, parse_amount_ex
from bot.domain.roles import Role
from bot.runtime import clock
from bot.services import repayments as repayment_service
from bot.services.repayments import Outcome
from handlers.common import Context, Who, answer_callback, app_of, button, deliver_notices, guarded, keyboard, send
from handlers.feature import FeatureHandlers
from handlers.forms import current_form, data, drop_form, end_form, new_form, pattern, read_button
from storage import loans, repayments
from storage.loans import LoanSummary

PAY = CommandSpec("bayar", "pay", frozenset({Role.BORROWER}))
COMMANDS = (PAY,)
KIND = "pay"
METHODS = repayments.METHODS


class S(StrEnum):
    LOAN = "pay.loan"
    AMOUNT = "pay.amount"
    TINY = "pay.tiny"
    PHOTO = "pay.photo"
    SUMMARY = "pay.summary"
    DATE = "pay.date"
    METHOD = "pay.method"


def _today(context: Context) -> date:
    return clock.local_today(app_of(context).settings.timezone)


async def _own_loan(context: Context, who: Who, loan_id: int) -> LoanSummary | None:
    """The loan's summary if it is an active loan of the person talking, else None."""
    summary = await loans.summary(app_of(context).db, loan_id)
    if summary is None or who.person is None:
        return None
    if summary.loan.borrower_id != who.person.id or summary.loan.status != "active":
        return None
    return summary


def _figures(summary: LoanSummary, today: date) -> dict:
    """What the steps after the amount question show, as JSON-friendly values for the draft."""
    nxt = summary.next_due
    return {
        "principal": summary.loan.principal, "business": summary.loan.business,
        "outstanding": summary.outstanding, "still_owed": summary.still_owed,
        "pending_total": summary.pending_total, "overdue": summary.overdue_amount(today),
        "inst": None if nxt is None else {"number": nxt.installment.number, "remaining": nxt.remaining,
                                          "due_date": nxt.installment.due_date.isoformat(),
                                          "id": summary.installment_ids.get(nxt.installment.number)},
    }


async def _form_figures(context: Context, who: Who, form: dict) -> dict | None:
    """The draft's cached figures, computed (and cached) when missing; None when the loan is not the
    presser's active loan any more."""
    figures = form.get("figures")
    if figures is None or figures.get("loan_id") != form["loan_id"]:
        summary = await _own_loan(context, who, form["loan_id"])
        if summary is None:
            return None
        figures = form["figures"] = {**_figures(summary, _today(context)), "loan_id": form["loan_id"]}
    return figures


async def _refuse(update: Update, context: Context, who: Who) -> None:
    """A loan that is not the presser's: a notice only, nothing about the loan is shown."""
    if update.callback_query is not None:
        await answer_callback(update, who, "errors/not_allowed", alert=True)
    else:
        await send(update, context, who, "errors/not_allowed")


# --- questions ----------------------------------------------------------------------------------------------
async def ask_loan(update: Update, context: Context, who: Who, form: dict) -> str:
    db = app_of(context).db
    shown, rows = [], []
    for n, loan_id in enumerate(form["loans"], start=1):
        summary = await loans.summary(db, loan_id)
        assert summary is not None
        shown.append({"principal": summary.loan.principal, "business": summary.loan.business,
                      "disbursed_on": summary.loan.disbursed_on, "outstanding": summary.outstanding})
        rows.append([button("pay.loan", who.lang, data(KIND, form, "loan", loan_id), n=n)])
    rows.append([button("cancel", who.lang, data(KIND, form, "cancel"))])
    form["step"] = S.LOAN
    await send(update, context, who, "pay/choose_loan", loans=shown, reply_markup=keyboard(rows))
    return S.LOAN


async def ask_amount(update: Update, context: Context, who: Who, form: dict) -> str | int:
    summary = await _own_loan(context, who, form["loan_id"])
    if summary is None:  # paid off or reassigned since the form began
        end_form(context)
        await send(update, context, who, "pay/no_loans")
        return ConversationHandler.END
    if summary.still_owed <= 0:
        end_form(context)
        await send(update, context, who, "pay/nothing_owed", principal=summary.loan.principal,
                   pending_total=summary.pending_total)
        return ConversationHandler.END
    figures = form["figures"] = {**_figures(summary, _today(context)), "loan_id": form["loan_id"]}
    overdue, inst = figures["overdue"], figures["inst"]
    installment = None if inst is None else {"number": inst["number"], "remaining": inst["remaining"],
                                             "due_date": date.fromisoformat(inst["due_date"])}
    show_overdue = overdue > 0 and (installment is None or overdue != installment["remaining"])
    rows = []
    if installment is not None:
        rows.append([button("pay.installment", who.lang, data(KIND, form, "amt", "inst"))])
    if show_overdue:
        rows.append([button("pay.overdue", who.lang, data(KIND, form, "amt", "overdue"))])
    rows.append([button("pay.other", who.lang, data(KIND, form, "amt", "other"))])
    rows.append([button("cancel", who.lang, data(KIND, form, "cancel"))])
    form["step"] = S.AMOUNT
    await send(update, context, who, "pay/ask_amount", principal=summary.loan.principal,
               business=summary.loan.business, still_owed=summary.still_owed, installment=installment,
               overdue=overdue if show_overdue else 0, reply_markup=keyboard(rows))
    return S.AMOUNT


async def ask_tiny(update: Update, context: Context, who: Who, form: dict) -> str:
    rows = [[button("pay.tiny_yes", who.lang, data(KIND, form, "tiny", "yes")),
             button("pay.tiny_change", who.lang, data(KIND, form, "tiny", "change"))]]
    form["step"] = S.TINY
    await send(update, context, who, "pay/confirm_tiny", amount=form["tiny"], reply_markup=keyboard(rows))
    return S.TINY


async def ask_photo(update: Update, context: Context, who: Who, form: dict) -> str:
    form["step"] = S.PHOTO
    markup = keyboard([[button("skip", who.lang, data(KIND, form, "skip"))]])
    await send(update, context, who, "pay/ask_photo", reply_markup=markup)
    return S.PHOTO


async def ask_date(update: Update, context: Context, who: Who, form: dict) -> str:
    form["step"] = S.DATE
    rows = [[button("pay.today", who.lang, data(KIND, form, "date", "today")),
             button("pay.yesterday", who.lang, data(KIND, form, "date", "yesterday"))]]
    await send(update, context, who, "pay/ask_date", reply_markup=keyboard(rows))
    return S.DATE


async def ask_method(update: Update, context: Context, who: Who, form: dict) -> str:
    form["step"] = S.METHOD
    rows = [[button(f"pay.method_{m}", who.lang, data(KIND, form, "method", m))] for m in METHODS]
    await send(update, context, who, "pay/ask_method", reply_markup=keyboard(rows))
    return S.METHOD


async def show_summary(update: Update, context: Context, who: Who, form: dict) -> str | int:
    form.pop("figures", None)  # the balance on the summary is today's, even if the form was left overnight
    figures = await _form_figures(context, who, form)
    if figures is None:
        end_form(context)
        await send(update, context, who, "pay/no_loans")
        return ConversationHandler.END
    form["step"] = S.SUMMARY
    form["reviewed"] = True
    rows = [
        [button("pay.edit_amount", who.lang, data(KIND, form, "edit", "amount")),
         button("pay.edit_date", who.lang, data(KIND, form, "edit", "date"))],
        [button("pay.edit_method", who.lang, data(KIND, form, "edit", "method")),
         button("pay.edit_photo", who.lang, data(KIND, form, "edit", "photo"))],
        [button("confirm", who.lang, data(KIND, form, "confirm"))],
        [button("cancel", who.lang, data(KIND, form, "cancel"))],
    ]
    await send(update, context, who, "pay/summary", principal=figures["principal"],
               business=figures["business"], amount=form["amount"],
               paid_on=date.fromisoformat(form["paid_on"]), method=form["method"],
               has_photo=form.get("photo") is not None,
               remaining_after=max(figures["outstanding"] - form["amount"], 0), reply_markup=keyboard(rows))
    return S.SUMMARY


async def reask(update: Update, context: Context, who: Who, form: dict) -> str | int:
    """Ask the question of the step the form is at (after a bad input or a restart)."""
    step = form.get("step")
    if step == S.LOAN or "loan_id" not in form:
        return await ask_loan(update, context, who, form)
    if step == S.TINY and "tiny" in form:
        return await ask_tiny(update, context, who, form)
    if step == S.PHOTO and "amount" in form:
        return await ask_photo(update, context, who, form)
    if step == S.DATE and "amount" in form:
        return await ask_date(update, context, who, form)
    if step == S.METHOD and "amount" in form:
        return await ask_method(update, context, who, form)
    if step == S.SUMMARY and "amount" in form:
        return await show_summary(update, context, who, form)
    return await ask_amount(update, context, who, form)


async def after_amount(update: Update, context: Context, who: Who, form: dict) -> str | int:
    """The amount is set: back to the summary when editing from there, else on to the photo."""
    if form.get("reviewed"):
        return await show_summary(update, context, who, form)
    return await ask_photo(update, context, who, form)


# --- entry points -------------------------------------------------------------------------------------------
async def _start(context: Context, who: Who, **fields: object) -> dict:
    person = who.require()
    db = app_of(context).db
    method = await repayments.last_method(db, person.id) or "cash"
    return new_form(context, KIND, method=method, paid_on=_today(context).isoformat(), photo=None, **fields)


@guarded(PAY)
async def begin(update: Update, context: Context, who: Who) -> str | int:
    own = await loans.for_borrower(app_of(context).db, who.require().id)
    if not own:
        end_form(context)
        await send(update, context, who, "pay/no_loans")
        return ConversationHandler.END
    form = await _start(context, who, loans=[loan.id for loan in own])
    if len(own) == 1:
        form["loan_id"] = own[0].id
        return await ask_amount(update, context, who, form)
    return await ask_loan(update, context, who, form)


def _callback_int(update: Update) -> int | None:
    assert update.callback_query is not None
    value = (update.callback_query.data or "").partition(":")[2]
    return int(value) if value.isdigit() else None


@guarded(PAY)
async def from_reminder(update: Update, context: Context, who: Who) -> str | int | None:
    """``payrem:<instalment id>``: the loan and that instalment's remaining amount are already chosen."""
    installment_id = _callback_int(update)
    db = app_of(context).db
    found: tuple[LoanSummary, int] | None = None
    if installment_id is not None:
        for loan in await loans.for_borrower(db, who.require().id):
            summary = await _own_loan(context, who, loan.id)
            numbers = {v: k for k, v in (summary.installment_ids if summary else {}).items()}
            if summary is not None and installment_id in numbers:
                found = (summary, numbers[installment_id])
                break
    if found is None:
        await _refuse(update, context, who)
        return None
    await answer_callback(update, who)
    summary, number = found
    form = await _start(context, who, loans=[summary.loan.id], loan_id=summary.loan.id)
    state = next(s for s in summary.state.installments if s.installment.number == number)
    amount = min(state.remaining, summary.still_owed)
    if amount <= 0:  # already paid (or reported): let the borrower choose
        return await ask_amount(update, context, who, form)
    form["amount"] = amount
    form["installment_id"] = installment_id
    return await ask_photo(update, context, who, form)


@guarded(PAY)
async def pay_again(update: Update, context: Context, who: Who) -> str | int | None:
    """``payagain:<loan id>`` (after a rejection): /bayar for that loan."""
    loan_id = _callback_int(update)
    summary = None if loan_id is None else await _own_loan(context, who, loan_id)
    if summary is None:
        await _refuse(update, context, who)
        return None
    await answer_callback(update, who)
    form = await _start(context, who, loans=[summary.loan.id], loan_id=summary.loan.id)
    return await ask_amount(update, context, who, form)


# --- answers ------------------------------------------------------------------------------------------------
@guarded(PAY)
async def pressed(update: Update, context: Context, who: Who) -> str | int | None:
    """Every button of the form. The action decides; a press that does not fit re-asks the current step."""
    read = await read_button(update, context, who, KIND)
    if read is None:
        return None
    form, action, value = read
    if action == "cancel":
        return await drop_form(update, context, who)
    if action == "loan":
        if not value.isdigit() or int(value) not in form["loans"]:
            return await reask(update, context, who, form)
        if await _own_loan(context, who, int(value)) is None:
            await _refuse(update, context, who)
            return None
        form["loan_id"] = int(value)
        return await ask_amount(update, context, who, form)
    if "loan_id" not in form:
        return await reask(update, context, who, form)
    if action == "amt":
        return await amount_button(update, context, who, form, value)
    if action == "tiny" and "tiny" in form:
        amount = form.pop("tiny")
        if value == "yes":
            form["amount"], form["installment_id"] = amount, None
            return await after_amount(update, context, who, form)
        await send(update, context, who, "pay/type_amount")
        form["step"] = S.AMOUNT
        return S.AMOUNT
    if "amount" not in form:
        return await reask(update, context, who, form)
    if action == "skip":
        form["photo"] = None
        return await show_summary(update, context, who, form)
    if action == "edit":
        ask = {"amount": ask_amount, "date": ask_date, "method": ask_method, "photo": ask_photo}.get(value)
        return await (ask or reask)(update, context, who, form)
    if action == "date" and value in ("today", "yesterday"):
        day = _today(context) - timedelta(days=0 if value == "today" else 1)
        return await set_date(update, context, who, form, day)
    if action == "method" and value in METHODS:
        form["method"] = value
        return await show_summary(update, context, who, form)
    if action == "confirm" and form.get("step") == S.SUMMARY:
        return await confirm(update, context, who, form)
    return await reask(update, context, who, form)


async def amount_button(update: Update, context: Context, who: Who, form: dict, value: str) -> str | int:
    if value == "other":
        form["step"] = S.AMOUNT
        await send(update, context, who, "pay/type_amount")
        return S.AMOUNT
    figures = await _form_figures(context, who, form)  # as shown with the question just answered
    if figures is None:
        return await ask_amount(update, context, who, form)  # ends the form with a message
    inst = figures["inst"]
    if value == "inst" and inst is not None:
        amount, installment_id = inst["remaining"], inst["id"]
    elif value == "overdue" and figures["overdue"] > 0:
        amount, installment_id = figures["overdue"], None
    else:
        return await ask_amount(update, context, who, form)
    if amount > figures["still_owed"]:
        await send(update, context, who, "pay/amount_too_much", amount=amount, still_owed=figures["still_owed"],
                   pending_total=figures["pending_total"])
        return await ask_amount(update, context, who, form)
    form["amount"], form["installment_id"] = amount, installment_id
    return await after_amount(update, context, who, form)


@guarded(PAY)
async def text_typed(update: Update, context: Context, who: Who) -> str | int | None:
    form = current_form(context, KIND)
    if form is None:
        return await begin.__wrapped__(update, context, who)  # draft lost: start over
    assert update.message is not None
    text = update.message.text or ""
    step = form.get("step")
    if step == S.AMOUNT and "loan_id" in form:
        return await amount_typed(update, context, who, form, text)
    if step == S.DATE and "amount" in form:
        try:
            day, inferred = parse_date_ex(text, _today(context), prefer="past")
        except DateError as exc:
            await send(update, context, who, "pay/date_invalid", code=exc.code,
                       **{**exc.params, "text": text.strip()[:40]})
            return await ask_date(update, context, who, form)
        return await set_date(update, context, who, form, day, echo=inferred)
    if step == S.PHOTO:
        await send(update, context, who, "pay/photo_expected")
        return await ask_photo(update, context, who, form)
    await send(update, context, who, "common/use_buttons")
    return await reask(update, context, who, form)


async def amount_typed(update: Update, context: Context, who: Who, form: dict, text: str) -> str | int:
    try:
        amount, spelled = parse_amount_ex(text)
    except AmountError as exc:
        await send(update, context, who, "pay/amount_invalid", code=exc.code,
                   **{**exc.params, "text": text.strip()[:40]})
        return await ask_amount(update, context, who, form)
    summary = await _own_loan(context, who, form["loan_id"])
    if summary is None:
        return await ask_amount(update, context, who, form)
    if amount > summary.still_owed:
        await send(update, context, who, "pay/amount_too_much", amount=amount, still_owed=summary.still_owed,
                   pending_total=summary.pending_total)
        return await ask_amount(update, context, who, form)
    if is_tiny_payment(amount):
        form["tiny"] = amount
        return await ask_tiny(update, context, who, form)  # which shows the amount back anyway
    if spelled:  # in words: show what was understood before the next question
        await send(update, context, who, "common/read_as", amount=amount)
    form["amount"], form["installment_id"] = amount, None
    return await after_amount(update, context, who, form)


async def set_date(
    update: Update, context: Context, who: Who, form: dict, day: date, *, echo: bool = False
) -> str | int:
    summary = await _own_loan(context, who, form["loan_id"])
    if summary is None:
        return await show_summary(update, context, who, form)  # ends the form with a message
    if day > _today(context):
        await send(update, context, who, "pay/date_future", day=day)
        return await ask_date(update, context, who, form)
    if day < summary.loan.disbursed_on:
        await send(update, context, who, "pay/date_before_disbursement", day=day,
                   disbursed_on=summary.loan.disbursed_on)
        return await ask_date(update, context, who, form)
    form["paid_on"] = day.isoformat()
    if echo:  # "jumat", "tgl 25", "2 hari lalu": show the date understood
        await send(update, context, who, "common/read_as", day=day)
    return await show_summary(update, context, who, form)


@guarded(PAY)
async def photo_sent(update: Update, context: Context, who: Who) -> str | int | None:
    form = current_form(context, KIND)
    if form is None:
        return None
    if form.get("step") != S.PHOTO or "amount" not in form:
        await send(update, context, who, "errors/not_text")
        return await reask(update, context, who, form)
    assert update.message is not None
    form["photo"] = max(update.message.photo, key=lambda p: p.width * p.height).file_id
    return await show_summary(update, context, who, form)


@guarded(PAY)
async def not_text(update: Update, context: Context, who: Who) -> str | int | None:
    form = current_form(context, KIND)
    if form is None:
        return None
    template = "pay/photo_expected" if form.get("step") == S.PHOTO else "errors/not_text"
    await send(update, context, who, template)
    return await reask(update, context, who, form)


async def confirm(update: Update, context: Context, who: Who, form: dict) -> str | int:
    from handlers.verification import treasurer_notice

    person = who.require()
    # One transaction (bot.services.repayments): the loan is still the presser's active loan, the report, its
    # audit row and the treasurers' notices; the notices exist exactly when the report does.
    result = await repayment_service.report_repayment(
        app_of(context).db, loan_id=form["loan_id"], reported_by=person.id, amount=form["amount"],
        paid_on=date.fromisoformat(form["paid_on"]), method=form["method"], idempotency_key=f"pay:{form['id']}",
        receipt_file_id=form.get("photo"), installment_id=form.get("installment_id"),
        notify=treasurer_notice(context),
    )
    if result.outcome is Outcome.NOT_OWNED:  # paid off or reassigned since the form began
        end_form(context)
        await send(update, context, who, "pay/no_loans")
        return ConversationHandler.END
    if result.outcome is Outcome.OVERPAYMENT:
        summary = await _own_loan(context, who, form["loan_id"])
        await send(update, context, who, "pay/amount_too_much", amount=form["amount"],
                   still_owed=result.still_owed, pending_total=0 if summary is None else summary.pending_total)
        form.pop("reviewed", None)
        return await ask_amount(update, context, who, form)
    repayment = result.repayment
    assert repayment is not None
    end_form(context)
    await send(update, context, who, "pay/reported", amount=repayment.amount, paid_on=repayment.paid_on,
               reference=repayment.reference, duplicate=result.outcome is Outcome.DUPLICATE)
    await deliver_notices(context, result.notices)
    return ConversationHandler.END


def handlers() -> FeatureHandlers:
    text = filters.TEXT & ~filters.COMMAND
    photo = filters.PHOTO
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.PHOTO & ~filters.StatusUpdate.ALL
    in_form = [
        CallbackQueryHandler(pressed, pattern=pattern(KIND)),
        MessageHandler(text, text_typed),
        MessageHandler(photo, photo_sent),
        MessageHandler(other, not_text),
    ]
    return FeatureHandlers(
        form_entry_points=[
            CommandHandler(list(PAY.names), begin),
            CallbackQueryHandler(from_reminder, pattern=r"^payrem:\d+$"),
            CallbackQueryHandler(pay_again, pattern=r"^payagain:\d+$"),
        ],
        form_states={state: list(in_form) for state in S},
    )
