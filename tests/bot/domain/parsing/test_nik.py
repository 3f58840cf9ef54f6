"""Tests for bot.domain.parsing.nik: table-driven cases plus hypothesis round-trips."""

from __future__ import annotations

import csv
from dataclasses import FrozenInstanceError
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.parsing.errors import NikError, ParseError
from bot.domain.parsing.nik import NikInfo, age_on, clean_nik, mask_nik, parse_nik, provinces, regencies

TODAY = date(2026, 11, 28)
CSV_PATH = Path(__file__).resolve().parents[4] / "bot" / "domain" / "data" / "wilayah_kabupaten_kota.csv"

# (nik as typed, today, expected fields)
VALID: list[tuple[str, date, dict[str, object]]] = [
    (
        "5371054408900003",
        TODAY,
        {
            "nik": "5371054408900003",
            "province_code": "53",
            "regency_code": "53.71",
            "kecamatan_code": "53.71.05",
            "birth_date": date(1990, 8, 4),
            "sex": "F",
            "serial": 3,
            "regency_known": True,
            "province_name": "Nusa Tenggara Timur",
            "regency_name": "Kota Kupang",
        },
    ),
    ("5371050408900003", TODAY, {"sex": "M", "birth_date": date(1990, 8, 4)}),
    ("5371 0544 0890 0003", TODAY, {"nik": "5371054408900003", "sex": "F"}),
    ("53.71.05.440890.0003", TODAY, {"nik": "5371054408900003"}),
    ("53-71-05-440890-0003", TODAY, {"nik": "5371054408900003"}),
    (" 5371054408900003 ", TODAY, {"nik": "5371054408900003"}),
    ("5371\u00a0054408900003", TODAY, {"nik": "5371054408900003"}),
    ("5371050101950001", TODAY, {"birth_date": date(1995, 1, 1), "sex": "M", "serial": 1}),
    ("5371054101950001", TODAY, {"birth_date": date(1995, 1, 1), "sex": "F"}),
    ("5371053112990001", TODAY, {"birth_date": date(1999, 12, 31), "sex": "M"}),
    ("5371057112990001", TODAY, {"birth_date": date(1999, 12, 31), "sex": "F"}),
    ("5371052902000001", TODAY, {"birth_date": date(2000, 2, 29), "sex": "M"}),
    ("5371056902040001", TODAY, {"birth_date": date(2004, 2, 29), "sex": "F"}),
    ("5371051508089999", TODAY, {"birth_date": date(2008, 8, 15), "serial": 9999}),
    # century: birth date must not be after today
    ("5371052811260001", TODAY, {"birth_date": date(2026, 11, 28)}),
    ("5371052911260001", TODAY, {"birth_date": date(1926, 11, 29)}),
    ("5371050101270001", TODAY, {"birth_date": date(1927, 1, 1)}),
    ("5371050101250001", TODAY, {"birth_date": date(2025, 1, 1)}),
    ("5371050101000001", TODAY, {"birth_date": date(2000, 1, 1)}),
    ("5371050101000001", date(1999, 6, 1), {"birth_date": date(1900, 1, 1)}),
    # other provinces and regencies
    ("5301010101800001", TODAY, {"regency_code": "53.01", "regency_name": "Kabupaten Kupang"}),
    ("3174010101800001", TODAY, {"province_code": "31", "regency_name": "Kota Administrasi Jakarta Selatan"}),
    ("3180010101800001", TODAY, {"province_code": "31", "regency_known": False, "regency_name": None}),
    ("1101010101800001", TODAY, {"province_name": "Aceh", "regency_name": "Kabupaten Aceh Selatan"}),
    ("9671010101800001", TODAY, {"province_name": "Papua Barat Daya", "regency_name": "Kota Sorong"}),
    # unknown regency is not an error
    ("5399051212050001", TODAY, {"regency_code": "53.99", "regency_known": False, "province_code": "53"}),
    ("5300051212050001", TODAY, {"regency_code": "53.00", "regency_known": False, "regency_name": None}),
    ("5371000101800001", TODAY, {"kecamatan_code": "53.71.00"}),
]


@pytest.mark.parametrize(("text", "today", "expected"), VALID)
def test_parse_nik_valid(text: str, today: date, expected: dict[str, object]) -> None:
    info = parse_nik(text, today)
    for field, value in expected.items():
        assert getattr(info, field) == value, field


def test_nik_info_is_frozen() -> None:
    info = parse_nik("5371054408900003", TODAY)
    with pytest.raises(FrozenInstanceError):
        info.serial = 4  # type: ignore[misc]


ERRORS: list[tuple[str, str, dict[str, object]]] = [
    ("", "length", {"length": 0}),
    ("   ", "length", {"length": 0}),
    ("537105440890000", "length", {"length": 15}),
    ("53710544089000033", "length", {"length": 17}),
    ("5371-0544", "length", {"length": 8}),
    ("5371a54408900003", "not_digits", {"length": 16}),
    ("NIK 5371054408900003", "not_digits", {"length": 19}),
    ("5371O54408900003", "not_digits", {"length": 16}),
    ("5371/054408900003", "not_digits", {"length": 17}),
    ("9971050101950001", "province", {"province_code": "99"}),
    ("0071050101950001", "province", {"province_code": "00"}),
    ("2071050101950001", "province", {"province_code": "20"}),
    ("5471050101950001", "province", {"province_code": "54"}),
    ("5371050001950001", "birth_date", {"day": 0, "month": 1, "year": 95}),
    ("5371054001950001", "birth_date", {"day": 40, "month": 1, "year": 95}),
    ("5371053201950001", "birth_date", {"day": 32, "month": 1, "year": 95}),
    ("5371057201950001", "birth_date", {"day": 32, "month": 1, "year": 95}),
    ("5371050100950001", "birth_date", {"day": 1, "month": 0, "year": 95}),
    ("5371050113950001", "birth_date", {"day": 1, "month": 13, "year": 95}),
    ("5371053002950001", "birth_date", {"day": 30, "month": 2, "year": 95}),
    ("5371052902950001", "birth_date", {"day": 29, "month": 2, "year": 95}),
    ("5371057104950001", "birth_date", {"day": 31, "month": 4, "year": 95}),
    ("5371059901950001", "birth_date", {"day": 59, "month": 1, "year": 95}),
    ("5371050101950000", "serial", {}),
    ("5371054408900000", "serial", {}),
]


