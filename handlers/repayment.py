"""``/bayar`` (``/pay``), for borrowers: report a repayment in a few taps; the treasurer verifies it later.

A declared form (:data:`FORM`, run by :mod:`handlers.forms.engine`; one template per step, ``pay/<step>``)::

    /bayar ──► loan [Pinjaman N | Batal]            (skipped with one active loan: chosen by the form's check)
      ─► amount [Angsuran bulan ini | Semua tunggakan | Jumlah lain | Batal | a typed amount]
           Jumlah lain ─► other ("type it") ─► …     a typed amount < Rp10.000 ─► tiny [Ya, betul | Ubah → other]
      ─► photo [a photo | Lewati]
      ─► summary [Ubah jumlah | Ubah tanggal | Ubah cara bayar | Ubah foto | Konfirmasi | Batal]
           Ubah tanggal ─► date [Hari ini | Kemarin | typed];  Ubah cara bayar ─► method [Tunai | Transfer | Lainnya]
      ─► report_repayment (stored once as pending, treasurers told, the draft deleted in the same transaction)
    payagain:<loan id> (after a rejection) ──► amount for that loan
    payrem:<instalment id> (a reminder's "Sudah bayar") ──► photo (loan and amount already chosen)

Decisions
---------
* **Asked vs defaulted (the 4-tap bound).** Only the amount and the receipt photo are asked on the way to the
  summary. The payment date (``paid_on``) defaults to today (WITA) and the method to the borrower's last
  method (``repayments.last_method``), else cash; both are filled in when the form opens, shown on the summary
  and changed only through its "ubah" buttons (editing a field deletes it, so its step is asked). The common
  path is therefore: [Pinjaman N, only with several loans] → instalment → Lewati → Konfirmasi = 3 taps (4 with
  several loans). From a reminder's ``payrem:<instalment id>`` button the loan and amount are known:
  payrem → Lewati → Konfirmasi = 3 taps.
* The photo is asked rather than defaulted because it cannot be added later and a treasurer verifies much
  faster with one; "Lewati" keeps it one tap.
* The tiny-amount check ("Rp1.500 — betul?") applies to *typed* amounts only: button amounts come from the
  schedule and can legitimately be small (the rest of a partly paid instalment).
* Amounts are checked against ``LoanSummary.still_owed`` (outstanding minus other pending reports) when typed
  or tapped, and again by ``repayments.report`` at Konfirmasi (something may have changed since).
* The draft (``form_drafts``) holds only JSON-friendly values (ids, ints, ISO dates, the photo file id), so a
  restart at any step continues where the borrower was.
* **Figures cached in the draft** (issue 6, bench/handlers.py): the amount question computes the loan summary
  once and keeps what the next steps show in ``figures`` (principal, business, outstanding, still owed,
  pending total, the next instalment, the overdue amount). The amount buttons use those figures instead of
  recomputing the summary (three queries and the allocation); the summary recomputes them (the balance it
  shows is today's, even if the form was left overnight). What matters is re-checked at Konfirmasi inside the
  reporting transaction (:func:`bot.services.repayments.report_repayment`): the loan still belongs to the
  presser and is active, and ``repayments.report`` refuses an amount above what is still owed at that moment.
* Idempotency: the repayment's key is ``pay:<form id>``, so a double Konfirmasi or a redelivered update
  stores one row (the second press is answered as a stale button, or re-shows the same reference).
* Ownership: a loan is only ever loaded through :func:`_own_loan`, which checks that the loan belongs to the
  person pressing and is active. Forged ``payrem:``/``payagain:`` data gets an ``errors/not_allowed`` notice
  and nothing else; a loan button only offers the borrower's own active loans.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.domain.commands import CommandSpec
from bot.domain.parsing.errors import AmountError, ParseError
from bot.domain.parsing.money import is_tiny_payment, parse_amount_ex
from bot.domain.reporting import next_unreported, overdue_unreported
from bot.domain.roles import Role
from bot.services import repayments as repayment_service
from bot.services.repayments import Outcome
from handlers.common import Context, Who, answer_callback, app_of, deliver_notices, guarded, send
from handlers.feature import FeatureHandlers
from handlers.forms.engine import UNSET, Ended, Form, Option, Options, Step, Summary, Turn, open_form, read_date
from handlers.verification import treasurer_notice
from messages import label, tanggal
from storage import loans, repayments
from storage.db import Database
from storage.loans import LoanSummary

PAY = CommandSpec("bayar", "pay", frozenset({Role.BORROWER}))
COMMANDS = (PAY,)
KIND = "pay"
METHODS = repayments.METHODS
#: the fields an [Ubah …] button of the summary asks again (field, label key)
EDITS = (("amount", "pay.edit_amount"), ("paid_on", "pay.edit_date"), ("method", "pay.edit_method"),
         ("photo", "pay.edit_photo"))
#: what an edit clears besides its own field
CLEARS = {"amount": ("installment_id", "tiny", "amount_other")}


def _today(turn: Turn) -> date:
    return turn.today()


async def _own_loan(db: Database, who: Who, loan_id: int) -> LoanSummary | None:
    """The loan's summary if it is an active loan of the person talking, else None."""
    summary = await loans.summary(db, loan_id)
    if summary is None or who.person is None:
        return None
    if summary.loan.borrower_id != who.person.id or summary.loan.status != "active":
        return None
    return summary


