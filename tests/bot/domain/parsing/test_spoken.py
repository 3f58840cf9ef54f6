"""Amounts and dates as people type them on phones: number words, ``1 jt 250``, ``tgl 25``, ``2 hari lalu``, weekdays.

Table tests over both parsers, plus property tests: every number written out by ``num2words(n, lang="id")``
parses back to ``n``. The ``today`` values are explicit, so the tests hold on any wall-clock date.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from num2words import num2words

from bot.domain.parsing.dates import ParsedDate, parse_date, parse_date_ex
from bot.domain.parsing.errors import AmountError, DateError
from bot.domain.parsing.money import ParsedAmount, parse_amount, parse_amount_ex, parse_number_words

# --- amounts -----------------------------------------------------------------------------------------------

SPELLED: list[tuple[str, int]] = [
    # the examples
    ("satu juta", 1_000_000),
    ("sejuta", 1_000_000),
    ("setengah juta", 500_000),
    ("lima ratus ribu", 500_000),
    ("dua ratus lima puluh ribu", 250_000),
    ("seratus ribu", 100_000),
    ("tiga ratus ribu rupiah", 300_000),
    ("1 jt 250", 1_250_000),
    # capitals, spaces, Rp, rupiah, full stops
    ("Satu Juta", 1_000_000),
    ("SEJUTA", 1_000_000),
    ("  lima  ratus   ribu ", 500_000),
    ("Lima ratus ribu rupiah", 500_000),
    ("Rp sejuta", 1_000_000),
    ("Rp. dua juta", 2_000_000),
    ("rp lima ratus ribu,-", 500_000),
    ("lima ratus ribu.", 500_000),
    ("seratus ribu rupiah.", 100_000),
    ("IDR sejuta", 1_000_000),
    # thousands in words
    ("seribu", 1_000),
    ("satu ribu", 1_000),
    ("dua ribu", 2_000),
    ("lima ribu", 5_000),
    ("sepuluh ribu", 10_000),
    ("sebelas ribu", 11_000),
    ("dua belas ribu", 12_000),
    ("lima belas ribu", 15_000),
    ("dua puluh ribu", 20_000),
    ("dua puluh lima ribu", 25_000),
    ("lima puluh ribu", 50_000),
    ("tujuh puluh lima ribu", 75_000),
    ("sembilan puluh sembilan ribu", 99_000),
    ("seratus lima puluh ribu", 150_000),
    ("dua ratus ribu", 200_000),
    ("tiga ratus lima puluh ribu", 350_000),
    ("empat ratus ribu", 400_000),
    ("enam ratus ribu", 600_000),
    ("tujuh ratus lima puluh ribu", 750_000),
    ("delapan ratus ribu", 800_000),
    ("sembilan ratus ribu", 900_000),
    ("sembilan ratus sembilan puluh sembilan ribu", 999_000),
    ("seratus sebelas ribu", 111_000),
    ("seratus sepuluh ribu", 110_000),
    ("dua ratus dua belas ribu", 212_000),
    ("satu ratus ribu", 100_000),
    ("seribu lima ratus", 1_500),
    ("dua ribu lima ratus", 2_500),
    # millions in words
    ("dua juta", 2_000_000),
    ("tiga juta", 3_000_000),
    ("lima juta", 5_000_000),
    ("tujuh juta", 7_000_000),
    ("sepuluh juta", 10_000_000),
    ("sebelas juta", 11_000_000),
    ("lima belas juta", 15_000_000),
    ("dua puluh juta", 20_000_000),
    ("dua puluh lima juta", 25_000_000),
    ("seratus juta", 100_000_000),
    ("sembilan ratus sembilan puluh sembilan juta", 999_000_000),
    ("satu juta lima ratus ribu", 1_500_000),
    ("sejuta lima ratus ribu", 1_500_000),
    ("sejuta dua ratus lima puluh ribu", 1_250_000),
    ("satu juta dua ratus ribu", 1_200_000),
    ("dua juta lima ratus ribu", 2_500_000),
    ("enam juta tujuh ratus ribu", 6_700_000),
    ("enam juta lima ratus ribu rupiah", 6_500_000),
    ("tiga juta seratus ribu", 3_100_000),
    ("satu juta seribu", 1_001_000),
    ("satu juta satu ribu", 1_001_000),
    # after ribu a bare group is units
    ("lima ratus ribu dua ratus lima puluh", 500_250),
    ("seribu lima ratus", 1_500),
    # setengah
    ("satu setengah juta", 1_500_000),
    ("sejuta setengah", 1_500_000),
    ("satu juta setengah", 1_500_000),
    ("dua setengah juta", 2_500_000),
    ("dua juta setengah", 2_500_000),
    ("setengah jt", 500_000),
    ("setengah ribu", 500),
    ("dua setengah ribu", 2_500),
    ("sepuluh setengah juta", 10_500_000),
    ("Rp setengah juta", 500_000),
    # abbreviated scale words after words
    ("lima ratus rb", 500_000),
    ("lima ratus rbu", 500_000),
    ("dua jt", 2_000_000),
    ("dua ratus lima puluh k", 250_000),
    ("sejuta 500rb", 1_500_000),
    # digits and words mixed
    ("2 ratus ribu", 200_000),
    ("5 ratus ribu", 500_000),
    ("2 ratus 50 ribu", 250_000),
    ("dua ratus 50 ribu", 250_000),
    ("2 puluh ribu", 20_000),
    ("1 juta dua ratus ribu", 1_200_000),
    ("2 juta lima ratus ribu", 2_500_000),
    ("sejuta 500 ribu", 1_500_000),
    ("dua juta 500 ribu", 2_500_000),
    ("1 setengah juta", 1_500_000),
    ("3 ratus ribu rupiah", 300_000),
    # small amounts in words with a scale word
    ("sebelas ribu", 11_000),
    ("sembilan ratus sembilan puluh sembilan ribu", 999_000),
    # the digit shorthand after jt
    ("1jt 250", 1_250_000),
    ("1jt 500", 1_500_000),
    ("1 juta 250", 1_250_000),
    ("2 jt 750", 2_750_000),
    ("Rp 1 jt 250", 1_250_000),
    ("10 jt 100", 10_100_000),
    ("1 jt 050", 1_050_000),
    ("25jt 999", 25_999_000),
]


@pytest.mark.parametrize(("text", "expected"), SPELLED)
def test_spelled_amounts(text: str, expected: int) -> None:
    assert parse_amount(text) == expected
    assert parse_amount_ex(text) == ParsedAmount(expected, spelled=True)


FIGURES: list[tuple[str, int]] = [
    ("1500000", 1_500_000),
    ("1.500.000", 1_500_000),
    ("Rp1.500.000", 1_500_000),
    ("1,5 juta", 1_500_000),
    ("500rb", 500_000),
    ("500 ribu", 500_000),
    ("2 jt", 2_000_000),
    ("1jt 500rb", 1_500_000),
    ("1.500", 1_500),
    ("25", 25),
]


@pytest.mark.parametrize(("text", "expected"), FIGURES)
def test_figures_are_not_spelled(text: str, expected: int) -> None:
    """What the parser accepted before stays the same, and is not echoed."""
    assert parse_amount_ex(text) == ParsedAmount(expected, spelled=False)


SPELLED_ERRORS: list[tuple[str, str, dict[str, object]]] = [
    # unsure: refused with an example, never guessed
    ("1 jt 5", "ambiguous", {"low": 1_005_000, "high": 1_500_000}),
    ("1jt 5", "ambiguous", {"low": 1_005_000, "high": 1_500_000}),
    ("1 jt 50", "ambiguous", {"low": 1_050_000, "high": 1_500_000}),
    ("2 juta 75", "ambiguous", {"low": 2_075_000, "high": 2_750_000}),
    ("satu juta 250", "ambiguous", {"spoken": True}),
    ("sejuta 5", "ambiguous", {"spoken": True}),
    ("lima ratus ribu 250", "ambiguous", {"spoken": True}),
    # a bare group alone or right after juta: people mean ribu, the words say units (review of issue 19)
    ("lima ratus", "ambiguous", {"spoken": True}),
    ("sebelas", "ambiguous", {"spoken": True}),
    ("dua puluh satu", "ambiguous", {"spoken": True}),
    ("sejuta lima ratus", "ambiguous", {"spoken": True}),
    ("sejuta lima", "ambiguous", {"spoken": True}),
    ("dua juta lima ratus", "ambiguous", {"spoken": True}),
    ("satu juta dua ratus lima puluh", "ambiguous", {"spoken": True}),
    ("lima juta lima ratus rupiah", "ambiguous", {"spoken": True}),
    ("sejuta seratus", "ambiguous", {"spoken": True}),
    # malformed shorthand
    ("1 jt 2500", "malformed", {}),
    ("1,5 jt 250", "malformed", {}),
    ("1 jt 2.500", "malformed", {}),
    ("500rb 250", "malformed", {}),
    # typos and words that make no number
    ("lima ratus ribuu", "words", {"word": "ribuu"}),
    ("lima ratus rebu", "words", {"word": "rebu"}),
    ("sejuta lima ratus ribu kg", "words", {"word": "kg"}),
    ("seratus miliar", "words", {"word": "miliar"}),
    ("satu miliar", "words", {"word": "miliar"}),
    ("lima ratus dan lima puluh ribu", "words", {"word": "dan"}),
    ("satu puluh ribu", "words", {}),
    ("satu belas ribu", "words", {}),
    ("ratus ribu", "words", {}),
    ("ribu lima", "words", {}),
    ("puluh", "words", {}),
    ("setengah", "words", {}),
    ("satu setengah", "words", {}),
    ("setengah ratus", "words", {}),
    ("satu setengah juta dua ratus ribu", "words", {}),
    ("seribu sejuta", "words", {}),
    ("lima ribu dua juta", "words", {}),
    ("lima ribu lima ribu", "words", {}),
    ("dua ratus ratus", "words", {}),
    ("dua dua", "words", {}),
    ("lima ratus lima ratus", "words", {}),
    ("nol ribu", "words", {}),
    ("lima nol", "words", {}),
    ("25 ratus ribu", "words", {}),
    ("1,5 juta lima ratus ribu", "words", {}),
    ("lima-ratus", "words", {}),
    ("sejuta setengah setengah", "words", {}),
    ("0 ratus ribu", "words", {}),
    # the usual codes still apply
    ("nol", "zero", {}),
    ("nol rupiah", "zero", {}),
    ("-lima ratus ribu", "negative", {"amount": 500_000}),
    ("Rp -sejuta", "negative", {"amount": 1_000_000}),
    ("limaratus ribu", "not_a_number", {}),
    ("juta", "not_a_number", {}),
]


@pytest.mark.parametrize(("text", "code", "params"), SPELLED_ERRORS)
def test_spelled_amount_errors(text: str, code: str, params: dict[str, object]) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(text)
    assert info.value.code == code
    assert info.value.params == {"text": text.strip(), **params}


def _bare_group(n: int) -> bool:
    """num2words(n) ends in a group with no scale word, alone or right after juta: the shape parse_amount refuses
    ("lima ratus", "sejuta lima ratus")."""
    return n < 1_000 or (n >= 1_000_000 and 0 < n % 1_000_000 < 1_000)


@settings(max_examples=500)
@given(st.integers(min_value=1, max_value=999_999_999))
def test_num2words_round_trip(n: int) -> None:
    """Every number written out by num2words reads back as that number; as money, every one but the shapes
    that people say for something else, which are refused rather than guessed."""
    words = num2words(n, lang="id")
    assert parse_number_words(words) == n
    assert parse_number_words(words.upper()) == n
    if _bare_group(n):
        with pytest.raises(AmountError) as info:
            parse_amount(words)
        assert (info.value.code, info.value.params.get("spoken")) == ("ambiguous", True)
    else:
        assert parse_amount_ex(words) == ParsedAmount(n, spelled=True)
        assert parse_amount(f"{words} rupiah") == n
        assert parse_amount(words.upper()) == n


@settings(max_examples=300)
@given(st.integers(min_value=1, max_value=999), st.integers(min_value=1, max_value=999))
def test_a_bare_group_after_juta_is_always_refused(millions: int, rest: int) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(num2words(millions * 1_000_000 + rest, lang="id"))
    assert info.value.code == "ambiguous"


def test_num2words_every_number_up_to_ten_thousand() -> None:
    assert [n for n in range(1, 10_001) if parse_number_words(num2words(n, lang="id")) != n] == []
    as_money = [n for n in range(1, 10_001) if not _bare_group(n) and parse_amount(num2words(n, lang="id")) != n]
    assert as_money == []


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=999))
def test_juta_and_ribu_groups(millions: int, thousands: int) -> None:
    words = num2words(millions, lang="id") + " juta"
    if thousands:
        words += " " + num2words(thousands * 1_000, lang="id")
    assert parse_amount(words) == millions * 1_000_000 + thousands * 1_000


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=100, max_value=999))
def test_jt_shorthand(millions: int, thousands: int) -> None:
    assert parse_amount_ex(f"{millions} jt {thousands}") == ParsedAmount(
        millions * 1_000_000 + thousands * 1_000, spelled=True
    )


@given(st.integers(min_value=1, max_value=99))
def test_half_million(millions: int) -> None:
    words = num2words(millions, lang="id")
    assert parse_amount(f"{words} setengah juta") == millions * 1_000_000 + 500_000
    if millions > 1:
        assert parse_amount(f"{words} juta setengah") == millions * 1_000_000 + 500_000


# --- dates -------------------------------------------------------------------------------------------------

Prefer = Literal["past", "future"]
SAT = date(2026, 11, 28)  # a Saturday
FRI = date(2026, 11, 27)
WED = date(2026, 4, 15)  # 15 April 2026, a Wednesday
LEAP = date(2028, 2, 29)  # a Tuesday
MARCH = date(2027, 3, 10)  # a Wednesday; February 2027 has 28 days

INFERRED: list[tuple[str, date, Prefer, date]] = [
    # a bare day of the month
    ("25", SAT, "past", date(2026, 11, 25)),
    ("tgl 25", SAT, "past", date(2026, 11, 25)),
    ("tanggal 25", SAT, "past", date(2026, 11, 25)),
    ("Tgl. 25", SAT, "past", date(2026, 11, 25)),
    ("tgl25", SAT, "past", date(2026, 11, 25)),
    ("Tanggal 25.", SAT, "past", date(2026, 11, 25)),
    ("28", SAT, "past", SAT),
    ("tgl 28", SAT, "future", SAT),
    ("1", SAT, "past", date(2026, 11, 1)),
    ("01", SAT, "past", date(2026, 11, 1)),
    ("29", SAT, "past", date(2026, 10, 29)),
    ("30", SAT, "past", date(2026, 10, 30)),
    ("31", SAT, "past", date(2026, 10, 31)),
    ("29", SAT, "future", date(2026, 11, 29)),
    ("31", SAT, "future", date(2026, 12, 31)),
    ("25", SAT, "future", date(2026, 12, 25)),
    ("tgl 31", WED, "past", date(2026, 3, 31)),
    ("tgl 31", WED, "future", date(2026, 5, 31)),
    ("tgl 30", WED, "past", date(2026, 3, 30)),
    ("tgl 15", WED, "past", WED),
    ("tgl 16", WED, "past", date(2026, 3, 16)),
    ("tgl 29", LEAP, "past", LEAP),
    ("tgl 30", LEAP, "past", date(2028, 1, 30)),
    ("tgl 29", MARCH, "past", date(2027, 1, 29)),
    ("tgl 29", date(2027, 2, 10), "future", date(2027, 3, 29)),
    ("tgl 31", date(2027, 1, 5), "past", date(2026, 12, 31)),
    ("tgl 6", date(2027, 1, 5), "past", date(2026, 12, 6)),
    ("tgl 4", date(2026, 12, 5), "future", date(2027, 1, 4)),
    # N days ago
    ("2 hari lalu", SAT, "past", date(2026, 11, 26)),
    ("2 hari yang lalu", SAT, "past", date(2026, 11, 26)),
    ("3 hari yg lalu", SAT, "past", date(2026, 11, 25)),
    ("dua hari lalu", SAT, "past", date(2026, 11, 26)),
    ("Dua Hari Yang Lalu", SAT, "past", date(2026, 11, 26)),
    ("tiga hari yg lalu", SAT, "past", date(2026, 11, 25)),
    ("1 hari lalu", SAT, "past", FRI),
    ("satu hari yang lalu", SAT, "past", FRI),
    ("sehari yang lalu", SAT, "past", FRI),
    ("sehari lalu", SAT, "past", FRI),
    ("5 hr lalu", SAT, "past", date(2026, 11, 23)),
    ("5hari lalu", SAT, "past", date(2026, 11, 23)),
    ("4 hari sebelumnya", SAT, "past", date(2026, 11, 24)),
    ("sepuluh hari lalu", SAT, "past", date(2026, 11, 18)),
    ("dua puluh hari yang lalu", SAT, "past", date(2026, 11, 8)),
    ("30 hari lalu", SAT, "past", date(2026, 10, 29)),
    ("2 hari lalu", date(2027, 1, 1), "past", date(2026, 12, 30)),
    ("2 hari lalu", date(2028, 3, 1), "past", date(2028, 2, 28)),
    ("2 hari lalu", SAT, "future", date(2026, 11, 26)),
    ("2 hari lalu.", SAT, "past", date(2026, 11, 26)),
    ("1 minggu lalu", SAT, "past", date(2026, 11, 21)),
    ("seminggu yang lalu", SAT, "past", date(2026, 11, 21)),
    ("dua minggu lalu", SAT, "past", date(2026, 11, 14)),
    ("3 hari lagi", SAT, "future", date(2026, 12, 1)),
    ("sepuluh hari lagi", SAT, "future", date(2026, 12, 8)),
    ("seminggu lagi", SAT, "future", date(2026, 12, 5)),
    # weekdays, on a Saturday
    ("jumat", SAT, "past", FRI),
    ("jum'at", SAT, "past", FRI),
    ("Jum\u2019at", SAT, "past", FRI),
    ("Jumat", SAT, "past", FRI),
    ("JUMAT", SAT, "past", FRI),
    ("Jumat kemarin", SAT, "past", FRI),
    ("jumat lalu", SAT, "past", FRI),
    ("jumat yang lalu", SAT, "past", FRI),
    ("jumat yg lalu", SAT, "past", FRI),
    ("hari jumat", SAT, "past", FRI),
    ("hari jum'at kemarin", SAT, "past", FRI),
    ("jumat kmrn", SAT, "past", FRI),
    ("friday", SAT, "past", FRI),
    ("senin", SAT, "past", date(2026, 11, 23)),
    ("Senin kemarin", SAT, "past", date(2026, 11, 23)),
    ("selasa", SAT, "past", date(2026, 11, 24)),
    ("rabu", SAT, "past", date(2026, 11, 25)),
    ("kamis", SAT, "past", date(2026, 11, 26)),
    ("sabtu", SAT, "past", date(2026, 11, 21)),  # today's weekday: a week ago, never today
    ("minggu", SAT, "past", date(2026, 11, 22)),
    ("hari minggu", SAT, "past", date(2026, 11, 22)),
    ("hari minggu lalu", SAT, "past", date(2026, 11, 22)),
    ("ahad", SAT, "past", date(2026, 11, 22)),
    ("monday", SAT, "past", date(2026, 11, 23)),
    ("sunday", SAT, "past", date(2026, 11, 22)),
    ("saturday", SAT, "past", date(2026, 11, 21)),
    # weekdays, on a Friday
    ("jumat", FRI, "past", date(2026, 11, 20)),
    ("jumat kemarin", FRI, "past", date(2026, 11, 20)),
    ("kamis", FRI, "past", date(2026, 11, 26)),
    ("sabtu", FRI, "past", date(2026, 11, 21)),
    # weekdays looking forward (event dates), a weekday after today unless said otherwise
    ("jumat", SAT, "future", date(2026, 12, 4)),
    ("sabtu", SAT, "future", date(2026, 12, 5)),
    ("minggu", SAT, "future", date(2026, 11, 29)),
    ("senin", SAT, "future", date(2026, 11, 30)),
    ("jumat kemarin", SAT, "future", FRI),
    ("selasa", date(2026, 12, 31), "future", date(2027, 1, 5)),
    ("rabu", date(2027, 1, 1), "past", date(2026, 12, 30)),
    ("selasa", LEAP, "past", date(2028, 2, 22)),
    ("senin", LEAP, "past", date(2028, 2, 28)),
]


@pytest.mark.parametrize(("text", "today", "prefer", "expected"), INFERRED)
def test_inferred_dates(text: str, today: date, prefer: Prefer, expected: date) -> None:
    assert parse_date(text, today, prefer) == expected
    assert parse_date_ex(text, today, prefer) == ParsedDate(expected, inferred=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("hari ini", SAT), ("kemarin", FRI), ("28/11", SAT), ("25 Nov", date(2026, 11, 25)), ("28/11/2026", SAT)],
)
def test_explicit_dates_are_not_inferred(text: str, expected: date) -> None:
    assert parse_date_ex(text, SAT) == ParsedDate(expected, inferred=False)


INFERRED_ERRORS: list[tuple[str, str, dict[str, object]]] = [
    ("tgl 32", "invalid_date", {"day": 32}),
    ("tgl 0", "invalid_date", {"day": 0}),
    ("00", "invalid_date", {"day": 0}),
    ("99", "invalid_date", {"day": 99}),
    ("minggu lalu", "ambiguous", {"reason": "sunday"}),  # last Sunday, or last week?
    ("minggu kemarin", "ambiguous", {"reason": "sunday"}),
    ("minggu yang lalu", "ambiguous", {"reason": "sunday"}),
    ("jumat ini", "ambiguous", {"reason": "this_week"}),
    ("minggu depan", "unrecognized", {}),
    ("jumat depan", "unrecognized", {}),
    ("jumaat", "unrecognized", {}),
    ("jmt", "unrecognized", {}),
    ("0 hari lalu", "unrecognized", {}),
    ("1000 hari lalu", "unrecognized", {}),
    ("dua juta hari lalu", "unrecognized", {}),
    ("setengah hari lalu", "unrecognized", {}),
    ("hari lalu", "unrecognized", {}),
    ("2 hari", "unrecognized", {}),
    ("2 bulan lalu", "unrecognized", {}),
    ("tgl 25 25", "unrecognized", {}),
    ("250", "unrecognized", {}),
    ("2026", "unrecognized", {}),
]


@pytest.mark.parametrize(("text", "code", "params"), INFERRED_ERRORS)
def test_inferred_date_errors(text: str, code: str, params: dict[str, object]) -> None:
    with pytest.raises(DateError) as info:
        parse_date(text, SAT)
    assert info.value.code == code
    assert info.value.params == {"text": text.strip(), **params}


_DAYS = st.dates(min_value=date(2000, 3, 1), max_value=date(2099, 12, 31))
_WEEKDAY_NAMES = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")


@given(_DAYS, st.integers(min_value=1, max_value=31))
def test_bare_day_is_the_latest_on_or_before_today(today: date, day: int) -> None:
    found = parse_date(f"tgl {day}", today, "past")
    assert found.day == day and found <= today
    later = [found + timedelta(days=k) for k in range(1, (today - found).days + 1)]
    assert all(d.day != day for d in later)  # no later day `day` on or before today
    ahead = parse_date(str(day), today, "future")
    assert ahead.day == day and ahead >= today
    assert all((today + timedelta(days=k)).day != day for k in range((ahead - today).days))


@given(_DAYS, st.sampled_from(range(7)))
def test_weekday_is_the_latest_before_today(today: date, weekday: int) -> None:
    found = parse_date(_WEEKDAY_NAMES[weekday], today, "past")
    assert found.weekday() == weekday and 1 <= (today - found).days <= 7
    ahead = parse_date(_WEEKDAY_NAMES[weekday], today, "future")
    assert ahead.weekday() == weekday and 1 <= (ahead - today).days <= 7
    assert parse_date(f"hari {_WEEKDAY_NAMES[weekday]} kemarin", today, "future") == found


@given(_DAYS, st.integers(min_value=1, max_value=999))
def test_days_ago_in_digits_and_words(today: date, n: int) -> None:
    expected = today - timedelta(days=n)
    assert parse_date(f"{n} hari lalu", today) == expected
    assert parse_date(f"{num2words(n, lang='id')} hari yang lalu", today) == expected


def test_table_size() -> None:
    """The issue asks for at least 200 realistic inputs across both parsers."""
    total = len(SPELLED) + len(FIGURES) + len(SPELLED_ERRORS) + len(INFERRED) + len(INFERRED_ERRORS)
    assert total >= 200


def test_digits_of_other_scripts_next_to_number_words_are_refused_not_a_crash() -> None:
    with pytest.raises(AmountError):
        parse_amount("lima ratus ፩")  # Ethiopic one: str.isdigit() is True, int() can't read it
