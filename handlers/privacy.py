"""Personal data under UU 27/2022 (issue 18): the rights of the person, in the bot.

- ``/privasi`` (``/privacy``), for anyone (also before an invite is opened): the privacy notice
  (``privacy/notice``), with the controller from ``PEM_PRIVACY_CONTROLLER`` / ``PEM_PRIVACY_CONTACT`` and the
  retention periods from the configuration. The first greeting after an invite points to it.
- ``/dataku`` (``/mydata``), for every linked person: at once, a readable XLSX (one sheet per kind of data) and a
  machine-readable JSON file of everything the bot holds about them (other people by role only), logged
  (``person.data_exported``), :func:`bot.services.privacy.copy_of_data`.
- ``/koreksi`` (``/correct``), a declared form: what is wrong (name, phone, and for participants address and
  birth date) → the right value → summary → Konfirmasi. The admins of the person's kelurahan get a notice with
  Setujui / Tolak (``krd:ok:<id>`` / ``krd:no:<id>``); nobody decides their own request. The person is told the
  outcome. ``/periksa_koreksi`` (``/corrections``) lists the pending requests for admins.
- ``/tarik_izin`` (``/withdraw``), for participants: withdraw consent after a confirmation (``izin:ya``); the
  participant record is anonymised at once and the kelurahan's coordinators are told (``Peserta #ID``, no name).
"""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

from telegram import InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.commands import CommandSpec
from bot.domain.parsing.dates import parse_date_ex
from bot.domain.parsing.errors import DateError, ParseError
from bot.domain.parsing.phone import normalize_phone
from bot.domain.roles import Role
from bot.services import privacy as privacy_service
from bot.services.invites import clean_name
from bot.services.privacy import CorrectionOutcome, CorrectionResult
from handlers.common import (
    Context,
    Who,
    alongside,
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
from handlers.forms.engine import Form, Option, Options, Step, Summary, Turn
from messages import label, normalise_language, render
from storage import participants, people
from storage.corrections import CorrectionRequest

ALL_ROLES = frozenset(Role)
PRIVACY = CommandSpec("privasi", "privacy", None)
MYDATA = CommandSpec("dataku", "mydata", ALL_ROLES)
CORRECT = CommandSpec("koreksi", "correct", ALL_ROLES)
CORRECTIONS = CommandSpec("periksa_koreksi", "corrections", frozenset({Role.ADMIN}))
WITHDRAW = CommandSpec("tarik_izin", "withdraw", frozenset({Role.PARTICIPANT}))
COMMANDS = (PRIVACY, MYDATA, CORRECT, CORRECTIONS, WITHDRAW)


# --- /privasi -------------------------------------------------------------------------------------------------
def notice_context(context: Context) -> dict[str, Any]:
    s = app_of(context).settings
    return {"controller": s.privacy_controller, "contact": s.privacy_contact,
            "participant_years": s.retention_participant_years, "borrower_years": s.retention_borrower_years,
            "draft_hours": s.retention_draft_hours, "backup_days": s.backup_keep}


@guarded(PRIVACY)
async def show_notice(update: Update, context: Context, who: Who) -> None:
    await send(update, context, who, "privacy/notice", **notice_context(context))


# --- /dataku --------------------------------------------------------------------------------------------------
SHEETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("loans", ("id", "kelurahan_code", "principal", "disbursed_on", "tenor_months", "grace_months",
               "fee_percent_monthly", "status", "business", "disbursement_status", "created_at", "created_by")),
    ("schedule", ("loan", "number", "due_date", "principal_due", "fee_due", "principal_paid", "fee_paid",
                  "paid_on")),
    ("repayments", ("loan", "id", "amount", "paid_on", "method", "status", "note", "receipt_photo", "reported_at",
                    "reported_by", "decided_at", "decided_by", "reject_reason", "reversed_at", "reversed_by",
                    "reversal_reason")),
    ("receipts", ("loan", "number", "amount", "paid_on", "issued_at", "code", "issued_by", "voided_at",
                  "void_reason")),
    ("registrations", ("title", "kind", "starts_at", "place", "status", "created_at")),
    ("outcomes", ("title", "status", "business_type", "recorded_at")),
    ("invites", ("role", "created_at", "expires_at", "used_at", "created_by")),
    ("corrections", ("field", "old_value", "new_value", "status", "reason", "requested_at", "decided_at",
                     "decided_by")),
    ("audit", ("at", "action", "actor", "entity", "entity_id", "details")),
)


