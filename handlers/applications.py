"""``/ajukan`` (``/apply``) and ``/pengajuan`` (``/applications``): loan applications from the resident's request
to the disbursement (issue 16, part 5). Rules: :mod:`bot.domain.applications`; use cases:
:mod:`bot.services.applications`.

``/ajukan``, a declared form (:data:`FORM`, templates ``applications/ask_<step>``)::

    (treasurer, admin) whom [Untuk saya sendiri | Untuk warga tanpa Telegram]
      ─► name ─► nik [⚠ unknown regency: Benar | Perbaiki NIK] ─► phone ─► business ─► business_type [buttons]
      ─► amount (Rp1–25 juta) ─► purpose ─► photo [a photo | Lewati]
      ─► summary [Ubah …] [Konfirmasi] [Batal] ─► submit

``/pengajuan`` shows the count per status as buttons (``apl:list:<status>:<page>``); a page lists 5
applications oldest first (the approved ones are the waiting list, numbered) with a button per application
(``apl:open:<id>``) that shows it with the actions the viewer may take: *Verifikasi* ``apl:ver:<id>``,
*Setujui* ``apl:ok:<id>``, *Tolak* ``apl:no:<id>`` (opens :data:`REJECT_FORM`, the reason), *Cairkan*
``apl:pay:<id>`` (opens :data:`DISBURSE_FORM`: date, tenor, grace, fee, summary with the first instalment).
*Cairkan* checks the lending limit first and says what blocks, with the figures; the service checks it again.

Decisions:

- Anyone of a kelurahan with a role may apply for themself; a treasurer or admin may enter an application for a
  resident who is not on Telegram (the applicant is then the kelurahan's person with that phone, or a new person).
- The NIK is checked as in domain.md (:func:`bot.domain.parsing.nik.parse_nik`); an unknown regency asks "please
  check", never refuses. It is shown in full only on the summary to the person typing it, masked everywhere else.
- A NIK with an application still in the pipeline cannot apply again.
- The applicant, when linked, is told at each step (verified, approved with their place on the waiting list,
  rejected with the reason, disbursed); the kelurahan's checkers are told what waits for them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.applications import (
    BUSINESS_MAX,
    BUSINESS_TYPES,
    LISTED,
    MAX_AMOUNT,
    MIN_AMOUNT,
    PURPOSE_MAX,
    PURPOSE_MIN,
    REASON_MAX,
    REASON_MIN,
    SHARE_MAX,
    SHARE_MIN,
    Action,
    ApplicationError,
    LendingCheck,
    Status,
    check_share,
    clean_text,
)
from bot.domain.commands import CommandSpec
from bot.domain.loans import (
    MAX_GRACE_MONTHS,
    MAX_TENOR_MONTHS,
    MIN_GRACE_MONTHS,
    MIN_TENOR_MONTHS,
    LoanTerms,
    build_schedule,
)
from bot.domain.parsing.errors import AmountError, NikError, ParseError, PhoneError
from bot.domain.parsing.money import parse_amount_ex
from bot.domain.parsing.nik import parse_nik
from bot.domain.parsing.phone import normalize_phone
from bot.domain.roles import Role
from bot.services import applications as service
from handlers.common import Context, Who, answer_callback, app_of, button, guarded, keyboard, notify_person, send
from handlers.feature import FeatureHandlers
from handlers.forms.engine import UNSET, Form, Option, Options, Step, Summary, Turn, open_form, read_date
from handlers.invites import NAME_MAX, clean_name
from handlers.menus import refresh_person_menu
from handlers.new_loan import LIMITS as LOAN_LIMITS
from handlers.new_loan import parse_fee
from messages import label
from storage import applications, drafts, people
from storage.applications import Application
from storage.people import Person

RESIDENTS = frozenset({Role.BORROWER, Role.PARTICIPANT, Role.COORDINATOR, Role.TREASURER, Role.ADMIN, Role.LURAH})
STAFF = frozenset({Role.TREASURER, Role.ADMIN})
APPLY = CommandSpec("ajukan", "apply", RESIDENTS)
LIST = CommandSpec("pengajuan", "applications", frozenset({Role.TREASURER, Role.LURAH, Role.ADMIN}))
SHARE = CommandSpec("syarat_kembali", "repaid_share", frozenset({Role.LURAH, Role.ADMIN}))
COMMANDS = (APPLY, LIST, SHARE)
SHARE_PRESETS = (0, 50, 60, 70, 80)
KIND = "apply"
PAGE_SIZE = 5
FUTURE_DAYS = 31
LIMITS = {"name_max": NAME_MAX, "min_amount": MIN_AMOUNT, "max_amount": MAX_AMOUNT, "business_max": BUSINESS_MAX,
          "purpose_min": PURPOSE_MIN, "purpose_max": PURPOSE_MAX, "reason_min": REASON_MIN,
          "reason_max": REASON_MAX}
NIK_FIELDS = ("nik", "nik_ok", "regency_known")
EDITS = (("name", "applications.edit_name"), ("nik", "applications.edit_nik"),
         ("phone", "applications.edit_phone"), ("business", "applications.edit_business"),
         ("business_type", "applications.edit_type"), ("amount", "applications.edit_amount"),
         ("purpose", "applications.edit_purpose"), ("photo", "applications.edit_photo"))


async def _context(turn: Turn) -> dict[str, Any]:
    return {"form": turn.data, **LIMITS}


def _refused(exc: ApplicationError) -> ParseError:
    return ParseError(exc.code, **exc.params)


# --- /ajukan ----------------------------------------------------------------------------------------------------
async def _check(turn: Turn) -> None:
    """Not staff: the application is the user's own (no "for whom" question)."""
    if "for_self" not in turn.data and not turn.who.require().has_any(STAFF):
        turn.data["for_self"] = True


