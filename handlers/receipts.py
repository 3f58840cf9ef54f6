"""Receipts (kuitansi) in the bot (issue 15 part 1): the PDF sent as a document, re-sent from a button
(``rcpt:<receipt id>``, on ``/pinjaman`` and the treasurer's borrower detail), the void notice, and
``/cek_kuitansi <number> <code>`` (``/check_receipt``) for any registered user.

Decisions
---------
* The receipt is issued by the service in the transaction that verifies or records the payment; this module only
  delivers it once that has committed. The borrower gets the PDF as a document right after the decision's notice
  (a direct send, like the notices: best effort, silent in quiet hours; a failure is logged and the receipt stays
  re-sendable from ``/pinjaman``). The treasurer gets one line with the number and code, with the PDF itself when
  the borrower is not on Telegram (to print and hand over), else a button to get it.
* The PDF is rendered from the database every time it is asked for, in the asker's language, so a void receipt
  shows as void everywhere; the Telegram ``file_id`` of a sent PDF is kept (``receipts.file_id``) and reused
  only for the same state (:func:`storage.receipts.set_file_id`; voiding clears it) and the Indonesian version.
* Who may get a receipt: its borrower, and the treasurers, lurah and admins of its kelurahan. Anyone else
  (and a forged id) gets ``errors/not_allowed``. ``/cek_kuitansi`` shows the amount, dates and kelurahan of a
  genuine receipt only when the code matches: a guessed number with a wrong code tells nothing. To its borrower
  and their kelurahan's staff the answer also carries the receipt's button (any receipt, not only the latest
  five that ``/pinjaman`` offers).
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.commands import CommandSpec
from bot.domain.quiet_hours import is_quiet
from bot.domain.roles import ALL_ROLES, Role
from bot.services import receipts as receipt_service
from handlers.common import Context, Who, answer_callback, app_of, button, guarded, keyboard, notify_person, send
from handlers.feature import FeatureHandlers
from messages import normalise_language, render
from messages.documents import receipt_pdf
from storage import people, receipts
from storage.people import Person
from storage.receipts import Receipt

log = logging.getLogger(__name__)

CHECK = CommandSpec("cek_kuitansi", "check_receipt", ALL_ROLES, private=False)
COMMANDS = (CHECK,)
STAFF = frozenset({Role.TREASURER, Role.LURAH, Role.ADMIN})


def receipt_button(receipt: Receipt, lang: str) -> tuple[str, str]:
    return button("receipt.get", lang, f"rcpt:{receipt.id}", number=receipt.number)


def may_see(person: Person | None, receipt_kelurahan: str, borrower_id: int) -> bool:
    """The borrower, or a treasurer, lurah or admin of the kelurahan (UU 27/2022: only who needs it)."""
    if person is None or not person.active:
        return False
    if person.id == borrower_id:
        return True
    return person.has_any(STAFF) and person.kelurahan_code == receipt_kelurahan


def _quiet(context: Context) -> bool:
    settings = app_of(context).settings
    if settings.quiet_hours is None:
        return False
    local = app_of(context).now().astimezone(settings.timezone).time()
    return is_quiet(local, *settings.quiet_hours)


async def send_receipt(context: Context, chat_id: int, receipt: Receipt, lang: str) -> Message | None:
    """Render and send the receipt's PDF to a chat (its cached file_id when it still fits); None on a Telegram
    error (logged)."""
    app = app_of(context)
    lang = normalise_language(lang)
    caption = render("receipts/caption", lang, tz=app.settings.timezone, receipt=receipt)
    cached = receipt.file_id if lang == "id" else None
    try:
        if cached:
            document: InputFile | str = cached
        else:
            issued = await receipts.as_issued(app.db, receipt)
            suffix = "-BATAL" if receipt.void else ""
            pdf = await asyncio.to_thread(receipt_pdf, issued, lang)  # CPU-bound: other chats go on meanwhile
            document = InputFile(pdf, filename=f"kuitansi-{receipt.number}{suffix}.pdf")
        message = await context.bot.send_document(chat_id, document, caption=caption, parse_mode=ParseMode.HTML,
                                                  disable_notification=_quiet(context))
    except TelegramError:
        log.warning("could not send receipt %s to chat %s", receipt.number, chat_id, exc_info=True)
        return None
    if not cached and lang == "id" and message.document is not None:
        await receipts.set_file_id(app.db, receipt.id, message.document.file_id, void=receipt.void)
    return message


async def send_to_person(context: Context, person: Person, receipt: Receipt) -> bool:
    """The receipt to someone other than the sender (a borrower), in their language; False when they can't be
    reached (not linked, inactive, blocked the bot) or the send failed."""
    if person.telegram_chat_id is None or not person.active or not person.reachable:
        return False
    return await send_receipt(context, person.telegram_chat_id, receipt, person.language) is not None


async def deliver_issued(update: Update, context: Context, who: Who, receipt: Receipt | None) -> None:
    """After a verification or a cash record has committed: the PDF to the borrower, one line to the treasurer
    (with the PDF when the borrower could not get it)."""
    if receipt is None:
        return
    app = app_of(context)
    borrower = await people.get(app.db, receipt.borrower_id)
    told = borrower is not None and await send_to_person(context, borrower, receipt)
    markup = None if not told else keyboard([[receipt_button(receipt, who.lang)]])
    await send(update, context, who, "receipts/issued", receipt=receipt, told=told, reply_markup=markup)
    chat = update.effective_chat
    if not told and chat is not None:
        await send_receipt(context, chat.id, receipt, who.lang)


async def deliver_voided(context: Context, receipt: Receipt | None) -> bool:
    """After a reversal has committed: tell the borrower their receipt is void (through the outbox, with a
    button to get the void PDF). False when there was no receipt or the borrower can't be told."""
    if receipt is None:
        return False
    borrower = await people.get(app_of(context).db, receipt.borrower_id)
    if borrower is None:
        return False
    lang = normalise_language(borrower.language)
    return await notify_person(context, borrower, "receipts/voided", receipt=receipt,
                               reply_markup=keyboard([[receipt_button(receipt, lang)]]),
                               key=f"receipt-void:{receipt.id}")


