"""Parse and check a NIK (Nomor Induk Kependudukan), the 16-digit Indonesian identity number.

Layout ``PP KK CC DD MM YY SSSS``: province, regency/city and kecamatan of first registration, date of birth
(women add 40 to the day) and a serial from 0001. Spaces, dots and dashes are ignored.

Checks, in this order (:class:`NikError` codes):

* ``'not_digits'``: something other than digits, spaces, dots and dashes;
* ``'length'``: not 16 digits (params ``length``);
* ``'province'``: PP is not a province in ``bot/domain/data/wilayah_kabupaten_kota.csv`` (params ``province_code``);
* ``'birth_date'``: the day (after removing 40), month and year do not make a real date (params ``day``,
  ``month``, ``year`` as typed, two-digit);
* ``'serial'``: SSSS is 0000.

An unknown PP.KK regency is not an error (old codes exist): :attr:`NikInfo.regency_known` is False and the
caller asks the person to check. A NIK is personal data: display it with :func:`mask_nik`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Literal

from bot.domain.parsing.errors import NikError

NIK_LENGTH = 16
_SEPARATORS = re.compile(r"[\s.\-\u2013\u2014]+")
_MASK = "\u2022"  # •


@dataclass(frozen=True)
class NikInfo:
    """The fields encoded in a valid NIK."""

    nik: str
    """The 16 digits, without separators."""
    province_code: str
    """``"53"``."""
    regency_code: str
    """``"53.71"``."""
    kecamatan_code: str
    """``"53.71.05"``."""
    birth_date: date
    sex: Literal["M", "F"]
    serial: int
    regency_known: bool
    """False when PP.KK is not in the regency list: ask the person to check, do not refuse."""
    province_name: str | None
    regency_name: str | None


@cache
def _wilayah() -> tuple[MappingProxyType[str, str], MappingProxyType[str, str]]:
    text = resources.files("bot.domain.data").joinpath("wilayah_kabupaten_kota.csv").read_text(encoding="utf-8-sig")
    provinces: dict[str, str] = {}
    regencies: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        provinces[row["provinsi_kode"].strip()] = row["provinsi"].strip()
        regencies[row["kode"].strip()] = row["nama"].strip()
    return MappingProxyType(provinces), MappingProxyType(regencies)


def provinces() -> MappingProxyType[str, str]:
    """Province code (``"53"``) → name (``"Nusa Tenggara Timur"``), from the bundled CSV."""
    return _wilayah()[0]


def regencies() -> MappingProxyType[str, str]:
    """Regency/city code (``"53.71"``) → name (``"Kota Kupang"``), from the bundled CSV."""
    return _wilayah()[1]


def clean_nik(text: str) -> str:
    """Remove spaces, dots and dashes (after NFKC normalisation); no validation."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))


def parse_nik(text: str, today: date) -> NikInfo:
    """Check a NIK and decode its fields; ``today`` picks the century of the two-digit birth year.

    Raises :class:`NikError` (see the module docstring for the codes).
    """
    nik = clean_nik(text)
    if not (nik.isascii() and nik.isdigit()) and nik:
        raise NikError("not_digits", length=len(nik))
    if len(nik) != NIK_LENGTH:
        raise NikError("length", length=len(nik))

    province_code = nik[0:2]
    regency_code = f"{province_code}.{nik[2:4]}"
    kecamatan_code = f"{regency_code}.{nik[4:6]}"
    province_name = provinces().get(province_code)
    if province_name is None:
        raise NikError("province", province_code=province_code)
    regency_name = regencies().get(regency_code)

    coded_day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex: Literal["M", "F"] = "F" if coded_day > 40 else "M"
    day = coded_day - 40 if coded_day > 40 else coded_day
    birth_date = _birth_date(day, month, yy, today)
    if birth_date is None:
        raise NikError("birth_date", day=day, month=month, year=yy)

    serial = int(nik[12:16])
    if serial == 0:
        raise NikError("serial")

    return NikInfo(
        nik=nik,
        province_code=province_code,
        regency_code=regency_code,
        kecamatan_code=kecamatan_code,
        birth_date=birth_date,
        sex=sex,
        serial=serial,
        regency_known=regency_name is not None,
        province_name=province_name,
        regency_name=regency_name,
    )


def _birth_date(day: int, month: int, yy: int, today: date) -> date | None:
    """The real date for DD MM YY, in the latest century that puts it on or before ``today``."""
    year = today.year // 100 * 100 + yy
    if (year, month, day) > (today.year, today.month, today.day):
        year -= 100
    try:
        return date(year, month, day)
    except ValueError:
        return None


def mask_nik(nik: str) -> str:
    """Show only the first 4 and last 4 digits: ``5371••••••••0003``.

    Separators are removed first; anything of 8 characters or fewer is masked completely.
    """
    digits = clean_nik(nik)
    if len(digits) <= 8:
        return _MASK * len(digits)
    return f"{digits[:4]}{_MASK * 8}{digits[-4:]}"


def age_on(birth_date: date, on: date) -> int:
    """Age in completed years on date ``on`` (someone born on 29 February turns a year older on 1 March).

    Raises ValueError when ``on`` is before ``birth_date``.
    """
    if on < birth_date:
        raise ValueError(f"{on} is before the birth date {birth_date}")
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


__all__ = ["NIK_LENGTH", "NikInfo", "age_on", "clean_nik", "mask_nik", "parse_nik", "provinces", "regencies"]