def _figures(summary: LoanSummary, today: date, pending: list[repayments.Repayment]) -> dict:
    """What the steps after the amount question show, as JSON-friendly values for the draft. The instalment and
    overdue amount are what is still *unreported*: pending reports count as covering the oldest instalments
    (:func:`bot.domain.reporting.next_unreported`), as the reminders count them."""
    nxt = next_unreported(summary.state, summary.pending_total)
    return {
        "principal": summary.loan.principal, "business": summary.loan.business,
        "outstanding": summary.outstanding, "still_owed": summary.still_owed,
        "pending_total": summary.pending_total,
        "overdue": overdue_unreported(summary.state, summary.pending_total, today),
        "pending": [{"reference": r.reference, "amount": r.amount, "paid_on": r.paid_on.isoformat()}
                    for r in pending],
        "inst": None if nxt is None else {"number": nxt.state.installment.number, "remaining": nxt.remaining,
                                          "due_date": nxt.state.installment.due_date.isoformat(),
                                          "partly": nxt.partly_reported,
                                          "id": summary.installment_ids.get(nxt.state.installment.number)},
    }


async def _cached_figures(turn: Turn) -> dict | None:
    """The draft's cached figures, computed (and cached) when missing; None when the loan is not the
    presser's active loan any more."""
    figures = turn.data.get("figures")
    if figures is None or figures.get("loan_id") != turn.data["loan_id"]:
        summary = await _own_loan(turn.db, turn.who, turn.data["loan_id"])
        if summary is None:
            return None
        # the reports waiting, listed in the question: one more query only when there are some
        pending = await repayments.pending_for_loans(turn.db, [summary.loan.id]) if summary.pending_total else []
        figures = turn.data["figures"] = {**_figures(summary, _today(turn), pending), "loan_id": turn.data["loan_id"]}
    return figures


async def _defaults(db: Database, who: Who, today: date) -> dict[str, Any]:
    """What the form starts with: the date and method, defaulted (changed only from the summary)."""
    method = await repayments.last_method(db, who.require().id) or "cash"
    return {"method": method, "paid_on": today.isoformat()}


async def _check(turn: Turn) -> None:
    """Before every question: opening /bayar, the borrower's loans (none: said, ended), the one loan chosen,
    the defaults; once an amount is chosen, whether it repeats a pending report (:func:`_check_duplicate`)."""
    if "loans" in turn.data:
        await _check_duplicate(turn)
        return
    own = await loans.for_borrower(turn.db, turn.who.require().id)
    if not own:
        raise Ended("pay/no_loans")
    turn.data.update(await _defaults(turn.db, turn.who, _today(turn)), loans=[loan.id for loan in own])
    if len(own) == 1:
        turn.data["loan_id"] = own[0].id


async def _check_duplicate(turn: Turn) -> None:
    """An amount (and date) matching a pending report of the same loan (same amount, paid within a few days:
    :mod:`bot.domain.reporting`) sets ``dup``, so the "again" step asks "Anda sudah melaporkan … Laporkan
    lagi?" before anything is stored. Checked again whenever the amount or the date changes."""
    data = turn.data
    if "amount" not in data or "loan_id" not in data or "paid_on" not in data:
        return
    key = f"{data['loan_id']}:{data['amount']}:{data['paid_on']}:{data.get('installment_id')}"
    if data.get("dup_for") == key:
        return
    figures = data.get("figures")
    if figures is not None and figures.get("loan_id") == data["loan_id"] and not figures.get("pending_total"):
        data.update(dup_for=key, dup=None)  # nothing was waiting when the amount was asked: no query
        data.pop("again", None)
        return
    match = await repayment_service.matching_pending_report(
        turn.db, loan_id=data["loan_id"], amount=data["amount"], paid_on=date.fromisoformat(data["paid_on"]),
        installment_id=data.get("installment_id"))
    data["dup_for"] = key
    data.pop("again", None)
    data["dup"] = None if match is None else {"reference": match.reference, "amount": match.amount,
                                              "paid_on": match.paid_on.isoformat()}


