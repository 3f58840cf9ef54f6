"""The PDF documents: the receipt (kuitansi) and the instalment card (kartu angsuran), issue 15 parts 1 and 2,
and the warning letter (surat peringatan, issue 16 part 1; its words in ``plain/labels/warnings.j2``).

Built with fpdf2 (pure Python). Every word on them comes from ``plain/labels/doc.j2`` in the reader's language;
money is ``Rp1.500.000`` and dates ``28 November 2026`` as in chat, and the amount in words (*terbilang*) is always
printed in Indonesian, as an Indonesian receipt must be (the English one adds the English words below it).

Fonts: fpdf2's core fonts are Latin-1 only, so a name like ``Ngữ`` or ``Ştefan`` would fail or be garbled. The
documents embed DejaVu Sans, the TTF that ships inside matplotlib (already a dependency; found on disk without
importing matplotlib), cut down once per process to the scripts names use (:func:`_fonts`). A character the
embedded font has no glyph for (CJK, emoji) is printed as ``?`` instead of vanishing silently. Should the font
be missing, the core Helvetica is used with every name transliterated to Latin-1 (accents kept where Latin-1
has them, others stripped: ``ễ`` → ``e``).

The functions take plain objects (duck-typed: the handlers pass the storage read models) and return the PDF's
bytes; nothing here reads the database or the clock. They are CPU-bound (0.1–0.4 s, bench/documents.py): the
handlers run them in a worker thread (``asyncio.to_thread``) so that the other chats are served meanwhile.

fpdf2 and fontTools are imported on the first document, not with this module: together they are a third of a
second and ~15 MB that every ``pem-bot`` process paid at start-up whether or not it ever printed anything
(bench/startup.py, docs/performance.md). The document class is built then too (:func:`_doc_class`).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import io
import logging
import shutil
import tempfile
import unicodedata
import warnings
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from messages import label, normalise_language, rupiah, tanggal
from messages.terbilang import terbilang

if TYPE_CHECKING:
    from fpdf import FPDF

log = logging.getLogger(__name__)
#: fontTools logs every table it subsets at INFO (fpdf2 subsets the font of every PDF it writes): at the bot's
#: INFO level that is dozens of lines per document. Only its errors are worth a log line.
logging.getLogger("fontTools").setLevel(logging.ERROR)

WITA = ZoneInfo("Asia/Makassar")
FONT = "DejaVu"


@cache
def font_dir() -> Path | None:
    """The folder of DejaVu Sans (regular and bold) inside matplotlib's data, found without importing it."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    return folder if (folder / "DejaVuSans.ttf").is_file() and (folder / "DejaVuSans-Bold.ttf").is_file() else None


def to_latin1(text: str) -> str:
    """Text the core fonts can print: Latin-1 characters kept, others decomposed and their accents dropped, and
    what is still outside Latin-1 replaced by ``?``."""
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out).replace("—", "-").replace("–", "-")


#: What the embedded font keeps (see :func:`_fonts`): Latin with its extensions (Indonesian, European and
#: Vietnamese names), combining accents, Greek, Cyrillic, punctuation, currency signs and a few symbols.
_KEPT = (*range(0x20, 0x250), *range(0x300, 0x500), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070),
         *range(0x20A0, 0x20D0), 0x2122, 0x2190, 0x2192, 0x2713, 0x2714, 0x2716, 0xFFFD)