async def _whom_options(turn: Turn) -> Options:
    return [[Option("self", label("applications.for_self", turn.lang))],
            [Option("other", label("applications.for_other", turn.lang))]]


async def _accept_whom(turn: Turn, value: str) -> dict[str, Any]:
    return {"for_self": value == "self"}


def _parse_name(text: str, turn: Turn) -> str:
    name = clean_name(text)
    if name is None:
        raise ParseError("name")
    return name


def _parse_nik(text: str, turn: Turn) -> dict[str, Any]:
    try:
        info = parse_nik(text, turn.today())
    except NikError as exc:
        raise ParseError(f"nik_{exc.code}", **exc.params) from exc
    return {"nik": info.nik, "regency_known": info.regency_known}


async def _accept_nik(turn: Turn, value: dict[str, Any]) -> dict[str, Any]:
    return value


def _nik_doubtful(data: dict) -> bool:
    return "nik" in data and not data.get("regency_known", True)


async def _nik_ok_options(turn: Turn) -> Options:
    return [[Option("ok", label("applications.nik_right", turn.lang)),
             Option("fix", label("applications.nik_fix", turn.lang))]]


async def _nik_ok_context(turn: Turn) -> dict[str, Any]:
    info = parse_nik(turn.data["nik"], turn.today())
    return {**await _context(turn), "nik": info.nik, "regency_code": info.regency_code,
            "province": info.province_name}


async def _accept_nik_ok(turn: Turn, value: str) -> dict[str, Any]:
    if value == "fix":
        return dict.fromkeys(NIK_FIELDS, UNSET)
    return {"nik_ok": True}


def _parse_phone(text: str, turn: Turn) -> str:
    try:
        return normalize_phone(text)
    except PhoneError as exc:
        raise ParseError("phone_" + exc.code) from exc


async def _phone_options(turn: Turn) -> Options:
    own = turn.who.require().phone
    if turn.data.get("for_self") and own:
        return [[Option(own, own)]]
    return []


def _parse_business(text: str, turn: Turn) -> str:
    try:
        return clean_text(text, 3, BUSINESS_MAX, "business")
    except ApplicationError as exc:
        raise _refused(exc) from exc


async def _type_options(turn: Turn) -> Options:
    opts = [Option(t, label(f"applications.type_{t}", turn.lang)) for t in BUSINESS_TYPES]
    return [opts[i:i + 2] for i in range(0, len(opts), 2)]


