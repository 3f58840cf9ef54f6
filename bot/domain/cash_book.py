"""The cash book (buku kas) of a kelurahan's fund: pure rules, no SQL, no text.

Two accounts: **cash on hand** (kas tunai, with the treasurer) and the **bank** account of the LPM. Every movement
has a signed effect on each (:class:`Effect`); balances are the sums of effects in date order.

Where the movements come from (docs/cash-book.md):

* the treasurer's manual entries (``/kas``, table ``cash_entries``): the opening balance and the city's grants
  (into the account chosen), bank charges (bank out), bank interest (bank in), and transfers between cash and bank
  (``to_bank``: cash out, bank in; ``to_cash``: bank out, cash in). A wrong entry is never edited: a
  ``reversal`` entry, dated the day it is made, has exactly the opposite effect;
* derived from loans and repayments, never typed twice: every disbursement (out of the **bank**: the city's grant
  arrives in the LPM's account and loans are paid from it; a cash payout is booked by the treasurer as a ``to_cash``
  withdrawal first), every verified repayment (in, on the day paid: ``cash`` and ``other`` into cash on hand,
  ``transfer`` into the bank), and every reversal of a repayment (the opposite entry, dated the day of the reversal).
  A payment on a written-off loan is a **recovery** (issue 16): the same effect as a repayment, its own kind
  (``recovery``, and ``recovery_reversal`` for its reversal), so the book shows recoveries apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

#: What a treasurer can record with /kas (a reversal is made from an existing entry).
MANUAL_KINDS = ("opening", "grant", "bank_charge", "bank_interest", "to_bank", "to_cash")
REVERSAL = "reversal"
KINDS = (*MANUAL_KINDS, REVERSAL)
#: Kinds whose account the treasurer chooses; the others imply it.
KINDS_WITH_ACCOUNT = ("opening", "grant")
ACCOUNTS = ("cash", "bank")
#: Derived movements (from loans and repayments).
DISBURSEMENT = "disbursement"
REPAYMENT = "repayment"
REPAYMENT_REVERSAL = "repayment_reversal"
#: A payment on a written-off loan (issue 16): money in like a repayment, in its own category.
RECOVERY = "recovery"
RECOVERY_REVERSAL = "recovery_reversal"

DESCRIPTION_MIN, DESCRIPTION_MAX = 3, 200
ROUND_MAX = 40
REASON_MIN, REASON_MAX = 5, 200
#: An entry above this is a typing slip (Rp10 miliar: forty times the largest kelurahan fund).
MAX_AMOUNT = 10_000_000_000


@dataclass(frozen=True)
class Effect:
    """Signed change of cash on hand and of the bank balance."""

    cash: int
    bank: int

    def __neg__(self) -> Effect:
        return Effect(-self.cash, -self.bank)

    def __add__(self, other: Effect) -> Effect:
        return Effect(self.cash + other.cash, self.bank + other.bank)

    @property
    def total(self) -> int:
        return self.cash + self.bank


ZERO = Effect(0, 0)


def manual_effect(kind: str, account: str | None, amount: int) -> Effect:
    """The effect of a manual entry (not a reversal). ``ValueError`` for an unknown kind or a missing account."""
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    if kind in KINDS_WITH_ACCOUNT:
        if account not in ACCOUNTS:
            raise ValueError(f"{kind} needs an account, got {account!r}")
        return Effect(amount, 0) if account == "cash" else Effect(0, amount)
    effects = {
        "bank_charge": Effect(0, -amount),
        "bank_interest": Effect(0, amount),
        "to_bank": Effect(-amount, amount),
        "to_cash": Effect(amount, -amount),
    }
    if kind not in effects:
        raise ValueError(f"unknown cash entry kind {kind!r}")
    return effects[kind]


def repayment_effect(method: str, amount: int) -> Effect:
    """A verified repayment: a transfer lands in the bank, cash and anything else in cash on hand."""
    return Effect(0, amount) if method == "transfer" else Effect(amount, 0)


def disbursement_effect(principal: int) -> Effect:
    return Effect(0, -principal)


@dataclass(frozen=True)
class Movement:
    """One line of the cash book. ``ref`` is what identifies it (``KAS-00012``, ``PB-00042``, ``PJ-00007``);
    ``principal``/``fee`` split a repayment (None elsewhere); ``order`` sorts lines of the same day."""

    day: date
    kind: str
    effect: Effect
    ref: str
    description: str
    order: tuple[int, int] = (0, 0)
    principal: int | None = None
    fee: int | None = None
    reverses: str | None = None  # the ref of what a reversal corrects


@dataclass(frozen=True)
class Line:
    movement: Movement
    balance: Effect  # running balances after this line


@dataclass(frozen=True)
class MonthBook:
    opening: Effect
    lines: tuple[Line, ...]
    closing: Effect

    @property
    def money_in(self) -> Effect:
        return Effect(sum(max(ln.movement.effect.cash, 0) for ln in self.lines),
                      sum(max(ln.movement.effect.bank, 0) for ln in self.lines))

    @property
    def recovered(self) -> int:
        """The month's recoveries (payments on written-off loans), net of their reversals in the month."""
        return sum(ln.movement.effect.total for ln in self.lines
                   if ln.movement.kind in (RECOVERY, RECOVERY_REVERSAL))

    @property
    def money_out(self) -> Effect:
        return Effect(sum(max(-ln.movement.effect.cash, 0) for ln in self.lines),
                      sum(max(-ln.movement.effect.bank, 0) for ln in self.lines))


