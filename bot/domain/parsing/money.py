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

Shorthand after ``jt``: ``1 jt 250`` / ``1jt 500`` / ``2 juta 750``: a bare number of exactly three digits
after a ``jt``/``juta`` term (whose number has no decimal mark) is thousands, so ``1 jt 250`` = 1,250,000.
One or two digits there (``1 jt 5``: 1,005,000 or 1,500,000? ``1 jt 50``: 1,050,000 or 1,500,000?) are
refused as ``'ambiguous'``. A bare number after a ``rb`` term stays ``'malformed'``, as before.

Amounts in words (:func:`parse_amount_ex` reports them as ``spelled``)::

    satu juta   sejuta   setengah juta   satu setengah juta   sejuta setengah   dua juta setengah
    lima ratus ribu   dua ratus lima puluh ribu   seratus ribu   seribu   tiga ratus ribu rupiah
    sebelas ribu   dua belas ribu   sepuluh juta   satu juta dua ratus ribu   seribu lima ratus
    2 ratus ribu   1 juta dua ratus ribu   sejuta 500 ribu   dua ratus 50 ribu   lima ratus rb   dua jt

The grammar, from ``nol`` to ``sembilan ratus sembilan puluh sembilan juta sembilan ratus sembilan puluh
sembilan ribu sembilan ratus sembilan puluh sembilan`` (999,999,999), is exactly the one of terbilang and of
``num2words(n, lang="id")``::

    amount  := [group juta | sejuta] [group ribu | seribu] [group]      (at least one part)
    group   := [unit ratus | seratus] [tens]                            (1..999)
    tens    := unit puluh [unit] | unit belas | sepuluh | sebelas | unit
    unit    := satu | dua | tiga | empat | lima | enam | tujuh | delapan | sembilan

* ``nol`` only stands alone (and is ``'zero'``); ``satu ratus``/``satu ribu``/``satu juta`` are accepted
  like ``seratus``/``seribu``/``sejuta``; ``satu puluh``/``satu belas`` are not Indonesian and are refused.
* ``rb``/``rbu``/``k`` may stand for ``ribu`` and ``jt`` for ``juta``.
* ``setengah`` (one half) goes with a scale word only: ``setengah juta`` = 500,000, ``satu setengah juta``
  = ``sejuta setengah`` = 1,500,000, ``dua setengah ribu`` = 2,500; it ends the amount
  (``satu setengah juta dua ratus ribu`` is refused).
* **A bare group is never guessed.** In words, a group of hundreds, tens or units with no scale word after it
  is accepted only after ``ribu`` (``seribu lima ratus`` = 1,500). Alone (``lima ratus``) or right after
  ``juta`` (``sejuta lima ratus``) it is ``'ambiguous'``: literally Rp500 and Rp1.000.500 (as ``num2words``
  and terbilang write them), but people say it for Rp500.000 and Rp1.500.000, and a wrong reading of either
  kind is money recorded wrong (param ``spoken``: the message asks for ``ribu``/``juta`` or figures).
  So ``num2words(n)`` parses back to ``n`` for every ``n`` except those shapes (``n < 1000``, and a
  remainder of 1–999 after the millions with no thousands), which are refused; :func:`parse_number_words`,
  for counts, reads every ``num2words(n)`` back.
* Digits may stand for a unit before ``ratus``/``puluh``/``belas`` (``2 ratus ribu``), for a whole group
  before a scale word (``sejuta 500 ribu``), or for the tens after ``ratus`` (``dua ratus 50 ribu``).
  A bare digit group ending an amount in words after a scale word (``satu juta 250``) is ``'ambiguous'``.
* Every word must be one of these: typos next to number words (``lima ratus ribuu``) are ``'words'``
  errors (param ``word``, the first word not understood), never guessed; so are words in the wrong order
  (``ratus lima``, ``seribu sejuta``) and ``miliar``. Text with no number word at all (``limaratus ribu``,
  ``banyak``) stays ``'not_a_number'``, as before.

Errors raise :class:`AmountError` whose ``code`` is one of ``'empty'``, ``'not_a_number'``, ``'negative'``
(params ``amount``, the absolute value), ``'zero'``, ``'malformed'`` (wrong digit grouping), ``'fraction'``
(not a whole number of Rupiah), ``'ambiguous'`` (``1 jt 5``, with params ``low`` and ``high``, its two
readings; ``lima ratus`` or ``sejuta lima ratus``, with param ``spoken``) or ``'words'`` (number words that do not make
a number; param ``word`` when one word is to blame); ``params`` always holds ``text`` (the input, stripped).
Business limits are not checked here: see :data:`MIN_LOAN`, :data:`MAX_LOAN` and :func:`is_tiny_payment`.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from typing import Final, NamedTuple