def _parse_amount(text: str, turn: Turn) -> int:
    try:
        amount, spelled = parse_amount_ex(text)
    except AmountError as exc:
        raise ParseError("amount_" + exc.code, **exc.params) from exc
    if not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise ParseError("amount_range", value=amount)
    if spelled:
        turn.echo("common/read_as", amount=amount)
    return amount


def _parse_purpose(text: str, turn: Turn) -> str:
    try:
        return clean_text(text, PURPOSE_MIN, PURPOSE_MAX, "purpose")
    except ApplicationError as exc:
        raise _refused(exc) from exc


async def _summary_context(turn: Turn) -> dict[str, Any]:
    return {"form": turn.data, **LIMITS}


async def _submit(turn: Turn) -> None:
    data = turn.data
    user = turn.who.require()
    assert user.kelurahan_code is not None
    try:
        done = await service.submit(
            turn.db, kelurahan_code=user.kelurahan_code, entered_by=user.id, for_self=bool(data["for_self"]),
            name=data["name"], nik=data["nik"], phone=data["phone"], business=data["business"],
            business_type=data["business_type"], amount=data["amount"], purpose=data["purpose"],
            photo_file_id=data.get("photo"), language=turn.settings.language, now=turn.now(),
            draft_of=turn.user_id)
    except ApplicationError as exc:  # the NIK applied meanwhile: ask it again
        await turn.say("applications/invalid", code=exc.code, **LIMITS)
        for key in NIK_FIELDS:
            data.pop(key, None)
        await turn.advance()
        return
    await turn.say("applications/submitted", application=done.application, for_self=data["for_self"])
    await _tell_checkers(turn.context, done.application, Action.VERIFY)


FORM = Form(
    kind=KIND,
    command=APPLY,
    check=_check,
    steps=(
        Step("whom", "applications/ask_whom", field="for_self", options=_whom_options, accept=_accept_whom,
             context=_context),
        Step("name", "applications/ask_name", parse=_parse_name, invalid="applications/invalid", context=_context),
        Step("nik", "applications/ask_nik", parse=_parse_nik, accept=_accept_nik, invalid="applications/invalid",
             context=_context),
        Step("nik_ok", "applications/ask_nik_ok", options=_nik_ok_options, accept=_accept_nik_ok,
             when=_nik_doubtful, context=_nik_ok_context),
        Step("phone", "applications/ask_phone", options=_phone_options, parse=_parse_phone,
             invalid="applications/invalid", context=_context),
        Step("business", "applications/ask_business", parse=_parse_business, invalid="applications/invalid",
             context=_context),
        Step("business_type", "applications/ask_type", options=_type_options, context=_context),
        Step("amount", "applications/ask_amount", parse=_parse_amount, invalid="applications/invalid",
             context=_context),
        Step("purpose", "applications/ask_purpose", parse=_parse_purpose, invalid="applications/invalid",
             context=_context),
        Step("photo", "applications/ask_photo", photo=True, skip=True, invalid="applications/invalid",
             context=_context),
    ),
    summary=Summary("applications/summary", edits=EDITS, context=_summary_context, per_row=2, cancel=True,
                    clears={"nik": NIK_FIELDS[1:]}),
    finish=_submit,
)


# --- telling people ---------------------------------------------------------------------------------------------
async def _actions(context: Context, application: Application, person: Person) -> list[list[tuple[str, str]]]:
    """The buttons of the actions ``person`` may take on the application now."""
    db = app_of(context).db
    lang = person.language
    rows: list[list[tuple[str, str]]] = []
    status = application.status
    if status == Status.SUBMITTED and await service.allowed(db, application, person, Action.VERIFY):
        rows.append([button("applications.verify", lang, f"apl:ver:{application.id}")])
    if status == Status.VERIFIED and await service.allowed(db, application, person, Action.APPROVE):
        rows.append([button("applications.approve", lang, f"apl:ok:{application.id}"),
                     button("applications.reject", lang, f"apl:no:{application.id}")])
    if status == Status.APPROVED and await service.allowed(db, application, person, Action.DISBURSE):
        rows.append([button("applications.disburse", lang, f"apl:pay:{application.id}")])
    return rows


