"""``/pinjaman_baru`` (``/newloan``), for treasurers and admins: register a loan in the bot.

State diagram (every state re-asks its question after a specific message for bad input or a sticker/photo)::

    /pinjaman_baru ─► WHO ─[name typed → borrower buttons | Peminjam baru]─┐
                       │                                  └► NAME ─► PHONE ┤
                       ▼                                                   ▼
    PRINCIPAL (Rp1–25 juta) ─► DATE [hari ini | typed] ─► TENOR [12 | 18 | Lainnya → 1–36]
      ─► GRACE [0 | 1 | 2 | 3 | Lainnya → 0–12] ─► FEE [0% | typed, e.g. 0,5] ─► BUSINESS [typed | Lewati]
      ─► CONFIRM: summary with the first instalment, an [Ubah …] button per field, [Konfirmasi] [Batal]
    an [Ubah …] button asks that one step again and comes back to the summary.

Decisions:

- Like /catat_bayar, the draft keeps its step (``form["step"]``); one text handler and one button handler
  dispatch on it, so a restart resumes at the same question.
- Existing borrowers are searched in the user's own kelurahan only; only offered ids are accepted.
- A new borrower needs a name and a mobile number. When that number already belongs to a person of the
  kelurahan, the loan is registered for that person (no duplicate) and the summary says so.
- Disbursement date: from 5 years ago up to 31 days ahead (a loan is often registered the week before the
  money is handed over); parsed with ``prefer="past"``.
- Fee: 0–10 % per month with at most two decimals, ``,`` or ``.`` as the decimal mark, an optional ``%``.
- On Konfirmasi the borrower (if new) and the loan with its schedule are written in one transaction
  (``loans.create`` audits ``loan.created``). When the borrower has no Telegram account linked, an invite for
  the borrower role is created in the same transaction and its link is shown once.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot import clock
from bot.commands import CommandSpec
from bot.invite_tokens import deep_link
from bot.loans import (
    MAX_FEE_PERCENT,
    MAX_GRACE_MONTHS,
    MAX_PRINCIPAL,
    MAX_TENOR_MONTHS,
    MIN_GRACE_MONTHS,
    MIN_PRINCIPAL,
    MIN_TENOR_MONTHS,
    LoanTerms,
    LoanTermsError,
    add_months,
    build_schedule,
)
from bot.parsing.dates import parse_date
from bot.parsing.errors import AmountError, DateError, PhoneError
from bot.parsing.money import parse_amount
from bot.parsing.phone import normalize_phone
from bot.roles import Role
from handlers.cash import borrower_rows, search_borrowers
from handlers.common import Context, Who, app_of, button, guarded, keyboard, send
from handlers.feature import FeatureHandlers
from handlers.forms import current_form, data, drop_form, end_form, new_form, pattern, read_button
from handlers.invites import NAME_MAX, clean_name
from handlers.menus import refresh_person_menu
from storage import audit, invites, loans, people

NEW_LOAN = CommandSpec("pinjaman_baru", "newloan", frozenset({Role.TREASURER, Role.ADMIN}))
COMMANDS = (NEW_LOAN,)
KIND = "newloan"
BUSINESS_MAX = 80
FUTURE_DAYS = 31
PAST_YEARS = 5
ORDER = ("who", "principal", "date", "tenor", "grace", "fee", "business")
EDITABLE = ("who", "principal", "date", "tenor", "grace", "fee", "business")


class S(StrEnum):
    WHO = "newloan.who"
    NAME = "newloan.name"
    PHONE = "newloan.phone"
    PRINCIPAL = "newloan.principal"
    DATE = "newloan.date"
    TENOR = "newloan.tenor"
    GRACE = "newloan.grace"
    FEE = "newloan.fee"
    BUSINESS = "newloan.business"
    CONFIRM = "newloan.confirm"


_STATE = {
    "who": S.WHO,
    "name": S.NAME,
    "phone": S.PHONE,
    "principal": S.PRINCIPAL,
    "date": S.DATE,
    "tenor": S.TENOR,
    "tenor_other": S.TENOR,
    "grace": S.GRACE,
    "grace_other": S.GRACE,
    "fee": S.FEE,
    "business": S.BUSINESS,
}


def _terms(form: dict) -> LoanTerms:
    return LoanTerms(
        form["principal"],
        date.fromisoformat(form["disbursed_on"]),
        form["tenor"],
        form["grace"],
        Decimal(form["fee"]),
    )


def parse_fee(text: str) -> Decimal | None:
    """``0``, ``0,5``, ``1.25 %`` → Decimal percent (0–10, two decimals at most); None when not valid."""
    raw = text.strip().rstrip("%").strip().replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    if (
        not value.is_finite()
        or value < 0
        or value > MAX_FEE_PERCENT
        or value != value.quantize(Decimal("0.01"))
    ):
        return None
    return value.normalize() if value else Decimal(0)


async def ask(update: Update, context: Context, who: Who, form: dict, step: str, **ctx: Any) -> str:
    """Ask the question of ``step`` (with its buttons) and return its state."""
    form["step"] = step
    lang = who.lang
    rows: list[list[tuple[str, str]]] = []
    if step == "who":
        rows = [
            *borrower_rows(KIND, form, ctx.pop("found", [])),
            [button("newloan.new_borrower", lang, data(KIND, form, "new"))],
        ]
    elif step == "date":
        rows = [[button("cash.today", lang, data(KIND, form, "date", "today"))]]
    elif step == "tenor":
        rows = [
            [(f"{n}", data(KIND, form, "tenor", n)) for n in (12, 18)]
            + [button("newloan.other", lang, data(KIND, form, "tenor", "other"))]
        ]
    elif step == "grace":
        rows = [
            [(f"{n}", data(KIND, form, "grace", n)) for n in (0, 1, 2, 3)]
            + [button("newloan.other", lang, data(KIND, form, "grace", "other"))]
        ]
    elif step == "fee":
        rows = [[("0%", data(KIND, form, "fee", "0"))]]
    elif step == "business":
        rows = [[button("skip", lang, data(KIND, form, "skip"))]]
    await send(
        update,
        context,
        who,
        "new_loan/ask",
        step=step,
        form=form,
        reply_markup=keyboard(rows) if rows else None,
        min_principal=MIN_PRINCIPAL,
        max_principal=MAX_PRINCIPAL,
        min_tenor=MIN_TENOR_MONTHS,
        max_tenor=MAX_TENOR_MONTHS,
        max_grace=MAX_GRACE_MONTHS,
        max_fee=MAX_FEE_PERCENT,
        **ctx,
    )
    return _STATE[step]


async def invalid(update: Update, context: Context, who: Who, form: dict, code: str, **params: Any) -> str:
    await send(
        update,
        context,
        who,
        "new_loan/invalid",
        code=code,
        name_max=NAME_MAX,
        min_principal=MIN_PRINCIPAL,
        max_principal=MAX_PRINCIPAL,
        min_tenor=MIN_TENOR_MONTHS,
        max_tenor=MAX_TENOR_MONTHS,
        min_grace=MIN_GRACE_MONTHS,
        max_grace=MAX_GRACE_MONTHS,
        max_fee=MAX_FEE_PERCENT,
        future_days=FUTURE_DAYS,
        past_years=PAST_YEARS,
        business_max=BUSINESS_MAX,
        **params,
    )
    return await reask(update, context, who, form)


async def reask(update: Update, context: Context, who: Who, form: dict) -> str:
    step = form.get("step", "who")
    if step == "confirm":
        return await summary(update, context, who, form)
    return await ask(update, context, who, form, step)


async def advance(update: Update, context: Context, who: Who, form: dict, done: str) -> str:
    """After ``done`` was answered: back to the summary when editing, else the next step."""
    if form.get("editing") or done == "business":
        return await summary(update, context, who, form)
    return await ask(update, context, who, form, ORDER[ORDER.index(done) + 1])


async def summary(update: Update, context: Context, who: Who, form: dict) -> str:
    form["step"] = "confirm"
    form["editing"] = True
    first = build_schedule(_terms(form))[0]
    lang = who.lang
    edit = [button(f"newloan.edit_{f}", lang, data(KIND, form, "edit", f)) for f in EDITABLE]
    rows = [edit[i : i + 2] for i in range(0, len(edit), 2)]
    rows.append(
        [button("confirm", lang, data(KIND, form, "ok")), button("cancel", lang, data(KIND, form, "no"))]
    )
    await send(
        update,
        context,
        who,
        "new_loan/summary",
        form=form,
        disbursed_on=date.fromisoformat(form["disbursed_on"]),
        fee=Decimal(form["fee"]),
        first=first,
        reply_markup=keyboard(rows),
    )
    return S.CONFIRM


@guarded(NEW_LOAN)
async def begin(update: Update, context: Context, who: Who) -> str:
    return await ask(update, context, who, new_form(context, KIND), "who")


@guarded(NEW_LOAN)
async def on_text(update: Update, context: Context, who: Who) -> str | int:
    form = current_form(context, KIND)
    if form is None:
        return ConversationHandler.END
    assert update.message is not None
    text = update.message.text or ""
    step = form.get("step", "who")
    today = clock.local_today(app_of(context).settings.timezone)
    if step == "who":
        found = await search_borrowers(context, who, text)
        if not found:
            return await invalid(update, context, who, form, "not_found", text=text.strip()[:60])
        return await ask(update, context, who, form, "who", found=found, count=len(found))
    if step == "name":
        name = clean_name(text)
        if name is None:
            return await invalid(update, context, who, form, "name")
        form["new_name"] = name
        return await ask(update, context, who, form, "phone")
    if step == "phone":
        try:
            phone = normalize_phone(text)
        except PhoneError as exc:
            return await invalid(update, context, who, form, "phone_" + exc.code)
        existing = await people.by_phone(app_of(context).db, phone, who.kelurahan)
        form.update(
            borrower_id=None if existing is None else existing.id,
            phone=phone,
            name=form["new_name"] if existing is None else existing.name,
            existing=existing is not None,
        )
        return await advance(update, context, who, form, "who")
    if step == "principal":
        try:
            amount = parse_amount(text)
        except AmountError as exc:
            return await invalid(update, context, who, form, "amount_" + exc.code)
        if not MIN_PRINCIPAL <= amount <= MAX_PRINCIPAL:
            return await invalid(update, context, who, form, "principal_range", value=amount)
        form["principal"] = amount
        return await advance(update, context, who, form, "principal")
    if step == "date":
        try:
            day = parse_date(text, today, prefer="past")
        except DateError as exc:
            return await invalid(update, context, who, form, "date_" + exc.code)
        return await _date(update, context, who, form, day, today)
    if step in ("tenor_other", "grace_other"):
        field = step.removesuffix("_other")
        low, high = (
            (MIN_TENOR_MONTHS, MAX_TENOR_MONTHS) if field == "tenor" else (MIN_GRACE_MONTHS, MAX_GRACE_MONTHS)
        )
        value = text.strip().split()[0] if text.strip() else ""
        if not value.isdigit() or not low <= int(value) <= high:
            return await invalid(update, context, who, form, f"{field}_range")
        form[field] = int(value)
        return await advance(update, context, who, form, field)
    if step == "fee":
        fee = parse_fee(text)
        if fee is None:
            return await invalid(update, context, who, form, "fee")
        form["fee"] = str(fee)
        return await advance(update, context, who, form, "fee")
    if step == "business":
        business = " ".join(text.split())
        if len(business) > BUSINESS_MAX:
            return await invalid(update, context, who, form, "business_too_long")
        form["business"] = business or None
        return await advance(update, context, who, form, "business")
    await send(update, context, who, "common/use_buttons")
    return await reask(update, context, who, form)


async def _date(update: Update, context: Context, who: Who, form: dict, day: date, today: date) -> str:
    if day > today + timedelta(days=FUTURE_DAYS):
        return await invalid(update, context, who, form, "date_too_far", day=day)
    if day < add_months(today, -12 * PAST_YEARS):  # not .replace(year=…): 29 February has no match
        return await invalid(update, context, who, form, "date_too_old", day=day)
    form["disbursed_on"] = day.isoformat()
    return await advance(update, context, who, form, "date")


@guarded(NEW_LOAN)
async def on_button(update: Update, context: Context, who: Who) -> str | int | None:
    pressed = await read_button(update, context, who, KIND)
    if pressed is None:
        return None
    form, action, value = pressed
    step = form.get("step")
    db = app_of(context).db
    if step == "who" and action == "who" and value.isdigit() and int(value) in form.get("candidates", []):
        person = await people.get(db, int(value))
        assert person is not None
        form.update(borrower_id=person.id, name=person.name, phone=person.phone, existing=True)
        return await advance(update, context, who, form, "who")
    if step == "who" and action == "new":
        return await ask(update, context, who, form, "name")
    if step == "date" and action == "date" and value == "today":
        today = clock.local_today(app_of(context).settings.timezone)
        return await _date(update, context, who, form, today, today)
    if step in ("tenor", "grace") and action == step:
        if value == "other":
            return await ask(update, context, who, form, f"{step}_other")
        if value.isdigit():
            form[step] = int(value)
            return await advance(update, context, who, form, step)
    if step == "fee" and action == "fee" and value == "0":
        form["fee"] = "0"
        return await advance(update, context, who, form, "fee")
    if step == "business" and action == "skip":
        form["business"] = None
        return await advance(update, context, who, form, "business")
    if step == "confirm" and action == "edit" and value in EDITABLE:
        return await ask(update, context, who, form, value)
    if step == "confirm" and action == "no":
        return await drop_form(update, context, who)
    if step == "confirm" and action == "ok":
        return await finish(update, context, who, form)
    await send(update, context, who, "common/use_buttons")
    return await reask(update, context, who, form)


async def finish(update: Update, context: Context, who: Who, form: dict) -> str | int:
    app = app_of(context)
    user = who.require()
    kel = user.kelurahan_code
    assert kel is not None
    link = None
    try:
        async with app.db.transaction() as tx:
            borrower = None if form.get("borrower_id") is None else await people.get(tx, form["borrower_id"])
            if borrower is not None and borrower.kelurahan_code != kel:
                borrower = None
            if borrower is None:
                borrower = await people.create(
                    tx,
                    name=form["name"],
                    kelurahan_code=kel,
                    phone=form.get("phone"),
                    roles=[Role.BORROWER],
                    language=app.settings.language,
                )
            elif Role.BORROWER not in borrower.roles:
                await people.add_role(tx, borrower.id, Role.BORROWER)
            loan = await loans.create(
                tx,
                borrower_id=borrower.id,
                kelurahan_code=kel,
                terms=_terms(form),
                business=form.get("business"),
                created_by=user.id,
            )
            if not borrower.linked:
                invite, token = await invites.create(
                    tx, person_id=borrower.id, role=Role.BORROWER, now=clock.utcnow(), created_by=user.id
                )
                await audit.record(
                    tx,
                    "invite.created",
                    actor_person_id=user.id,
                    entity="invite",
                    entity_id=invite.id,
                    kelurahan_code=kel,
                    details={"person_id": borrower.id, "role": str(Role.BORROWER), "via": "newloan"},
                )
                link = (
                    deep_link(app.settings.bot_username or context.bot.username, token),
                    invites.parse_expiry(invite),
                )
    except LoanTermsError as exc:  # cannot happen after the step checks; kept as a guard
        return await invalid(update, context, who, form, "terms_" + exc.code)
    end_form(context)
    first = build_schedule(_terms(form))[0]
    await send(
        update,
        context,
        who,
        "new_loan/created",
        loan=loan,
        name=borrower.name,
        first=first,
        link=None if link is None else link[0],
        expires_at=None if link is None else link[1],
    )
    if borrower.linked and Role.BORROWER not in borrower.roles:  # a new role: /bayar and /pinjaman in the menu
        fresh = await people.get(app.db, borrower.id)
        assert fresh is not None
        await refresh_person_menu(context.bot, fresh)
    return ConversationHandler.END


@guarded(NEW_LOAN)
async def not_text(update: Update, context: Context, who: Who) -> str | int:
    form = current_form(context, KIND)
    if form is None:
        return ConversationHandler.END
    await send(update, context, who, "errors/not_text")
    return await reask(update, context, who, form)


def handlers() -> FeatureHandlers:
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    common = [
        CallbackQueryHandler(on_button, pattern=pattern(KIND)),
        MessageHandler(text, on_text),
        MessageHandler(other, not_text),
    ]
    return FeatureHandlers(
        form_entry_points=[CommandHandler(list(NEW_LOAN.names), begin)],
        form_states={state: common for state in S},
    )
