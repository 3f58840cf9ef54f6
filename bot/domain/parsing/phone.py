"""Normalise Indonesian mobile numbers to E.164 (``+628…``) with the ``phonenumbers`` library.

Accepted: ``0812 3456 789``, ``0812-3456-7890``, ``(0812) 3456 7890``, ``+62 812 3456 7890``, ``+62 (0)812…``,
``62812…``, ``0062 812…`` and ``8123456789`` (no trunk 0). Only mobiles count: after 62 the number must match
``8[1-35-9]`` followed by 7–10 digits.

Errors (:class:`PhoneError` codes):

* ``'empty'``;
* ``'invalid'``: letters, too short or long, not a valid number, or a valid Indonesian number that is neither
  mobile nor fixed line (toll-free, premium…);
* ``'landline'``: a valid Indonesian fixed line such as Kupang's ``0380 …``; params ``number`` in national
  format (``(0380) 821234``) and ``e164``;
* ``'foreign'``: a valid non-Indonesian number; params ``number`` in international format, ``e164`` and
  ``region`` (ISO country code such as ``'TL'``).
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from bot.domain.parsing.errors import PhoneError

COUNTRY_CODE = "62"
_MOBILE_NSN = re.compile(r"8[1-35-9][0-9]{7,10}")
_ALLOWED = re.compile(r"\+?[0-9 ().\-/]+")
_MASK = "\u2022"  # •
_MAX_DIGITS = 15  # E.164 maximum


def normalize_phone(text: str) -> str:
    """Return the E.164 form (``+6281234567890``) of an Indonesian mobile number.

    Raises :class:`PhoneError` (see the module docstring for the codes).
    """
    s = unicodedata.normalize("NFKC", text).strip()
    s = re.sub(r"\s+", " ", s)
    if not s:
        raise PhoneError("empty")
    if not _ALLOWED.fullmatch(s):
        raise PhoneError("invalid")
    digits = re.sub(r"[^0-9]", "", s)
    if not digits or len(digits) > _MAX_DIGITS + 2:
        raise PhoneError("invalid")

    if s.startswith("+"):
        nsn = _international_nsn(digits)
    elif digits.startswith("00"):
        nsn = _international_nsn(digits[2:])
    elif digits.startswith(COUNTRY_CODE):
        # A national number always starts with the trunk 0, so a leading 62 is the country code.
        nsn = _international_nsn(digits)
    elif digits.startswith("0"):
        nsn = digits[1:]
    elif digits.startswith("8"):
        nsn = digits
    else:
        raise PhoneError("invalid")

    if _MOBILE_NSN.fullmatch(nsn):
        return f"+{COUNTRY_CODE}{nsn}"
    _raise_for_non_mobile(nsn)
    raise AssertionError("unreachable")  # pragma: no cover


def _international_nsn(digits: str) -> str:
    """National significant number of an international number (without '+'); raises unless Indonesian."""
    if not digits.startswith(COUNTRY_CODE):
        try:
            number = phonenumbers.parse(f"+{digits}", None)
        except NumberParseException:
            raise PhoneError("invalid") from None
        if phonenumbers.is_valid_number(number):
            raise PhoneError(
                "foreign",
                number=phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
                e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
                region=phonenumbers.region_code_for_number(number),
            )
        raise PhoneError("invalid")
    nsn = digits[len(COUNTRY_CODE) :]
    if nsn.startswith("0"):
        nsn = nsn[1:]  # "+62 (0)812…" / "+62 0812…"
    return nsn


def _raise_for_non_mobile(nsn: str) -> None:
    try:
        number = phonenumbers.parse(f"+{COUNTRY_CODE}{nsn}", None)
    except NumberParseException:
        raise PhoneError("invalid") from None
    if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in (
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise PhoneError(
            "landline",
            number=phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
            e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        )
    raise PhoneError("invalid")


def _split_e164(e164: str) -> tuple[str, str]:
    """(country code, national significant number) of an E.164 string."""
    try:
        number = phonenumbers.parse(e164 if e164.startswith("+") else f"+{e164}", None)
    except NumberParseException:
        raise PhoneError("invalid") from None
    return str(number.country_code), phonenumbers.national_significant_number(number)


def mask_phone(e164: str) -> str:
    """Hide the middle of a number: ``+6281234567890`` → ``+62812••••7890``.

    Keeps the country code, the first 3 digits after it and the last 4; always 4 bullets, so the mask does not
    reveal the length. Raises :class:`PhoneError` ``'invalid'`` for something that is not an E.164 number.
    """
    country_code, nsn = _split_e164(e164)
    if len(nsn) <= 7:
        return f"+{country_code}{_MASK * 4}{nsn[-2:]}"
    return f"+{country_code}{nsn[:3]}{_MASK * 4}{nsn[-4:]}"


def format_phone_national(e164: str) -> str:
    """Display form of an Indonesian mobile: ``+6281234567890`` → ``0812-3456-7890`` (phonenumbers' grouping).

    Non-Indonesian numbers are shown in international format (``+65 9123 4567``). Raises :class:`PhoneError`
    ``'invalid'`` for something that is not an E.164 number.
    """
    country_code, nsn = _split_e164(e164)
    number = phonenumbers.parse(f"+{country_code}{nsn}", None)
    if country_code != COUNTRY_CODE:
        return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    formatted = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    if not formatted.startswith("0"):
        # phonenumbers has no pattern for it: fall back to 4-4-rest groups.
        national = f"0{nsn}"
        formatted = "-".join(part for part in (national[:4], national[4:8], national[8:]) if part)
    return formatted


__all__ = ["COUNTRY_CODE", "format_phone_national", "mask_phone", "normalize_phone"]