@cache
def _fonts() -> tuple[Path, Path] | None:
    """DejaVu Sans regular and bold, cut down once per process to :data:`_KEPT` (about 1,900 of its 6,000
    glyphs): fpdf2 parses the font of every document it builds, and the whole DejaVu made a receipt take
    0.4 s, the cut one about 0.1 s (bench/documents.py). Kept in a private temporary folder, removed at exit.
    Should the cut fail, the whole fonts are used."""
    source = font_dir()
    if source is None:
        return None
    originals = (source / "DejaVuSans.ttf", source / "DejaVuSans-Bold.ttf")
    from fontTools import subset
    from fontTools.ttLib import TTFont

    try:
        folder = Path(tempfile.mkdtemp(prefix="pem-fonts-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        cut = []
        for path in originals:
            options = subset.Options()
            options.name_IDs = ["*"]
            options.notdef_outline = True
            options.layout_features = ["*"]
            font = TTFont(str(path))
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=_KEPT)
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                subsetter.subset(font)
            target = folder / path.name
            font.save(str(target))
            cut.append(target)
        return cut[0], cut[1]
    except Exception:  # the whole fonts still work, only slower
        log.warning("could not cut the PDF font down; embedding the whole DejaVu Sans", exc_info=True)
        return originals


@cache
def _doc_class() -> type[FPDF]:
    """The document class, an ``FPDF`` with the house's font, margins, footer and helpers (built on first use,
    with fpdf2's import)."""
    from fpdf import FPDF

    class _Doc(FPDF):
        def __init__(self, lang: str) -> None:
            super().__init__(orientation="portrait", unit="mm", format="A4")
            self.lang = lang
            self.set_auto_page_break(auto=True, margin=15)
            self.set_margins(15, 15, 15)
            fonts = _fonts()
            self.unicode = fonts is not None
            if fonts is not None:
                self.add_font(FONT, "", str(fonts[0]))
                self.add_font(FONT, "B", str(fonts[1]))
                self.family = FONT
            else:
                self.family = "Helvetica"
            self.set_font(self.family, size=10)

        def safe(self, text: object) -> str:
            """Text this document's font can print (see the module docstring)."""
            value = str(text)
            if not self.unicode:
                return to_latin1(value)
            cmap = self.current_font.cmap  # type: ignore[union-attr]
            return "".join(ch if ch in "\n\t" or ord(ch) in cmap else "?" for ch in value)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(self.family, size=7)
            self.cell(0, 5, self.safe(label("doc.page", self.lang, page=self.page_no())), align="R")

        def font(self, size: float = 10, bold: bool = False) -> None:
            self.set_font(self.family, "B" if bold else "", size)

        def line_text(self, text: str, *, size: float = 10, bold: bool = False, h: float = 5.5,
                      align: str = "L") -> None:
            self.font(size, bold)
            self.multi_cell(0, h, self.safe(text), align=align, new_x="LMARGIN", new_y="NEXT")

        def field(self, name: str, value: str, *, width: float = 55, bold: bool = False) -> None:
            self.font(10)
            self.cell(width, 6, self.safe(name), new_x="RIGHT", new_y="TOP")
            self.cell(4, 6, ":", new_x="RIGHT", new_y="TOP")
            self.font(10, bold)
            self.multi_cell(0, 6, self.safe(value), new_x="LMARGIN", new_y="NEXT")

        def table_rows(self, header: list[str], rows: list[list[str]], widths: tuple[float, ...],
                       aligns: tuple[str, ...]) -> None:
            self.font(8.5)
            with self.table(col_widths=widths, text_align=aligns, line_height=4.6, first_row_as_headings=True,
                            padding=1) as table:
                for cells in [header, *rows]:
                    row = table.row()
                    for cell in cells:
                        row.cell(self.safe(cell))

        def void_stamp(self, text: str) -> None:
            """A large red word across the page (the receipt stays readable underneath)."""
            with self.local_context():
                self.set_text_color(200, 0, 0)
                self.set_draw_color(200, 0, 0)
                self.font(40, True)
                with self.rotation(20, x=self.w / 2, y=95):
                    self.set_xy(0, 85)
                    self.cell(self.w, 20, self.safe(text), align="C", border=0)

        def bytes(self) -> bytes:
            return bytes(self.output())

    return _Doc


def _new_doc(lang: str) -> Any:
    return _doc_class()(lang)


def _day(value: date | datetime | str, lang: str, *, short: bool = False) -> str:
    """``28 November 2026`` (``short``: ``28 Nov 2026``, for table cells), the WITA day of a timestamp."""
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value[:19]).replace(
            tzinfo=ZoneInfo("UTC"))
    if isinstance(value, datetime):
        value = value.astimezone(WITA).date()
    return tanggal(value, lang, "d MMM y" if short else "d MMMM y")


