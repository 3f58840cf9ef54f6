"""``/laporan`` (``/report``): the monthly report (LPJ) as a document. A declared form
(:mod:`handlers.forms.engine`).

State diagram (treasurer, lurah, admin: their kelurahan; city staff: the city report)::

    /laporan ─► month [the last 3 months | typed, e.g. 11/2026] ─► format [XLSX | PDF] (kelurahan only;
             the city report is XLSX) ─► the file, as a document

The monthly message of the 1st (``lpj/monthly``, :mod:`bot.jobs.lpj`) carries two buttons
``lpjf:<YYYY-MM>:<xlsx|pdf>`` that send the same file at once (:func:`file_pressed`). Both paths audit the
download (``report.downloaded``). The figures are as of the month's end, so the file is the same whenever it is
taken (docs/cash-book.md).
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from telegram import InputFile, Update
from telegram.ext import CallbackQueryHandler

from bot.domain.commands import CommandSpec
from bot.domain.lpj import parse_month, previous_months
from bot.domain.roles import Role
from bot.services import reports as report_service
from handlers.cash_book import month_label, read_month
from handlers.common import Context, Who, alongside, answer_callback, app_of, guarded, send
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Form, Option, Options, Step, Turn
from messages import label, render
from messages.reports import file_name
from messages.reports.pdf import kelurahan_pdf
from messages.reports.xlsx import city_xlsx, kelurahan_xlsx

REPORT = CommandSpec("laporan", "report", frozenset({Role.TREASURER, Role.LURAH, Role.ADMIN, Role.CITY}))
COMMANDS = (REPORT,)
KIND = "lap"
FILE_PREFIX = "lpjf"
FORMATS = ("xlsx", "pdf")


def scope_of(who: Who) -> str | None:
    """``city`` for city staff without a kelurahan role, else the person's kelurahan (None: neither)."""
    person = who.person
    if person is None:
        return None
    if person.has_any({Role.TREASURER, Role.LURAH, Role.ADMIN}) and person.kelurahan_code:
        return person.kelurahan_code
    return "city" if person.has_any({Role.CITY}) else None


async def _month_options(turn: Turn) -> Options:
    return [[Option(f"{y:04d}-{m:02d}", month_label(y, m, turn.lang))] for y, m in previous_months(turn.today())]


def _parse_month(text: str, turn: Turn) -> str:
    return read_month(text, turn.today())


async def _accept_month(turn: Turn, value: str) -> dict[str, Any]:
    return {"month": value, "scope": "city" if scope_of(turn.who) == "city" else "kelurahan"}


async def _month_context(turn: Turn) -> dict[str, Any]:
    return {"city": scope_of(turn.who) == "city"}


async def _format_options(turn: Turn) -> Options:
    return [[Option(f, label(f"lpj.format_{f}", turn.lang)) for f in FORMATS]]


async def _format_context(turn: Turn) -> dict[str, Any]:
    year, month = parse_month(turn.data["month"])
    return {"month_label": month_label(year, month, turn.lang)}


async def _city_file(reads: Any, year: int, mon: int, tz: tzinfo, lang: str) -> bytes:
    """The city's report as XLSX (run in the worker process, :meth:`storage.db.Database.off_loop`)."""
    return city_xlsx(await report_service.city_report(reads, year, mon, tz), year, mon, lang)


async def _kelurahan_file(reads: Any, code: str, year: int, mon: int, tz: tzinfo, lang: str, fmt: str
                          ) -> tuple[Any, bytes]:
    """A kelurahan's report and its file (run in the worker process)."""
    report = await report_service.kelurahan_report(reads, code, year, mon, tz)
    return report, kelurahan_xlsx(report, lang) if fmt == "xlsx" else kelurahan_pdf(report, lang)


async def send_report(update: Update, context: Context, who: Who, month: str, fmt: str) -> tuple[str, str] | None:
    """Build and send the file for ``who``'s scope; returns (scope, format) sent, None when there is no scope."""
    scope = scope_of(who)
    if scope is None:
        return None
    app = app_of(context)
    year, mon = parse_month(month)
    tz = app.settings.timezone
    # Long work (seconds of CPU for the city): read, computed and rendered off the event loop, in a worker
    # process on a read-only connection of its own (Database.off_loop), so other users' replies don't wait for it.
    if scope == "city":
        fmt = "xlsx"
        content = await app.db.off_loop(_city_file, year, mon, tz, who.lang)
        name = file_name(None, year, mon, "xlsx", city=True)
        caption_ctx: dict[str, Any] = {"city": True, "name": None, "later": 0}
    else:
        report, content = await app.db.off_loop(_kelurahan_file, scope, year, mon, tz, who.lang, fmt)
        name = file_name(report, year, mon, fmt)
        caption_ctx = {"city": False, "name": report.name, "later": len(report.later)}
    caption = render("lpj/caption", who.lang, month_label=month_label(year, mon, who.lang), fmt=fmt, **caption_ctx)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(chat.id, InputFile(content, filename=name), caption=caption, parse_mode="HTML")
    return scope, fmt


async def _finish(turn: Turn) -> None:
    data = turn.data
    sent = await send_report(turn.update, turn.context, turn.who, data["month"], data.get("format", "xlsx"))
    await report_service.record_download(
        turn.db, person_id=turn.who.person_id, scope="none" if sent is None else sent[0], month=data["month"],
        fmt="none" if sent is None else sent[1], via="bot", draft_of=turn.user_id)
    if sent is None:
        await turn.say("lpj/no_scope")


@guarded(REPORT)
async def file_pressed(update: Update, context: Context, who: Who) -> None:
    """A button of the monthly message: ``lpjf:<YYYY-MM>:<format>``."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, month, fmt = [*query.data.split(":"), "", ""][:3]
    try:
        parse_month(month)
    except ValueError:
        month = ""
    if not month or fmt not in FORMATS or scope_of(who) is None:
        await answer_callback(update, who, "lpj/no_scope", alert=True)
        return
    await alongside(query.answer())
    sent = await send_report(update, context, who, month, fmt)
    if sent is None:  # cannot happen after the check above; kept as the guard
        await send(update, context, who, "lpj/no_scope")
        return
    await report_service.record_download(app_of(context).db, person_id=who.person_id, scope=sent[0], month=month,
                                         fmt=sent[1], via="monthly")


FORM = Form(
    kind=KIND,
    command=REPORT,
    steps=(
        Step("month", "lpj/ask_month", options=_month_options, parse=_parse_month, accept=_accept_month,
             invalid="kas/invalid", context=_month_context),
        Step("format", "lpj/ask_format", options=_format_options, context=_format_context,
             when=lambda d: d.get("scope") != "city"),
    ),
    finish=_finish,
    entry_points=(CallbackQueryHandler(file_pressed, pattern=rf"^{FILE_PREFIX}:"),),
)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(forms=[FORM])