@pytest.mark.parametrize(("text", "code", "params"), ERRORS)
def test_parse_nik_errors(text: str, code: str, params: dict[str, object]) -> None:
    with pytest.raises(NikError) as info:
        parse_nik(text, TODAY)
    assert info.value.code == code
    assert info.value.params == params


def test_every_nik_error_code_is_covered_twice() -> None:
    codes = [code for _, code, _ in ERRORS]
    for code in ("length", "not_digits", "province", "birth_date", "serial"):
        assert codes.count(code) >= 2, code


def test_nik_error_is_a_parse_error() -> None:
    assert issubclass(NikError, ParseError)


def test_province_is_checked_before_birth_date_and_serial() -> None:
    with pytest.raises(NikError) as info:
        parse_nik("9971050000000000", TODAY)
    assert info.value.code == "province"


def test_birth_date_is_checked_before_serial() -> None:
    with pytest.raises(NikError) as info:
        parse_nik("5371050000000000", TODAY)
    assert info.value.code == "birth_date"


def test_wilayah_tables_match_the_csv() -> None:
    with CSV_PATH.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(regencies()) == len(rows) == 514
    assert len(provinces()) == 38
    assert provinces()["53"] == "Nusa Tenggara Timur"
    assert regencies()["53.71"] == "Kota Kupang"
    assert all(code[:2] in provinces() for code in regencies())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5371054408900003", "5371\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u20220003"),
        ("5371 0544 0890 0003", "5371\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u20220003"),
        ("3174010101800001", "3174\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u20220001"),
        ("12345678", "\u2022" * 8),
        ("123", "\u2022" * 3),
        ("", ""),
    ],
)
def test_mask_nik(text: str, expected: str) -> None:
    assert mask_nik(text) == expected


def test_mask_nik_example_from_domain() -> None:
    assert mask_nik("5371054408900003") == "5371••••••••0003"


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(1990, 8, 4), date(2026, 11, 28), 36),
        (date(1990, 8, 4), date(2026, 8, 4), 36),
        (date(1990, 8, 4), date(2026, 8, 3), 35),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
        (date(2000, 2, 29), date(2026, 3, 1), 26),
        (date(2000, 2, 29), date(2028, 2, 29), 28),
        (date(2026, 11, 28), date(2026, 11, 28), 0),
        (date(2009, 11, 29), date(2026, 11, 28), 16),
        (date(2009, 11, 28), date(2026, 11, 28), 17),
        (date(1980, 12, 31), date(2026, 1, 1), 45),
    ],
)
def test_age_on(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


def test_age_on_before_birth_raises() -> None:
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


def test_clean_nik() -> None:
    assert clean_nik(" 53.71-05 4408\t900003 ") == "5371054408900003"


_PROVINCES = sorted(provinces())
# A two-digit year covers the 100 years up to today.
OLDEST = date(TODAY.year - 100, TODAY.month, TODAY.day) + timedelta(days=1)


@st.composite
def generated_niks(draw: st.DrawFn) -> tuple[str, str, str, str, date, str, int]:
    province = draw(st.sampled_from(_PROVINCES))
    regency = draw(st.integers(min_value=0, max_value=99))
    kecamatan = draw(st.integers(min_value=0, max_value=99))
    birth = draw(st.dates(min_value=OLDEST, max_value=TODAY))
    sex = draw(st.sampled_from(["M", "F"]))
    serial = draw(st.integers(min_value=1, max_value=9999))
    day = birth.day + (40 if sex == "F" else 0)
    birth_digits = f"{day:02d}{birth.month:02d}{birth.year % 100:02d}"
    nik = f"{province}{regency:02d}{kecamatan:02d}{birth_digits}{serial:04d}"
    return nik, province, f"{regency:02d}", f"{kecamatan:02d}", birth, sex, serial


@given(generated_niks(), st.sampled_from(["", " ", ".", "-"]))
def test_generated_nik_round_trips(generated: tuple[str, str, str, str, date, str, int], sep: str) -> None:
    nik, province, regency, kecamatan, birth, sex, serial = generated
    typed = sep.join([nik[0:2], nik[2:4], nik[4:6], nik[6:12], nik[12:16]])
    info = parse_nik(typed, TODAY)
    assert isinstance(info, NikInfo)
    assert info.nik == nik
    assert info.province_code == province
    assert info.regency_code == f"{province}.{regency}"
    assert info.kecamatan_code == f"{province}.{regency}.{kecamatan}"
    assert info.birth_date == birth
    assert info.sex == sex
    assert info.serial == serial
    assert info.province_name == provinces()[province]
    assert info.regency_known == (info.regency_code in regencies())
    assert info.regency_name == regencies().get(info.regency_code)
    assert mask_nik(nik) == nik[:4] + "\u2022" * 8 + nik[-4:]
    assert age_on(info.birth_date, TODAY) >= 0


@given(st.text(max_size=24))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        info = parse_nik(text, TODAY)
    except NikError as error:
        code = error.code
    else:
        assert len(info.nik) == 16
        assert info.birth_date <= TODAY
        return
    assert code in {"length", "not_digits", "province", "birth_date", "serial"}
