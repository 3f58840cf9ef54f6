"""A loan's life after disbursement (issue 16, part 3), under maker-checker: ``/restrukturisasi`` and
``/hapus_buku`` (treasurers propose; declared forms), the lurah's decision (buttons on the notice, or
``/persetujuan``), and their effects (:mod:`bot.services.lifecycle`). A recovery is a ``/catat_bayar`` on a
written-off loan (:mod:`handlers.cash`).

``/restrukturisasi``::

    who [name → borrower buttons] ─► loan (only if >1 active) ─► tenor (months for what is left, 1–36)
      ─► grace [0 | 1 | 2 | 3 | typed 0–12] ─► first [suggested date | typed date] (the plan is checked here)
      ─► summary: the new schedule, before/after [Konfirmasi | Batal] ─► propose_reschedule ─► the lurah told

``/hapus_buku``::

    who ─► loan ─► reason [Pindah | Meninggal | Usaha gagal | Lainnya] ─► note [typed | Lewati]
      ─► summary [Konfirmasi | Batal] ─► propose_write_off ─► the lurah told

The decision: ``lc:ok:<id>`` (Setujui) / ``lc:no:<id>`` (Tolak) on the notice or on ``/persetujuan``'s list
(``PAGE_SIZE`` a page, ``lc:list:<page>``). Tolak opens :data:`REJECT_FORM`, which asks the reason (3–200
characters) before anything is decided, and only of someone who may decide. Every press reloads the proposal; the
service checks kelurahan, maker-checker and status again in its transaction. The proposer is told the outcome
(with the reason of a rejection), and the decider reads whether they were.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.commands import CommandSpec
from bot.domain.loans import RescheduleError, ReschedulePlan, suggested_first_due
from bot.domain.parsing.errors import ParseError
from bot.domain.roles import Role
from bot.services import lifecycle as service
from bot.services.lifecycle import Outcome, QueueProposal
from handlers import cash
from handlers.common import (
    Context,
    Who,
    answer_callback,
    app_of,
    button,
    deliver_notices,
    guarded,
    keyboard,
    notice_for,
    notify_person,
    now_of,
    queue_notice,
    send,
    today_of,
)
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Form, Option, Options, Step, Summary, Turn, open_form, read_date
from messages import label, normalise_language, rupiah, tanggal
from storage import drafts, lifecycle, loans, people
from storage.db import Queryable
from storage.lifecycle import Proposal
from storage.people import Person

RESCHEDULE = CommandSpec("restrukturisasi", "reschedule", frozenset({Role.TREASURER}))
WRITE_OFF = CommandSpec("hapus_buku", "write_off", frozenset({Role.TREASURER}))
APPROVALS = CommandSpec("persetujuan", "approvals", service.DECIDER_ROLES)
COMMANDS = (RESCHEDULE, WRITE_OFF, APPROVALS)
NOTE_MAX = 200
GRACE_BUTTONS = (0, 1, 2, 3)
#: proposals per page of /persetujuan (a page's text and its 2 buttons per proposal stay far below Telegram's
#: limits with the longest names: tests/handlers/test_lifecycle_rules.py)
PAGE_SIZE = 8


# --- shared steps: the borrower and the loan --------------------------------------------------------------
async def _search(text: str, turn: Turn) -> list[dict[str, Any]]:
    found = await cash.search_borrowers(turn.context, turn.who, text)
    if not found:
        raise ParseError("not_found", text=text.strip()[:60])
    return [{"id": p.id, "name": p.name} for p in found]


async def _found_options(turn: Turn) -> Options:
    return [[Option(str(p["id"]), p["name"])] for p in turn.data.get("found", [])]


async def _who_context(turn: Turn) -> dict[str, Any]:
    found = turn.data.get("found")
    return {} if found is None else {"count": len(found)}


async def _accept_who(turn: Turn, value: str | list) -> dict[str, Any]:
    if isinstance(value, list):
        return {"found": value}
    person = await people.get(turn.db, int(value))
    if person is None or person.kelurahan_code != turn.who.kelurahan or person.id == turn.who.person_id:
        raise ParseError("not_found", text="")
    active = [ln for ln in await loans.for_borrower(turn.db, person.id) if ln.status == "active"]
    if not active:
        raise ParseError("no_loans", name=person.name)
    stored: dict[str, Any] = {"who": person.id, "name": person.name,
                              "loans": [{"id": ln.id, "principal": ln.principal,
                                         "disbursed_on": ln.disbursed_on.isoformat()} for ln in active]}
    if len(active) == 1:
        stored["loan_id"] = active[0].id
    return stored


def _several_loans(data: dict[str, Any]) -> bool:
    return len(data.get("loans", [])) > 1


async def _loan_options(turn: Turn) -> Options:
    return [[Option(str(ln["id"]), label("cash.loan", turn.lang, principal=rupiah(ln["principal"], turn.lang),
                                         date=tanggal(date.fromisoformat(ln["disbursed_on"]), turn.lang)))]
            for ln in turn.data.get("loans", [])]


async def _accept_loan(turn: Turn, value: str) -> dict[str, Any]:
    return {"loan_id": int(value)}  # an offered value (engine-checked)


async def _summary_of(turn: Turn) -> loans.LoanSummary:
    key = f"summary:{turn.data['loan_id']}"
    if key not in turn.cache:
        turn.cache[key] = await loans.summary(turn.db, turn.data["loan_id"])
    found = turn.cache[key]
    assert found is not None
    return found


async def _loan_context(turn: Turn) -> dict[str, Any]:
    summary = await _summary_of(turn)
    today = turn.today()
    return {"outstanding": summary.outstanding, "days": summary.days_in_arrears(today),
            "overdue": summary.overdue_amount(today)}


# --- /restrukturisasi -----------------------------------------------------------------------------------------
def _parse_int(low: int, high: int, code: str):
    def parse(text: str, turn: Turn) -> int:
        raw = text.strip().lower().removesuffix("bulan").removesuffix("months").removesuffix("month").strip()
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ParseError(code, min=low, max=high)
        return int(raw)
    return parse


async def _grace_options(turn: Turn) -> Options:
    return [[Option(str(n), label("lifecycle.months", turn.lang, n=n)) for n in GRACE_BUTTONS]]


async def _accept_grace(turn: Turn, value: str | int) -> dict[str, Any]:
    return {"grace": int(value)}


def _suggested(turn: Turn) -> date:
    return suggested_first_due(turn.today(), int(turn.data.get("grace", 0)))


async def _first_options(turn: Turn) -> Options:
    return [[Option("suggested", label("lifecycle.first_suggested", turn.lang,
                                       date=tanggal(_suggested(turn), turn.lang)))]]


def _parse_first(text: str, turn: Turn) -> str:
    return read_date(turn, text, prefer="future", code_prefix="date_").isoformat()


async def _plan(turn: Turn, first: date) -> ReschedulePlan:
    return service.plan_for(await _summary_of(turn), today=turn.today(), tenor_months=int(turn.data["tenor"]),
                            grace_months=int(turn.data["grace"]), first_due_on=first)


async def _accept_first(turn: Turn, value: str) -> dict[str, Any]:
    first = _suggested(turn) if value == "suggested" else date.fromisoformat(value)
    try:
        await _plan(turn, first)
    except RescheduleError as exc:
        raise ParseError(exc.code, **exc.params) from exc
    return {"first": first.isoformat()}


async def _first_context(turn: Turn) -> dict[str, Any]:
    return {"suggested": _suggested(turn)}


async def _rs_summary_context(turn: Turn) -> dict[str, Any]:
    plan = await _plan(turn, date.fromisoformat(turn.data["first"]))
    return {**turn.data, **await _loan_context(turn), "plan": plan}


def proposal_notice(context: Context) -> QueueProposal[Any]:
    """How a decider is told about a proposal: ``lifecycle/notice`` with Setujui / Tolak, queued in the
    proposing transaction."""
    async def queue(tx: Queryable, person: Person, proposal: Proposal, plan: ReschedulePlan | None
                    ) -> Any:
        lang = normalise_language(person.language)
        rows = [[button("lifecycle.approve", lang, f"lc:ok:{proposal.id}"),
                 button("lifecycle.reject", lang, f"lc:no:{proposal.id}")]]
        notice = notice_for(context, person, "lifecycle/notice", proposal=proposal, plan=plan,
                            fallback=Role.LURAH not in person.roles, reply_markup=keyboard(rows))
        return None if notice is None else await queue_notice(context, tx, notice)

    return queue


async def _after_propose(turn: Turn, result: service.LifecycleResult[Any]) -> None:
    if result.outcome is Outcome.INVALID:  # the date passed meanwhile (the draft survived a night): ask again
        assert result.error is not None
        await turn.say("lifecycle/invalid", code=result.error.code, **result.error.params)
        turn.data.pop("first", None)
        await turn.advance()
        return
    if not result.ok:
        await drafts.delete(turn.db, turn.user_id)
        await turn.say("lifecycle/refused", code=str(result.outcome), proposal=result.proposal, error=None)
        return
    await deliver_notices(turn.context, result.notices)
    await turn.say("lifecycle/proposed", proposal=result.proposal, checked_by=str(result.checked_by),
                   told=len(result.notices))


async def _finish_reschedule(turn: Turn) -> None:
    result = await service.propose_reschedule(
        turn.db, loan_id=turn.data["loan_id"], by=turn.who.require().id, kelurahan_code=turn.who.kelurahan,
        tenor_months=int(turn.data["tenor"]), grace_months=int(turn.data["grace"]),
        first_due_on=date.fromisoformat(turn.data["first"]), now=turn.now(), today=turn.today(),
        notify=proposal_notice(turn.context), draft_of=turn.user_id)
    await _after_propose(turn, result)


RESCHEDULE_FORM = Form(
    kind="rs",
    command=RESCHEDULE,
    steps=(
        Step("who", "lifecycle/ask_who", options=_found_options, parse=_search, accept=_accept_who,
             invalid="lifecycle/invalid", context=_who_context),
        Step("loan", "lifecycle/ask_loan", field="loan_id", options=_loan_options, accept=_accept_loan,
             when=_several_loans),
        Step("tenor", "lifecycle/ask_tenor", parse=_parse_int(1, 36, "tenor_range"), invalid="lifecycle/invalid",
             context=_loan_context),
        Step("grace", "lifecycle/ask_grace", options=_grace_options, parse=_parse_int(0, 12, "grace_range"),
             accept=_accept_grace, invalid="lifecycle/invalid"),
        Step("first", "lifecycle/ask_first", options=_first_options, parse=_parse_first, accept=_accept_first,
             invalid="lifecycle/invalid", context=_first_context),
    ),
    summary=Summary("lifecycle/rs_summary", edits=(("tenor", "lifecycle.edit_tenor"),
                                                   ("grace", "lifecycle.edit_grace"),
                                                   ("first", "lifecycle.edit_first")),
                    clears={"grace": ("first",)}, context=_rs_summary_context, cancel=True),
    finish=_finish_reschedule,
)


# --- /hapus_buku ----------------------------------------------------------------------------------------------
async def _reason_options(turn: Turn) -> Options:
    return [[Option(r, label(f"lifecycle.reason_{r}", turn.lang))] for r in lifecycle.REASONS]


def _parse_note(text: str, turn: Turn) -> str | None:
    note = " ".join(text.split())
    if len(note) > NOTE_MAX:
        raise ParseError("note_too_long", max=NOTE_MAX)
    return note or None


async def _hb_summary_context(turn: Turn) -> dict[str, Any]:
    return {**turn.data, **await _loan_context(turn)}


async def _finish_write_off(turn: Turn) -> None:
    result = await service.propose_write_off(
        turn.db, loan_id=turn.data["loan_id"], by=turn.who.require().id, kelurahan_code=turn.who.kelurahan,
        reason=turn.data["reason"], note=turn.data.get("note"), now=turn.now(), today=turn.today(),
        notify=proposal_notice(turn.context), draft_of=turn.user_id)
    await _after_propose(turn, result)


WRITE_OFF_FORM = Form(
    kind="hb",
    command=WRITE_OFF,
    steps=(
        Step("who", "lifecycle/ask_who", options=_found_options, parse=_search, accept=_accept_who,
             invalid="lifecycle/invalid", context=_who_context),
        Step("loan", "lifecycle/ask_loan", field="loan_id", options=_loan_options, accept=_accept_loan,
             when=_several_loans),
        Step("reason", "lifecycle/ask_reason", options=_reason_options, context=_loan_context),
        Step("note", "lifecycle/ask_note", parse=_parse_note, skip=True, invalid="lifecycle/invalid"),
    ),
    summary=Summary("lifecycle/hb_summary", edits=(), context=_hb_summary_context, cancel=True),
    finish=_finish_write_off,
)


# --- the decision ---------------------------------------------------------------------------------------------
def _proposal_id(update: Update) -> int | None:
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split(":")
    return int(parts[2]) if len(parts) == 3 and parts[2].isdigit() else None


async def _told(context: Context, result: service.LifecycleResult[Any]) -> dict[str, Any]:
    """Tell the proposer the outcome (with the reason of a rejection) and, after a reschedule, the borrower; the
    template context of the decider's own message."""
    db = app_of(context).db
    proposal = result.proposal
    assert proposal is not None and result.summary is not None
    ctx = {"proposal": proposal, "plan": result.plan, "outstanding": result.summary.outstanding}
    proposer = await people.get(db, proposal.proposed_by)
    told = proposer is not None and await notify_person(context, proposer, "lifecycle/decided", **ctx,
                                                        to_proposer=True)
    if proposal.kind == "reschedule" and proposal.status == "approved":
        borrower = await people.get(db, proposal.borrower_id)
        if borrower is not None:
            await notify_person(context, borrower, "lifecycle/borrower_rescheduled", plan=result.plan,
                                outstanding=result.summary.outstanding)
    return {**ctx, "proposer_told": told}


