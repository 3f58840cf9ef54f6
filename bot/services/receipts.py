"""Use cases of receipts (issue 15, part 1): the keys of their verification codes, issuing one inside the
transaction that makes a payment count, and checking one (``/cek_kuitansi``, ``pem-bot check-receipt``).

Issuing and voiding are not separate use cases: :mod:`bot.services.repayments` calls :func:`issue_in` from the
transaction that verifies or records a payment and :func:`void_in` from the one that reverses it, so a payment
that counts always has its receipt and a reversed one always has a void receipt.

Keys (see :mod:`bot.domain.receipts`): the signing key is ``PEM_RECEIPT_KEY`` when the caller passes it (the bot
and the CLI pass ``Settings.receipt_key``), else the key kept beside the database
(:func:`storage.receipts.fallback_key`). A code is accepted under either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.receipts import code_matches, parse_number, receipt_year, verification_code
from storage import audit, receipts
from storage.db import Database, Queryable
from storage.receipts import Receipt


def signing_key(db: Database, receipt_key: bytes | None) -> bytes:
    if receipt_key:
        return receipt_key
    key = receipts.fallback_key(db.path)
    assert key is not None
    return key


def accepted_keys(db: Database, receipt_key: bytes | None) -> tuple[bytes, ...]:
    """The keys a code may have been made with: ``PEM_RECEIPT_KEY``, and the fallback key if there is one."""
    fallback = receipts.fallback_key(db.path, create=receipt_key is None)
    return tuple(k for k in dict.fromkeys((receipt_key, fallback)) if k)


async def issue_in(tx: Queryable, db: Database, *, repayment_id: int, by: int | None, now: datetime,
                   receipt_key: bytes | None, kelurahan_code: str) -> Receipt:
    """Give a verified repayment its numbered receipt in the caller's transaction, audited (``receipt.issued``)."""
    key = signing_key(db, receipt_key)
    receipt, new = await receipts.issue(
        tx, repayment_id=repayment_id, year=receipt_year(now), issued_by=by, now=now,
        code_of=lambda number, amount, paid_on: verification_code(key, number, amount, paid_on),
    )
    if new:
        issued = await receipts.as_issued(tx, receipt)
        await audit.record(tx, "receipt.issued", actor_person_id=by, entity="receipt", entity_id=receipt.id,
                           kelurahan_code=kelurahan_code,
                           details={"number": receipt.number, "repayment_id": repayment_id, "amount": receipt.amount,
                                    "balance_after": issued.balance_after})
    return receipt


async def void_in(tx: Queryable, *, repayment_id: int, by: int, now: datetime, reason: str,
                  kelurahan_code: str) -> Receipt | None:
    """Void the receipt of a reversed repayment in the caller's transaction, audited (``receipt.voided``)."""
    receipt = await receipts.void(tx, repayment_id=repayment_id, by=by, now=now, reason=reason)
    if receipt is not None:
        await audit.record(tx, "receipt.voided", actor_person_id=by, entity="receipt", entity_id=receipt.id,
                           kelurahan_code=kelurahan_code,
                           details={"number": receipt.number, "repayment_id": repayment_id, "reason": reason})
    return receipt


async def receipt_of(q: Queryable, repayment_id: int) -> Receipt | None:
    return await receipts.for_repayment(q, repayment_id)


class Check(StrEnum):
    VALID = "valid"  # genuine and still valid
    VOID = "void"  # genuine, but voided (its payment was reversed)
    NOT_GENUINE = "not_genuine"  # no such number, or the code does not match it
    BAD_NUMBER = "bad_number"  # not a receipt number at all


@dataclass(frozen=True)
class CheckResult:
    outcome: Check
    #: the receipt, only when the code matched (VALID, VOID): a wrong code tells nothing about the number
    receipt: Receipt | None = None


async def check_receipt(db: Database, number_text: str, code_text: str, *, receipt_key: bytes | None
                        ) -> CheckResult:
    """Whether a receipt is genuine (its number exists and its code is the one computed from that number, amount
    and date) and still valid. Read-only."""
    number = parse_number(number_text)
    if number is None:
        return CheckResult(Check.BAD_NUMBER)
    receipt = await receipts.by_number(db, str(number))
    if receipt is None or not code_matches(accepted_keys(db, receipt_key), code_text, receipt.number,
                                           receipt.amount, receipt.paid_on):
        return CheckResult(Check.NOT_GENUINE)
    return CheckResult(Check.VOID if receipt.void else Check.VALID, receipt)