def receipt_pdf(issued: Any, lang: str) -> bytes:
    """The receipt of ``issued`` (a :class:`storage.receipts.IssuedReceipt`-like object: ``receipt``,
    ``allocation`` lines, ``balance_after``). A void receipt is printed with the stamp and the void line."""
    lang = normalise_language(lang)
    r = issued.receipt
    doc = _new_doc(lang)
    doc.set_title(f"Kuitansi {r.number}")
    doc.add_page()

    def lb(key: str, **params: object) -> str:
        return label(f"doc.{key}", lang, **params)

    doc.line_text(lb("receipt_title"), size=16, bold=True, align="C", h=8)
    doc.line_text(lb("receipt_subtitle"), align="C")
    doc.line_text(lb("lpm", kelurahan=r.kelurahan_name), align="C")
    doc.ln(3)
    doc.field(lb("number"), r.number, bold=True)
    doc.field(lb("issued_on"), _day(r.issued_at, lang))
    if r.void:
        doc.ln(1)
        with doc.local_context():
            doc.set_text_color(200, 0, 0)
            doc.line_text(lb("void_line", date=_day(r.voided_at, lang), reason=r.void_reason or "-"), bold=True)
    doc.ln(2)
    doc.field(lb("received_from"), r.borrower_name, bold=True)
    doc.field(lb("for"), lb("for_text_recovery" if getattr(r, "kind", "repayment") == "recovery" else "for_text",
                              principal=rupiah(r.loan_principal, lang),
                              disbursed=_day(r.loan_disbursed_on, lang)))
    doc.field(lb("amount"), rupiah(r.amount, lang), bold=True)
    words = terbilang(r.amount, "id")
    doc.field(lb("in_words"), words[:1].upper() + words[1:])
    if lang == "en":
        doc.field(lb("in_words_en"), terbilang(r.amount, "en").capitalize())
    doc.field(lb("paid_on"), _day(r.paid_on, lang))
    doc.field(lb("method"), lb(f"method_{r.method}"))
    if r.recorded_by_treasurer:
        doc.field(lb("recorded_by_treasurer"), r.reported_by_name)
    else:
        doc.field(lb("recorded_by"), r.reported_by_name)
        doc.field(lb("verified_by"), r.verified_by_name or "-")
    doc.ln(2)
    doc.line_text(lb("allocation"), bold=True)
    rows = [[str(a.installment_number), _day(a.due_date, lang), rupiah(a.fee_paid, lang),
             rupiah(a.principal_paid, lang), rupiah(a.total, lang)] for a in issued.allocation]
    doc.table_rows([lb("col_installment"), lb("col_due"), lb("col_fee"), lb("col_principal"), lb("col_total")],
                   rows, (22, 42, 34, 36, 36), ("CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT"))
    doc.ln(2)
    doc.field(lb("balance_after"), rupiah(issued.balance_after, lang), width=75, bold=True)
    doc.ln(2)
    doc.field(lb("code"), r.code, bold=True)
    doc.line_text(lb("check_hint", number=r.number, code=r.code), size=8)
    doc.ln(6)
    doc.set_x(doc.w - doc.r_margin - 70)
    doc.font(10)
    doc.multi_cell(70, 5.5, doc.safe(lb("receiver")), align="C", new_x="LMARGIN", new_y="NEXT")
    doc.ln(12)
    doc.set_x(doc.w - doc.r_margin - 70)
    doc.multi_cell(70, 5.5, doc.safe(r.verified_by_name or r.reported_by_name), align="C",
                   new_x="LMARGIN", new_y="NEXT")
    if r.void:
        doc.void_stamp(lb("void_banner"))
    return doc.bytes()


