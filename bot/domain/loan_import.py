"""Checking a loan import file for ``pem-bot import-loans`` (pure: no SQL, no Telegram, no file I/O: the file is
read by :mod:`bot.cli.loan_file`).

File format
-----------
``.csv`` (UTF-8, with or without BOM; comma or semicolon separated) or ``.xlsx`` (the first sheet). The first
non-empty row is the header; column names are matched case-insensitively, spaces and dashes count as ``_``,
and a few Indonesian aliases are accepted (``nama``, ``hp``, ``usaha``, ``pokok``, ``tanggal_cair``,
``tenor``, ``masa_tenggang``, ``jasa`` …). Columns:

==============  ========  ==============================================================================
name            required  borrower's full name, 2–80 characters (the bot's name rule, bot.domain.names)
phone           optional  mobile number (``0812…``/``+62 812…``; an Excel number without the 0 also works)
nik             optional  16-digit NIK, checked like everywhere else
kelurahan       optional  code (``53.71.05.1004``) or name; empty = ``PEM_DEFAULT_KELURAHAN``
business        optional  type of business (free text)
principal       required  ``6000000``, ``6.000.000``, ``Rp6.000.000``, ``6 jt`` … (Rp1–25 juta)
disbursed_on    required  ``2026-05-15``, ``15/05/2026``, ``15 Mei 2026`` or an Excel date; not in the future
tenor_months    required  1–36
grace_months    optional  0–12, default 0
fee_percent     optional  flat monthly fee in %, ``0``–``10`` (``1,5`` or ``1.5%``), default 0
==============  ========  ==============================================================================

Rules and decisions
-------------------
* Row numbers are the spreadsheet's (header = row 1 when it is the first row), so an operator can find them.
* Every row is checked and *every* problem is reported as a :class:`RowError` (row, column, code, params); the
  caller imports nothing unless there are none. Codes are rendered by ``plain/cli/import_errors.j2``.
* A NIK whose regency is unknown is accepted (old codes exist); only a hard NIK error is refused.
* The same borrower+loan twice in one file is an error (``duplicate``) naming the first row.
* :func:`import_key` identifies a loan across imports: SHA-256 of kelurahan, the borrower's normalised phone
  (else NIK, else case-folded name), principal and disbursement date. Importing the same file again therefore
  creates nothing; correcting a typo in the principal or date creates a new loan (and the old one must be
  handled by hand), which is the safe direction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.domain.kota_kupang import find_kelurahan
from bot.domain.loans import (
    MAX_FEE_PERCENT,
    MAX_GRACE_MONTHS,
    MAX_TENOR_MONTHS,
    MIN_FEE_PERCENT,
    MIN_GRACE_MONTHS,
    MIN_TENOR_MONTHS,
    LoanTerms,
    LoanTermsError,
    validate_terms,
)
from bot.domain.names import NAME_MAX, NAME_MIN, clean_name
from bot.domain.parsing.dates import parse_date_ex
from bot.domain.parsing.errors import AmountError, DateError, NikError, PhoneError
from bot.domain.parsing.money import MAX_LOAN, MIN_LOAN, parse_amount_ex
from bot.domain.parsing.nik import parse_nik
from bot.domain.parsing.phone import normalize_phone

COLUMNS = ("name", "phone", "nik", "kelurahan", "business", "principal", "disbursed_on", "tenor_months",
           "grace_months", "fee_percent")
REQUIRED_COLUMNS = ("name", "principal", "disbursed_on", "tenor_months")

ALIASES: dict[str, str] = {
    "nama": "name", "nama_lengkap": "name",
    "hp": "phone", "no_hp": "phone", "nomor_hp": "phone", "telepon": "phone", "telp": "phone", "wa": "phone",
    "kelurahan_code": "kelurahan", "kode_kelurahan": "kelurahan",
    "usaha": "business", "jenis_usaha": "business",
    "pokok": "principal", "pinjaman": "principal", "jumlah_pinjaman": "principal", "amount": "principal",
    "tanggal_cair": "disbursed_on", "tgl_cair": "disbursed_on", "tanggal_pencairan": "disbursed_on",
    "disbursed": "disbursed_on",
    "tenor": "tenor_months", "jangka_waktu": "tenor_months", "lama_bulan": "tenor_months",
    "grace": "grace_months", "masa_tenggang": "grace_months", "tenggang": "grace_months",
    "fee": "fee_percent", "jasa": "fee_percent", "jasa_persen": "fee_percent",
    "fee_percent_monthly": "fee_percent",
}

_EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` 0 means the file as a whole (e.g. a missing column)."""

    row: int
    column: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportRow:
    """One valid row, ready for :func:`storage.loans.import_rows`."""

    row_number: int
    name: str
    phone: str | None  # E.164
    nik: str | None
    kelurahan_code: str
    business: str | None
    terms: LoanTerms
    import_key: str


