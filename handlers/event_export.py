"""The participant list of an event as a spreadsheet (``ev:xlsx:<id>`` on the event's detail), issue 14 item 4.

Decisions:

- **XLSX only.** A CSV opened in Excel turned a NIK such as ``5371054512000003`` into ``5.37105E+15`` (and lost
  its last digit when saved) and ``+62…`` into a number without its plus; LibreOffice does the same unless the
  user picks the column types by hand. An XLSX cell carries its type, so every identifier (NIK, phone, RT/RW) is
  written as a text cell with the text format ``@`` (it stays text when edited, too), dates as dates. Every
  spreadsheet the kelurahan use (Excel, LibreOffice, WPS and Google Sheets on a phone) opens XLSX, so the CSV
  button is gone; an old ``ev:csv:<id>`` button gets the XLSX file.
- **What a role sees.** Coordinators and admins (who register people and call them) get NIK, phone, birth
  date and RT/RW in full. Everyone else with access (the lurah) gets the NIK and phone masked, the birth
  *year* only and no RT/RW column: enough to count and to recognise someone, not to identify them.
"""

from __future__ import annotations

import asyncio
import io
from datetime import date

from telegram import InputFile, Update

from bot.domain.events import SEATED
from bot.services.events import record_export
from handlers.common import Context, Who, app_of
from messages import environment, label, render, shorten
from storage import registrations
from storage.events import Event

#: columns of the full export (coordinators, admins) and of the masked one (the lurah)
FULL_COLUMNS = ("no", "name", "nik", "birth_date", "sex", "phone", "address", "education", "work", "status",
                "waitlist", "registered_at")
MASKED_COLUMNS = ("no", "name", "nik", "birth_year", "sex", "phone", "education", "work", "status", "waitlist",
                  "registered_at")
#: columns written as text whatever they look like (a spreadsheet would make numbers of them)
TEXT_COLUMNS = frozenset({"nik", "phone", "address"})
FORMAT = "xlsx"


async def export_rows(context: Context, who: Who, event: Event, *, full: bool
                      ) -> tuple[tuple[str, ...], list[str], list[list[object]], list[int]]:
    """``(column keys, header, rows, participant ids)`` of the event's participants, for this reader (``full``:
    unmasked); the ids are for the audit line (who saw what, UU 27/2022)."""
    regs = await registrations.event_registrations(app_of(context).db, event.id,
                                                   statuses=[*map(str, SEATED), "waitlisted", "cancelled"])
    mask_nik, mask_phone = environment().filters["mask_nik"], environment().filters["mask_phone"]
    keys = FULL_COLUMNS if full else MASKED_COLUMNS
    header = [label(f"events.col_{k}", who.lang) for k in keys]
    rows: list[list[object]] = []
    for n, r in enumerate(regs, start=1):
        value: dict[str, object] = {
            "no": n, "name": r.participant_name,
            "nik": (r.nik or "") if full else mask_nik(r.nik),
            "birth_date": r.birth_date or "",
            "birth_year": "" if r.birth_date is None else r.birth_date.year,
            "sex": "" if r.sex is None else label(f"registration.sex_{r.sex}", who.lang),
            "phone": (r.phone or "") if full else mask_phone(r.phone),
            "address": r.address or "",
            "education": "" if r.education is None else label(f"registration.edu_{r.education}", who.lang),
            "work": "" if r.work_status is None else label(f"registration.work_{r.work_status}", who.lang),
            "status": label(f"events.reg_{r.status}", who.lang), "waitlist": r.rank or "",
            "registered_at": r.created_at,
        }
        rows.append([value[k] for k in keys])
    return keys, header, rows, sorted({r.participant_id for r in regs})


def xlsx_bytes(title: str, keys: tuple[str, ...], header: list[str], rows: list[list[object]]) -> bytes:
    """One sheet: a bold, frozen header; identifiers as text cells (format ``@``), dates as dates. (openpyxl is
    imported here, not at start-up: docs/performance.md.)"""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]  # Excel's limit for a sheet name
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([str(v) if k in TEXT_COLUMNS and v != "" else v for k, v in zip(keys, row, strict=True)])
    for col, key in enumerate(keys, start=1):
        letter = sheet.cell(row=1, column=col).column_letter
        if key in TEXT_COLUMNS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
                cell.number_format = "@"
                cell.data_type = "s"
        elif key == "birth_date":
            for (cell,) in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
        width = max([len(str(header[col - 1])), *(len(str(r[col - 1])) for r in rows)]) + 2
        sheet.column_dimensions[letter].width = min(width, 50)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def send_export(update: Update, context: Context, who: Who, event: Event, *, full: bool) -> None:
    keys, header, rows, participant_ids = await export_rows(context, who, event, full=full)
    name = label("events.export_file", who.lang, id=event.id, ext=FORMAT)
    # openpyxl is CPU-bound: in a worker thread, so that other chats are served meanwhile (issue 12)
    content = await asyncio.to_thread(xlsx_bytes, label("events.export_sheet", who.lang), keys, header, rows)
    caption = shorten(render("events/export_caption", who.lang, event=event, count=len(rows),
                             masked=not full))  # a caption is at most 1,024 characters
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(chat.id, InputFile(content, filename=name), caption=caption,
                                    parse_mode="HTML")
    await record_export(app_of(context).db, event, by=who.person_id, fmt=FORMAT,
                        rows=len(rows), masked=not full, participants=participant_ids)