def card_pdf(card: Any, lang: str) -> bytes:
    """The instalment card of ``card`` (a :class:`storage.reports.card.Card`-like object)."""
    lang = normalise_language(lang)
    doc = _new_doc(lang)
    doc.set_title("Kartu angsuran")
    doc.add_page()

    def lb(key: str, **params: object) -> str:
        return label(f"doc.{key}", lang, **params)

    doc.line_text(lb("card_title"), size=15, bold=True, align="C", h=8)
    doc.line_text(lb("card_subtitle"), align="C")
    doc.line_text(lb("lpm", kelurahan=card.kelurahan_name), align="C")
    doc.ln(3)
    doc.field(lb("borrower"), card.borrower_name, width=40, bold=True)
    doc.field(lb("loan"), lb("loan_text", principal=rupiah(card.principal, lang),
                               disbursed=_day(card.disbursed_on, lang), tenor=card.tenor_months), width=40)
    if card.grace_months:
        doc.field(lb("grace"), lb("grace_text", months=card.grace_months), width=40)
    if card.fee_per_installment:
        doc.field(lb("fee"), rupiah(card.fee_per_installment, lang), width=40)
    doc.field(lb("status"), lb(f"status_{card.status}"), width=40)
    doc.field(lb("as_of"), _day(card.today, lang), width=40)
    doc.ln(2)
    header = [lb("col_no"), lb("col_due"), lb("col_amount"), lb("col_paid"), lb("col_paid_on"), lb("col_receipt"),
              lb("col_remaining"), lb("col_late")]
    rows = []
    for row in card.rows:
        # one line per payment applied to the instalment: an instalment paid in many small parts continues on
        # further rows (a single tall cell could not be split over two pages)
        payments = [(rupiah(p.amount, lang), _day(p.paid_on, lang, short=True), p.receipt_number or lb("no_receipt"))
                    for p in row.payments] or [("-", "-", "-")]
        for k, (amount, day, number) in enumerate(payments):
            first = k == 0
            rows.append([
                str(row.number) if first else "", _day(row.due_date, lang, short=True) if first else "",
                rupiah(row.amount_due, lang) if first else "", amount, day, number,
                rupiah(row.remaining, lang) if first else "",
                (str(row.days_late) if row.days_late else "-") if first else "",
            ])
    rows.append(["", lb("total"), rupiah(card.total_due, lang), rupiah(card.total_paid, lang), "", "",
                 rupiah(card.outstanding, lang), ""])
    doc.table_rows(header, rows, (9, 27, 23, 23, 27, 34, 23, 14),
                   ("CENTER", "LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT", "RIGHT", "CENTER"))
    doc.ln(3)
    doc.field(lb("outstanding"), rupiah(card.outstanding, lang), width=40, bold=True)
    doc.field(lb("days_in_arrears"), str(card.days_in_arrears), width=40)
    if card.voided:
        doc.ln(3)
        doc.line_text(lb("voided"), bold=True)
        for v in card.voided:
            doc.line_text(f"• {v.number} · {_day(v.paid_on, lang)} · {rupiah(v.amount, lang)} · "
                          + lb("void_line", date=_day(v.voided_at, lang), reason=v.void_reason or "-"), size=9)
    letters = getattr(card, "letters", ())
    if letters:
        doc.ln(3)
        doc.line_text(label("warnings.card_letters", lang), bold=True)
        for w in letters:
            doc.line_text("• " + label("warnings.card_letter_line", lang, level=w.level, number=w.number,
                                       issued=_day(w.issued_on, lang), deadline=_day(w.deadline, lang),
                                       arrears=rupiah(w.arrears_amount, lang)), size=9)
    return doc.bytes()


