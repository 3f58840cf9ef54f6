"""bot.domain.receipts: numbers, the WITA year, verification codes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain.receipts import (
    code_matches,
    format_number,
    normalise_code,
    parse_number,
    receipt_year,
    verification_code,
)

KEY = b"k" * 32


def test_number_format_and_parse():
    assert format_number("NKT1", 2026, 123) == "NKT1-2026-000123"
    assert str(parse_number(" nkt1 - 2026 - 123 ")) == "NKT1-2026-000123"
    assert parse_number("NKT1-2026-000000") is None
    assert parse_number("NKT1/2026/1") is None
    assert parse_number("") is None
    with pytest.raises(ValueError, match="starts at 1"):
        format_number("NKT1", 2026, 0)


def test_the_year_is_the_wita_year():
    assert receipt_year(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == 2026  # 23:59 WITA
    assert receipt_year(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == 2027  # 00:00 WITA on 1 January
    with pytest.raises(ValueError, match="naive"):
        receipt_year(datetime(2026, 12, 31, 16, 0))


def test_the_code_depends_on_key_number_amount_and_date():
    code = verification_code(KEY, "NKT1-2026-000001", 500_000, date(2026, 11, 27))
    assert len(code) == 9 and code[4] == "-" and code == code.upper()
    assert code == verification_code(KEY, "NKT1-2026-000001", 500_000, date(2026, 11, 27))  # deterministic
    others = {
        verification_code(b"x" * 32, "NKT1-2026-000001", 500_000, date(2026, 11, 27)),
        verification_code(KEY, "NKT1-2026-000002", 500_000, date(2026, 11, 27)),
        verification_code(KEY, "NKT1-2026-000001", 5_000_000, date(2026, 11, 27)),
        verification_code(KEY, "NKT1-2026-000001", 500_000, date(2026, 11, 28)),
    }
    assert code not in others
    assert code_matches((b"old" * 8, KEY), code.lower().replace("-", " "), "NKT1-2026-000001", 500_000,
                        date(2026, 11, 27))
    assert not code_matches((b"old" * 8,), code, "NKT1-2026-000001", 500_000, date(2026, 11, 27))
    with pytest.raises(ValueError, match="key"):
        verification_code(b"", "NKT1-2026-000001", 1, date(2026, 1, 1))


def test_typed_codes_are_read_leniently():
    assert normalise_code("abcd efgh") == "ABCD-EFGH"
    assert normalise_code("ab0d-1fg8") == "ABOD-IFGB"  # 0/1/8 are never in a code: read as O/I/B
    assert normalise_code("abc") == "ABC"