@guarded(APPROVALS)
async def approve_pressed(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    assert query is not None
    proposal_id = _proposal_id(update)
    if proposal_id is None:
        await answer_callback(update, who, "lifecycle/not_found", alert=True)
        return
    app = app_of(context)
    result = await service.decide(app.db, proposal_id, approve=True, by=who.require().id,
                                  kelurahan_code=who.kelurahan, now=now_of(context), today=today_of(context))
    if result.outcome is Outcome.NOT_FOUND:
        await answer_callback(update, who, "lifecycle/not_found", alert=True)
        return
    await answer_callback(update, who)
    if not result.ok:
        await send(update, context, who, "lifecycle/refused", code=str(result.outcome), proposal=result.proposal,
                   error=result.error)
        return
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(None)
    await send(update, context, who, "lifecycle/decided", **await _told(context, result))


# --- Tolak: a one-step form asking the reason ---------------------------------------------------------------
@guarded(APPROVALS)
async def reject_pressed(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    assert query is not None
    proposal_id = _proposal_id(update)
    checked = None if proposal_id is None else await service.check_decider(
        app_of(context).db, proposal_id, by=who.require().id, kelurahan_code=who.kelurahan)
    if checked is None or checked.outcome is Outcome.NOT_FOUND:
        await answer_callback(update, who, "lifecycle/not_found", alert=True)
        return
    await query.answer()
    if not checked.ok:
        await send(update, context, who, "lifecycle/refused", code=str(checked.outcome), proposal=checked.proposal,
                   error=None)
        return
    proposal = checked.proposal
    assert proposal is not None
    await open_form(REJECT_FORM, update, context, who, {"proposal_id": proposal.id, "ref": proposal.reference,
                                                        "name": proposal.borrower_name, "kind": proposal.kind})


def _parse_reject_reason(text: str, turn: Turn) -> str:
    reason = service.clean_reject_reason(text)
    if reason is None:
        raise ParseError("reject_reason", min=service.REJECT_REASON_MIN, max=service.REJECT_REASON_MAX)
    return reason


async def _finish_reject(turn: Turn) -> None:
    result = await service.decide(turn.db, int(turn.data["proposal_id"]), approve=False, by=turn.who.require().id,
                                  kelurahan_code=turn.who.kelurahan, now=turn.now(), today=turn.today(),
                                  reason=turn.data["reason"], draft_of=turn.user_id)
    if not result.ok:
        await turn.say("lifecycle/refused", code=str(result.outcome), proposal=result.proposal, error=None)
        return
    await turn.say("lifecycle/decided", **await _told(turn.context, result))


REJECT_FORM = Form(
    kind="lcno",
    command=None,
    roles=service.DECIDER_ROLES,
    steps=(Step("reason", "lifecycle/ask_reject_reason", parse=_parse_reject_reason, invalid="lifecycle/invalid"),),
    finish=_finish_reject,
    entry_points=(CallbackQueryHandler(reject_pressed, pattern=r"^lc:no:"),),
)


# --- /persetujuan: the proposals you decide, a page at a time ------------------------------------------------
def _page_of(update: Update) -> int:
    query = update.callback_query
    raw = "" if query is None or query.data is None else query.data.rsplit(":", 1)[-1]
    return int(raw) if raw.isdigit() else 0


@guarded(APPROVALS)
async def list_pending(update: Update, context: Context, who: Who) -> None:
    assert who.kelurahan is not None
    query = update.callback_query
    if query is not None:
        await query.answer()
    items = await service.decidable(app_of(context).db, person_id=who.require().id, kelurahan_code=who.kelurahan)
    if not items:
        await send(update, context, who, "lifecycle/empty")
        return
    pages = -(-len(items) // PAGE_SIZE)
    page = min(_page_of(update), pages - 1)
    shown = items[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    rows = [[button("lifecycle.approve_ref", who.lang, f"lc:ok:{p.id}", ref=p.reference),
             button("lifecycle.reject_ref", who.lang, f"lc:no:{p.id}", ref=p.reference)] for p in shown]
    nav = []
    if page > 0:
        nav.append(button("prev_page", who.lang, f"lc:list:{page - 1}"))
    if page + 1 < pages:
        nav.append(button("next_page", who.lang, f"lc:list:{page + 1}"))
    if nav:
        rows.append(nav)
    await send(update, context, who, "lifecycle/list", items=shown, total=len(items), page=page + 1, pages=pages,
               first=page * PAGE_SIZE + 1, reply_markup=keyboard(rows))


def handlers() -> FeatureHandlers:
    return FeatureHandlers(
        forms=[RESCHEDULE_FORM, WRITE_OFF_FORM, REJECT_FORM],
        handlers=[CommandHandler(list(APPROVALS.names), list_pending),
                  CallbackQueryHandler(list_pending, pattern=r"^lc:list:"),
                  CallbackQueryHandler(approve_pressed, pattern=r"^lc:ok:")],
    )