from bot.domain.parsing.errors import AmountError

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


class ParsedAmount(NamedTuple):
    """An amount and how it was typed."""

    value: int
    spelled: bool
    """True when the amount was (partly) in words or used the ``1 jt 250`` shorthand: show it back."""


def parse_amount(text: str) -> int:
    """Parse a Rupiah amount such as ``Rp1.500.000``, ``1,5jt`` or ``lima ratus ribu`` into whole Rupiah.

    Raises :class:`AmountError` (see the module docstring for the codes).
    """
    return parse_amount_ex(text).value


def parse_amount_ex(text: str) -> ParsedAmount:
    """Like :func:`parse_amount`, and tell whether the amount was spelled in words (to echo it)."""
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

    if _has_number_word(s):
        return ParsedAmount(_finish(_parse_words(s, original), negative, original), True)

    terms = _split_terms(s)
    if terms is None:
        code = "malformed" if _NUMBERISH.fullmatch(s) and any(c.isdigit() for c in s) else "not_a_number"
        raise AmountError(code, text=original)

    total = Fraction(0)
    spelled = False
    previous_multiplier: int | None = None
    for index, (number, suffix) in enumerate(terms):
        multiplier = _MULTIPLIERS[suffix] if suffix else 1
        if suffix is None and index == len(terms) - 1 and index > 0 and _after_juta(terms[index - 1]):
            # "1 jt 250": three digits after a jt term are thousands; "1 jt 5" could mean two things.
            if not re.fullmatch(r"[0-9]{1,3}", number):
                raise AmountError("malformed", text=original)
            if len(number) < 3:  # "1 jt 5": Rp1.005.000 or Rp1.500.000
                raise AmountError("ambiguous", text=original, low=int(total) + int(number) * 1_000,
                                  high=int(total) + int(number) * 10 ** (3 - len(number)) * 1_000)
            total += int(number) * 1_000
            spelled = True
            continue
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
    return ParsedAmount(_finish(total, negative, original), spelled)


def parse_number_words(text: str) -> int:
    """A whole number 0..999,999,999 written in Indonesian words (``dua puluh satu`` = 21), by the grammar of
    the module docstring but without the money rule for bare groups: for counts (``dua hari lalu``), where
    ``lima ratus`` can only mean 500. Raises :class:`AmountError` (``'words'``, ``'not_a_number'``, …)."""
    original = text.strip()
    s = _normalise(text)
    if not s or not _has_number_word(s):
        raise AmountError("not_a_number", text=original)
    total = _parse_words(s, original, money=False)
    if total.denominator != 1:
        raise AmountError("fraction", text=original)
    return int(total)


def _finish(total: Fraction, negative: bool, original: str) -> int:
    if total.denominator != 1:
        raise AmountError("fraction", text=original)
    amount = int(total)
    if negative and amount:
        raise AmountError("negative", text=original, amount=amount)
    if amount == 0:
        raise AmountError("zero", text=original)
    return amount


def _after_juta(term: tuple[str, str | None]) -> bool:
    number, suffix = term
    return suffix in ("jt", "juta") and number.isdigit()


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


# --- amounts in words -------------------------------------------------------------------------------------

_UNITS: Final[dict[str, int]] = {
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
}
_SCALES: Final[dict[str, int]] = {**_MULTIPLIERS, "seribu": 1_000, "sejuta": 1_000_000}
_NUMBER_WORDS: Final = frozenset(
    {*_UNITS, "sepuluh", "sebelas", "seratus", "seribu", "sejuta", "ratus", "puluh", "belas", "setengah", "nol"}
)
_WORD_TOKEN = re.compile(r"[0-9]+|[a-z]+|\S")


def _has_number_word(s: str) -> bool:
    return any(word in _NUMBER_WORDS for word in re.findall(r"[a-z]+", s))


def _ascii_digits(token: str) -> bool:
    """0-9 only: ``str.isdigit`` also accepts other scripts' digits, which ``int`` may not read (a crash)."""
    return token.isascii() and token.isdigit()


