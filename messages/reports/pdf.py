"""The monthly report as PDF (fpdf2): the summary and the rekap angsuran of one kelurahan, with the signature
blocks of the Ketua LPM, the Bendahara and the Lurah, to print, sign and file.

A4 landscape. The text is set in DejaVu Sans, the TrueType font matplotlib (a dependency already) ships, so every
character of a name or a label prints (fpdf2's built-in fonts are Latin-1 only); without it the built-in Helvetica
is used and characters outside Latin-1 are replaced.

fpdf2 is imported when the first report is drawn (:func:`_pdf_class`), and the font is found on disk without
importing matplotlib (:func:`messages.documents.font_dir`): neither is paid at start-up (bench/startup.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING, Any

from babel.numbers import format_percent

from bot.domain.lpj import MonthlyReport
from messages import label
from messages.documents import font_dir
from messages.reports import (
    BORROWERS,
    FUND,
    LETTERS,
    LIFE,
    MONTH,
    QUALITY,
    RATES,
    RECEIPTS,
    day_text,
    kol_name,
    kol_text,
    later_text,
    life_text,
    money,
    notes,
    pause_text,
    period,
    place,
    status_text,
)
from messages.reports import COUNTS as COUNT_KEYS

if TYPE_CHECKING:
    from fpdf import FPDF as _Pdf  # what _pdf_class() builds: an FPDF with the helpers below

FONT = "DejaVu"
LOCALES = {"id": "id_ID", "en": "en_ID"}


def _l(key: str, lang: str, **params: object) -> str:
    return label(f"lpj.{key}", lang, **params)


def _rate(value: Fraction | float | None, lang: str) -> str:
    if value is None:
        return "-"
    return format_percent(float(value), format="#,##0.00%", locale=LOCALES.get(lang, "id_ID"))


def _count(value: int | None, lang: str) -> str:
    return "-" if value is None else f"{value:,}".replace(",", "." if lang in ("id", "en") else ",")


@cache
def _pdf_class() -> type[_Pdf]:
    """The report's ``FPDF`` subclass (built on first use, with fpdf2's import)."""
    from fpdf import FPDF

    class _Pdf(FPDF):
        def __init__(self, lang: str, footer_text: str) -> None:
            super().__init__(orientation="L", unit="mm", format="A4")
            self.lang = lang
            self.footer_text = footer_text
            self.font_name = "helvetica"
            fonts = font_dir()
            if fonts is not None:
                regular, bold = fonts / "DejaVuSans.ttf", fonts / "DejaVuSans-Bold.ttf"
                self.add_font(FONT, "", str(regular))
                self.add_font(FONT, "B", str(bold))
                self.font_name = FONT
            self.set_auto_page_break(auto=True, margin=15)
            self.set_margins(12, 12, 12)

        def text_of(self, text: str) -> str:
            if self.font_name == FONT:
                return text
            return text.encode("latin-1", "replace").decode("latin-1")

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(self.font_name, "", 7)
            self.cell(0, 5, self.text_of(f"{self.footer_text} · {_l('page', self.lang, page=self.page_no())}"),
                      align="R")

        def put(self, w: float, h: float, text: str, *, align: str = "L", border: int | str = 0, bold: bool = False,
                size: float = 8, fill: bool = False) -> None:
            self.set_font(self.font_name, "B" if bold else "", size)
            self.cell(w, h, self.text_of(text), border=border, align=align, fill=fill)

    return _Pdf


def _heading(pdf: _Pdf, report: MonthlyReport, lang: str) -> None:
    pdf.put(0, 7, _l("title", lang), bold=True, size=13)
    pdf.ln(7)
    pdf.put(0, 5, place(report, lang), size=10)
    pdf.ln(5)
    pdf.put(0, 5, period(report, lang), size=10)
    pdf.ln(8)


def _value(report: MonthlyReport, key: str, lang: str) -> str:
    value = getattr(report.summary, key)
    if key in RATES:
        return _rate(value, lang)
    if key in COUNT_KEYS:
        return _count(value, lang)
    return money(value, lang)


def _summary(pdf: _Pdf, report: MonthlyReport, lang: str) -> None:
    s = report.summary
    col = (pdf.w - pdf.l_margin - pdf.r_margin - 8) / 2
    label_w, value_w = col * 0.66, col * 0.34

    def rows(sections: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[str, str, bool]]:
        out: list[tuple[str, str, bool]] = []
        for title, keys in sections:
            out.append((_l(title, lang), "", True))
            out.extend((_l(k, lang), _value(report, k, lang), False) for k in keys)
        return out

    left = rows((("sec_fund", FUND), ("sec_borrowers", BORROWERS)))
    left.append((_l("sec_life", lang), "", True))
    for key, count, amount in LIFE:
        parts = ([] if count is None else [_count(getattr(s, count), lang)]) + (
            [] if amount is None else [money(getattr(s, amount), lang)])
        left.append((_l(key, lang), " · ".join(parts), False))
    right = rows((("sec_month", MONTH), ("sec_quality", QUALITY)))
    right.append((_l("loans_count", lang), "", True))
    right.extend((kol_name(b.kol, lang), f"{b.loans} · {money(b.amount, lang)}", False) for b in s.buckets)
    right.append((_l("sec_receipts", lang), "", True))
    right.extend((_l(k, lang), _value(report, k, lang), False) for k in RECEIPTS)
    right.append((_l("sec_disbursement", lang), "", True))
    right.append((_l("unconfirmed", lang), f"{s.unconfirmed} · {money(s.unconfirmed_amount, lang)}", False))
    right.append((_l("disputed", lang), f"{s.disputed} · {money(s.disputed_amount, lang)}", False))
    right.append((_l("sec_letters", lang), "", True))
    right.extend((_l(k, lang), _count(getattr(s, k), lang), False) for k in LETTERS)
    x0, y0 = pdf.get_x(), pdf.get_y()
    for items, x in ((left, x0), (right, x0 + col + 8)):
        pdf.set_xy(x, y0)
        for text, value, section in items:
            pdf.set_x(x)
            pdf.put(label_w, 4.2, text, bold=section, size=8)
            pdf.put(value_w, 4.2, value, align="R", bold=section, size=8)
            pdf.ln(4.2)
        if x == x0:
            left_end = pdf.get_y()
    pdf.set_y(max(pdf.get_y(), left_end) + 3)
    pdf.put(0, 5, _l("sec_pauses", lang), bold=True, size=9)
    pdf.ln(5)
    for text in [pause_text(p, lang) for p in report.pauses] or [_l("no_pauses", lang)]:
        pdf.multi_cell(0, 4.4, pdf.text_of(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if report.later:
        pdf.put(0, 5, _l("sec_later", lang), bold=True, size=9)
        pdf.ln(5)
        for change in report.later:
            reason = f" · {change.reason}" if change.reason else ""
            pdf.put(0, 4.4, f"{later_text(change.kind, lang)} · {change.ref} · {money(change.amount, lang)} · "
                            f"{day_text(change.day, lang)} → {day_text(change.on, lang)}{reason}", size=8)
            pdf.ln(4.4)
        pdf.ln(2)
    for line in notes(report, lang):
        pdf.set_font(pdf.font_name, "", 7)
        pdf.multi_cell(0, 3.6, pdf.text_of(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


REKAP_COLUMNS = (  # label key, width (mm), align
    ("h_no", 8, "R"), ("h_borrower", 42, "L"), ("h_loan", 17, "L"), ("h_disbursed", 20, "L"),
    ("h_principal", 22, "R"), ("h_target", 21, "R"), ("h_paid_month", 21, "R"), ("h_paid_to_date", 22, "R"),
    ("h_outstanding", 22, "R"), ("h_days", 12, "R"), ("h_kol", 17, "L"), ("h_disbursement", 27, "L"),
    ("h_life", 22, "L"),
)


def _rekap_header(pdf: _Pdf, lang: str) -> None:
    pdf.set_fill_color(221, 235, 247)
    for key, width, _ in REKAP_COLUMNS:
        pdf.put(width, 6, _l(key, lang), border=1, bold=True, size=5.5, fill=True, align="C")
    pdf.ln(6)


def _rekap(pdf: _Pdf, report: MonthlyReport, lang: str) -> None:
    pdf.add_page()
    pdf.put(0, 6, _l("sheet_rekap", lang), bold=True, size=11)
    pdf.ln(7)
    _rekap_header(pdf, lang)
    for n, line in enumerate(report.lines, start=1):
        if pdf.get_y() > pdf.h - 25:
            pdf.add_page()
            _rekap_header(pdf, lang)
        values = (str(n), line.borrower_name[:28], f"PJ-{line.loan_id:05d}", day_text(line.disbursed_on, lang),
                  money(line.principal, lang), money(line.target_month, lang), money(line.paid_month, lang),
                  money(line.paid_to_date, lang), money(line.outstanding, lang), str(line.days_late),
                  kol_text(line, lang), status_text(line.disbursement, lang), life_text(line.status, lang))
        for (_, width, align), value in zip(REKAP_COLUMNS, values, strict=True):
            pdf.put(width, 5, value, border=1, align=align, size=7)
        pdf.ln(5)
    written_off = [ln for ln in report.lines if ln.status == "written_off"]
    totals: dict[str, Any] = {"h_principal": sum(ln.principal for ln in report.lines),
              "h_target": sum(ln.target_month for ln in report.lines),
              "h_paid_month": sum(ln.paid_month for ln in report.lines),
              "h_paid_to_date": sum(ln.paid_to_date for ln in report.lines),
              # the portfolio's (the summary's); the written-off loans' on the next row
              "h_outstanding": sum(ln.outstanding for ln in report.lines if ln.status != "written_off")}
    rows: list[dict[str, Any]] = [{**totals, "h_borrower": _l("h_total", lang)}]
    if written_off:
        rows.append({"h_borrower": _l("h_total_written_off", lang),
                     "h_outstanding": sum(ln.outstanding for ln in written_off)})
    for total in rows:
        for key, width, align in REKAP_COLUMNS:
            text = total[key] if key == "h_borrower" else money(total[key], lang) if key in total else ""
            pdf.put(width, 5, text, border=1, align=align, size=7, bold=True)
        pdf.ln(5)
    pdf.ln(5)


def _signatures(pdf: _Pdf, lang: str) -> None:
    if pdf.get_y() > pdf.h - 55:
        pdf.add_page()
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / 3
    pdf.put(0, 5, _l("signed_at", lang), align="R", size=9)
    pdf.ln(7)
    for text in ("", "", _l("sign_known", lang)):
        pdf.put(width, 5, text, align="C", size=9)
    pdf.ln(5)
    for key in ("sign_ketua", "sign_bendahara", "sign_lurah"):
        pdf.put(width, 5, _l(key, lang), align="C", bold=True, size=9)
    pdf.ln(25)
    for _ in range(3):
        pdf.put(width, 5, _l("sign_name", lang), align="C", size=8)
    pdf.ln(5)


def kelurahan_pdf(report: MonthlyReport, lang: str) -> bytes:
    pdf = _pdf_class()(lang, f"{_l('generated', lang)} · {report.name} · {report.month_key}")
    pdf.set_title(f"{_l('title', lang)} · {report.name} · {report.month_key}")
    pdf.set_creator("PEM Bot")
    pdf.add_page()
    _heading(pdf, report, lang)
    _summary(pdf, report, lang)
    _rekap(pdf, report, lang)
    _signatures(pdf, lang)
    return bytes(pdf.output())
