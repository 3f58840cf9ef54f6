"""Treasurer's own entries: ``/catat_bayar`` (``/record``) records a cash payment, ``/batalkan_bayar``
(``/reverse``) reverses one. Both are declared forms (:data:`RECORD_FORM`, :data:`REVERSE_FORM`, run by
:mod:`handlers.forms.engine`; one template per step, ``cash/ask_<step>`` and ``reverse/ask_<step>``).

``/catat_bayar`` (treasurers)::

    who [a name typed → borrower buttons] ─► loan (only if >1 active loan) ─► amount
      ─► tiny (only for an amount under Rp10.000: [Ya, betul | Ubah]) ─► date [Hari ini | Kemarin | typed]
      ─► note [typed | Lewati] ─► summary [Konfirmasi | Batal] ─► record_cash_payment

``/batalkan_bayar`` (treasurers and admins)::

    who [a name typed → borrower buttons] ─► pick (their verified payments, 5 per page, ‹ › to page)
      ─► reason (typed, 5–200 characters, mandatory) ─► summary [Konfirmasi | Batal] ─► reverse_repayment

Decisions:

- Borrowers are searched in the treasurer's own kelurahan only, and a pressed borrower/loan/payment id must be
  one the form offered (the engine refuses any other value); the chosen borrower is checked again (kelurahan,
  maker-checker) when accepted, and the services check both once more in their transaction.
- A cash entry is verified on entry (``repayments.record_verified``); its idempotency key is derived from the
  person and the form id, so a double Konfirmasi stores it once. The amount is checked against the verified
  outstanding balance (pending reports are the borrower's claims and do not block a cash entry).
- A typed amount under Rp10.000 (``25``, or ``1.250rb``, which reads as Rp1.250) is asked back, like ``/bayar`` does
  ("Rp25 — betul?"), before the date: a verified entry must never be a slip of the keyboard.
- The payment date may be any day from the disbursement date to today (WITA).
- A written-off loan is offered too: its payment is a recovery (issue 16), said so on the summary and the
  answer, with its own receipt; the loan stays written off.
- Both writes are use cases of :mod:`bot.services.repayments` (``record_cash_payment``,
  ``reverse_repayment``): one transaction each, with its audit row (``repayment.recorded`` /
  ``repayment.reversed``) and the deletion of the form's draft (``draft_of``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.domain.commands import CommandSpec
from bot.domain.loans import OverpaymentError, check_new_payment
from bot.domain.parsing.errors import AmountError, ParseError
from bot.domain.parsing.money import is_tiny_payment, parse_amount_ex
from bot.domain.roles import Role
from bot.services import repayments as repayment_service
from bot.services.repayments import Outcome
from handlers import receipts as receipt_handlers
from handlers.common import Context, Who, app_of, notices_are_silent, notify_person
from handlers.feature import FeatureHandlers
from handlers.forms.engine import UNSET, Form, Option, Options, Step, Summary, Turn, read_date
from messages import label, rupiah, tanggal
from storage import drafts, loans, people, repayments
from storage.people import Person

RECORD = CommandSpec("catat_bayar", "record", frozenset({Role.TREASURER}))
REVERSE = CommandSpec("batalkan_bayar", "reverse", frozenset({Role.TREASURER, Role.ADMIN}))
COMMANDS = (RECORD, REVERSE)
CASH, REV = "cash", "rev"
NOTE_MAX = 200
REASON_MIN, REASON_MAX = 5, 200
PAGE_SIZE = 5
#: the value prefix of the pick step's page buttons (payment buttons carry the bare repayment id)
PAGE = "pg"


# --- shared: find a borrower by name ------------------------------------------------------------------------


async def search_borrowers(context: Context, who: Who, text: str) -> list[Person]:
    """Borrowers of the user's kelurahan whose name contains ``text`` (at least 2 letters)."""
    text = " ".join(text.split())
    if len(text) < 2 or who.kelurahan is None:
        return []
    found = await people.search_by_name(app_of(context).db, who.kelurahan, text, role=Role.BORROWER, limit=9)
    # Maker-checker: nobody records or reverses a payment on their own loan.
    return [p for p in found if p.id != who.person_id][:8]


async def _search(text: str, turn: Turn) -> list[dict[str, Any]]:
    """The parser of both forms' ``who`` step: a search, whose results become the step's buttons."""
    found = await search_borrowers(turn.context, turn.who, text)
    if not found:
        raise ParseError("not_found", text=text.strip()[:60])
    return [{"id": p.id, "name": p.name} for p in found]


async def _found_options(turn: Turn) -> Options:
    return [[Option(str(p["id"]), p["name"])] for p in turn.data.get("found", [])]