async def _again_options(turn: Turn) -> Options:
    return [[Option("yes", label("pay.again_yes", turn.lang)), Option("no", label("pay.again_no", turn.lang))]]


async def _accept_again(turn: Turn, value: str) -> dict[str, Any]:
    if value != "yes":
        raise Ended("pay/not_again", **turn.data["dup"])
    return {"again": True}


def _cancel_option(turn: Turn) -> list[Option]:
    return [Option("cancel", label("cancel", turn.lang))]


# --- loan ---------------------------------------------------------------------------------------------------
async def _own_loans(turn: Turn) -> list[LoanSummary]:
    if "loans" not in turn.cache:
        found = [await _own_loan(turn.db, turn.who, loan_id) for loan_id in turn.data["loans"]]
        turn.cache["loans"] = [s for s in found if s is not None]
    return turn.cache["loans"]


async def _loan_options(turn: Turn) -> Options:
    rows = [[Option(str(s.loan.id), label("pay.loan", turn.lang, n=n))]
            for n, s in enumerate(await _own_loans(turn), start=1)]
    return [*rows, _cancel_option(turn)]


async def _loan_context(turn: Turn) -> dict[str, Any]:
    own = await _own_loans(turn)
    if not own:  # paid off or reassigned since the form began
        raise Ended("pay/no_loans")
    return {"loans": [{"principal": s.loan.principal, "business": s.loan.business,
                       "disbursed_on": s.loan.disbursed_on, "outstanding": s.outstanding} for s in own]}


async def _accept_loan(turn: Turn, value: str) -> dict[str, Any]:
    if value == "cancel":
        raise Ended("common/cancelled")
    return {"loan_id": int(value), "figures": UNSET}


# --- amount -------------------------------------------------------------------------------------------------
def _shown(figures: dict) -> tuple[dict | None, int]:
    """The next instalment and the overdue amount the question shows (0: no overdue button)."""
    overdue, inst = figures["overdue"], figures["inst"]
    installment = None if inst is None else {"number": inst["number"], "remaining": inst["remaining"],
                                             "due_date": date.fromisoformat(inst["due_date"]),
                                             "partly": inst.get("partly", False)}
    show_overdue = overdue > 0 and (installment is None or overdue != installment["remaining"])
    return installment, overdue if show_overdue else 0


async def _amount_options(turn: Turn) -> Options:
    figures = await _cached_figures(turn)
    rows = []
    if figures is not None:
        installment, overdue = _shown(figures)
        if installment is not None:
            rows.append([Option("inst", label("pay.installment", turn.lang, number=installment["number"],
                                              month=tanggal(installment["due_date"], turn.lang, "MMM y")))])
        if overdue:
            rows.append([Option("overdue", label("pay.overdue", turn.lang))])
    return [*rows, [Option("other", label("pay.other", turn.lang))], _cancel_option(turn)]


async def _amount_context(turn: Turn) -> dict[str, Any]:
    figures = await _cached_figures(turn)
    if figures is None:  # paid off or reassigned since the form began
        raise Ended("pay/no_loans")
    if figures["still_owed"] <= 0:
        raise Ended("pay/nothing_owed", principal=figures["principal"], pending_total=figures["pending_total"])
    installment, overdue = _shown(figures)
    return {"principal": figures["principal"], "business": figures["business"],
            "still_owed": figures["still_owed"], "installment": installment, "overdue": overdue,
            "pending": figures.get("pending", [])}


async def _parse_amount(text: str, turn: Turn) -> int:
    try:
        amount, spelled = parse_amount_ex(text)
    except AmountError as exc:
        raise ParseError(exc.code, **{**exc.params, "text": text.strip()[:40]}) from exc
    summary = await _own_loan(turn.db, turn.who, turn.data["loan_id"])
    if summary is None:
        raise Ended("pay/no_loans")
    if amount > summary.still_owed:
        raise ParseError("too_much", amount=amount, still_owed=summary.still_owed,
                         pending_total=summary.pending_total)
    if spelled and not is_tiny_payment(amount):  # in words: show what was understood (tiny: shown anyway)
        turn.echo("common/read_as", amount=amount)
    return amount


def _typed_amount(amount: int) -> dict[str, Any]:
    if is_tiny_payment(amount):
        return {"tiny": amount, "amount_other": UNSET}  # "Rp1.500 — betul?" next
    return {"amount": amount, "installment_id": None, "amount_other": UNSET}


