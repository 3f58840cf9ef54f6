"""Samples for the loan import and demo-data CLI output (plain/cli/import_*, plain/cli/demo_data)."""

from __future__ import annotations

from datetime import date

from bot.domain.loan_import import RowError

_ERRORS = [
    RowError(0, "tenor_months", "missing_column"),
    RowError(3, "name", "required"),
    RowError(4, "principal", "amount", {"reason": "fraction", "text": "1,5"}),
    RowError(5, "principal", "principal_range", {"value": 30_000_000, "min": 1_000_000, "max": 25_000_000}),
    RowError(6, "disbursed_on", "date", {"reason": "unrecognized", "text": "kemarin dulu"}),
    RowError(7, "disbursed_on", "date_future", {"value": date(2027, 1, 1), "today": date(2026, 11, 28)}),
    RowError(8, "tenor_months", "whole_number", {"text": "dua belas"}),
    RowError(9, "fee_percent", "percent", {"text": "satu"}),
    RowError(10, "phone", "phone", {"reason": "landline", "text": "0380 821234"}),
    RowError(11, "nik", "nik", {"reason": "birth_date"}),
    RowError(12, "kelurahan", "kelurahan", {"text": "Atlantis"}),
    RowError(13, "name", "duplicate", {"first_row": 2}),
    RowError(14, "tenor_months", "tenor_range", {"value": 48, "min": 1, "max": 36}),
    RowError(15, "grace_months", "grace_range", {"value": 13, "min": 0, "max": 12}),
    RowError(16, "fee_percent", "fee_range", {"value": 12, "min": 0, "max": 10}),
    RowError(0, "-", "no_rows"),
]
_LINKS = [{"name": "Maria Goreti Fanggidae", "phone": "+6281234567890",
           "link": "https://t.me/pem_kupang_bot?start=AbCdEfGhIjKlMnOpQrStUvWx"}] * 30

SAMPLES = {
    "plain/cli/import_errors": {"file_error": None, "path": "pinjaman.xlsx", "reason": "", "errors": _ERRORS},
    "plain/cli/import_summary": {
        "dry_run": False, "rows": 30, "created": 28, "total_principal": 187_500_000, "new_borrowers": 27,
        "matched": 1, "skipped": [5, 9], "invites": _LINKS, "invites_out": None, "ignored": ["catatan"],
    },
    "plain/cli/demo_data": {
        "refused": False, "path": "data/pem.sqlite3", "borrowers": 30, "loans": 30,
        "total_principal": 200_000_000, "verified_total": 57_830_000, "pending": 4,
        "kelurahan_code": "53.71.05.1004",
        "invites": [{"name": "Yuliana Manafe", "role": "treasurer", "link": "https://t.me/pem_kupang_bot?start=x"},
                    {"name": "Ronal Haning", "role": "coordinator", "link": "https://t.me/pem_kupang_bot?start=y"}],
    },
}