async def _who_context(turn: Turn) -> dict[str, Any]:
    found = turn.data.get("found")
    return {"form": turn.data, **({} if found is None else {"count": len(found)})}


async def _chosen_borrower(turn: Turn, value: str) -> Person:
    """The borrower pressed (or typed by name): of the user's kelurahan, and never the user (maker-checker)."""
    person = await people.get(turn.db, int(value))
    if person is None or person.kelurahan_code != turn.who.kelurahan or person.id == turn.who.person_id:
        raise ParseError("not_found", text="")
    return person


async def _form_context(turn: Turn) -> dict[str, Any]:
    return {"form": turn.data}


def _today(turn: Turn) -> date:
    return turn.today()


# --- /catat_bayar -------------------------------------------------------------------------------------------


async def _accept_cash_who(turn: Turn, value: str | list) -> dict[str, Any]:
    if isinstance(value, list):  # a search: the same question again, with the borrowers found as buttons
        return {"found": value}
    person = await _chosen_borrower(turn, value)
    # a written-off loan too: a payment on it is a recovery (issue 16)
    active = [ln for ln in await loans.for_borrower(turn.db, person.id, include_closed=True)
              if ln.status in ("active", "written_off")]
    if not active:
        raise ParseError("no_loans", name=person.name)
    stored: dict[str, Any] = {
        "who": person.id, "borrower_id": person.id, "name": person.name,
        "loans": [{"id": ln.id, "principal": ln.principal, "disbursed_on": ln.disbursed_on.isoformat(),
                   "recovery": ln.status == "written_off"} for ln in active],
    }
    if len(active) == 1:
        stored.update(_loan_fields(stored["loans"][0]))
    return stored


def _loan_fields(loan: dict[str, Any]) -> dict[str, Any]:
    return {"loan_id": loan["id"], "disbursed_on": loan["disbursed_on"], "principal": loan["principal"],
            "recovery": bool(loan.get("recovery"))}


def _several_loans(data: dict[str, Any]) -> bool:
    return len(data.get("loans", [])) > 1


async def _loan_options(turn: Turn) -> Options:
    return [[Option(str(ln["id"]), label("cash.loan", turn.lang, principal=rupiah(ln["principal"], turn.lang),
                                         date=tanggal(date.fromisoformat(ln["disbursed_on"]), turn.lang)))]
            for ln in turn.data.get("loans", [])]


async def _accept_loan(turn: Turn, value: str) -> dict[str, Any]:
    loan = next(ln for ln in turn.data["loans"] if str(ln["id"]) == value)  # an offered value (engine-checked)
    return _loan_fields(loan)


async def _loan_summary(turn: Turn) -> loans.LoanSummary:
    key = f"summary:{turn.data['loan_id']}"
    if key not in turn.cache:
        turn.cache[key] = await loans.summary(turn.db, turn.data["loan_id"])
    summary = turn.cache[key]
    assert summary is not None
    return summary


async def _amount_context(turn: Turn) -> dict[str, Any]:
    summary = await _loan_summary(turn)
    nxt = summary.state.next_due(_today(turn))
    return {"form": turn.data, "outstanding": summary.state.outstanding,
            "next_amount": None if nxt is None else nxt.remaining,
            "next_date": None if nxt is None else nxt.installment.due_date}


async def _parse_amount(text: str, turn: Turn) -> int:
    try:
        amount, spelled = parse_amount_ex(text)
    except AmountError as exc:
        raise ParseError("amount_" + exc.code, **exc.params) from exc
    try:
        check_new_payment((await _loan_summary(turn)).state, amount)
    except OverpaymentError as exc:
        raise ParseError("overpayment", outstanding=exc.outstanding) from exc
    if spelled and not is_tiny_payment(amount):  # in words: show it back (a tiny one is asked back anyway)
        turn.echo("common/read_as", amount=amount)
    return amount


def _tiny(data: dict[str, Any]) -> bool:
    return "amount" in data and is_tiny_payment(data["amount"])


async def _tiny_options(turn: Turn) -> Options:
    return [[Option("yes", label("pay.tiny_yes", turn.lang)), Option("change", label("pay.tiny_change", turn.lang))]]


async def _accept_tiny(turn: Turn, value: str) -> dict[str, Any]:
    if value == "yes":
        return {"tiny_ok": True}
    return {"amount": UNSET}  # Ubah: the amount is asked again


async def _date_options(turn: Turn) -> Options:
    return [[Option("today", label("cash.today", turn.lang)), Option("yesterday", label("cash.yesterday", turn.lang))]]


def _parse_date(text: str, turn: Turn) -> str:
    return read_date(turn, text, code_prefix="date_").isoformat()