def _cell(value: Any, lang: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return label("yes" if value else "no", lang)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _tables(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    loans = data["loans"]
    participant = data["participant"] or {}
    return {
        "loans": loans,
        "schedule": [{"loan": loan["id"], **row} for loan in loans for row in loan["schedule"]],
        "repayments": [{"loan": loan["id"], **row} for loan in loans for row in loan["repayments"]],
        "receipts": [{"loan": loan["id"], **row} for loan in loans for row in loan["receipts"]],
        "registrations": participant.get("registrations", []),
        "outcomes": participant.get("outcomes", []),
        "invites": data["invites"],
        "corrections": data["corrections"],
        "audit": data["audit"],
    }


def workbook_bytes(data: dict[str, Any], lang: str) -> bytes:
    """The readable copy: a sheet with the person (and the participant record), one per list."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = label("privacy.sheet_person", lang)
    sheet.append([label("privacy.col_item", lang), label("privacy.col_value", lang)])
    for key, value in data["person"].items():
        sheet.append([label(f"privacy.col_{key}", lang), _cell(value, lang)])
    sheet.append([label("privacy.col_roles", lang), ", ".join(label(f"role_{r}", lang) for r in data["roles"])])
    participant = data["participant"]
    if participant is not None:
        sheet.append([])
        sheet.append([label("privacy.sheet_participant", lang)])
        for key, value in participant.items():
            if key not in ("registrations", "outcomes"):
                sheet.append([label(f"privacy.col_{key}", lang), _cell(value, lang)])
    for name, rows in _tables(data).items():
        columns = dict(SHEETS)[name]
        page = book.create_sheet(label(f"privacy.sheet_{name}", lang))
        page.append([label(f"privacy.col_{c}", lang) for c in columns])
        for row in rows:
            page.append([_cell(row.get(c), lang) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@guarded(MYDATA)
async def send_my_data(update: Update, context: Context, who: Who) -> None:
    person = who.require()
    data = await privacy_service.copy_of_data(app_of(context).db, person.id, now=now_of(context))
    if data is None:  # pragma: no cover - the guard found the person a moment ago
        return
    chat = update.effective_chat
    assert chat is not None
    stamp = app_of(context).today().isoformat()
    readable = workbook_bytes(data, who.lang)
    machine = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    await context.bot.send_document(
        chat.id, InputFile(readable, filename=label("privacy.file_name", who.lang, date=stamp, ext="xlsx")),
        caption=render("privacy/mydata_xlsx", who.lang), parse_mode="HTML")
    await context.bot.send_document(
        chat.id, InputFile(machine, filename=label("privacy.file_name", who.lang, date=stamp, ext="json")),
        caption=render("privacy/mydata_json", who.lang), parse_mode="HTML")


# --- /koreksi (a declared form) -------------------------------------------------------------------------------
async def _field_options(turn: Turn) -> Options:
    participant = await participants.participant_for_person(turn.db, turn.who.require().id)
    return [[Option(f, label(f"privacy.field_{f}", turn.lang))] for f in privacy_service.fields_held(participant)]


def _parse_value(text: str, turn: Turn) -> str:
    field_name = turn.data.get("field")
    if field_name == "name":
        name = clean_name(text)
        if name is None:
            raise ParseError("bad_name")
        return name
    if field_name == "phone":
        return normalize_phone(text)
    if field_name == "address":
        address = privacy_service.clean_address(text)
        if address is None:
            raise ParseError("bad_address")
        return address
    return _parse_birth_date(text, turn.today()).isoformat()


def _parse_birth_date(text: str, today: date) -> date:
    """A full birth date with its year (``28-11-1999``, ``28 November 1999``), 10 to 100 years ago."""
    try:
        day, inferred = parse_date_ex(text, today, prefer="past")
    except DateError as exc:
        raise ParseError("bad_birth_date") from exc
    if inferred or not (today.year - 100 <= day.year <= today.year - 10) or str(day.year) not in text:
        raise ParseError("bad_birth_date")
    return day


async def _value_context(turn: Turn) -> dict[str, Any]:
    return {"field": turn.data.get("field")}


async def _summary_context(turn: Turn) -> dict[str, Any]:
    return {"field": turn.data["field"], "value": turn.data["value"]}


async def _finish(turn: Turn) -> None:
    person = turn.who.require()
    result = await privacy_service.request_correction(
        turn.db, person_id=person.id, field_name=turn.data["field"], value=turn.data["value"], now=turn.now(),
        draft_of=turn.user_id)
    if result.outcome in (CorrectionOutcome.SAME, CorrectionOutcome.PHONE_TAKEN, CorrectionOutcome.NOT_HELD):
        turn.data.pop("value", None)
        if result.outcome is CorrectionOutcome.NOT_HELD:
            turn.data.pop("field", None)
        await turn.say("privacy/correct_invalid", code=str(result.outcome))
        await turn.advance()
        return
    assert result.request is not None
    told = await _tell_admins(turn.context, result.request, person)
    await turn.say("privacy/correct_sent", field=result.request.field, admins=told)


def _decision_rows(request_id: int, lang: str) -> list[list[tuple[str, str]]]:
    return [[button("privacy.approve", lang, f"krd:ok:{request_id}"),
             button("privacy.reject", lang, f"krd:no:{request_id}")]]


async def _tell_admins(context: Context, request: CorrectionRequest, person: people.Person) -> int:
    """The notice to every admin of the kelurahan but the person; returns how many can be reached."""
    told = 0
    for admin in await people.with_role(app_of(context).db, Role.ADMIN, request.kelurahan_code):
        if admin.id == person.id:
            continue
        lang = normalise_language(admin.language)
        # queued in the outbox, so a new phone is masked here; /periksa_koreksi shows it in full (and logs that)
        told += await notify_person(context, admin, "privacy/correction_notice", request=request,
                                    name=person.name, full=False,
                                    reply_markup=keyboard(_decision_rows(request.id, lang)),
                                    key=f"kor:{request.id}:{admin.id}")
    return told


async def _log_full_view(context: Context, viewer_id: int | None, request: CorrectionRequest) -> None:
    """/periksa_koreksi shows a new phone number in full (the admin has to check it): who saw it is logged."""
    if request.field == "phone":
        await privacy_service.record_view(
            app_of(context).db, "person.viewed_full", actor_person_id=viewer_id,
            kelurahan_code=request.kelurahan_code, people_ids=[request.person_id],
            details={"what": "correction", "request": request.id, "field": "phone"})


CORRECT_FORM = Form(
    kind="kor",
    command=CORRECT,
    steps=(
        Step("field", "privacy/correct_ask_field", options=_field_options),
        Step("value", "privacy/correct_ask_value", parse=_parse_value, invalid="privacy/correct_invalid",
             context=_value_context),
    ),
    summary=Summary("privacy/correct_summary", edits=[("field", "privacy.edit_field"), ("value", "privacy.edit_value")],
                    context=_summary_context, clears={"field": ("value",)}, cancel=True),
    finish=_finish,
)


# --- the admins' side -----------------------------------------------------------------------------------------
async def _decide(update: Update, context: Context, who: Who, approve: bool) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data.rsplit(":", 1)[-1]
    if not raw.isdigit():
        await answer_callback(update, who, "errors/stale_button", alert=True)
        return
    result = await privacy_service.decide_correction(app_of(context).db, request_id=int(raw), approve=approve,
                                                     by=who.require(), now=now_of(context))
    await alongside(query.answer())
    await send(update, context, who, "privacy/correction_decided", outcome=str(result.outcome),
               request=result.request)
    if result.outcome in (CorrectionOutcome.APPROVED, CorrectionOutcome.REJECTED):
        await _tell_person(context, result)


async def _tell_person(context: Context, result: CorrectionResult) -> None:
    if result.person is None or result.request is None:
        return
    await notify_person(context, result.person, "privacy/correction_outcome", request=result.request,
                        approved=result.outcome is CorrectionOutcome.APPROVED)


@guarded(CORRECTIONS)
async def approve_pressed(update: Update, context: Context, who: Who) -> None:
    await _decide(update, context, who, True)


@guarded(CORRECTIONS)
async def reject_pressed(update: Update, context: Context, who: Who) -> None:
    await _decide(update, context, who, False)


@guarded(CORRECTIONS)
async def list_corrections(update: Update, context: Context, who: Who) -> None:
    db = app_of(context).db
    pending = [r for r in await privacy_service.pending_corrections(db, who.kelurahan) if r.person_id != who.person_id]
    if not pending:
        await send(update, context, who, "privacy/corrections_none")
        return
    for request in pending:
        person = await people.get(db, request.person_id)
        await send(update, context, who, "privacy/correction_notice", request=request,
                   name="" if person is None else person.name, full=True,
                   reply_markup=keyboard(_decision_rows(request.id, who.lang)))
        await _log_full_view(context, who.person_id, request)


# --- /tarik_izin ----------------------------------------------------------------------------------------------
@guarded(WITHDRAW)
async def ask_withdraw(update: Update, context: Context, who: Who) -> None:
    participant = await participants.participant_for_person(app_of(context).db, who.require().id)
    if participant is None:
        await send(update, context, who, "privacy/withdraw_none")
        return
    await send(update, context, who, "privacy/withdraw_confirm",
               reply_markup=keyboard([[button("privacy.withdraw_yes", who.lang, "izin:ya"),
                                       button("cancel", who.lang, "izin:tidak")]]))


@guarded(WITHDRAW)
async def withdraw_pressed(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await alongside(query.answer())
    if query.data != "izin:ya":
        await send(update, context, who, "privacy/withdraw_kept")
        return
    db = app_of(context).db
    erased = await privacy_service.withdraw_consent(db, person_id=who.require().id, now=now_of(context))
    if erased is None:
        await send(update, context, who, "privacy/withdraw_none")
        return
    await send(update, context, who, "privacy/withdraw_done")
    for coordinator in await people.with_role(db, Role.COORDINATOR, erased.participant.kelurahan_code):
        await notify_person(context, coordinator, "privacy/withdraw_notice", participant_id=erased.participant.id,
                            upcoming=erased.upcoming, key=f"izin:{erased.participant.id}:{coordinator.id}")


def handlers() -> FeatureHandlers:
    return FeatureHandlers(
        forms=[CORRECT_FORM],
        handlers=[
            CommandHandler(list(PRIVACY.names), show_notice),
            CommandHandler(list(MYDATA.names), send_my_data),
            CommandHandler(list(CORRECTIONS.names), list_corrections),
            CommandHandler(list(WITHDRAW.names), ask_withdraw),
            CallbackQueryHandler(approve_pressed, pattern=r"^krd:ok:"),
            CallbackQueryHandler(reject_pressed, pattern=r"^krd:no:"),
            CallbackQueryHandler(withdraw_pressed, pattern=r"^izin:"),
        ],
    )
