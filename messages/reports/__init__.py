"""The monthly report's files (LPJ), drawn from :class:`bot.domain.lpj.MonthlyReport` in the reader's language.

* :func:`messages.reports.xlsx.kelurahan_xlsx`: four sheets (summary, rekap angsuran, the month's cash book,
  the month's receipts);
* :func:`messages.reports.pdf.kelurahan_pdf`: the summary and the rekap, with the signature blocks of the Ketua
  LPM, the Bendahara and the Lurah;
* :func:`messages.reports.xlsx.city_xlsx`: one row per kelurahan, arrears first, and a chart of collected against
  due per kelurahan.

Every word comes from ``plain/labels/lpj.j2`` and ``plain/lpj/*.j2``; amounts are whole rupiah (numbers in the
XLSX, formatted ``Rp1.500.000`` in the PDF).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.cash_book import Movement
from bot.domain.lpj import LoanLine, MonthlyReport, MonthPause, Summary
from messages import label, render, rupiah, tanggal

#: The rows of the summary sheet, in order: (section or None, key, how to read the value from the summary).
FUND = ("opening_balance", "grants", "disbursed_to_date", "loans_to_date", "repaid_to_date", "repaid_principal",
        "repaid_fee", "outstanding", "outstanding_principal", "cash", "bank", "total_balance", "statement_balance",
        "reconciliation")
BORROWERS = ("borrowers_active", "borrowers_paid_off", "borrowers_in_arrears")
MONTH = ("due_month", "collected_on_time", "collected_late", "collected", "rate_on_time", "rate_with_late",
         "received_month")
QUALITY = ("par30_amount", "par30")
RECEIPTS = ("receipts_issued", "receipts_void", "receipts_amount")
RATES = frozenset({"rate_on_time", "rate_with_late", "par30"})
COUNTS = frozenset({"loans_to_date", "borrowers_active", "borrowers_paid_off", "borrowers_in_arrears",
                    "receipts_issued", "receipts_void"})
#: A loan's life (issue 16): (label key, the count's attribute or None, the amount's attribute or None). The XLSX
#: puts the count in the value column and the amount in the amount column, as for the kolektibilitas rows.
LIFE = (
    ("rescheduled_loans", "rescheduled_loans", "rescheduled_outstanding"),
    ("rescheduled_month", "rescheduled_month", None),
    ("written_off_loans", "written_off_loans", "written_off_amount"),
    ("written_off_month", "written_off_month", "written_off_month_amount"),
    ("recovered_to_date", None, "recovered_to_date"),
    ("written_off_outstanding", None, "written_off_outstanding"),
    ("recoveries_month", "recoveries_month", "recoveries_month_amount"),
)
#: The warning letters issued in the month, per level, then in all.
LETTERS = ("letters_sp1", "letters_sp2", "letters_sp3", "letters_total")


def figure(summary: Summary, key: str) -> int | float | None:
    value = getattr(summary, key)
    if value is None:
        return None
    return float(value) if key in RATES else int(value)


def month_name(report: MonthlyReport, lang: str) -> str:
    return render("plain/lpj/month", lang, day=report.first)


def period(report: MonthlyReport, lang: str) -> str:
    return label("lpj.period", lang, month=month_name(report, lang), first=tanggal(report.first, lang, "d MMMM y"),
                 last=tanggal(report.last, lang, "d MMMM y"))


def place(report: MonthlyReport, lang: str) -> str:
    return label("lpj.place", lang, name=report.name, kecamatan=report.kecamatan)


def kol_name(kol: int, lang: str) -> str:
    return label("lpj.kol", lang, kol=kol, name=label(f"lpj.kol_{kol}", lang))


def describe(movement: Movement, lang: str) -> str:
    """A cash-book line: the treasurer's own words for a manual entry, the kind and reference for a derived one."""
    kind = label(f"kas.kind_{movement.kind}", lang)
    head = label("lpj.book_line", lang, kind=kind, ref=movement.reverses or "").strip()
    if movement.kind in ("disbursement", "repayment", "recovery"):
        return f"{kind} · {movement.description}"
    if movement.reverses:
        return f"{head} · {movement.description}" if movement.description else head
    return f"{kind} · {movement.description}"


def kol_text(line: LoanLine, lang: str) -> str:
    """The rekap's kolektibilitas cell: ``Kol-2``, ``Lunas``, or ``Hapus buku`` for a written-off loan."""
    if line.status == "written_off":
        return life_text("written_off", lang)
    return label("lpj.paid_off", lang) if line.kol is None else label("lpj.kol_short", lang, kol=line.kol)


def life_text(status: str, lang: str) -> str:
    """A loan's status as of the month's end: active, paid off, rescheduled, written off."""
    return label(f"lpj.life_{status}", lang)


def pause_text(pause: MonthPause, lang: str) -> str:
    return label("lpj.pause_line", lang, starts=tanggal(pause.starts_on, lang, "d MMM y"),
                 ends=tanggal(pause.ends_on, lang, "d MMM y"), days=pause.days_in_month, reason=pause.reason)


def status_text(status: str, lang: str) -> str:
    return label(f"lpj.status_{status}", lang)


def later_text(kind: str, lang: str) -> str:
    return label(f"lpj.later_{kind}", lang)


def notes(report: MonthlyReport, lang: str) -> list[str]:
    return [line for line in render("plain/lpj/notes", lang, last=report.last, later=len(report.later)).splitlines()
            if line.strip()]


@dataclass(frozen=True)
class Named:
    """A file and its name: ``LPJ-NKT1-2026-11.xlsx``."""

    name: str
    content: bytes


def file_name(report: MonthlyReport | None, year: int, month: int, ext: str, *, city: bool = False) -> str:
    scope = "KOTA-KUPANG" if city or report is None else report.name.upper().replace(" ", "-")
    return f"LPJ-{scope}-{year:04d}-{month:02d}.{ext}"


def money(amount: int | None, lang: str) -> str:
    return "-" if amount is None else rupiah(amount, lang)


def day_text(day: date | None, lang: str) -> str:
    return "-" if day is None else tanggal(day, lang, "d MMM y")