@guarded(ALL_ROLES)
async def receipt_pressed(update: Update, context: Context, who: Who) -> None:
    assert update.callback_query is not None
    raw = (update.callback_query.data or "").partition(":")[2]
    receipt = await receipts.get(app_of(context).db, int(raw)) if raw.isdigit() else None
    if receipt is None or not may_see(who.person, receipt.kelurahan_code, receipt.borrower_id):
        await answer_callback(update, who, "errors/not_allowed", alert=True)
        return
    await answer_callback(update, who)
    chat = update.effective_chat
    if chat is not None and await send_receipt(context, chat.id, receipt, who.lang) is None:
        await send(update, context, who, "receipts/send_failed")


@guarded(CHECK)
async def check(update: Update, context: Context, who: Who) -> None:
    args = list(context.args or [])
    if len(args) < 2:
        await send(update, context, who, "receipts/check_usage")
        return
    number, code = " ".join(args[:-1]), args[-1]
    if len(args) > 2 and len(args[-1]) == 4 and len(args[-2]) == 4:  # the code typed with a space: ABCD EFGH
        number, code = " ".join(args[:-2]), args[-2] + args[-1]
    app = app_of(context)
    result = await receipt_service.check_receipt(app.db, number[:40], code[:20],
                                                 receipt_key=app.settings.receipt_key)
    markup = None
    if result.receipt is not None and may_see(who.person, result.receipt.kelurahan_code, result.receipt.borrower_id):
        markup = keyboard([[receipt_button(result.receipt, who.lang)]])  # their own (or their kelurahan's): the PDF
    await send(update, context, who, "receipts/check_result", outcome=str(result.outcome), receipt=result.receipt,
               number=number[:40], reply_markup=markup)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(
        handlers=[
            CommandHandler(list(CHECK.names), check),
            CallbackQueryHandler(receipt_pressed, pattern=r"^rcpt:\d+$"),
        ],
    )