async def _accept_date(turn: Turn, value: str) -> dict[str, Any]:
    today = _today(turn)
    day = {"today": today, "yesterday": today - timedelta(days=1)}.get(value) or date.fromisoformat(value)
    disbursed = date.fromisoformat(turn.data["disbursed_on"])
    if day > today:
        raise ParseError("date_future", day=day)
    if day < disbursed:
        raise ParseError("date_before_disbursement", day=day, disbursed_on=disbursed)
    return {"paid_on": day.isoformat()}


def _parse_note(text: str, turn: Turn) -> str | None:
    note = " ".join(text.split())
    if len(note) > NOTE_MAX:
        raise ParseError("note_too_long", max=NOTE_MAX)
    return note or None


async def _cash_summary_context(turn: Turn) -> dict[str, Any]:
    summary = await _loan_summary(turn)
    return {"form": turn.data, "paid_on": date.fromisoformat(turn.data["paid_on"]),
            "outstanding": summary.state.outstanding}


async def _record(turn: Turn) -> None:
    form = turn.data
    app = app_of(turn.context)
    treasurer = turn.who.require()
    result = await repayment_service.record_cash_payment(
        turn.db,
        loan_id=form["loan_id"],
        recorded_by=treasurer.id,
        kelurahan_code=turn.who.kelurahan,
        amount=form["amount"],
        paid_on=date.fromisoformat(form["paid_on"]),
        idempotency_key=f"cash:{treasurer.id}:{turn.draft.form_id}",
        note=form.get("note"),
        draft_of=turn.user_id,
        now=turn.now(),
        receipt_key=turn.settings.receipt_key,
    )
    if result.outcome is Outcome.OVERPAYMENT:  # someone else's entry in the meantime: the amount again
        await turn.say("cash/invalid", code="overpayment", outstanding=result.outstanding)
        form.pop("amount", None)
        form.pop("tiny_ok", None)
        await turn.advance()
        return
    if not result.ok:  # not found / own loan: checked when the borrower was chosen, so only a forged draft
        await drafts.delete(turn.db, turn.user_id)
        await turn.say("cash/invalid", code="not_found", text="")
        return
    repayment = result.repayment
    await receipt_handlers.deliver_issued(turn.update, turn.context, turn.who, result.receipt)  # issue 15
    summary = await loans.summary(turn.db, form["loan_id"])
    assert summary is not None
    nxt = summary.state.next_due(app.today())
    borrower = await people.get(turn.db, form["borrower_id"])
    told = borrower is not None and await notify_person(
        turn.context,
        borrower,
        "cash/borrower_recorded",
        repayment=repayment,
        outstanding=summary.state.outstanding,
        next_amount=None if nxt is None else nxt.remaining,
        next_date=None if nxt is None else nxt.installment.due_date,
    )
    await turn.say("cash/done", repayment=repayment, name=form["name"], outstanding=summary.state.outstanding,
                   told=told, silent=notices_are_silent(turn.context))


RECORD_FORM = Form(
    kind=CASH,
    command=RECORD,
    steps=(
        Step("who", "cash/ask_who", options=_found_options, parse=_search, accept=_accept_cash_who,
             invalid="cash/invalid", context=_who_context),
        Step("loan", "cash/ask_loan", field="loan_id", options=_loan_options, accept=_accept_loan,
             when=_several_loans, context=_form_context),
        Step("amount", "cash/ask_amount", parse=_parse_amount, invalid="cash/invalid", context=_amount_context),
        Step("tiny", "cash/ask_tiny", field="tiny_ok", options=_tiny_options, accept=_accept_tiny, when=_tiny,
             context=_form_context),
        Step("date", "cash/ask_date", field="paid_on", options=_date_options, parse=_parse_date,
             accept=_accept_date, invalid="cash/invalid", context=_form_context),
        Step("note", "cash/ask_note", parse=_parse_note, skip=True, invalid="cash/invalid", context=_form_context),
    ),
    summary=Summary("cash/summary", edits=(), context=_cash_summary_context, cancel=True),
    finish=_record,
)


# --- /batalkan_bayar ----------------------------------------------------------------------------------------


async def _accept_rev_who(turn: Turn, value: str | list) -> dict[str, Any]:
    if isinstance(value, list):  # a search: the same question again, with the borrowers found as buttons
        return {"found": value}
    person = await _chosen_borrower(turn, value)
    _, total = await _verified(turn, person.id, 0)
    if total == 0:
        raise ParseError("no_payments", name=person.name)
    return {"who": person.id, "borrower_id": person.id, "name": person.name, "page": 0}


