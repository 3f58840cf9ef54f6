"""``/pinjaman_baru`` (``/newloan``), for treasurers and admins: register a loan in the bot. A declared form
(:data:`FORM`, run by :mod:`handlers.forms.engine`; one template per step, ``new_loan/ask_<step>``)::

    who [a name typed → borrower buttons | Peminjam baru → name → phone]
      ─► principal (Rp1–25 juta) ─► date [Hari ini | typed] ─► tenor [12 | 18 | Lainnya | a number typed]
      ─► grace [0 | 1 | 2 | 3 | Lainnya | typed] ─► fee [0% | typed, e.g. 0,5] ─► business [typed | Lewati]
      ─► summary with the first instalment, an [Ubah …] button per field, [Konfirmasi] [Batal] ─► create_loan

Decisions:

- Existing borrowers are searched in the user's own kelurahan only; only offered ids are accepted.
- A new borrower needs a name and a mobile number. When that number already belongs to a person of the
  kelurahan, the loan is registered for that person (no duplicate) and the summary says so.
- Disbursement date: from 5 years ago up to 31 days ahead (a loan is often registered the week before the
  money is handed over); parsed with ``prefer="past"``; an inferred one ("senin") is shown back.
- Tenor and grace: a number typed at the question counts like its button; *Lainnya* asks for any number.
- Fee: 0–10 % per month with at most two decimals, ``,`` or ``.`` as the decimal mark, an optional ``%``.
- On Konfirmasi, :func:`bot.services.loans.create_loan` writes the borrower (if new), the loan with its
  schedule and, for a borrower not on Telegram, an invite, in one transaction; its link is shown once.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.domain.commands import CommandSpec
from bot.domain.invite_tokens import deep_link
from bot.domain.loans import (
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
from bot.domain.parsing.errors import AmountError, ParseError, PhoneError
from bot.domain.parsing.money import parse_amount_ex
from bot.domain.parsing.phone import normalize_phone
from bot.domain.roles import Role
from bot.services.loans import create_loan
from handlers.cash import search_borrowers
from handlers.common import app_of
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Form, Option, Options, Step, Summary, Turn, read_date
from handlers.invites import NAME_MAX, clean_name
from handlers.menus import refresh_person_menu
from messages import label
from storage import invites, people

NEW_LOAN = CommandSpec("pinjaman_baru", "newloan", frozenset({Role.TREASURER, Role.ADMIN}))
COMMANDS = (NEW_LOAN,)
KIND = "newloan"
BUSINESS_MAX = 80
FUTURE_DAYS = 31
PAST_YEARS = 5
#: the fields an [Ubah …] button of the summary asks again (field, label key)
EDITS = (("who", "newloan.edit_who"), ("principal", "newloan.edit_principal"),
         ("disbursed_on", "newloan.edit_date"), ("tenor", "newloan.edit_tenor"), ("grace", "newloan.edit_grace"),
         ("fee", "newloan.edit_fee"), ("business", "newloan.edit_business"))
#: what an edit clears besides its own field
CLEARS = {"who": ("found", "new_name", "phone", "borrower_id", "name", "existing"), "tenor": ("tenor_other",),
          "grace": ("grace_other",)}
LIMITS = {"name_max": NAME_MAX, "min_principal": MIN_PRINCIPAL, "max_principal": MAX_PRINCIPAL,
          "min_tenor": MIN_TENOR_MONTHS, "max_tenor": MAX_TENOR_MONTHS, "min_grace": MIN_GRACE_MONTHS,
          "max_grace": MAX_GRACE_MONTHS, "max_fee": MAX_FEE_PERCENT, "future_days": FUTURE_DAYS,
          "past_years": PAST_YEARS, "business_max": BUSINESS_MAX}


def _terms(form: dict) -> LoanTerms:
    return LoanTerms(form["principal"], date.fromisoformat(form["disbursed_on"]), form["tenor"], form["grace"],
                     Decimal(form["fee"]))


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


def _today(turn: Turn) -> date:
    return turn.today()


async def _context(turn: Turn) -> dict[str, Any]:
    """What every question and refusal of this form may show: the draft so far and the limits."""
    return {"form": turn.data, **LIMITS}


# --- who: a search step ---------------------------------------------------------------------------------------
async def _who_options(turn: Turn) -> Options:
    found = [[Option(str(p["id"]), p["name"])] for p in turn.data.get("found", [])]
    return [*found, [Option("new", label("newloan.new_borrower", turn.lang))]]


async def _search(text: str, turn: Turn) -> list[dict[str, Any]]:
    found = await search_borrowers(turn.context, turn.who, text)
    if not found:
        raise ParseError("not_found", text=text.strip()[:60])
    return [{"id": p.id, "name": p.name} for p in found]


async def _who_context(turn: Turn) -> dict[str, Any]:
    found = turn.data.get("found")
    return {**await _context(turn), **({} if found is None else {"count": len(found)})}


async def _accept_who(turn: Turn, value: str | list) -> dict[str, Any]:
    if isinstance(value, list):  # a search: the same question again, with the borrowers found as buttons
        return {"found": value}
    if value == "new":
        return {"who": "new"}
    person = await people.get(turn.db, int(value))
    if person is None or person.kelurahan_code != turn.who.kelurahan:
        raise ParseError("not_found", text="")
    return {"who": "existing", "borrower_id": person.id, "name": person.name, "phone": person.phone,
            "existing": True}


def _new(data: dict) -> bool:
    return data.get("who") == "new"


def _parse_name(text: str, turn: Turn) -> str:
    name = clean_name(text)
    if name is None:
        raise ParseError("name")
    return name


def _parse_phone(text: str, turn: Turn) -> str:
    try:
        return normalize_phone(text)
    except PhoneError as exc:
        raise ParseError("phone_" + exc.code) from exc


async def _accept_phone(turn: Turn, phone: str) -> dict[str, Any]:
    existing = await people.by_phone(turn.db, phone, turn.who.kelurahan)
    return {"phone": phone, "borrower_id": None if existing is None else existing.id,
            "name": turn.data["new_name"] if existing is None else existing.name, "existing": existing is not None}


# --- the terms ------------------------------------------------------------------------------------------------
def _parse_principal(text: str, turn: Turn) -> int:
    try:
        amount, spelled = parse_amount_ex(text)
    except AmountError as exc:
        raise ParseError("amount_" + exc.code, **exc.params) from exc
    if not MIN_PRINCIPAL <= amount <= MAX_PRINCIPAL:
        raise ParseError("principal_range", value=amount)
    if spelled:  # in words: show what was understood before the next question
        turn.echo("common/read_as", amount=amount)
    return amount


async def _date_options(turn: Turn) -> Options:
    return [[Option("today", label("cash.today", turn.lang))]]


def _parse_date(text: str, turn: Turn) -> str:
    today = _today(turn)
    day = read_date(turn, text, code_prefix="date_")  # "tgl 25", "senin", "2 hari lalu" are shown back
    if day > today + timedelta(days=FUTURE_DAYS):
        raise ParseError("date_too_far", day=day)
    if day < add_months(today, -12 * PAST_YEARS):  # not .replace(year=…): 29 February has no match
        raise ParseError("date_too_old", day=day)
    return day.isoformat()


async def _accept_date(turn: Turn, value: str) -> dict[str, Any]:
    return {"disbursed_on": _today(turn).isoformat() if value == "today" else value}


def _months_step(name: str, presets: tuple[int, ...], low: int, high: int) -> Step:
    """Tenor or grace: preset buttons and *Lainnya*; a number typed counts like its button."""

    async def options(turn: Turn) -> Options:
        return [[*(Option(str(n), str(n)) for n in presets), Option("other", label("newloan.other", turn.lang))]]

    def parse(text: str, turn: Turn) -> int:
        value = text.strip().split()[0] if text.strip() else ""
        if not value.isdigit() or not low <= int(value) <= high:
            raise ParseError(f"{name}_range")
        return int(value)

    async def accept(turn: Turn, value: int | str) -> dict[str, Any]:
        if value == "other":
            return {f"{name}_other": True}  # the same question again, asking for the number
        return {name: int(value)}

    return Step(name, f"new_loan/ask_{name}", options=options, parse=parse, accept=accept,
                invalid="new_loan/invalid", context=_context)


async def _fee_options(turn: Turn) -> Options:
    return [[Option("0", "0%")]]


def _parse_fee(text: str, turn: Turn) -> str:
    fee = parse_fee(text)
    if fee is None:
        raise ParseError("fee")
    return str(fee)


def _parse_business(text: str, turn: Turn) -> str | None:
    business = " ".join(text.split())
    if len(business) > BUSINESS_MAX:
        raise ParseError("business_too_long")
    return business or None


async def _summary_context(turn: Turn) -> dict[str, Any]:
    form = turn.data
    return {"form": form, "disbursed_on": date.fromisoformat(form["disbursed_on"]), "fee": Decimal(form["fee"]),
            "first": build_schedule(_terms(form))[0]}


async def _create(turn: Turn) -> None:
    form = turn.data
    user = turn.who.require()
    kel = user.kelurahan_code
    assert kel is not None
    app = app_of(turn.context)
    try:
        made = await create_loan(turn.db, kelurahan_code=kel, terms=_terms(form), business=form.get("business"),
                                 created_by=user.id, borrower_id=form.get("borrower_id"), name=form["name"],
                                 phone=form.get("phone"), language=app.settings.language, now=turn.now(),
                                 draft_of=turn.user_id)
    except LoanTermsError as exc:  # cannot happen after the step checks; kept as a guard
        await turn.say("new_loan/invalid", code="terms_" + exc.code, **LIMITS)
        await turn.advance()
        return
    link = expires_at = None
    if made.invite is not None and made.token is not None:
        link = deep_link(app.settings.bot_username or turn.context.bot.username, made.token)
        expires_at = invites.parse_expiry(made.invite)
    await turn.say("new_loan/created", loan=made.loan, name=made.borrower.name,
                   first=build_schedule(_terms(form))[0], link=link, expires_at=expires_at)
    if made.borrower.linked and made.new_role:  # a new role: /bayar and /pinjaman in the menu
        fresh = await people.get(turn.db, made.borrower.id)
        assert fresh is not None
        await refresh_person_menu(turn.context.bot, fresh)


FORM = Form(
    kind=KIND,
    command=NEW_LOAN,
    steps=(
        Step("who", "new_loan/ask_who", options=_who_options, parse=_search, accept=_accept_who,
             invalid="new_loan/invalid", context=_who_context),
        Step("name", "new_loan/ask_name", field="new_name", parse=_parse_name, when=_new,
             invalid="new_loan/invalid", context=_context),
        Step("phone", "new_loan/ask_phone", parse=_parse_phone, accept=_accept_phone, when=_new,
             invalid="new_loan/invalid", context=_context),
        Step("principal", "new_loan/ask_principal", parse=_parse_principal, invalid="new_loan/invalid",
             context=_context),
        Step("date", "new_loan/ask_date", field="disbursed_on", options=_date_options, parse=_parse_date,
             accept=_accept_date, invalid="new_loan/invalid", context=_context),
        _months_step("tenor", (12, 18), MIN_TENOR_MONTHS, MAX_TENOR_MONTHS),
        _months_step("grace", (0, 1, 2, 3), MIN_GRACE_MONTHS, MAX_GRACE_MONTHS),
        Step("fee", "new_loan/ask_fee", options=_fee_options, parse=_parse_fee, invalid="new_loan/invalid",
             context=_context),
        Step("business", "new_loan/ask_business", parse=_parse_business, skip=True, invalid="new_loan/invalid",
             context=_context),
    ),
    summary=Summary("new_loan/summary", edits=EDITS, context=_summary_context, clears=CLEARS, per_row=2,
                    cancel=True),
    finish=_create,
)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(forms=[FORM])
