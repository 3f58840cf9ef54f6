"""The monthly report as XLSX (openpyxl): a kelurahan's four sheets, and the city's sheet with its chart.

Amounts are numbers (whole rupiah, shown ``#,##0``), rates are fractions shown as percentages, dates are dates: an
auditor can add them up in Excel. The summary sheet is three columns: the item, its value (a count, an amount or a
rate), and for the kolektibilitas and confirmation rows the amount beside the count.

openpyxl is imported by the functions that build a workbook, not with this module: it is ~0.15-0.5 s and several
MB that every ``pem-bot`` process paid at start-up (bench/startup.py, docs/performance.md).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.domain.lpj import MonthlyReport
from messages import label
from messages.reports import (
    BORROWERS,
    FUND,
    LETTERS,
    LIFE,
    MONTH,
    QUALITY,
    RATES,
    RECEIPTS,
    describe,
    figure,
    kol_name,
    kol_text,
    later_text,
    life_text,
    notes,
    pause_text,
    period,
    place,
    status_text,
)

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

MONEY = "#,##0"
RATE = "0.00%"
DATE = "DD-MM-YYYY"


@cache
def _style(name: str) -> Any:
    """The few styles the sheets use (openpyxl shares equal styles, so one object each is enough)."""
    from openpyxl.styles import Alignment, Font, PatternFill

    return {"bold": Font(bold=True), "title": Font(bold=True, size=14),
            "head": PatternFill("solid", fgColor="DDEBF7"),
            "head_align": Alignment(wrap_text=True, vertical="top"),
            "note_align": Alignment(wrap_text=False)}[name]


def _l(key: str, lang: str, **params: object) -> str:
    return label(f"lpj.{key}", lang, **params)


def _header(sheet: Worksheet, row: int, titles: Sequence[str]) -> None:
    for col, title in enumerate(titles, start=1):
        cell = sheet.cell(row=row, column=col, value=title)
        cell.font = _style("bold")
        cell.fill = _style("head")
        cell.alignment = _style("head_align")


def _widths(sheet: Worksheet, widths: Sequence[int]) -> None:
    from openpyxl.utils import get_column_letter

    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width


def _title(sheet: Worksheet, report: MonthlyReport, lang: str) -> int:
    sheet["A1"] = _l("title", lang)
    sheet["A1"].font = _style("title")
    sheet["A2"] = place(report, lang)
    sheet["A3"] = period(report, lang)
    return 5


def _summary(sheet: Worksheet, report: MonthlyReport, lang: str) -> None:
    s = report.summary
    row = _title(sheet, report, lang)
    _header(sheet, row, [_l("col_item", lang), _l("col_value", lang), _l("col_amount", lang)])
    row += 1

    def section(key: str) -> None:
        nonlocal row
        row += 1
        sheet.cell(row=row, column=1, value=_l(key, lang)).font = _style("bold")
        row += 1

    def put(key: str) -> None:
        nonlocal row
        value = figure(s, key)
        sheet.cell(row=row, column=1, value=_l(key, lang))
        cell = sheet.cell(row=row, column=2, value=value)
        cell.number_format = RATE if key in RATES else MONEY
        row += 1

    for title, keys in (("sec_fund", FUND), ("sec_borrowers", BORROWERS), ("sec_month", MONTH),
                        ("sec_quality", QUALITY)):
        section(title)
        for key in keys:
            put(key)
    sheet.cell(row=row, column=1, value=_l("loans_count", lang)).font = _style("bold")
    row += 1
    for bucket in s.buckets:
        sheet.cell(row=row, column=1, value=kol_name(bucket.kol, lang))
        sheet.cell(row=row, column=2, value=bucket.loans).number_format = MONEY
        sheet.cell(row=row, column=3, value=bucket.amount).number_format = MONEY
        row += 1
    section("sec_receipts")
    for key in RECEIPTS:
        put(key)
    section("sec_disbursement")
    for key, count, amount in (("unconfirmed", s.unconfirmed, s.unconfirmed_amount),
                               ("disputed", s.disputed, s.disputed_amount)):
        sheet.cell(row=row, column=1, value=_l(key, lang))
        sheet.cell(row=row, column=2, value=count).number_format = MONEY
        sheet.cell(row=row, column=3, value=amount).number_format = MONEY
        row += 1
    section("sec_life")
    for key, count, amount in LIFE:
        sheet.cell(row=row, column=1, value=_l(key, lang))
        if count is not None:
            sheet.cell(row=row, column=2, value=getattr(s, count)).number_format = MONEY
        if amount is not None:
            sheet.cell(row=row, column=3, value=getattr(s, amount)).number_format = MONEY
        row += 1
    section("sec_letters")
    for key in LETTERS:
        put(key)
    section("sec_pauses")
    for pause in report.pauses:
        sheet.cell(row=row, column=1, value=pause_text(pause, lang))
        sheet.cell(row=row, column=2, value=pause.days_in_month).number_format = MONEY
        row += 1
    if not report.pauses:
        sheet.cell(row=row, column=1, value=_l("no_pauses", lang))
        row += 1
    if report.later:
        section("sec_later")
        _header(sheet, row, [_l("h_later", lang), _l("h_ref", lang), _l("col_amount", lang),
                             _l("h_changed_day", lang), _l("h_recorded_on", lang), _l("h_reason", lang)])
        row += 1
        for change in report.later:
            values = [later_text(change.kind, lang), change.ref, change.amount, change.day, change.on,
                      change.reason or ""]
            for col, value in enumerate(values, start=1):
                cell = sheet.cell(row=row, column=col, value=value)
                if col == 3:
                    cell.number_format = MONEY
                elif col in (4, 5):
                    cell.number_format = DATE
            row += 1
    row += 1
    for line in notes(report, lang):
        sheet.cell(row=row, column=1, value=line).alignment = _style("note_align")
        row += 1
    _widths(sheet, [58, 18, 18, 14, 14, 40])


def _rekap(sheet: Worksheet, report: MonthlyReport, lang: str) -> None:
    row = _title(sheet, report, lang)
    _header(sheet, row, [_l(k, lang) for k in ("h_no", "h_borrower", "h_loan", "h_disbursed", "h_principal",
                                                "h_target", "h_paid_month", "h_paid_to_date", "h_outstanding",
                                                "h_days", "h_kol", "h_disbursement", "h_life",
                                                "h_recovered_month")])
    for n, line in enumerate(report.lines, start=1):
        row += 1
        values = [n, line.borrower_name, f"PJ-{line.loan_id:05d}", line.disbursed_on, line.principal,
                  line.target_month, line.paid_month, line.paid_to_date, line.outstanding, line.days_late,
                  kol_text(line, lang), status_text(line.disbursement, lang), life_text(line.status, lang),
                  line.recovered_month or None]
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=col, value=value)
            if col == 4:
                cell.number_format = DATE
            elif 5 <= col <= 9 or col == 14:
                cell.number_format = MONEY
    portfolio = [ln for ln in report.lines if ln.status != "written_off"]
    written_off = [ln for ln in report.lines if ln.status == "written_off"]
    row += 1
    sheet.cell(row=row, column=2, value=_l("h_total", lang)).font = _style("bold")
    for col, attr in ((5, "principal"), (6, "target_month"), (7, "paid_month"), (8, "paid_to_date"),
                      (9, "outstanding"), (14, "recovered_month")):
        # the outstanding total is the portfolio's (the summary's); the written-off loans' is on the next row
        lines = portfolio if attr == "outstanding" else report.lines
        cell = sheet.cell(row=row, column=col, value=sum(getattr(ln, attr) for ln in lines))
        cell.number_format = MONEY
        cell.font = _style("bold")
    if written_off:
        row += 1
        sheet.cell(row=row, column=2, value=_l("h_total_written_off", lang)).font = _style("bold")
        cell = sheet.cell(row=row, column=9, value=sum(ln.outstanding for ln in written_off))
        cell.number_format = MONEY
        cell.font = _style("bold")
    sheet.freeze_panes = "C6"
    _widths(sheet, [5, 32, 11, 12, 13, 13, 13, 13, 13, 9, 12, 16, 15, 13])


def _book(sheet: Worksheet, report: MonthlyReport, lang: str) -> None:
    row = _title(sheet, report, lang)
    _header(sheet, row, [_l(k, lang) for k in ("h_date", "h_ref", "h_desc", "h_cash_in", "h_cash_out", "h_bank_in",
                                                "h_bank_out", "h_cash_bal", "h_bank_bal", "h_balance",
                                                "h_principal_part", "h_fee_part")])
    book = report.book

    def balances(r: int, cash: int, bank: int) -> None:
        for col, value in ((8, cash), (9, bank), (10, cash + bank)):
            sheet.cell(row=r, column=col, value=value).number_format = MONEY

    row += 1
    sheet.cell(row=row, column=1, value=report.first).number_format = DATE
    sheet.cell(row=row, column=3, value=_l("opening_row", lang)).font = _style("bold")
    balances(row, book.opening.cash, book.opening.bank)
    for line in book.lines:
        row += 1
        m = line.movement
        values = [m.day, m.ref, describe(m, lang), max(m.effect.cash, 0) or None, max(-m.effect.cash, 0) or None,
                  max(m.effect.bank, 0) or None, max(-m.effect.bank, 0) or None]
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=col, value=value)
            cell.number_format = DATE if col == 1 else MONEY
        balances(row, line.balance.cash, line.balance.bank)
        for col, value in ((11, m.principal), (12, m.fee)):
            sheet.cell(row=row, column=col, value=value).number_format = MONEY
    row += 1
    sheet.cell(row=row, column=1, value=report.last).number_format = DATE
    sheet.cell(row=row, column=3, value=_l("closing_row", lang)).font = _style("bold")
    money_in, money_out = book.money_in, book.money_out
    for col, value in ((4, money_in.cash), (5, money_out.cash), (6, money_in.bank), (7, money_out.bank)):
        cell = sheet.cell(row=row, column=col, value=value)
        cell.number_format = MONEY
        cell.font = _style("bold")
    balances(row, book.closing.cash, book.closing.bank)
    row += 1  # recoveries apart (issue 16): what of the money in came from written-off loans
    sheet.cell(row=row, column=3, value=_l("book_recovered", lang))
    sheet.cell(row=row, column=10, value=book.recovered).number_format = MONEY
    sheet.freeze_panes = "A6"
    _widths(sheet, [12, 11, 48, 13, 13, 13, 13, 14, 14, 14, 12, 10])


def _receipts(sheet: Worksheet, report: MonthlyReport, lang: str) -> None:
    row = _title(sheet, report, lang)
    _header(sheet, row, [_l(k, lang) for k in ("h_receipt", "h_issued", "h_borrower", "h_loan", "h_paid_on",
                                                "col_amount", "h_status", "h_voided", "h_reason")])
    for rc in report.receipts:
        row += 1
        if rc.voided_on is None:
            status = _l("valid", lang)
        elif rc.voided_on <= report.last:
            status = _l("void", lang)
        else:
            status = _l("void_later", lang)
        values = [rc.number, rc.issued_on, rc.borrower_name, f"PJ-{rc.loan_id:05d}", rc.paid_on, rc.amount, status,
                  rc.voided_on, rc.void_reason or ""]
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=col, value=value)
            if col in (2, 5, 8):
                cell.number_format = DATE
            elif col == 6:
                cell.number_format = MONEY
    _widths(sheet, [20, 12, 30, 11, 12, 13, 22, 12, 30])


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def kelurahan_xlsx(report: MonthlyReport, lang: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    assert first is not None
    first.title = _l("sheet_summary", lang)
    _summary(first, report, lang)
    _rekap(book.create_sheet(_l("sheet_rekap", lang)), report, lang)
    _book(book.create_sheet(_l("sheet_book", lang)), report, lang)
    _receipts(book.create_sheet(_l("sheet_receipts", lang)), report, lang)
    return _save(book)


#: The city sheet's columns: (label key, value of a report).
CITY_COLUMNS = (
    ("h_kecamatan", lambda r: r.kecamatan),
    ("h_kelurahan", lambda r: r.name),
    ("h_arrears", lambda r: r.summary.arrears),
    ("par30", lambda r: None if r.summary.par30 is None else float(r.summary.par30)),
    ("outstanding_principal", lambda r: r.summary.outstanding_principal),
    ("borrowers_active", lambda r: r.summary.borrowers_active),
    ("borrowers_in_arrears", lambda r: r.summary.borrowers_in_arrears),
    ("due_month", lambda r: r.summary.due_month),
    ("h_collected", lambda r: r.summary.collected),
    ("rate_with_late", lambda r: None if r.summary.rate_with_late is None else float(r.summary.rate_with_late)),
    ("rate_on_time", lambda r: None if r.summary.rate_on_time is None else float(r.summary.rate_on_time)),
    ("received_month", lambda r: r.summary.received_month),
    ("grants", lambda r: r.summary.grants),
    ("disbursed_to_date", lambda r: r.summary.disbursed_to_date),
    ("repaid_to_date", lambda r: r.summary.repaid_to_date),
    ("h_cash_bank", lambda r: r.summary.total_balance),
    ("receipts_issued", lambda r: r.summary.receipts_issued),
    ("unconfirmed", lambda r: r.summary.unconfirmed),
    ("disputed", lambda r: r.summary.disputed),
    # issue 16: outside the portfolio figures above
    ("h_written_off", lambda r: r.summary.written_off_outstanding),
    ("h_recoveries", lambda r: r.summary.recoveries_month_amount),
    ("h_rescheduled", lambda r: r.summary.rescheduled_loans),
    ("h_letters", lambda r: r.summary.letters_total),
)
CITY_RATES = frozenset({"par30", "rate_with_late", "rate_on_time"})
CITY_TEXT = frozenset({"h_kecamatan", "h_kelurahan"})
#: The first row of the city sheet's table (its header).
CITY_HEADER_ROW = 5


def city_xlsx(reports: Sequence[MonthlyReport], year: int, month: int, lang: str) -> bytes:
    """One row per kelurahan in the order given (arrears first), a total row, and a bar chart (collected against
    due per kelurahan) on a second sheet."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.series import SeriesLabel

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _l("sheet_city", lang)
    sheet["A1"] = _l("city_title", lang)
    sheet["A1"].font = _style("title")
    if reports:
        sheet["A3"] = period(reports[0], lang)
    else:
        sheet["A3"] = f"{year:04d}-{month:02d}"
    row = CITY_HEADER_ROW
    _header(sheet, row, [_l(key, lang) for key, _ in CITY_COLUMNS])
    for report in reports:
        row += 1
        for col, (key, get) in enumerate(CITY_COLUMNS, start=1):
            cell = sheet.cell(row=row, column=col, value=get(report))
            if key in CITY_RATES:
                cell.number_format = RATE
            elif key not in CITY_TEXT:
                cell.number_format = MONEY
    last_row = row
    row += 1
    sheet.cell(row=row, column=2, value=_l("h_total", lang)).font = _style("bold")
    for col, (key, get) in enumerate(CITY_COLUMNS, start=1):
        if key in CITY_RATES or key in CITY_TEXT:
            continue
        cell = sheet.cell(row=row, column=col, value=sum(get(r) for r in reports))
        cell.number_format = MONEY
        cell.font = _style("bold")
    sheet.freeze_panes = sheet.cell(row=CITY_HEADER_ROW + 1, column=3)
    _widths(sheet, [14, 22] + [14] * (len(CITY_COLUMNS) - 2))

    chart_sheet = book.create_sheet(_l("sheet_chart", lang))
    chart = BarChart()
    chart.type = "bar"  # horizontal bars: 51 names stay readable
    chart.title = _l("chart_title", lang)
    chart.y_axis.title = _l("chart_axis", lang)
    keys = [key for key, _ in CITY_COLUMNS]
    due_col, collected_col = keys.index("due_month") + 1, keys.index("h_collected") + 1
    if reports:
        for col, title in ((due_col, _l("chart_due", lang)), (collected_col, _l("chart_collected", lang))):
            data = Reference(sheet, min_col=col, min_row=CITY_HEADER_ROW + 1, max_row=last_row)
            chart.add_data(data, titles_from_data=False)
            chart.series[-1].tx = SeriesLabel(v=title)
        chart.set_categories(Reference(sheet, min_col=2, min_row=CITY_HEADER_ROW + 1, max_row=last_row))
    chart.height = max(8.0, 0.45 * len(reports) + 3)
    chart.width = 24
    chart_sheet.add_chart(chart, "A1")
    return _save(book)
