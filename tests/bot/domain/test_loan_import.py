"""bot.domain.loan_import: every row checked, every error with row and column, nothing imported unless all valid,
idempotent re-import (with storage.loans.import_rows), csv and xlsx."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.cli.loan_file import read_table
from bot.domain.loan_import import ImportFileError, check_rows, import_key, make_table
from bot.runtime import clock
from storage import loans, people
from storage.db import Database

TODAY = date(2026, 11, 28)
KEL = "53.71.05.1004"
HEADER = ["name", "phone", "nik", "kelurahan", "business", "principal", "disbursed_on", "tenor_months",
          "grace_months", "fee_percent"]
GOOD = [
    ["Maria Bria", "0812-3456-7890", "", "Naikoten Satu", "warung", "6.000.000", "2026-05-15", "12", "0", "0"],
    ["Yohanes Ndun", "+62 813 1111 2222", "5371051204900003", "53.71.05.1004", "bengkel", "7,5 jt",
     "15/06/2026", "18", "1", "1,5"],
    ["Fransiska Tefa", "", "", "", "", "Rp3.000.000", "1 Agustus 2026", "12 bulan", "", ""],
]


def check(rows):
    return check_rows(make_table([HEADER, *rows]), today=TODAY, default_kelurahan=KEL)


def test_valid_rows_are_parsed():
    rows, errors = check(GOOD)
    assert errors == []
    maria, yohanes, fransiska = rows
    assert (maria.row_number, maria.phone, maria.kelurahan_code, maria.terms.principal) == (
        2, "+6281234567890", KEL, 6_000_000)
    assert yohanes.nik == "5371051204900003" and yohanes.terms.principal == 7_500_000
    assert yohanes.terms.disbursed_on == date(2026, 6, 15) and yohanes.terms.grace_months == 1
    assert yohanes.terms.fee_percent_monthly == Decimal("1.5")
    assert fransiska.phone is None and fransiska.kelurahan_code == KEL and fransiska.terms.tenor_months == 12
    assert fransiska.terms.fee_percent_monthly == 0 and fransiska.business is None
    assert len({r.import_key for r in rows}) == 3


@pytest.mark.parametrize(
    ("column", "value", "code", "params"),
    [
        ("name", "", "required", {}),
        ("principal", "", "required", {}),
        ("principal", "banyak", "amount", {"reason": "not_a_number"}),
        ("principal", "1500000,50", "amount", {"reason": "fraction"}),
        ("principal", "lima juta", "amount", {"reason": "spelled"}),
        ("principal", "5 jt 500", "amount", {"reason": "spelled"}),
        ("principal", "sejuta lima", "amount", {"reason": "ambiguous"}),
        ("principal", "30 jt", "principal_range", {"value": 30_000_000}),
        ("principal", "500rb", "principal_range", {"value": 500_000}),
        ("disbursed_on", "kapan-kapan", "date", {"reason": "unrecognized"}),
        ("disbursed_on", "31/02/2026", "date", {"reason": "invalid_date"}),
        ("disbursed_on", "tgl 15", "date", {"reason": "inferred"}),
        ("disbursed_on", "jumat", "date", {"reason": "inferred"}),
        ("disbursed_on", "2 hari lalu", "date", {"reason": "inferred"}),
        ("disbursed_on", "2027-01-01", "date_future", {"value": date(2027, 1, 1)}),
        ("tenor_months", "dua belas", "whole_number", {}),
        ("tenor_months", "48", "tenor_range", {"value": 48}),
        ("grace_months", "13", "grace_range", {"value": 13}),
        ("fee_percent", "satu", "percent", {}),
        ("fee_percent", "12", "fee_range", {}),
        ("phone", "0380 821234", "phone", {"reason": "landline"}),
        ("phone", "halo", "phone", {"reason": "invalid"}),
        ("nik", "5371053204900003", "nik", {"reason": "birth_date"}),
        ("nik", "12345", "nik", {"reason": "length"}),
        ("kelurahan", "Atlantis", "kelurahan", {"text": "Atlantis"}),
    ],
)
def test_each_bad_cell_is_reported_with_row_and_column(column, value, code, params):
    row = list(GOOD[0])
    row[HEADER.index(column)] = value
    rows, errors = check([GOOD[1], row])
    assert rows == []  # nothing is valid when anything is wrong
    [error] = errors
    assert (error.row, error.column, error.code) == (3, column, code)
    assert params.items() <= dict(error.params).items()


def test_all_errors_of_all_rows_are_reported():
    bad1 = ["", "0380 821234", "", "", "", "abc", "", "12", "", ""]
    bad2 = ["Agustinus Nalle", "", "", "Atlantis", "", "5 jt", "2026-01-01", "99", "", ""]
    rows, errors = check([GOOD[0], bad1, GOOD[1], bad2])
    assert rows == []
    assert [(e.row, e.column, e.code) for e in errors] == [
        (3, "name", "required"), (3, "phone", "phone"), (3, "principal", "amount"),
        (3, "disbursed_on", "required"), (5, "kelurahan", "kelurahan"), (5, "tenor_months", "tenor_range"),
    ]


def test_duplicate_loan_in_the_file_names_the_first_row():
    _rows, errors = check([GOOD[0], GOOD[1], GOOD[0]])
    assert [(e.row, e.code, e.params["first_row"]) for e in errors] == [(4, "duplicate", 2)]


def test_missing_required_column_and_empty_file():
    table = make_table([["nama", "hp", "pokok"], ["Maria", "0812", "6jt"]])
    _rows, errors = check_rows(table, today=TODAY, default_kelurahan=KEL)
    assert [(e.row, e.column, e.code) for e in errors] == [
        (0, "disbursed_on", "missing_column"), (0, "tenor_months", "missing_column")]
    with pytest.raises(ImportFileError) as err:
        make_table([["", None]])
    assert err.value.code == "empty"


def test_import_key_uses_phone_then_nik_then_name():
    day = date(2026, 5, 15)
    assert import_key(KEL, "+6281234567890", "5371051204900003", "A", 6_000_000, day) == import_key(
        KEL, "+6281234567890", None, "B", 6_000_000, day)
    assert import_key(KEL, None, None, " maria  BRIA", 6_000_000, day) == import_key(
        KEL, None, None, "Maria Bria", 6_000_000, day)
    assert import_key(KEL, None, None, "Maria Bria", 6_000_000, day) != import_key(
        KEL, None, None, "Maria Bria", 6_500_000, day)


def test_csv_with_semicolons_and_aliases(tmp_path: Path):
    path = tmp_path / "pinjaman.csv"
    path.write_text("\ufeffNama;HP;Pokok;Tanggal Cair;Tenor;Jasa;Catatan\n"
                    "Maria Bria;081234567890;6.000.000;15/05/2026;12;0;lunas cepat\n", encoding="utf-8")
    table = read_table(path)
    assert table.unknown_columns == ("Catatan",)
    rows, errors = check_rows(table, today=TODAY, default_kelurahan=KEL)
    assert errors == [] and rows[0].terms.principal == 6_000_000 and rows[0].phone == "+6281234567890"


def test_xlsx_with_excel_cells(tmp_path: Path):
    path = tmp_path / "pinjaman.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["Maria Bria", 81234567890, None, "Naikoten Satu", "warung", 6000000, datetime(2026, 5, 15), 12,
               0, 0])
    ws.append(["Yohanes Ndun", "081311112222", 5371051204900003, None, None, 7500000.0, 46188, 18, 1, 1.5])
    wb.save(path)
    rows, errors = check_rows(read_table(path), today=TODAY, default_kelurahan=KEL)
    assert errors == []
    assert rows[0].phone == "+6281234567890" and rows[0].terms.disbursed_on == date(2026, 5, 15)
    assert rows[1].nik == "5371051204900003" and rows[1].terms.principal == 7_500_000
    assert rows[1].terms.disbursed_on == date(2026, 6, 15)  # Excel serial 46188
    assert rows[1].terms.fee_percent_monthly == Decimal("1.5")


def test_unreadable_files(tmp_path: Path):
    with pytest.raises(ImportFileError) as err:
        read_table(tmp_path / "pinjaman.txt")
    assert err.value.code == "extension"
    with pytest.raises(ImportFileError) as err:
        read_table(tmp_path / "missing.csv")
    assert err.value.code == "unreadable"


async def test_import_rows_is_idempotent_and_matches_borrowers(db: Database):
    async with db.transaction() as tx:  # Maria is already registered with her phone
        maria = await people.create(tx, name="Maria B.", kelurahan_code=KEL, phone="+6281234567890")
    rows, errors = check(GOOD)
    assert errors == []
    async with db.transaction() as tx:
        first = await loans.import_rows(tx, rows, now=clock.utcnow())
    assert len(first.created_loans) == 3 and first.skipped_rows == [] and first.matched_borrowers == 1
    assert sorted(p.name for p in first.new_borrowers) == ["Fransiska Tefa", "Yohanes Ndun"]
    assert first.total_principal == 16_500_000
    assert first.created_loans[0].borrower_id == maria.id
    assert "borrower" in {str(r) for r in (await people.get(db, maria.id)).roles}
    nik = await db.fetchval("SELECT nik FROM people WHERE name = 'Yohanes Ndun'")
    assert nik.startswith("v1:") and db.key.reveal(nik) == "5371051204900003"  # sealed at rest
    assert await people.id_by_nik(db, "5371051204900003") is not None
    assert await db.fetchval("SELECT COUNT(*) FROM installments") == 12 + 18 + 12

    async with db.transaction() as tx:
        again = await loans.import_rows(tx, check(GOOD)[0], now=clock.utcnow())
    assert again.created_loans == [] and again.skipped_rows == [2, 3, 4] and again.new_borrowers == []
    assert await db.fetchval("SELECT COUNT(*) FROM loans") == 3
    assert await db.fetchval("SELECT COUNT(*) FROM people") == 3

    # a new loan for Yohanes, matched by NIK although the phone changed
    extra = list(GOOD[1])
    extra[1], extra[6] = "0852 9999 0000", "2026-10-01"
    async with db.transaction() as tx:
        third = await loans.import_rows(tx, check([extra])[0], now=clock.utcnow())
    assert len(third.created_loans) == 1 and third.new_borrowers == [] and third.matched_borrowers == 1


def test_the_header_is_found_below_title_rows():
    """Issue 14, item 15: a sheet with a title (and a date) above the header."""
    table = make_table([["Daftar Pinjaman PEM"], ["Per 1 November 2026", None], [], HEADER, *GOOD[:1]])
    assert table.header_row == 4
    assert [n for n, _ in table.rows] == [5]
    rows, errors = check_rows(table, today=TODAY, default_kelurahan=KEL)
    assert errors == [] and rows[0].row_number == 5


def test_a_partial_header_is_preferred_to_a_title_and_named_in_the_error():
    table = make_table([["Judul"], ["nama", "pokok", "tanggal_cair"], ["Maria", "6jt", "2026-05-15"]])
    assert table.header_row == 2
    _rows, errors = check_rows(table, today=TODAY, default_kelurahan=KEL)
    assert [(e.column, e.params["header_row"]) for e in errors] == [("tenor_months", 2)]
    assert errors[0].params["header_cells"] == ["nama", "pokok", "tanggal_cair"]