async def _card_context(context: Context, application: Application) -> dict[str, Any]:
    db = app_of(context).db
    place = await applications.queue_position(db, application) if application.status == Status.APPROVED else None
    return {"application": application, "place": place}


async def _tell_checkers(context: Context, application: Application, action: Action) -> None:
    """Tell the people who may take ``action`` next (the verifiers, the deciders, the disbursers)."""
    db = app_of(context).db
    roles = {Action.VERIFY: STAFF, Action.APPROVE: frozenset({Role.LURAH, Role.ADMIN}),
             Action.DISBURSE: STAFF}[action]
    for person in await people.with_any_role(db, roles, application.kelurahan_code):
        if not person.linked or not await service.allowed(db, application, person, action):
            continue
        await notify_person(context, person, "applications/for_checker", key=f"apl:{application.id}:{action}:"
                            f"{person.id}", reply_markup=keyboard(await _actions(context, application, person)),
                            step=str(action), **await _card_context(context, application))


async def _tell_applicant(context: Context, applicant: Person, application: Application, **ctx: Any) -> bool:
    if not applicant.linked:
        return False
    return await notify_person(context, applicant, "applications/for_applicant",
                               key=f"apl:{application.id}:{application.status}",
                               **{**await _card_context(context, application), **ctx})


# --- /pengajuan ---------------------------------------------------------------------------------------------------
@guarded(LIST)
async def list_command(update: Update, context: Context, who: Who) -> None:
    kel = who.kelurahan
    assert kel is not None
    counts = await applications.counts(app_of(context).db, kel)
    rows = [[button(f"applications.status_{s}", who.lang, f"apl:list:{s}:0", count=counts.get(s, 0))]
            for s in LISTED]
    await send(update, context, who, "applications/overview", reply_markup=keyboard(rows), counts=counts)


