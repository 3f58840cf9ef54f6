"""Parse money amounts typed by people into whole Rupiah.

Accepted spellings (case-insensitive, surrounding spaces ignored)::

    1500000   1.500.000   Rp1.500.000   Rp. 1.500.000   Rp 1.500.000,-   1.500.000,00   1,500,000   1 500 000
    1,5 juta  1.5jt  1,5jt  2 jt  1.25 jt  500rb  500 ribu  500rbu  500k  2,75rb  1jt 500rb  1 juta 500 ribu

Rules:

* an optional ``Rp``/``Rp.``/``IDR`` prefix and an optional ``rupiah`` word at the end;
* an optional trailing ``,-`` (or ``.-``);
* suffix ``rb``/``rbu``/``ribu``/``k`` multiplies by 1,000 and ``jt``/``juta`` by 1,000,000. Several
  suffixed terms may follow each other with strictly decreasing multipliers (``1jt 500rb``);
* with a suffix, a single ``,`` or ``.`` is a decimal mark (``1,5jt`` = 1,500,000; ``1.500 rb`` = 1,500);
* without a suffix, ``.``, ``,`` and spaces are thousands separators when grouped in threes
  (``1.500`` = 1,500); a single separator followed by one or two digits is a decimal mark, and when both
  ``.`` and ``,`` occur the one that occurs last (once) is the decimal mark. Decimals must be zero
  (``1.500.000,00``), because Rupiah has no sub-units: ``1500000,50`` is an error.

Errors raise :class:`AmountError` whose ``code`` is one of ``'empty'``, ``'not_a_number'``, ``'negative'``
(params ``amount``, the absolute value), ``'zero'``, ``'malformed'`` (wrong digit grouping) or ``'fraction'``
(not a whole number of Rupiah); ``params`` always holds ``text`` (the input, stripped). Business limits are
not checked here: see :data:`MIN_LOAN`, :data:`MAX_LOAN` and :func:`is_tiny_payment`.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from typing import Final

from bot.parsing.errors import AmountError

MIN_LOAN: Final = 1_000_000
"""Smallest loan principal of the programme (Rp1 juta)."""

MAX_LOAN: Final = 25_000_000
"""Largest loan principal of the programme (Rp25 juta)."""

TINY_PAYMENT: Final = 10_000
"""Payments below this are probably a typo (``1.500`` meant as Rp1.500.000) and are confirmed first."""

_MULTIPLIERS: Final[dict[str, int]] = {
    "rb": 1_000,
    "rbu": 1_000,
    "ribu": 1_000,
    "k": 1_000,
    "jt": 1_000_000,
    "juta": 1_000_000,
}

_SUFFIX = r"(?:ribu|rbu|rb|k|juta|jt)"
# Digit groups joined by a single '.' or ',' or by a run of spaces.
_NUMBER = r"[0-9]+(?:(?:[.,]|[ \t]+)[0-9]+)*"
_TERM = re.compile(rf"\s*(?P<num>{_NUMBER})(?![0-9])\s*(?:(?P<suffix>{_SUFFIX})(?![a-z]))?(?![a-z])")
_PREFIX = re.compile(r"^(?:rp\.?|idr)\s*")
_RUPIAH_WORD = re.compile(r"\s*(?:rupiah|rp)$")
_DASH_TAIL = re.compile(r"\s*[.,]\s*[-\u2013\u2014]+$")
_NUMBERISH = re.compile(rf"(?:[0-9.,\s]|{_SUFFIX})*")
_MINUS_SIGNS = "-\u2212\u2013"
_MAX_DIGITS = 30  # far beyond any real amount; keeps int() away from huge inputs


def is_tiny_payment(amount: int) -> bool:
    """Return True when a payment is small enough (< :data:`TINY_PAYMENT`) to ask for confirmation."""
    return amount < TINY_PAYMENT


def parse_amount(text: str) -> int:
    """Parse a Rupiah amount such as ``Rp1.500.000`` or ``1,5jt`` into a positive whole number of Rupiah.

    Raises :class:`AmountError` (see the module docstring for the codes).
    """
    original = text.strip()
    s = _normalise(text)
    if not s:
        raise AmountError("empty", text=original)

    negative = False
    if s[0] in _MINUS_SIGNS:
        negative, s = True, s[1:].lstrip()
    s = _PREFIX.sub("", s, count=1)
    if s and s[0] in _MINUS_SIGNS:
        negative, s = True, s[1:].lstrip()
    s = _RUPIAH_WORD.sub("", s)
    s = _DASH_TAIL.sub("", s)
    if not s:
        raise AmountError("empty", text=original)

    terms = _split_terms(s)
    if terms is None:
        code = "malformed" if _NUMBERISH.fullmatch(s) and any(c.isdigit() for c in s) else "not_a_number"
        raise AmountError(code, text=original)

    total = Fraction(0)
    previous_multiplier: int | None = None
    for number, suffix in terms:
        multiplier = _MULTIPLIERS[suffix] if suffix else 1
        if len(terms) > 1 and (
            suffix is None or (previous_multiplier is not None and multiplier >= previous_multiplier)
        ):
            # "1jt 500" or "500rb 1jt": not a recognisable compound amount.
            raise AmountError("malformed", text=original)
        previous_multiplier = multiplier
        value = _parse_number(number, has_suffix=suffix is not None)
        if value is None:
            raise AmountError("malformed", text=original)
        total += value * multiplier

    if total.denominator != 1:
        raise AmountError("fraction", text=original)
    amount = int(total)
    if negative and amount:
        raise AmountError("negative", text=original, amount=amount)
    if amount == 0:
        raise AmountError("zero", text=original)
    return amount


def _normalise(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).lower()
    s = s.replace("\u00a0", " ").replace("\u202f", " ")
    s = s.strip()
    # A full stop ending a sentence: "500rb." / "Rp1.500.000."
    while s.endswith(".") and len(s) > 1 and s[-2] not in ".,":
        s = s[:-1].rstrip()
    return s


def _split_terms(s: str) -> list[tuple[str, str | None]] | None:
    """Split ``s`` into (number, suffix) terms covering the whole string, or return None."""
    terms: list[tuple[str, str | None]] = []
    pos = 0
    while pos < len(s):
        match = _TERM.match(s, pos)
        if match is None:
            return None
        terms.append((match["num"], match["suffix"]))
        pos = match.end()
        while pos < len(s) and s[pos].isspace():
            pos += 1
    return terms or None


def _parse_number(number: str, *, has_suffix: bool) -> Fraction | None:
    """Value of a digit string with separators, or None when the grouping is wrong."""
    if sum(c.isdigit() for c in number) > _MAX_DIGITS:
        return None
    parts = re.split(r"([.,]|[ \t]+)", number)
    groups = parts[0::2]
    seps = [" " if sep.isspace() else sep for sep in parts[1::2]]
    if not seps:
        return Fraction(int(groups[0]))

    last = seps[-1]
    decimal: str | None = None
    if last != " " and seps.count(last) == 1:
        others = set(seps[:-1])
        if others and others != {" "}:
            # "1.500.000,50" / "1,500,000.50": the other mark groups thousands, the last one is decimal.
            decimal = groups[-1]
        elif has_suffix:
            decimal = groups[-1]  # "1,5jt", "1.25 jt", "1.500 rb", "1 500,5 rb"
        elif len(groups[-1]) <= 2:
            decimal = groups[-1]  # "1500000,50", "1 500 000,00"
        elif others:
            return None  # "1 500.000": spaces and dots mixed as thousands separators
    if decimal is not None:
        groups, seps = groups[:-1], seps[:-1]

    if seps:
        if len(set(seps)) != 1:
            return None
        if not 1 <= len(groups[0]) <= 3 or (len(groups[0]) > 1 and groups[0][0] == "0"):
            return None
        if any(len(group) != 3 for group in groups[1:]):
            return None
    value = Fraction(int("".join(groups)))
    if decimal is not None:
        value += Fraction(int(decimal), 10 ** len(decimal))
    return value


__all__ = ["MAX_LOAN", "MIN_LOAN", "TINY_PAYMENT", "is_tiny_payment", "parse_amount"]