async def _verified(turn: Turn, borrower_id: int, page: int) -> tuple[list[repayments.RepaymentView], int]:
    """One page of the borrower's verified payments (memoised: the buttons and the question show the same)."""
    key = f"verified:{borrower_id}:{page}"
    if key not in turn.cache:
        assert turn.who.kelurahan is not None
        turn.cache[key] = await repayments.verified_for_kelurahan(
            turn.db, turn.who.kelurahan, borrower_id=borrower_id, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    return turn.cache[key]


async def _page(turn: Turn) -> tuple[list[repayments.RepaymentView], int, int]:
    page = turn.data.get("page", 0)
    items, total = await _verified(turn, turn.data["borrower_id"], page)
    return items, total, page


async def _pick_options(turn: Turn) -> Options:
    items, total, page = await _page(turn)
    if total == 0:  # all reversed meanwhile: the step's ``empty`` ends the form
        return []
    rows = [[Option(str(v.repayment.id), label("cash.pick_ref", turn.lang, ref=v.repayment.reference))]
            for v in items]
    nav = []
    if page > 0:
        nav.append(Option(f"{PAGE}{page - 1}", label("prev_page", turn.lang)))
    if page + 1 < -(-total // PAGE_SIZE):
        nav.append(Option(f"{PAGE}{page + 1}", label("next_page", turn.lang)))
    return [*rows, nav] if nav else rows


async def _pick_context(turn: Turn) -> dict[str, Any]:
    items, total, page = await _page(turn)
    return {"name": turn.data["name"], "items": items, "total": total, "page": page + 1,
            "pages": -(-total // PAGE_SIZE)}


async def _accept_pick(turn: Turn, value: str) -> dict[str, Any]:
    if value.startswith(PAGE):  # another page: the same question again
        return {"page": int(value[len(PAGE):])}
    view = await repayments.view(turn.db, int(value))
    if view is None or view.kelurahan_code != turn.who.kelurahan or view.repayment.status != "verified":
        raise ParseError("not_reversible")
    return {"repayment_id": view.repayment.id}


async def _reason_context(turn: Turn) -> dict[str, Any]:
    return {"view": await repayments.view(turn.db, turn.data["repayment_id"]), "min": REASON_MIN,
            "max": REASON_MAX}


def _parse_reason(text: str, turn: Turn) -> str:
    reason = " ".join(text.split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise ParseError("reason_length", min=REASON_MIN, max=REASON_MAX)
    return reason


async def _rev_summary_context(turn: Turn) -> dict[str, Any]:
    view = await repayments.view(turn.db, turn.data["repayment_id"])
    assert view is not None
    return {"view": view, "reason": turn.data["reason"]}


async def _reverse(turn: Turn) -> None:
    form = turn.data
    result = await repayment_service.reverse_repayment(
        turn.db, form["repayment_id"], by=turn.who.require().id, kelurahan_code=turn.who.kelurahan,
        reason=form["reason"], now=turn.now(), draft_of=turn.user_id,
    )
    if not result.ok:  # reversed meantime (or, from a forged draft, not this kelurahan's)
        await drafts.delete(turn.db, turn.user_id)
        await turn.say("reverse/invalid", code="not_reversible", view=result.view)
        return
    view = result.view
    assert view is not None
    summary = await loans.summary(turn.db, view.repayment.loan_id)
    assert summary is not None
    borrower = await people.get(turn.db, view.borrower_id)
    told = borrower is not None and await notify_person(
        turn.context,
        borrower,
        "reverse/borrower_reversed",
        view=view,
        reason=form["reason"],
        outstanding=summary.state.outstanding,
    )
    if result.receipt is not None:  # issue 15: its receipt is void now
        voided_told = await receipt_handlers.deliver_voided(turn.context, result.receipt)
        await turn.say("receipts/voided_staff", receipt=result.receipt, told=voided_told)
    await turn.say("reverse/done", view=view, outstanding=summary.state.outstanding, told=told,
                   silent=notices_are_silent(turn.context))


REVERSE_FORM = Form(
    kind=REV,
    command=REVERSE,
    steps=(
        Step("who", "reverse/ask_who", options=_found_options, parse=_search, accept=_accept_rev_who,
             invalid="reverse/invalid", context=_who_context),
        Step("pick", "reverse/pick", field="repayment_id", options=_pick_options, accept=_accept_pick,
             invalid="reverse/invalid", context=_pick_context, empty="reverse/none"),
        Step("reason", "reverse/ask_reason", parse=_parse_reason, invalid="reverse/invalid",
             context=_reason_context),
    ),
    summary=Summary("reverse/summary", edits=(), context=_rev_summary_context, cancel=True),
    finish=_reverse,
)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(forms=[RECORD_FORM, REVERSE_FORM])