def _key(m: Movement) -> tuple[date, tuple[int, int], str]:
    return (m.day, m.order, m.ref)


def balance_at(movements: Iterable[Movement], day: date) -> Effect:
    """Balances at the end of ``day``."""
    total = ZERO
    for m in movements:
        if m.day <= day:
            total = total + m.effect
    return total


def month_book(movements: Sequence[Movement], first: date, last: date) -> MonthBook:
    """The cash book from ``first`` to ``last`` (inclusive): the opening balances (everything before ``first``),
    the lines in date order with running balances, and the closing balances."""
    opening = ZERO
    inside = []
    for m in movements:
        if m.day < first:
            opening = opening + m.effect
        elif m.day <= last:
            inside.append(m)
    running = opening
    lines = []
    for m in sorted(inside, key=_key):
        running = running + m.effect
        lines.append(Line(m, running))
    return MonthBook(opening, tuple(lines), running)


def reconciliation(statement_balance: int | None, book_bank: int) -> int | None:
    """Bank statement minus the book's bank balance (positive: the bank shows more); None without a statement."""
    return None if statement_balance is None else statement_balance - book_bank


def clean_text(text: str) -> str:
    return " ".join(text.split())


def check_description(text: str) -> str:
    """A description of 3–200 characters (spaces squeezed); ``ValueError('description_length')`` otherwise."""
    cleaned = clean_text(text)
    if not DESCRIPTION_MIN <= len(cleaned) <= DESCRIPTION_MAX:
        raise ValueError("description_length")
    return cleaned


def check_round(text: str) -> str:
    """A grant's round (tahap/putaran): a bare number becomes ``Tahap <n>``; at most 40 characters."""
    cleaned = clean_text(text)
    if not cleaned or len(cleaned) > ROUND_MAX:
        raise ValueError("round_length")
    return f"Tahap {cleaned}" if cleaned.isdigit() else cleaned


def check_reason(text: str) -> str:
    cleaned = clean_text(text)
    if not REASON_MIN <= len(cleaned) <= REASON_MAX:
        raise ValueError("reason_length")
    return cleaned


def entry_ref(entry_id: int) -> str:
    return f"KAS-{entry_id:05d}"


def loan_ref(loan_id: int) -> str:
    return f"PJ-{loan_id:05d}"


def repayment_ref(repayment_id: int) -> str:
    """The same number the bot shows for a repayment (``storage.repayments.Repayment.reference``)."""
    return f"PB-{repayment_id:05d}"