async def _accept_amount(turn: Turn, value: str | int) -> dict[str, Any]:
    if isinstance(value, int):
        return _typed_amount(value)
    if value == "cancel":
        raise Ended("common/cancelled")
    if value == "other":
        return {"amount_other": True}  # the "type it" question next
    figures = await _cached_figures(turn)  # as shown with the question just answered
    if figures is None:
        raise Ended("pay/no_loans")
    inst = figures["inst"]
    if value == "inst" and inst is not None:
        amount, installment_id = inst["remaining"], inst["id"]
    else:  # "overdue": only offered when something is overdue
        amount, installment_id = figures["overdue"], None
    if amount > figures["still_owed"]:
        raise ParseError("too_much", amount=amount, still_owed=figures["still_owed"],
                         pending_total=figures["pending_total"])
    return {"amount": amount, "installment_id": installment_id}


async def _accept_other(turn: Turn, value: int) -> dict[str, Any]:
    return _typed_amount(value)


async def _tiny_options(turn: Turn) -> Options:
    return [[Option("yes", label("pay.tiny_yes", turn.lang)), Option("change", label("pay.tiny_change", turn.lang))]]


async def _tiny_context(turn: Turn) -> dict[str, Any]:
    return {"amount": turn.data["tiny"]}


async def _accept_tiny(turn: Turn, value: str) -> dict[str, Any]:
    if value == "yes":
        return {"amount": turn.data["tiny"], "installment_id": None, "tiny": UNSET}
    return {"tiny": UNSET, "amount_other": True}  # Ubah: "type the amount"


# --- date and method (from the summary) ---------------------------------------------------------------------
async def _date_options(turn: Turn) -> Options:
    return [[Option("today", label("pay.today", turn.lang)), Option("yesterday", label("pay.yesterday", turn.lang))]]


def _parse_date(text: str, turn: Turn) -> str:
    return read_date(turn, text, code_prefix="", text=text.strip()[:40]).isoformat()


async def _accept_date(turn: Turn, value: str) -> dict[str, Any]:
    today = _today(turn)
    day = {"today": today, "yesterday": today - timedelta(days=1)}.get(value) or date.fromisoformat(value)
    summary = await _own_loan(turn.db, turn.who, turn.data["loan_id"])
    if summary is None:
        raise Ended("pay/no_loans")
    if day > today:
        raise ParseError("future", day=day)
    if day < summary.loan.disbursed_on:
        raise ParseError("before_disbursement", day=day, disbursed_on=summary.loan.disbursed_on)
    return {"paid_on": day.isoformat()}


async def _method_options(turn: Turn) -> Options:
    return [[Option(m, label(f"pay.method_{m}", turn.lang))] for m in METHODS]


# --- summary and the use case -------------------------------------------------------------------------------
async def _summary_context(turn: Turn) -> dict[str, Any]:
    turn.data.pop("figures", None)  # the balance on the summary is today's, even if the form was left overnight
    figures = await _cached_figures(turn)
    if figures is None:
        raise Ended("pay/no_loans")
    form = turn.data
    return {"principal": figures["principal"], "business": figures["business"], "amount": form["amount"],
            "paid_on": date.fromisoformat(form["paid_on"]), "method": form["method"],
            "has_photo": form.get("photo") is not None,
            "remaining_after": max(figures["outstanding"] - form["amount"], 0)}


async def _report(turn: Turn) -> None:
    form = turn.data
    person = turn.who.require()
    # One transaction (bot.services.repayments): the loan is still the presser's active loan, the report, its
    # audit row, the treasurers' notices and the draft's deletion; the notices exist exactly when the report does.
    result = await repayment_service.report_repayment(
        turn.db, loan_id=form["loan_id"], reported_by=person.id, amount=form["amount"],
        paid_on=date.fromisoformat(form["paid_on"]), method=form["method"],
        idempotency_key=f"pay:{turn.draft.form_id}", receipt_file_id=form.get("photo"),
        installment_id=form.get("installment_id"), notify=treasurer_notice(turn.context), draft_of=turn.user_id,
        now=turn.now(),
    )
    if result.outcome is Outcome.NOT_OWNED:  # paid off or reassigned since the form began
        await turn.say("pay/no_loans")
        return
    if result.outcome is Outcome.OVERPAYMENT:  # something was reported or recorded meanwhile: the amount again
        summary = await _own_loan(turn.db, turn.who, form["loan_id"])
        await turn.say("pay/amount_too_much", amount=form["amount"], still_owed=result.still_owed,
                       pending_total=0 if summary is None else summary.pending_total)
        for key in ("amount", "installment_id", "figures"):
            form.pop(key, None)
        await turn.advance()
        return
    repayment = result.repayment
    assert repayment is not None
    await turn.say("pay/reported", amount=repayment.amount, paid_on=repayment.paid_on,
                   reference=repayment.reference, duplicate=result.outcome is Outcome.DUPLICATE,
                   checked_by=None if result.checked_by is None else str(result.checked_by))
    await deliver_notices(turn.context, result.notices)


