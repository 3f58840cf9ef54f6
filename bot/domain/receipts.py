"""Receipts (kuitansi): their number and their verification code (issue 15, part 1). Pure: no I/O.

Number
------
``<short code>-<year>-<seq>``, e.g. ``NKT1-2026-000123``: the kelurahan's short code (``kelurahan.short_code``,
migration 0009), the WITA year the receipt was issued in, and a sequence that starts at 1 each year and has no
gap (``receipt_counters`` hands it out inside the transaction that verifies or records the payment, see
:mod:`storage.receipts`). Six digits: a kelurahan issues a few hundred a year.

Verification code
-----------------
``code = HMAC-SHA256(key, "<number>|<amount>|<paid_on>")``, the first 40 bits in Crockford-free base32
(``A–Z2–7``) as ``XXXX-XXXX``. Anyone holding a receipt can check it with ``/cek_kuitansi <number> <code>`` or
``pem-bot check-receipt``: a forged receipt (a number that does not exist, or one whose code was made up, or a
real number with another amount or date printed on it) is caught, because the code can only be computed with
the key, and it is checked against the number *and* the amount and date stored for that number.

Where the key lives (:func:`bot.services.receipts.receipt_key`): ``PEM_RECEIPT_KEY`` in the environment when set
(recommended: a database backup then does not carry the key); otherwise a random key generated at the first
receipt and kept in a file beside the database (``<PEM_DATABASE>.receipt-key``). A code is accepted under either key, so
setting ``PEM_RECEIPT_KEY`` later does not invalidate the receipts issued before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

SEQ_DIGITS = 6
CODE_CHARS = 8  # 40 bits
_NUMBER = re.compile(r"^([A-Z0-9]{2,8})-(\d{4})-(\d{1,9})$")


@dataclass(frozen=True)
class ReceiptNumber:
    short_code: str
    year: int
    seq: int

    def __str__(self) -> str:
        return format_number(self.short_code, self.year, self.seq)


def format_number(short_code: str, year: int, seq: int) -> str:
    if seq < 1:
        raise ValueError(f"a receipt sequence starts at 1, got {seq}")
    return f"{short_code}-{year:04d}-{seq:0{SEQ_DIGITS}d}"


def parse_number(text: str) -> ReceiptNumber | None:
    """A typed receipt number (case and spaces ignored: ``nkt1 - 2026 - 123``), or None."""
    cleaned = re.sub(r"\s+", "", text or "").upper()
    match = _NUMBER.match(cleaned)
    if match is None or int(match[3]) < 1:
        return None
    return ReceiptNumber(match[1], int(match[2]), int(match[3]))


def _message(number: str, amount: int, paid_on: date) -> bytes:
    return f"{number}|{int(amount)}|{paid_on.isoformat()}".encode()


def verification_code(key: bytes, number: str, amount: int, paid_on: date) -> str:
    """The code printed on the receipt, ``XXXX-XXXX``."""
    if not key:
        raise ValueError("a receipt key is needed")
    digest = hmac.new(key, _message(number, amount, paid_on), hashlib.sha256).digest()
    text = base64.b32encode(digest[:5]).decode()  # 5 bytes -> exactly 8 characters, no padding
    return f"{text[:4]}-{text[4:]}"


def normalise_code(text: str) -> str:
    """A typed code as printed: upper case, dashes and spaces dropped, the digits people mistype for base32
    letters read as those letters (0 → O, 1 → I, 8 → B), then ``XXXX-XXXX``."""
    raw = re.sub(r"[\s\-–_.]", "", text or "").upper().translate(str.maketrans("018", "OIB"))
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == CODE_CHARS else raw


def code_matches(keys: tuple[bytes, ...], typed: str, number: str, amount: int, paid_on: date) -> bool:
    """Whether ``typed`` is the code of this number, amount and date under one of ``keys`` (constant time)."""
    wanted = normalise_code(typed)
    return any(hmac.compare_digest(verification_code(key, number, amount, paid_on), wanted) for key in keys if key)


#: The programme's time zone (domain.md): a receipt's year is the WITA year it is issued in.
WITA = ZoneInfo("Asia/Makassar")


def receipt_year(issued_at: datetime) -> int:
    """The WITA year of an aware moment (a receipt issued 1 January 00:30 WITA is of the new year)."""
    if issued_at.tzinfo is None:
        raise ValueError("naive datetime; pass an aware one")
    return issued_at.astimezone(WITA).year