@dataclass(frozen=True)
class Table:
    """A file's header (canonical column names, ``None`` for unknown ones) and its data rows."""

    columns: tuple[str | None, ...]
    rows: tuple[tuple[int, tuple[Any, ...]], ...]  # (row number, cells)
    unknown_columns: tuple[str, ...] = ()


class ImportFileError(Exception):
    """The file cannot be read at all; ``code`` is ``unreadable``, ``extension`` or ``empty``."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def canonical_column(header: object) -> str | None:
    text = "" if header is None else str(header)
    key = "_".join(text.strip().casefold().replace("-", " ").replace("%", " ").split())
    if key in COLUMNS:
        return key
    return ALIASES.get(key)


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def make_table(raw_rows: Iterable[Sequence[Any]]) -> Table:
    """Build a :class:`Table` from raw rows numbered from 1; the first non-blank row is the header."""
    header: tuple[str | None, ...] | None = None
    unknown: list[str] = []
    rows: list[tuple[int, tuple[Any, ...]]] = []
    for number, cells in enumerate(raw_rows, start=1):
        cells = tuple(cells)
        if all(_blank(c) for c in cells):
            continue
        if header is None:
            header = tuple(canonical_column(c) for c in cells)
            unknown = [str(c).strip() for c, h in zip(cells, header, strict=True)
                       if h is None and not _blank(c)]
            continue
        rows.append((number, cells))
    if header is None:
        raise ImportFileError("empty")
    return Table(header, tuple(rows), tuple(unknown))


def import_key(kelurahan_code: str, phone: str | None, nik: str | None, name: str, principal: int,
               disbursed_on: date) -> str:
    who = f"phone:{phone}" if phone else f"nik:{nik}" if nik else f"name:{' '.join(name.casefold().split())}"
    text = "|".join((kelurahan_code, who, str(principal), disbursed_on.isoformat()))
    return "imp1:" + hashlib.sha256(text.encode()).hexdigest()


# --- cell parsers: each returns a value or raises _CellError ------------------------------------------------
class _CellError(Exception):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return " ".join(str(cell).split())


def _name(cell: object) -> str:
    """The borrower's name, by the one name rule of the bot and the CLI (:func:`bot.domain.names.clean_name`)."""
    text = _text(cell)
    name = clean_name(text)
    if name is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise _CellError("name", text=shown, min=NAME_MIN, max=NAME_MAX)
    return name


def _money(cell: object) -> int:
    if isinstance(cell, bool):
        raise _CellError("amount", reason="not_a_number", text=str(cell))
    if isinstance(cell, int):
        amount = cell
    elif isinstance(cell, float):
        if not cell.is_integer():
            raise _CellError("amount", reason="fraction", text=str(cell))
        amount = int(cell)
    else:
        try:
            amount, spelled = parse_amount_ex(_text(cell))
        except AmountError as exc:
            raise _CellError("amount", reason=exc.code, text=_text(cell)) from exc
        if spelled:  # "lima juta", "5 jt 500": a form shows them back, a file would store them unseen
            raise _CellError("amount", reason="spelled", text=_text(cell))
    if not MIN_LOAN <= amount <= MAX_LOAN:
        raise _CellError("principal_range", value=amount, min=MIN_LOAN, max=MAX_LOAN)
    return amount


def _date(cell: object, today: date) -> date:
    if isinstance(cell, datetime):
        value = cell.date()
    elif isinstance(cell, date):
        value = cell
    elif isinstance(cell, int | float) and not isinstance(cell, bool):
        if not 1 <= cell <= 2_958_465:
            raise _CellError("date", reason="unrecognized", text=str(cell))
        value = _EXCEL_EPOCH + timedelta(days=int(cell))  # an Excel serial date left as a number
    else:
        text = _text(cell)
        try:
            value = date.fromisoformat(text)
        except ValueError:
            try:
                value, inferred = parse_date_ex(text, today, prefer="past")
            except DateError as exc:
                raise _CellError("date", reason=exc.code, text=text) from exc
            if inferred:  # "15", "jumat", "2 hari lalu": fine typed in a form that shows it back, a guess in a file
                raise _CellError("date", reason="inferred", text=text) from None
    if value > today:
        raise _CellError("date_future", value=value, today=today)
    return value