def warning_letter_pdf(letter: Any, lang: str) -> bytes:
    """The warning letter (surat peringatan) of ``letter`` (a :class:`storage.warnings.WarningStep`-like object,
    issued): letterhead, number, subject, the borrower and loan, the arrears in figures and in words, the
    instalments missed, the deadline, what comes next, and the signature blocks of the Ketua LPM and the Lurah."""
    lang = normalise_language(lang)
    doc = _new_doc(lang)
    doc.set_title(f"Surat Peringatan {letter.number}")
    doc.add_page()
    roman = {1: "I", 2: "II", 3: "III"}[letter.level]

    def lb(key: str, **params: object) -> str:
        return label(f"warnings.{key}", lang, **params)

    doc.line_text(lb("lpm"), size=13, bold=True, align="C", h=6.5)
    doc.line_text(lb("kelurahan", name=letter.kelurahan_name.upper()), size=13, bold=True, align="C", h=6.5)
    doc.line_text(lb("kecamatan", name=letter.kecamatan_name.upper()), align="C")
    y = doc.get_y() + 1.5
    doc.set_line_width(0.6)
    doc.line(doc.l_margin, y, doc.w - doc.r_margin, y)
    doc.set_line_width(0.2)
    doc.ln(5)
    doc.line_text(lb("place_date", date=_day(letter.issued_on, lang)), align="R")
    doc.field(lb("number"), letter.number, width=28, bold=True)
    doc.field(lb("attachment"), "-", width=28)
    doc.field(lb("subject"), lb("subject_text", roman=roman, level=letter.level), width=28, bold=True)
    doc.ln(3)
    doc.line_text(lb("to"))
    doc.line_text(lb("to_name", name=letter.borrower_name), bold=True)
    doc.line_text(lb("to_place"))
    doc.ln(3)
    doc.line_text(lb("opening"))
    doc.ln(1)
    doc.line_text(lb("body", kelurahan=letter.kelurahan_name, principal=rupiah(letter.principal, lang),
                     disbursed=_day(letter.disbursed_on, lang), tenor=letter.tenor_months,
                     date=_day(letter.issued_on, lang), days=letter.days_late))
    doc.ln(1)
    doc.field(lb("arrears"), rupiah(letter.arrears_amount, lang), width=45, bold=True)
    words = terbilang(letter.arrears_amount, "id")
    doc.field(lb("in_words"), words[:1].upper() + words[1:], width=45)
    doc.field(lb("outstanding"), rupiah(letter.outstanding, lang), width=45)
    doc.ln(2)
    doc.line_text(lb("missed"), bold=True)
    rows = [[str(m.number), _day(m.due_date, lang), rupiah(m.remaining, lang)] for m in letter.missed]
    doc.table_rows([lb("col_installment"), lb("col_due"), lb("col_remaining")], rows, (30, 60, 50),
                   ("CENTER", "LEFT", "RIGHT"))
    doc.ln(3)
    doc.line_text(lb("request", deadline=_day(letter.deadline, lang)), bold=True)
    doc.line_text(lb(f"next_{letter.level}"))
    doc.ln(1)
    doc.line_text(lb("closing"))
    doc.ln(6)
    col = (doc.w - doc.l_margin - doc.r_margin) / 2
    top = doc.get_y()
    for n, lines in enumerate(([" ", lb("sign_lpm", kelurahan=letter.kelurahan_name)],
                               [lb("sign_lurah_known"), lb("sign_lurah", kelurahan=letter.kelurahan_name)])):
        doc.set_xy(doc.l_margin + n * col, top)
        doc.font(10)
        for text in lines:
            doc.set_x(doc.l_margin + n * col)
            doc.multi_cell(col, 5.5, doc.safe(text), align="C", new_x="LEFT", new_y="NEXT")
        doc.ln(18)
        doc.set_x(doc.l_margin + n * col)
        doc.multi_cell(col, 5.5, doc.safe(lb("sign_line")), align="C", new_x="LEFT", new_y="NEXT")
    doc.ln(6)
    if letter.issued_by_name:
        doc.line_text(lb("issued_by", name=letter.issued_by_name), size=7.5)
    return doc.bytes()