@guarded(LIST)
async def list_pressed(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    _, _, status, raw = [*query.data.split(":"), "", "", "", ""][:4]
    await answer_callback(update, who)
    if status not in {str(s) for s in LISTED}:
        return
    kel = who.kelurahan
    assert kel is not None
    db = app_of(context).db
    total = (await applications.counts(db, kel)).get(status, 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(int(raw) if raw.isdigit() else 0, pages - 1)
    items = await applications.by_status(db, kel, status, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    rows = [[button("applications.open", who.lang, f"apl:open:{a.id}", id=a.id, name=a.name[:30])] for a in items]
    nav = []
    if page > 0:
        nav.append(button("prev_page", who.lang, f"apl:list:{status}:{page - 1}"))
    if page + 1 < pages:
        nav.append(button("next_page", who.lang, f"apl:list:{status}:{page + 1}"))
    if nav:
        rows.append(nav)
    await send(update, context, who, "applications/list", reply_markup=keyboard(rows) if rows else None,
               items=items, status=status, total=total, page=page + 1, pages=pages, first=page * PAGE_SIZE + 1)


async def _load(update: Update, context: Context, who: Who) -> Application | None:
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data.rsplit(":", 1)[-1]
    application = await applications.get(app_of(context).db, int(raw)) if raw.isdigit() else None
    if application is None or application.kelurahan_code != who.kelurahan:
        await answer_callback(update, who, "applications/not_found", alert=True)
        return None
    return application


@guarded(LIST)
async def open_pressed(update: Update, context: Context, who: Who) -> None:
    application = await _load(update, context, who)
    if application is None:
        return
    await answer_callback(update, who)
    rows = await _actions(context, application, who.require())
    await send(update, context, who, "applications/card", reply_markup=keyboard(rows) if rows else None,
               **await _card_context(context, application))


async def _refusal(update: Update, context: Context, who: Who, exc: ApplicationError) -> None:
    await send(update, context, who, "applications/refused", code=exc.code, **exc.params)


@guarded(STAFF)
async def verify_pressed(update: Update, context: Context, who: Who) -> None:
    application = await _load(update, context, who)
    if application is None:
        return
    await answer_callback(update, who)
    try:
        done = await service.verify(app_of(context).db, application.id, by=who.require(),
                                    now=app_of(context).now())
    except ApplicationError as exc:
        await _refusal(update, context, who, exc)
        return
    told = await _tell_applicant(context, done.applicant, done.application)
    await send(update, context, who, "applications/done", application=done.application, told=told)
    await _tell_checkers(context, done.application, Action.APPROVE)


@guarded(frozenset({Role.LURAH, Role.ADMIN}))
async def approve_pressed(update: Update, context: Context, who: Who) -> None:
    application = await _load(update, context, who)
    if application is None:
        return
    await answer_callback(update, who)
    try:
        done = await service.decide(app_of(context).db, application.id, by=who.require(), approve=True,
                                    reason=None, now=app_of(context).now())
    except ApplicationError as exc:
        await _refusal(update, context, who, exc)
        return
    told = await _tell_applicant(context, done.applicant, done.application)
    ctx = await _card_context(context, done.application)
    await send(update, context, who, "applications/done", application=done.application, told=told,
               place=ctx["place"])
    await _tell_checkers(context, done.application, Action.DISBURSE)


# --- the reject reason: a one-step form opened by Tolak -----------------------------------------------------------
@guarded(frozenset({Role.LURAH, Role.ADMIN}))
async def reject_pressed(update: Update, context: Context, who: Who) -> None:
    application = await _load(update, context, who)
    if application is None:
        return
    await answer_callback(update, who)
    db = app_of(context).db
    if application.status != Status.VERIFIED or not await service.allowed(db, application, who.require(),
                                                                           Action.REJECT):
        code = "own" if who.person_id in application.makers else (
            "verified_it" if application.status == Status.VERIFIED and who.person_id == application.verified_by else
            "not_allowed" if application.status == Status.VERIFIED else "wrong_status")
        await send(update, context, who, "applications/refused", code=code, status=application.status)
        return
    await open_form(REJECT_FORM, update, context, who, {"application_id": application.id,
                                                        "name": application.name})


def _parse_reason(text: str, turn: Turn) -> str:
    try:
        return clean_text(text, REASON_MIN, REASON_MAX, "reason")
    except ApplicationError as exc:
        raise _refused(exc) from exc


async def _finish_reject(turn: Turn) -> None:
    data = turn.data
    try:
        done = await service.decide(turn.db, data["application_id"], by=turn.who.require(), approve=False,
                                    reason=data["reason"], now=turn.now(), draft_of=turn.user_id)
    except ApplicationError as exc:
        await drafts.delete(turn.db, turn.user_id)
        await turn.say("applications/refused", code=exc.code, **exc.params)
        return
    told = await _tell_applicant(turn.context, done.applicant, done.application)
    await turn.say("applications/done", application=done.application, told=told)


REJECT_FORM = Form(
    kind="aplno",
    command=None,
    roles=frozenset({Role.LURAH, Role.ADMIN}),
    steps=(Step("reason", "applications/ask_reason", parse=_parse_reason, invalid="applications/invalid",
                context=_context),),
    finish=_finish_reject,
    entry_points=(CallbackQueryHandler(reject_pressed, pattern=r"^apl:no:"),),
)


# --- disbursing: the treasurer's terms ------------------------------------------------------------------------------
def _lending_ctx(check: LendingCheck) -> dict[str, Any]:
    return {"check": check, "percent": check.repaid_percent}


@guarded(STAFF)
async def disburse_pressed(update: Update, context: Context, who: Who) -> None:
    application = await _load(update, context, who)
    if application is None:
        return
    await answer_callback(update, who)
    app = app_of(context)
    person = who.require()
    if application.status != Status.APPROVED or not await service.allowed(app.db, application, person,
                                                                           Action.DISBURSE):
        code = "own" if person.id in application.makers else (
            "not_allowed" if application.status == Status.APPROVED else "wrong_status")
        await send(update, context, who, "applications/refused", code=code, status=application.status)
        return
    head = await service.first_waiting(app.db, application.kelurahan_code)
    if head is not None and head.id != application.id:
        await send(update, context, who, "applications/refused", code="not_first", first=head.id, name=head.name)
        return
    check = await service.lending_position(app.db, application.kelurahan_code, application.amount,
                                           today=app.today(), tz=app.settings.timezone,
                                           city_min_percent=app.settings.relending_min_repaid_percent)
    if check.blocked is not None:
        await send(update, context, who, "applications/blocked", application=application, **_lending_ctx(check))
        return
    await open_form(DISBURSE_FORM, update, context, who, {"application_id": application.id,
                                                          "name": application.name, "amount": application.amount})


async def _today_option(turn: Turn) -> Options:
    return [[Option("today", label("applications.today", turn.lang))]]


def _parse_disbursed_on(text: str, turn: Turn) -> str:
    today = turn.today()
    day = read_date(turn, text, code_prefix="date_")
    if day > today + timedelta(days=FUTURE_DAYS):
        raise ParseError("date_too_far", day=day)
    if day < today.replace(day=1):  # a closed month of the cash book never changes (docs/cash-book.md)
        raise ParseError("date_too_old_disb", day=day)
    return day.isoformat()


async def _accept_disbursed_on(turn: Turn, value: str) -> dict[str, Any]:
    return {"disbursed_on": turn.today().isoformat() if value == "today" else value}


def _months(name: str, presets: tuple[int, ...], low: int, high: int) -> Step:
    async def options(turn: Turn) -> Options:
        return [[Option(str(n), str(n)) for n in presets]]

    def parse(text: str, turn: Turn) -> int:
        value = text.strip().split()[0] if text.strip() else ""
        if not value.isdigit() or not low <= int(value) <= high:
            raise ParseError(f"{name}_range")
        return int(value)

    async def accept(turn: Turn, value: int | str) -> dict[str, Any]:
        return {name: int(value)}

    return Step(name, f"applications/ask_{name}", options=options, parse=parse, accept=accept,
                invalid="applications/invalid", context=_disb_context)


async def _disb_context(turn: Turn) -> dict[str, Any]:
    return {"form": turn.data, **LIMITS, **LOAN_LIMITS}


async def _fee_options(turn: Turn) -> Options:
    return [[Option("0", "0%")]]


def _parse_fee(text: str, turn: Turn) -> str:
    fee = parse_fee(text)
    if fee is None:
        raise ParseError("fee")
    return str(fee)


def _terms(data: dict) -> LoanTerms:
    return LoanTerms(data["amount"], date.fromisoformat(data["disbursed_on"]), data["tenor"], data["grace"],
                     Decimal(data["fee"]))


async def _disb_summary_context(turn: Turn) -> dict[str, Any]:
    data = turn.data
    return {"form": data, "disbursed_on": date.fromisoformat(data["disbursed_on"]), "fee": Decimal(data["fee"]),
            "first": build_schedule(_terms(data))[0]}


async def _finish_disburse(turn: Turn) -> None:
    data = turn.data
    try:
        result = await service.disburse(
            turn.db, data["application_id"], by=turn.who.require(), terms=_terms(data),
            language=turn.settings.language, today=turn.today(), tz=turn.settings.timezone,
            city_min_percent=turn.settings.relending_min_repaid_percent, now=turn.now(), draft_of=turn.user_id)
    except ApplicationError as exc:
        await drafts.delete(turn.db, turn.user_id)
        await turn.say("applications/refused", code=exc.code, **exc.params)
        return
    if isinstance(result, LendingCheck):
        await turn.say("applications/blocked", application=await applications.get(turn.db,
                                                                                   data["application_id"]),
                       **_lending_ctx(result))
        return
    made = result.made
    first = build_schedule(_terms(data))[0]
    told = await _tell_applicant(turn.context, result.applicant, result.application, loan=made.loan, first=first)
    await turn.say("applications/disbursed", application=result.application, loan=made.loan, first=first,
                   told=told, invited=made.invite is not None, balance_after=result.check.balance - made.loan.principal)
    if made.borrower.linked and made.new_role:
        fresh = await people.get(turn.db, made.borrower.id)
        assert fresh is not None
        await refresh_person_menu(turn.context.bot, fresh)


DISB_EDITS = (("disbursed_on", "applications.edit_date"), ("tenor", "applications.edit_tenor"),
              ("grace", "applications.edit_grace"), ("fee", "applications.edit_fee"))

DISBURSE_FORM = Form(
    kind="apldsb",
    command=None,
    roles=STAFF,
    steps=(
        Step("date", "applications/ask_date", field="disbursed_on", options=_today_option,
             parse=_parse_disbursed_on, accept=_accept_disbursed_on, invalid="applications/invalid",
             context=_disb_context),
        _months("tenor", (12, 18), MIN_TENOR_MONTHS, MAX_TENOR_MONTHS),
        _months("grace", (0, 1, 2, 3), MIN_GRACE_MONTHS, MAX_GRACE_MONTHS),
        Step("fee", "applications/ask_fee", options=_fee_options, parse=_parse_fee, invalid="applications/invalid",
             context=_disb_context),
    ),
    summary=Summary("applications/disburse_summary", edits=DISB_EDITS, context=_disb_summary_context, per_row=2,
                    cancel=True),
    finish=_finish_disburse,
    entry_points=(CallbackQueryHandler(disburse_pressed, pattern=r"^apl:pay:"),),
)


# --- /syarat_kembali: the kelurahan's minimum repaid share (the re-lending rule) -----------------------------------
async def _share_context(turn: Turn) -> dict[str, Any]:
    assert turn.who.kelurahan is not None
    rule = await service.share_rule_of(turn.db, turn.who.kelurahan, turn.settings.relending_min_repaid_percent)
    assert rule is not None
    return {"rule": rule, "percent": rule.check.repaid_percent, "min": SHARE_MIN, "max": SHARE_MAX}


async def _share_options(turn: Turn) -> Options:
    presets = [Option(str(n), label("applications.share_off" if n == 0 else "applications.share_percent",
                                    turn.lang, n=n)) for n in SHARE_PRESETS]
    return [presets[:3], presets[3:],
            [Option("city", label("applications.share_city", turn.lang,
                                  n=turn.settings.relending_min_repaid_percent))]]


def _parse_share(text: str, turn: Turn) -> int:
    raw = text.strip().removesuffix("%").strip()
    if not raw.isdigit():
        raise ParseError("share_range", min=SHARE_MIN, max=SHARE_MAX)
    try:
        return check_share(int(raw))
    except ApplicationError as exc:
        raise _refused(exc) from exc


async def _accept_share(turn: Turn, value: int | str) -> dict[str, Any]:
    return {"share": None if value == "city" else int(value)}


async def _finish_share(turn: Turn) -> None:
    assert turn.who.kelurahan is not None
    rule = await service.set_share_rule(turn.db, turn.who.kelurahan, turn.data["share"], by=turn.who.require().id,
                                        city_default=turn.settings.relending_min_repaid_percent, now=turn.now(),
                                        via="bot", draft_of=turn.user_id)
    await turn.say("applications/share_set", rule=rule, percent=rule.check.repaid_percent)


SHARE_FORM = Form(
    kind="aplshr",
    command=SHARE,
    steps=(Step("share", "applications/share_ask", options=_share_options, parse=_parse_share,
                accept=_accept_share, invalid="applications/invalid", context=_share_context),),
    finish=_finish_share,
)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(
        forms=[FORM, REJECT_FORM, DISBURSE_FORM, SHARE_FORM],
        handlers=[
            CommandHandler(list(LIST.names), list_command),
            CallbackQueryHandler(list_pressed, pattern=r"^apl:list:"),
            CallbackQueryHandler(open_pressed, pattern=r"^apl:open:"),
            CallbackQueryHandler(verify_pressed, pattern=r"^apl:ver:"),
            CallbackQueryHandler(approve_pressed, pattern=r"^apl:ok:"),
        ],
    )