def _whole(cell: object) -> int:
    if isinstance(cell, int) and not isinstance(cell, bool):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    text = _text(cell).casefold()
    for word in ("bulan", "bln", "months", "month"):
        text = text.removesuffix(word).strip()
    if text.isascii() and text.isdigit():
        return int(text)
    raise _CellError("whole_number", text=_text(cell))


def _percent(cell: object) -> Decimal:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return Decimal(str(cell))
    text = _text(cell).removesuffix("%").strip().replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise _CellError("percent", text=_text(cell)) from exc
    if not value.is_finite():
        raise _CellError("percent", text=_text(cell))
    return value


def check_rows(
    table: Table, *, today: date, default_kelurahan: str
) -> tuple[list[ImportRow], list[RowError]]:
    """Check every row; return the valid rows and every error. Import only when the error list is empty."""
    errors: list[RowError] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        return [], [RowError(0, c, "missing_column") for c in missing]
    if not table.rows:
        return [], [RowError(0, "-", "no_rows")]
    valid: list[ImportRow] = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        raw: dict[str, object] = {}
        for column, cell in zip(table.columns, cells, strict=False):
            if column is not None and column not in raw:
                raw[column] = cell
        row, row_errors = _check_row(number, raw, today=today, default_kelurahan=default_kelurahan)
        if row is not None:
            first = seen.setdefault(row.import_key, number)
            if first != number:
                row_errors.append(RowError(number, "name", "duplicate", {"first_row": first}))
                row = None
        errors.extend(row_errors)
        if row is not None:
            valid.append(row)
    return (valid if not errors else []), errors


def _check_row(number: int, raw: Mapping[str, object], *, today: date, default_kelurahan: str
               ) -> tuple[ImportRow | None, list[RowError]]:
    errors: list[RowError] = []

    def cell(column: str) -> object:
        value = raw.get(column)
        return None if _blank(value) else value

    def check(column: str, parse, *, required: bool, default=None):
        value = cell(column)
        if value is None:
            if required:
                errors.append(RowError(number, column, "required"))
            return default
        try:
            return parse(value)
        except _CellError as exc:
            errors.append(RowError(number, column, exc.code, exc.params))
            return default

    name = check("name", _name, required=True)

    def phone_of(value: object) -> str:
        try:
            return normalize_phone(_text(value))
        except PhoneError as exc:
            raise _CellError("phone", reason=exc.code, text=_text(value)) from exc

    def nik_of(value: object) -> str:
        text = _text(value)
        try:
            return parse_nik(text, today).nik
        except NikError as exc:
            raise _CellError("nik", reason=exc.code) from exc  # the NIK itself is never echoed

    def kelurahan_of(value: object) -> str:
        found = find_kelurahan(_text(value))
        if found is None:
            raise _CellError("kelurahan", text=_text(value))
        return found.code

    phone = check("phone", phone_of, required=False)
    nik = check("nik", nik_of, required=False)
    kel = check("kelurahan", kelurahan_of, required=False, default=None)
    if cell("kelurahan") is None:
        kel = default_kelurahan
    business = check("business", _text, required=False)
    principal = check("principal", _money, required=True)
    disbursed_on = check("disbursed_on", lambda v: _date(v, today), required=True)
    tenor = check("tenor_months", _whole, required=True)
    grace = check("grace_months", _whole, required=False, default=0)
    fee = check("fee_percent", _percent, required=False, default=Decimal(0))

    for column, value, code, low, high in (
        ("tenor_months", tenor, "tenor_range", MIN_TENOR_MONTHS, MAX_TENOR_MONTHS),
        ("grace_months", grace, "grace_range", MIN_GRACE_MONTHS, MAX_GRACE_MONTHS),
        ("fee_percent", fee, "fee_range", MIN_FEE_PERCENT, MAX_FEE_PERCENT),
    ):
        if value is not None and not low <= value <= high:
            errors.append(RowError(number, column, code, {"value": value, "min": low, "max": high}))
    if errors:
        return None, errors
    terms = LoanTerms(principal, disbursed_on, tenor, grace, fee)
    try:
        validate_terms(terms)
    except LoanTermsError as exc:
        column = {"principal_range": "principal", "tenor_range": "tenor_months",
                  "grace_range": "grace_months", "fee_range": "fee_percent"}[exc.code]
        return None, [RowError(number, column, exc.code, exc.params)]
    return ImportRow(
        row_number=number, name=name, phone=phone, nik=nik, kelurahan_code=kel, business=business or None,
        terms=terms, import_key=import_key(kel, phone, nik, name, principal, disbursed_on),
    ), []