class _Words:
    """A cursor over the tokens of an amount in words; each method consumes what it recognises."""

    def __init__(self, s: str, original: str) -> None:
        self.tokens = _WORD_TOKEN.findall(s)
        self.pos = 0
        self.original = original

    def peek(self, ahead: int = 0) -> str | None:
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def fail(self, word: str | None = None) -> AmountError:
        if word is None:
            word = self.peek()
        if word is None or word in _NUMBER_WORDS or word in _SCALES or not word.isalpha():
            return AmountError("words", text=self.original)
        return AmountError("words", text=self.original, word=word)

    def unit(self, low: int = 1) -> int | None:
        """A unit word, or digits 1-9, when followed by nothing special; None when there is none."""
        token = self.peek()
        if token in _UNITS:
            value = _UNITS[token]
        elif token is not None and _ascii_digits(token) and len(token) == 1:
            value = int(token)
        else:
            return None
        if value < low:
            raise self.fail()
        self.take()
        return value

    def group(self) -> tuple[int, bool] | None:
        """A number 1..999 and whether it was only digits; None when the next token starts no group."""
        token = self.peek()
        if token is None:
            return None
        if _ascii_digits(token) and self.peek(1) not in ("ratus", "puluh", "belas"):
            if len(token) > 3 or token[0] == "0":
                raise self.fail()
            self.take()
            return int(token), True
        hundreds = 0
        if token == "seratus":
            self.take()
            hundreds = 100
        elif self.peek(1) == "ratus" and (token in _UNITS or (_ascii_digits(token) and len(token) == 1)):
            hundreds = 100 * (self.unit() or 0)
            if hundreds == 0:
                raise self.fail()
            self.take()  # "ratus"
        tens = self.tens(allow_digits=hundreds > 0)
        if hundreds == 0 and tens is None:
            return None
        return hundreds + (tens or 0), False

    def tens(self, *, allow_digits: bool) -> int | None:
        token = self.peek()
        if token in ("sepuluh", "sebelas"):
            self.take()
            return 10 if token == "sepuluh" else 11
        if allow_digits and token is not None and _ascii_digits(token) and self.peek(1) not in ("puluh", "belas"):
            if len(token) > 2 or token[0] == "0":
                raise self.fail()
            self.take()
            return int(token)
        if self.peek(1) in ("puluh", "belas"):
            unit = self.unit(low=2)
            if unit is None:
                raise self.fail()
            if self.take() == "belas":
                return 10 + unit
            return 10 * unit + (self.unit() or 0)
        return self.unit()


def _parse_words(s: str, original: str, *, money: bool = True) -> Fraction:
    """The grammar of the module docstring; ``money``: refuse a bare group alone or after juta (see there)."""
    words = _Words(s, original)
    if words.tokens == ["nol"]:
        return Fraction(0)
    total = Fraction(0)
    previous_scale: int | None = None
    while words.peek() is not None:
        if previous_scale == 1:
            raise words.fail()  # something after the units group
        token = words.peek()
        if token in ("seribu", "sejuta"):
            words.take()
            number, digits, half = 1, False, False
            scale = _SCALES[token]
        else:
            found = words.group()
            number, digits = found if found is not None else (0, False)
            half = words.peek() == "setengah"
            if half:
                words.take()
            nxt = words.peek()
            if found is None and not half:
                raise words.fail()  # "ribu lima", "ratus ribu"
            if nxt in _SCALES and nxt not in ("seribu", "sejuta"):
                words.take()
                scale = _SCALES[nxt]
            elif not half:
                scale = 1
            else:
                raise words.fail()
        if previous_scale is not None and scale >= previous_scale:
            raise words.fail(token)
        value = Fraction(number) + (Fraction(1, 2) if half else 0)
        if scale > 1 and not half and words.peek() == "setengah" and words.peek(1) is None:
            words.take()  # "sejuta setengah", "dua juta setengah"
            value += Fraction(1, 2)
            half = True
        total += value * scale
        if half and words.peek() is not None:
            raise words.fail()  # "setengah" ends the amount
        if scale == 1 and digits and previous_scale is not None:
            raise AmountError("ambiguous", text=original, spoken=True)  # "satu juta 250"
        if money and scale == 1 and words.peek() is None and previous_scale in (None, 1_000_000):
            # A bare group that ends an amount in words alone ("lima ratus") or right after juta ("sejuta lima
            # ratus"): people say "lima ratus" for Rp500.000 and "sejuta lima ratus" for Rp1.500.000, while the
            # words literally read Rp500 and Rp1.000.500. Money is never guessed: refused, and the message asks
            # for ribu/juta or figures.
            raise AmountError("ambiguous", text=original, spoken=True)
        previous_scale = scale
    return total


__all__ = ["MAX_LOAN", "MIN_LOAN", "TINY_PAYMENT", "ParsedAmount", "is_tiny_payment", "parse_amount",
           "parse_amount_ex", "parse_number_words"]
