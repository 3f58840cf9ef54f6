"""Tests for bot.domain.parsing.phone: table-driven cases plus hypothesis round-trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.parsing.errors import ParseError, PhoneError
from bot.domain.parsing.phone import format_phone_national, mask_phone, normalize_phone

VALID: list[tuple[str, str]] = [
    ("0812 3456 789", "+628123456789"),
    ("081234567890", "+6281234567890"),
    ("0812-3456-7890", "+6281234567890"),
    ("0812.3456.7890", "+6281234567890"),
    ("(0812) 3456 7890", "+6281234567890"),
    ("+62 812 3456 7890", "+6281234567890"),
    ("+62 812-3456-7890", "+6281234567890"),
    ("+6281234567890", "+6281234567890"),
    ("+62 (0)812 3456 7890", "+6281234567890"),
    ("+62 0812 3456 7890", "+6281234567890"),
    ("62812345678", "+62812345678"),
    ("6281234567890", "+6281234567890"),
    ("0062 812 3456 7890", "+6281234567890"),
    ("8123456789", "+628123456789"),
    ("812 3456 7890", "+6281234567890"),
    ("  0812 3456 7890  ", "+6281234567890"),
    ("0812\u00a03456\u00a07890", "+6281234567890"),
    ("\uff10\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19", "+628123456789"),  # full-width
    # shortest and longest tails (9 and 12 digits after 62)
    ("0812345678", "+62812345678"),
    ("0812345678901", "+62812345678901"),
    # every mobile prefix 81, 82, 83, 85-89
    ("0811 3800 1234", "+6281138001234"),
    ("0821 4455 6677", "+6282144556677"),
    ("0838 1234 5678", "+6283812345678"),
    ("0852 3900 1122", "+6285239001122"),
    ("0856 1234 5678", "+6285612345678"),
    ("0877 1234 5678", "+6287712345678"),
    ("0881 1234 5678", "+6288112345678"),
    ("0895 1234 5678", "+6289512345678"),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_normalize_phone_valid(text: str, expected: str) -> None:
    assert normalize_phone(text) == expected


ERRORS: list[tuple[str, str, dict[str, object]]] = [
    ("", "empty", {}),
    ("   ", "empty", {}),
    ("abc", "invalid", {}),
    ("0812 3456 78a0", "invalid", {}),
    ("tel 08123456789", "invalid", {}),
    ("0811", "invalid", {}),
    ("081234567", "invalid", {}),  # 8 digits after 62: too short
    ("08123456789012", "invalid", {}),  # 13 digits after 62: too long
    ("0812345678901234567", "invalid", {}),
    ("08412345678", "invalid", {}),  # 84 is not a mobile prefix
    ("08012345678", "invalid", {}),
    ("0800 1234 567", "invalid", {}),  # toll-free
    ("9123", "invalid", {}),
    ("+", "invalid", {}),
    ("+62", "invalid", {}),
    ("08123+4567890", "invalid", {}),
    ("+6580001234", "invalid", {}),  # not a valid Singapore number
    ("0380 821234", "landline", {"number": "(0380) 821234", "e164": "+62380821234"}),
    ("0380-833456", "landline", {"number": "(0380) 833456", "e164": "+62380833456"}),
    ("+62 380 821234", "landline", {"number": "(0380) 821234", "e164": "+62380821234"}),
    ("62380821234", "landline", {"number": "(0380) 821234", "e164": "+62380821234"}),
    ("021 5551234", "landline", {"number": "(021) 5551234", "e164": "+62215551234"}),
    ("+65 9123 4567", "foreign", {"number": "+65 9123 4567", "e164": "+6591234567", "region": "SG"}),
    ("+61 412 345 678", "foreign", {"number": "+61 412 345 678", "e164": "+61412345678", "region": "AU"}),
    ("0061 412 345 678", "foreign", {"number": "+61 412 345 678", "e164": "+61412345678", "region": "AU"}),
    ("+670 7723 4567", "foreign", {"number": "+670 7723 4567", "e164": "+67077234567", "region": "TL"}),
]


@pytest.mark.parametrize(("text", "code", "params"), ERRORS)
def test_normalize_phone_errors(text: str, code: str, params: dict[str, object]) -> None:
    with pytest.raises(PhoneError) as info:
        normalize_phone(text)
    assert info.value.code == code
    assert info.value.params == params


def test_every_phone_error_code_is_covered_twice() -> None:
    codes = [code for _, code, _ in ERRORS]
    for code in ("empty", "invalid", "landline", "foreign"):
        assert codes.count(code) >= 2, code


def test_phone_error_is_a_parse_error() -> None:
    assert issubclass(PhoneError, ParseError)


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+6281234567890", "+62812\u2022\u2022\u2022\u20227890"),
        ("+628123456789", "+62812\u2022\u2022\u2022\u20226789"),
        ("+62812345678901", "+62812\u2022\u2022\u2022\u20228901"),
        ("+62812345678", "+62812\u2022\u2022\u2022\u20225678"),
        ("+6591234567", "+65912\u2022\u2022\u2022\u20224567"),
    ],
)
def test_mask_phone(e164: str, expected: str) -> None:
    assert mask_phone(e164) == expected


def test_mask_phone_example_from_brief() -> None:
    assert mask_phone("+6281234567890") == "+62812••••7890"


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+6281234567890", "0812-3456-7890"),
        ("+628123456789", "0812-3456-789"),
        ("+62812345678", "0812-345-678"),
        ("+62812345678901", "0812-3456-78901"),
        ("+6285239001122", "0852-3900-1122"),
        ("+6591234567", "+65 9123 4567"),
    ],
)
def test_format_phone_national(e164: str, expected: str) -> None:
    assert format_phone_national(e164) == expected


@pytest.mark.parametrize("bad", ["", "abc", "+"])
def test_mask_and_format_reject_garbage(bad: str) -> None:
    with pytest.raises(PhoneError):
        mask_phone(bad)
    with pytest.raises(PhoneError):
        format_phone_national(bad)


mobile_tails = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["81", "82", "83", "85", "86", "87", "88", "89"]),
    st.text(alphabet="0123456789", min_size=7, max_size=10),
)


@given(mobile_tails)
def test_mobile_tail_round_trip(tail: str) -> None:
    e164 = "+62" + tail
    assert normalize_phone("0" + tail) == e164
    assert normalize_phone("+62 " + tail) == e164
    assert normalize_phone("62" + tail) == e164
    assert normalize_phone(tail) == e164
    assert normalize_phone(format_phone_national(e164)) == e164


@given(mobile_tails)
def test_display_forms(tail: str) -> None:
    e164 = "+62" + tail
    national = format_phone_national(e164)
    assert national.startswith("0" + tail[:3] + "-")
    assert national.replace("-", "") == "0" + tail
    masked = mask_phone(e164)
    assert masked == f"+62{tail[:3]}\u2022\u2022\u2022\u2022{tail[-4:]}"


@given(st.text(max_size=25))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        e164 = normalize_phone(text)
    except PhoneError as error:
        code = error.code
    else:
        assert e164.startswith("+628")
        assert 12 <= len(e164) <= 15
        return
    assert code in {"empty", "invalid", "landline", "foreign"}