# --- entry points from other messages -----------------------------------------------------------------------
async def _refuse(update: Update, context: Context, who: Who) -> None:
    """A loan that is not the presser's: a notice only, nothing about the loan is shown."""
    if update.callback_query is not None:
        await answer_callback(update, who, "errors/not_allowed", alert=True)
    else:
        await send(update, context, who, "errors/not_allowed")


def _callback_int(update: Update) -> int | None:
    assert update.callback_query is not None
    value = (update.callback_query.data or "").partition(":")[2]
    return int(value) if value.isdigit() else None


async def _open_for(update: Update, context: Context, who: Who, summary: LoanSummary, **data: Any) -> None:
    app = app_of(context)
    await answer_callback(update, who)
    today = app.today()
    start = {**await _defaults(app.db, who, today), "loans": [summary.loan.id], "loan_id": summary.loan.id}
    await open_form(FORM, update, context, who, {**start, **data})
    return None


@guarded(PAY)
async def from_reminder(update: Update, context: Context, who: Who) -> None:
    """``payrem:<instalment id>``: the loan and that instalment's remaining amount are already chosen."""
    installment_id = _callback_int(update)
    db = app_of(context).db
    found: tuple[LoanSummary, int] | None = None
    if installment_id is not None:
        for loan in await loans.for_borrower(db, who.require().id):
            summary = await _own_loan(db, who, loan.id)
            numbers = {v: k for k, v in (summary.installment_ids if summary else {}).items()}
            if summary is not None and installment_id in numbers:
                found = (summary, numbers[installment_id])
                break
    if found is None:
        await _refuse(update, context, who)
        return None
    summary, number = found
    state = next(s for s in summary.state.installments if s.installment.number == number)
    unreported = next_unreported(summary.state, summary.pending_total)
    if unreported is None or unreported.state.installment.number > number:
        amount = 0  # pending reports already cover it
    elif unreported.state.installment.number == number:
        amount = unreported.remaining
    else:
        amount = min(state.remaining, summary.still_owed)
    if amount <= 0:  # already paid (or reported): let the borrower choose
        return await _open_for(update, context, who, summary)
    return await _open_for(update, context, who, summary, amount=amount, installment_id=installment_id)


@guarded(PAY)
async def pay_again(update: Update, context: Context, who: Who) -> None:
    """``payagain:<loan id>`` (after a rejection): /bayar for that loan."""
    loan_id = _callback_int(update)
    summary = None if loan_id is None else await _own_loan(app_of(context).db, who, loan_id)
    if summary is None:
        await _refuse(update, context, who)
        return None
    return await _open_for(update, context, who, summary)


FORM = Form(
    kind=KIND,
    command=PAY,
    check=_check,
    steps=(
        Step("loan", "pay/choose_loan", field="loan_id", options=_loan_options, accept=_accept_loan,
             context=_loan_context),
        Step("tiny", "pay/confirm_tiny", field="amount", options=_tiny_options, accept=_accept_tiny,
             context=_tiny_context, when=lambda data: "tiny" in data),
        Step("other", "pay/type_amount", field="amount", parse=_parse_amount, accept=_accept_other,
             invalid="pay/amount_invalid", when=lambda data: bool(data.get("amount_other"))),
        Step("amount", "pay/ask_amount", options=_amount_options, parse=_parse_amount, accept=_accept_amount,
             invalid="pay/amount_invalid", context=_amount_context),
        Step("again", "pay/ask_again", options=_again_options, accept=_accept_again,
             when=lambda data: data.get("dup") is not None),
        Step("photo", "pay/ask_photo", photo=True, skip=True, invalid="pay/photo_expected"),
        Step("date", "pay/ask_date", field="paid_on", options=_date_options, parse=_parse_date,
             accept=_accept_date, invalid="pay/date_invalid"),
        Step("method", "pay/ask_method", options=_method_options),
    ),
    summary=Summary("pay/summary", edits=EDITS, context=_summary_context, clears=CLEARS, per_row=2, cancel=True),
    finish=_report,
    entry_points=(CallbackQueryHandler(from_reminder, pattern=r"^payrem:\d+$"),
                  CallbackQueryHandler(pay_again, pattern=r"^payagain:\d+$")),
)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(forms=[FORM])
