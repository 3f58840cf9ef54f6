"""The instalment card (kartu angsuran, issue 15 part 2): ``/kartu`` (``/card``) sends a loan's card as a PDF
(:func:`messages.documents.card_pdf`, from :func:`storage.reports.card.card`).

* A borrower gets the card of their loan; with several loans, one button per loan (``card:<loan id>``).
* A treasurer, the lurah or an admin gets a declared form (:data:`STAFF_FORM`, opened by ``/kartu``): a
  borrower's name → the borrower (buttons) → the loan, when they have several → the PDF. The 🗂 buttons under a
  loan detail (``/pinjaman``, ``/peminjam``) send the same card.
* ``card:<loan id>`` is checked like a receipt: the loan's borrower, or staff of its kelurahan; anyone else (a
  forged id) gets ``errors/not_allowed``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Any

from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.commands import CommandSpec
from bot.domain.parsing.errors import ParseError
from bot.domain.roles import Role
from handlers.common import Context, Who, answer_callback, app_of, button, guarded, keyboard, send
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Form, Option, Options, Step, Turn, open_form
from handlers.receipts import STAFF, may_see
from messages import label, normalise_language, render, rupiah, tanggal
from messages.documents import card_pdf
from storage import drafts, loans, people
from storage.loans import Loan
from storage.reports import card as card_model

log = logging.getLogger(__name__)

CARD = CommandSpec("kartu", "card", frozenset({Role.BORROWER, Role.TREASURER, Role.LURAH, Role.ADMIN}))
COMMANDS = (CARD,)
KIND = "kt"


async def send_card(context: Context, chat_id: int, loan_id: int, lang: str) -> bool:
    """Render the loan's card as of today (WITA) and send it to a chat; False on a Telegram error (logged)."""
    app = app_of(context)
    lang = normalise_language(lang)
    card = await card_model.card(app.db, loan_id, app.today())
    if card is None:
        return False
    caption = render("card/caption", lang, tz=app.settings.timezone, card=card)
    try:
        pdf = await asyncio.to_thread(card_pdf, card, lang)  # CPU-bound: other chats go on meanwhile
        document = InputFile(pdf, filename=f"kartu-angsuran-{loan_id}.pdf")
        await context.bot.send_document(chat_id, document, caption=caption, parse_mode=ParseMode.HTML)
    except TelegramError:
        log.warning("could not send the card of loan %s to chat %s", loan_id, chat_id, exc_info=True)
        return False
    return True


def card_button(loan: Loan, lang: str) -> tuple[str, str]:
    return button("receipt.card", lang, f"card:{loan.id}", principal=rupiah(loan.principal, lang))


async def _own_cards(update: Update, context: Context, who: Who) -> None:
    person = who.require()
    own = await loans.for_borrower(app_of(context).db, person.id, include_closed=True)
    chat = update.effective_chat
    if not own:
        await send(update, context, who, "card/none")
    elif len(own) == 1 and chat is not None:
        if not await send_card(context, chat.id, own[0].id, who.lang):
            await send(update, context, who, "receipts/send_failed")
    else:
        await send(update, context, who, "card/pick_loan",
                   reply_markup=keyboard([[card_button(loan, who.lang)] for loan in own]))


@guarded(CARD)
async def card_command(update: Update, context: Context, who: Who) -> None:
    if who.require().has_any(STAFF):
        await open_form(STAFF_FORM, update, context, who)
    else:
        await _own_cards(update, context, who)


@guarded(CARD)
async def card_pressed(update: Update, context: Context, who: Who) -> None:
    assert update.callback_query is not None
    raw = (update.callback_query.data or "").partition(":")[2]
    loan = await loans.get(app_of(context).db, int(raw)) if raw.isdigit() else None
    if loan is None or not may_see(who.person, loan.kelurahan_code, loan.borrower_id):
        await answer_callback(update, who, "errors/not_allowed", alert=True)
        return
    await answer_callback(update, who)
    chat = update.effective_chat
    if chat is not None and not await send_card(context, chat.id, loan.id, who.lang):
        await send(update, context, who, "receipts/send_failed")


# --- staff: a declared form ---------------------------------------------------------------------------------


async def _search(text: str, turn: Turn) -> list[dict[str, Any]]:
    """Borrowers of the user's kelurahan by name (the user included: reading a card is no maker-checker act)."""
    text = " ".join(text.split())
    found = [] if len(text) < 2 or turn.who.kelurahan is None else await people.search_by_name(
        turn.db, turn.who.kelurahan, text, role=Role.BORROWER, limit=8)
    if not found:
        raise ParseError("not_found", text=text.strip()[:60])
    return [{"id": p.id, "name": p.name} for p in found]


async def _found_options(turn: Turn) -> Options:
    return [[Option(str(p["id"]), p["name"])] for p in turn.data.get("found", [])]


async def _who_context(turn: Turn) -> dict[str, Any]:
    found = turn.data.get("found")
    return {} if found is None else {"count": len(found)}


async def _accept_who(turn: Turn, value: str | list) -> dict[str, Any]:
    if isinstance(value, list):  # a search: the same question again, with the borrowers found as buttons
        return {"found": value}
    person = await people.get(turn.db, int(value))
    if person is None or person.kelurahan_code != turn.who.kelurahan:
        raise ParseError("not_found", text="")
    own = await loans.for_borrower(turn.db, person.id, include_closed=True)
    if not own:
        raise ParseError("no_loans", name=person.name)
    stored: dict[str, Any] = {"who": person.id, "name": person.name,
                              "loans": [{"id": ln.id, "principal": ln.principal,
                                         "disbursed_on": ln.disbursed_on.isoformat()} for ln in own]}
    if len(own) == 1:
        stored["loan_id"] = own[0].id
    return stored


async def _loan_options(turn: Turn) -> Options:
    return [[Option(str(ln["id"]), label("cash.loan", turn.lang, principal=rupiah(ln["principal"], turn.lang),
                                         date=tanggal(date.fromisoformat(ln["disbursed_on"]), turn.lang)))]
            for ln in turn.data.get("loans", [])]


async def _accept_loan(turn: Turn, value: str) -> dict[str, Any]:
    return {"loan_id": int(value)}  # an offered value (engine-checked)


async def _form_context(turn: Turn) -> dict[str, Any]:
    return {"form": turn.data}


async def _finish(turn: Turn) -> None:
    loan = await loans.get(turn.db, turn.data["loan_id"])
    await drafts.delete(turn.db, turn.user_id)
    chat = turn.update.effective_chat
    if loan is None or loan.kelurahan_code != turn.who.kelurahan or chat is None:
        await turn.say("card/invalid", code="not_found", text="")
        return
    if not await send_card(turn.context, chat.id, loan.id, turn.lang):
        await turn.say("receipts/send_failed")


STAFF_FORM = Form(
    kind=KIND,
    command=None,
    roles=STAFF,
    steps=(
        Step("who", "card/ask_who", options=_found_options, parse=_search, accept=_accept_who,
             invalid="card/invalid", context=_who_context),
        Step("loan", "card/ask_loan", field="loan_id", options=_loan_options, accept=_accept_loan,
             context=_form_context),
    ),
    finish=_finish,
)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(
        forms=[STAFF_FORM],
        handlers=[
            CommandHandler(list(CARD.names), card_command),
            CallbackQueryHandler(card_pressed, pattern=r"^card:\d+$"),
        ],
    )
