"""Tests for bot.domain.parsing.money: table-driven cases plus hypothesis round-trips."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.parsing.errors import AmountError, ParseError
from bot.domain.parsing.money import MAX_LOAN, MIN_LOAN, TINY_PAYMENT, is_tiny_payment, parse_amount

VALID: list[tuple[str, int]] = [
    # plain and Indonesian thousands
    ("1500000", 1_500_000),
    ("1.500.000", 1_500_000),
    ("1.500", 1_500),
    ("500.000", 500_000),
    ("25.000.000", 25_000_000),
    ("0500000", 500_000),
    ("7", 7),
    # Rp prefix, trailing ,- and ,00
    ("Rp1.500.000", 1_500_000),
    ("Rp 1.500.000", 1_500_000),
    ("Rp. 1.500.000", 1_500_000),
    ("Rp.1.500.000", 1_500_000),
    ("RP1500000", 1_500_000),
    ("rp 50.000,-", 50_000),
    ("Rp 1.500.000,-", 1_500_000),
    ("Rp 1.500.000,--", 1_500_000),
    ("Rp1.500.000.-", 1_500_000),
    ("1.500.000,00", 1_500_000),
    ("1500000,00", 1_500_000),
    ("1500000,0", 1_500_000),
    ("Rp 1.500.000,00", 1_500_000),
    ("IDR 50000", 50_000),
    ("50.000 rupiah", 50_000),
    ("  Rp 750.000  ", 750_000),
    # English thousands and spaces
    ("1,500,000", 1_500_000),
    ("1,500", 1_500),
    ("1,500,000.00", 1_500_000),
    ("1 500 000", 1_500_000),
    ("1\u00a0500\u00a0000", 1_500_000),
    ("1 500 000,00", 1_500_000),
    ("Rp 2 000 000", 2_000_000),
    # suffixes
    ("1,5 juta", 1_500_000),
    ("1.5jt", 1_500_000),
    ("1,5jt", 1_500_000),
    ("2 jt", 2_000_000),
    ("2JT", 2_000_000),
    ("10 Juta", 10_000_000),
    ("500rb", 500_000),
    ("500 ribu", 500_000),
    ("500 Ribu", 500_000),
    ("500rbu", 500_000),
    ("500k", 500_000),
    ("500 K", 500_000),
    ("1.25 jt", 1_250_000),
    ("1,25jt", 1_250_000),
    ("2,75rb", 2_750),
    ("0,5jt", 500_000),
    ("1,2340 rb", 1_234),
    ("1.500 rb", 1_500),
    ("1.500.000 rb", 1_500_000_000),
    ("1.500,5 rb", 1_500_500),
    ("Rp 1,5jt", 1_500_000),
    ("Rp1,5 juta", 1_500_000),
    ("rp.500rb", 500_000),
    # compound
    ("1jt 500rb", 1_500_000),
    ("1jt500rb", 1_500_000),
    ("1 juta 500 ribu", 1_500_000),
    ("2 jt 250 rb", 2_250_000),
    # trailing full stop, unicode digits
    ("500rb.", 500_000),
    ("Rp1.500.000.", 1_500_000),
    ("\uff11\uff15\uff10\uff10", 1_500),  # full-width 1500
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_parse_amount_valid(text: str, expected: int) -> None:
    assert parse_amount(text) == expected


ERRORS: list[tuple[str, str]] = [
    ("", "empty"),
    ("   ", "empty"),
    ("Rp", "empty"),
    ("Rp.", "empty"),
    ("rupiah", "empty"),
    ("limaratus ribu", "not_a_number"),  # a typo: words run together are not guessed apart
    ("500 kilo", "not_a_number"),
    ("abc", "not_a_number"),
    ("12a", "not_a_number"),
    ("a12", "not_a_number"),
    ("500kg", "not_a_number"),
    ("rb", "not_a_number"),
    ("500 rbb", "not_a_number"),
    ("1e6", "not_a_number"),
    ("$500", "not_a_number"),
    ("1" * 5000, "malformed"),
    ("-500rb", "negative"),
    ("-1.500.000", "negative"),
    ("Rp -50.000", "negative"),
    ("-Rp50.000", "negative"),
    ("\u2212500", "negative"),
    ("0", "zero"),
    ("000", "zero"),
    ("Rp 0,-", "zero"),
    ("0 jt", "zero"),
    ("-0", "zero"),
    ("1.50.000", "malformed"),
    ("15.00.000", "malformed"),
    ("1..500", "malformed"),
    (".500", "malformed"),
    ("1.5000", "malformed"),
    ("1500.000", "malformed"),
    ("1 500.000", "malformed"),
    ("1,500.000.000", "malformed"),
    ("1.500,000,000", "malformed"),
    ("01.500", "malformed"),
    ("1 50 000", "malformed"),
    ("1jt 2jt", "malformed"),
    ("500rb 1jt", "malformed"),
    ("1jt 500rb 250", "malformed"),
    ("1500000,50", "fraction"),
    ("1.500.000,5", "fraction"),
    ("1,5", "fraction"),
    ("1,500,000.50", "fraction"),
    ("1,2345 rb", "fraction"),
    ("1,0000005 jt", "fraction"),
    ("1,0001 rb,-", "fraction"),
]


@pytest.mark.parametrize(("text", "code"), ERRORS)
def test_parse_amount_errors(text: str, code: str) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(text)
    assert info.value.code == code
    assert info.value.params["text"] == text.strip()


def test_every_error_code_is_covered_twice() -> None:
    codes = [code for _, code in ERRORS]
    for code in ("empty", "not_a_number", "negative", "zero", "malformed", "fraction"):
        assert codes.count(code) >= 2, code


def test_negative_error_carries_the_absolute_amount() -> None:
    with pytest.raises(AmountError) as info:
        parse_amount("-500rb")
    assert info.value.params["amount"] == 500_000


def test_amount_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not_a_number"):
        parse_amount("abc")
    assert issubclass(AmountError, ParseError)


def test_parse_error_pickles_and_prints() -> None:
    error = AmountError("negative", text="-5", amount=5)
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is AmountError
    assert (clone.code, clone.params) == ("negative", {"text": "-5", "amount": 5})
    assert str(error) == "negative (text='-5', amount=5)"
    assert str(AmountError("empty")) == "empty"


def test_constants() -> None:
    assert (MIN_LOAN, MAX_LOAN, TINY_PAYMENT) == (1_000_000, 25_000_000, 10_000)


@pytest.mark.parametrize(
    ("amount", "tiny"),
    [(1, True), (1_500, True), (9_999, True), (10_000, False), (10_001, False), (1_500_000, False)],
)
def test_is_tiny_payment(amount: int, tiny: bool) -> None:
    assert is_tiny_payment(amount) is tiny


def test_ambiguous_1500_is_a_tiny_payment() -> None:
    assert is_tiny_payment(parse_amount("1.500"))


def _dots(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@given(st.integers(min_value=1, max_value=10**10))
def test_indonesian_thousands_round_trip(n: int) -> None:
    assert parse_amount(_dots(n)) == n
    assert parse_amount(f"Rp{_dots(n)}") == n
    assert parse_amount(f"Rp {_dots(n)},-") == n
    assert parse_amount(f"{_dots(n)},00") == n


@given(st.integers(min_value=1, max_value=10**10))
def test_plain_english_and_spaced_round_trip(n: int) -> None:
    assert parse_amount(str(n)) == n
    assert parse_amount(f"{n:,}") == n
    assert parse_amount(f"{n:,}".replace(",", " ")) == n


@given(st.integers(min_value=1, max_value=10**7), st.sampled_from(["rb", " ribu", "k", "rbu"]))
def test_thousand_suffix(n: int, suffix: str) -> None:
    assert parse_amount(f"{n}{suffix}") == n * 1_000


@given(
    st.integers(min_value=1, max_value=999_999),
    st.sampled_from([",", "."]),
    st.sampled_from(["jt", " juta"]),
)
def test_million_suffix_with_decimals(thousandths: int, mark: str, suffix: str) -> None:
    whole, frac = divmod(thousandths, 1_000)
    text = f"{whole}{mark}{frac:03d}{suffix}"
    assert parse_amount(text) == thousandths * 1_000


@given(st.integers(min_value=1, max_value=10**10))
def test_negative_always_rejected(n: int) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(f"-{_dots(n)}")
    assert info.value.code == "negative"


@given(st.text(max_size=30))
def test_arbitrary_text_returns_positive_int_or_amount_error(text: str) -> None:
    try:
        value = parse_amount(text)
    except AmountError as error:
        code = error.code
    else:
        assert isinstance(value, int)
        assert value > 0
        return
    assert code in {"empty", "not_a_number", "negative", "zero", "malformed", "fraction", "ambiguous", "words"}
