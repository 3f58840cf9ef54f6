"""Read-only loan views: ``/pinjaman`` (``/loan``) for a borrower and ``/peminjam`` (``/borrowers``) for the
kelurahan's treasurer, admin and lurah.

* ``/pinjaman`` and the reminder's "Lihat pinjaman" button (callback ``loanview``) show each of the borrower's
  loans: principal, paid (verified), outstanding, pending total, next instalment (amount, due date), days
  overdue and the last 5 payments with their status and receipt number. Paid-off loans are included (marked
  "lunas"). A loan with a service fee (jasa) shows principal and fee apart: the fee per month and in all, paid
  and outstanding split into principal and fee, what pays it off today (the early-payoff rule,
  :mod:`bot.domain.loans`) and the fees an early payoff waived. Under it (issue 15): a button per loan for its
  instalment card (``card:<loan id>``, :mod:`handlers.card`) and one per receipt of those payments
  (``rcpt:<receipt id>``, :mod:`handlers.receipts`).
  Issue 16: the warning letters issued for each loan, one line each, and a button per letter for its PDF
  (``spl:pdf:<step id>``, :mod:`handlers.warnings`); a rescheduled loan says so (when, how many times); a
  written-off loan is shown with its status, the amount written off, the recoveries and what is still owed
  (never hidden), and a recovery is marked as such among the payments.
* ``/peminjam`` lists the active loans of the viewer's kelurahan from ``loans.borrowers_overview``, riskiest
  first, then the written-off ones (marked, with what is still owed), ``PAGE_SIZE`` per page, with ‹ › buttons
  (``brw:page:<n>``) and one button per borrower (``brw:show:<person id>``) opening the same detail as
  ``/pinjaman`` plus the borrower's masked phone and the visit history (the latest ``RECENT_VISITS`` visits of
  ``/kunjungan``, with their promises to pay).

Decisions
---------
* Personal financial data (UU 27/2022): a borrower only ever sees their own loans (the view is keyed on the
  person behind the Telegram account, never on callback data), and ``brw:show`` checks that the borrower
  belongs to the viewer's kelurahan; a forged id gets ``errors/not_allowed`` and nothing else.
* The ``loanview`` and ``brw:`` buttons are plain handlers: the form engine only claims its own forms' buttons,
  so they work while the user has a form open and leave that form where it was.
* Page changes (‹ ›) edit the list in place, as ``/verifikasi`` does (issue 14); when Telegram refuses the edit
  (a message too old) the page comes as a new message.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.commands import CommandSpec
from bot.domain.loans import fee_per_installment
from bot.domain.roles import Role
from handlers.common import Context, Who, answer_callback, app_of, button, guarded, keyboard, send
from handlers.feature import FeatureHandlers
from handlers.receipts import receipt_button
from handlers.warnings import letter_button, letters_of
from messages import render, rupiah
from storage import loans, people, receipts, repayments, visits
from storage.reports import lifecycle as lifecycle_reports

LOAN = CommandSpec("pinjaman", "loan", frozenset({Role.BORROWER}))
BORROWERS = CommandSpec("peminjam", "borrowers", frozenset({Role.TREASURER, Role.ADMIN, Role.LURAH}))
COMMANDS = (LOAN, BORROWERS)
PAGE_SIZE = 8
RECENT_PAYMENTS = 5
RECENT_VISITS = 5
#: a visit's note is cut to this many characters in the history, so the detail stays under 4096 characters
NOTE_SHOWN = 120


def _short(text: str) -> str:
    return text if len(text) <= NOTE_SHOWN else text[: NOTE_SHOWN - 1].rstrip() + "…"


async def loan_entries(context: Context, borrower_id: int) -> list[dict[str, Any]]:
    """Everything the ``loans/detail`` template shows, for each loan of a borrower."""
    app = app_of(context)
    today = app.today()
    entries = []
    for loan in await loans.for_borrower(app.db, borrower_id, include_closed=True):
        summary = await loans.summary(app.db, loan.id)
        assert summary is not None
        recent = await repayments.recent_for_loan(app.db, loan.id, limit=RECENT_PAYMENTS)
        issued = await _receipts_of(context, loan.id)
        nxt = summary.next_due
        next_due = None if nxt is None else {"remaining": nxt.remaining, "due_date": nxt.installment.due_date}
        state = summary.state
        life = await lifecycle_reports.loan_life(app.db, loan.id)
        entries.append({
            "principal": loan.principal,
            "fee_percent": loan.fee_percent_monthly,
            "fee_per_month": fee_per_installment(loan.principal, loan.fee_percent_monthly),
            "fees_scheduled": state.fees_scheduled,
            "principal_paid": state.principal_paid,
            "fees_paid": state.fees_paid,
            "outstanding_principal": state.outstanding_principal,
            "outstanding_fee": state.outstanding_fee,
            "fees_waived": state.fees_waived,
            "payoff_today": summary.owed_on(today),
            "business": loan.business,
            "status": loan.status,
            "disbursed_on": loan.disbursed_on,
            "tenor_months": loan.tenor_months,
            "paid": summary.paid,
            "outstanding": summary.outstanding,
            "pending_total": summary.pending_total,
            "next": next_due,
            "days_in_arrears": summary.days_in_arrears(today),
            "overdue": summary.overdue_amount(today),
            "reschedules": life.reschedules,
            "rescheduled_on": life.rescheduled_on,
            "written_off_at": life.written_off_at,
            "written_off_amount": life.written_off_amount,
            "recovered": life.recovered,
            "payments": [
                {"paid_on": r.paid_on, "amount": r.amount, "status": r.status, "reference": r.reference,
                 "recovery": r.kind == "recovery",
                 "receipt": None if r.id not in issued else issued[r.id].number,
                 "receipt_void": r.id in issued and issued[r.id].void}
                for r in recent
            ],
            "loan_id": loan.id,
            "receipts": [issued[r.id] for r in recent if r.id in issued],
            "letters": await letters_of(context, loan.id),
        })
    return entries


async def _receipts_of(context: Context, loan_id: int) -> dict[int, receipts.Receipt]:
    return {r.repayment_id: r for r in await receipts.for_loan(app_of(context).db, loan_id,
                                                               limit=RECENT_PAYMENTS * 2)}


def detail_markup(entries: list[dict[str, Any]], lang: str) -> Any:
    """Under a loan detail: the instalment card of each loan and the receipts of its latest payments
    (issue 15), each a button that sends the PDF."""
    rows: list[list[tuple[str, str]]] = []
    for entry in entries:
        rows.append([button("receipt.card", lang, f"card:{entry['loan_id']}", principal=rupiah(entry["principal"],
                                                                                                 lang))])
        buttons = [receipt_button(r, lang) for r in entry["receipts"]]
        rows += [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        letters = [letter_button(w, lang) for w in entry.get("letters", ())]
        rows += [letters[i:i + 2] for i in range(0, len(letters), 2)]
    return keyboard(rows) if rows else None


async def _show_own(update: Update, context: Context, who: Who) -> None:
    person = who.require()
    entries = await loan_entries(context, person.id)
    if not entries:
        await send(update, context, who, "loans/none")
        return
    await send(update, context, who, "loans/detail", staff=False, name=person.name, phone=person.phone,
               loans=entries, visits=[], visits_total=0, reply_markup=detail_markup(entries, who.lang))


@guarded(LOAN)
async def my_loans(update: Update, context: Context, who: Who) -> None:
    await _show_own(update, context, who)


@guarded(LOAN)
async def loan_button(update: Update, context: Context, who: Who) -> None:
    await answer_callback(update, who)
    await _show_own(update, context, who)


async def show_page(update: Update, context: Context, who: Who, page: int, *, edit: bool = False) -> None:
    """One page of the overview; ``edit`` (a ‹ › press) replaces the pressed message, as ``/verifikasi``
    does, falling back to a new message when Telegram refuses the edit."""
    app = app_of(context)
    kelurahan = who.kelurahan
    if kelurahan is None:
        await send(update, context, who, "errors/not_allowed")
        return
    today = app.today()
    rows, total = await loans.borrowers_overview(app.db, kelurahan, today, offset=page * PAGE_SIZE,
                                                 limit=PAGE_SIZE)
    if total == 0:
        await send(update, context, who, "loans/no_borrowers")
        return
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    if not rows:  # a page past the end (the list shrank): show the last one
        await show_page(update, context, who, pages - 1, edit=edit)
        return
    start = page * PAGE_SIZE
    buttons = [[(f"{start + n}. {row.name}", f"brw:show:{row.person_id}")] for n, row in enumerate(rows, 1)]
    nav = []
    if page > 0:
        nav.append(button("prev_page", who.lang, f"brw:page:{page - 1}"))
    if page + 1 < pages:
        nav.append(button("next_page", who.lang, f"brw:page:{page + 1}"))
    if nav:
        buttons.append(nav)
    ctx = {"rows": rows, "page": page, "pages": pages, "total": total, "start": start}
    if edit and update.callback_query is not None:
        text = render("loans/borrowers", who.lang, tz=app.settings.timezone, **ctx)
        try:
            await update.callback_query.edit_message_text(text, parse_mode=ParseMode.HTML,
                                                          reply_markup=keyboard(buttons))
            return
        except TelegramError:
            pass  # too old to edit, or unchanged: send the page as a new message
    await send(update, context, who, "loans/borrowers", reply_markup=keyboard(buttons), **ctx)


@guarded(BORROWERS)
async def borrowers(update: Update, context: Context, who: Who) -> None:
    await show_page(update, context, who, 0)


@guarded(BORROWERS)
async def borrowers_button(update: Update, context: Context, who: Who) -> None:
    assert update.callback_query is not None
    _, action, value = (update.callback_query.data or "").split(":", 2)
    if not value.isdigit():
        await answer_callback(update, who, "errors/stale_button")
        return
    if action == "page":
        await answer_callback(update, who)
        await show_page(update, context, who, int(value), edit=True)
        return
    borrower = await people.get(app_of(context).db, int(value))
    if borrower is None or borrower.kelurahan_code is None or borrower.kelurahan_code != who.kelurahan:
        await answer_callback(update, who, "errors/not_allowed", alert=True)
        return
    entries = await loan_entries(context, borrower.id)
    if not entries:  # not a borrower: nothing of theirs to show
        await answer_callback(update, who, "errors/not_allowed", alert=True)
        return
    await answer_callback(update, who)
    db = app_of(context).db
    history = [
        {"visited_on": v.visited_on, "outcome": v.outcome, "note": _short(v.note), "by": v.recorded_by_name,
         "photo": v.photo_file_id is not None, "promise_amount": v.promise_amount, "promise_on": v.promise_on,
         "promise_status": v.promise_status}
        for v in await visits.for_borrower(db, borrower.id, limit=RECENT_VISITS)
    ]
    await send(update, context, who, "loans/detail", staff=True, name=borrower.name, phone=borrower.phone,
               loans=entries, visits=history, visits_total=await visits.count_for_borrower(db, borrower.id),
               reply_markup=detail_markup(entries, who.lang))


def handlers() -> FeatureHandlers:
    return FeatureHandlers(
        handlers=[
            CommandHandler(list(LOAN.names), my_loans),
            CommandHandler(list(BORROWERS.names), borrowers),
            CallbackQueryHandler(loan_button, pattern=r"^loanview$"),
            CallbackQueryHandler(borrowers_button, pattern=r"^brw:(page|show):\d+$"),
        ],
    )
