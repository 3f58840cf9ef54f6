"""Pure loan domain logic for the PEM revolving fund: schedules, payment allocation, arrears.

This module knows nothing about Telegram, SQL or user-facing text. Every amount of money is an ``int`` of
whole Rupiah; the optional monthly service fee ("jasa") is a :class:`decimal.Decimal` percentage.

Main pieces:

* :func:`build_schedule` turns :class:`LoanTerms` into monthly :class:`Installment` rows.
* :func:`allocate` applies verified :class:`Payment` s to a schedule and returns a :class:`LoanState`
  (per-instalment paid amounts, the :class:`Allocation` rows, outstanding, arrears, ...).
* :func:`check_new_payment`, :func:`collectibility` and :func:`repayment_rate` answer the questions the
  handlers and reports ask.

Design note: allocation is never updated incrementally. It is always recomputed from the full list of
*verified* payments, so reversing a payment is simply "allocate again without that payment"; that
re-allocates every payment after it exactly, and allocations of payments before it are unchanged. The result
depends only on the *set* of payments (they are ordered by ``(paid_on, id)``), never on the order they are
passed in. The storage layer persists the resulting :class:`Allocation` rows and per-instalment paid amounts
so reports can use fast SQL aggregates; it must replace them wholesale after every verification or reversal.

A :class:`LoanState` reflects every payment it was built from. To look at a loan "as of" a past date, allocate
only the payments with ``paid_on`` on or before that date.

Early payoff (issue 14, item 10): the service fee (jasa) is due **month by month**. A month's fee is owed once
that month of the loan has begun (the day after the previous instalment's due date; for the first instalment,
the day after the date one month before it, i.e. disbursement plus the grace months). So the amount that settles
a loan on a day (:meth:`LoanState.payoff_amount`) is the principal still owed plus the unpaid fees of the months
begun by then, minus any fees already paid in advance for months not begun (they count as principal). A payment
that settles the loan that way waives the fees of the months not begun (:attr:`InstallmentState.fee_waived`);
a payment above that amount is an overpayment. Regular payments, including paying an instalment or two ahead,
are allocated exactly as before (oldest instalment first, fee before principal). The rule is the same in
every kelurahan: no kelurahan asked for another, so there is no setting.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Literal

__all__ = [
    "MAX_FEE_PERCENT",
    "MAX_GRACE_MONTHS",
    "MAX_PRINCIPAL",
    "MAX_TENOR_MONTHS",
    "MIN_FEE_PERCENT",
    "MIN_GRACE_MONTHS",
    "MIN_PRINCIPAL",
    "MIN_TENOR_MONTHS",
    "ROUNDING_UNIT",
    "Allocation",
    "Installment",
    "InstallmentState",
    "LoanState",
    "LoanTerms",
    "LoanTermsError",
    "LoanTermsErrorCode",
    "OverpaymentError",
    "Payment",
    "RescheduleError",
    "ReschedulePlan",
    "add_months",
    "allocate",
    "build_schedule",
    "check_new_payment",
    "collectibility",
    "fee_begun",
    "fee_per_installment",
    "plan_reschedule",
    "repayment_rate",
    "split_principal",
    "suggested_first_due",
    "validate_terms",
]

MIN_PRINCIPAL = 1_000_000
MAX_PRINCIPAL = 25_000_000
MIN_TENOR_MONTHS = 1
MAX_TENOR_MONTHS = 36  # the programme uses 12-18 months; keep room for exceptions
MIN_GRACE_MONTHS = 0
MAX_GRACE_MONTHS = 12
MIN_FEE_PERCENT = Decimal(0)
MAX_FEE_PERCENT = Decimal(10)
ROUNDING_UNIT = 1_000  # principal instalments are rounded to Rp1.000

LoanTermsErrorCode = Literal["principal_range", "tenor_range", "grace_range", "fee_range"]


# ----------------------------------------------------------------------------------------------------
# Terms and schedule
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanTerms:
    """The agreed terms of one loan."""

    principal: int
    disbursed_on: date
    tenor_months: int
    grace_months: int = 0
    fee_percent_monthly: Decimal = Decimal(0)


class LoanTermsError(ValueError):
    """Terms outside the allowed ranges.

    ``code`` is one of ``'principal_range'``, ``'tenor_range'``, ``'grace_range'``, ``'fee_range'``;
    ``params`` holds ``value``, ``min`` and ``max`` so the caller can build its own message.
    """

    def __init__(self, code: LoanTermsErrorCode, params: dict[str, object]) -> None:
        super().__init__(f"{code}: {params}")
        self.code: LoanTermsErrorCode = code
        self.params: dict[str, object] = dict(params)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_terms(terms: LoanTerms) -> None:
    """Raise :class:`LoanTermsError` if ``terms`` are out of range, ``TypeError`` if a field has a wrong type.

    Ranges (inclusive): principal ``MIN_PRINCIPAL..MAX_PRINCIPAL``, tenor ``1..36`` months, grace ``0..12``
    months, fee ``0..10`` % per month. Checks run in that order; the first failure is raised.
    """
    if not _is_int(terms.principal):
        raise TypeError(f"principal must be int Rupiah, got {type(terms.principal).__name__}")
    if not _is_int(terms.tenor_months):
        raise TypeError(f"tenor_months must be int, got {type(terms.tenor_months).__name__}")
    if not _is_int(terms.grace_months):
        raise TypeError(f"grace_months must be int, got {type(terms.grace_months).__name__}")
    if not isinstance(terms.disbursed_on, date):
        raise TypeError(f"disbursed_on must be a date, got {type(terms.disbursed_on).__name__}")
    fee = terms.fee_percent_monthly
    if not (isinstance(fee, Decimal) or _is_int(fee)):
        raise TypeError(f"fee_percent_monthly must be Decimal, got {type(fee).__name__}")

    if not MIN_PRINCIPAL <= terms.principal <= MAX_PRINCIPAL:
        raise LoanTermsError(
            "principal_range", {"value": terms.principal, "min": MIN_PRINCIPAL, "max": MAX_PRINCIPAL}
        )
    if not MIN_TENOR_MONTHS <= terms.tenor_months <= MAX_TENOR_MONTHS:
        raise LoanTermsError(
            "tenor_range", {"value": terms.tenor_months, "min": MIN_TENOR_MONTHS, "max": MAX_TENOR_MONTHS}
        )
    if not MIN_GRACE_MONTHS <= terms.grace_months <= MAX_GRACE_MONTHS:
        raise LoanTermsError(
            "grace_range", {"value": terms.grace_months, "min": MIN_GRACE_MONTHS, "max": MAX_GRACE_MONTHS}
        )
    fee_dec = Decimal(fee)
    if not fee_dec.is_finite() or not MIN_FEE_PERCENT <= fee_dec <= MAX_FEE_PERCENT:
        raise LoanTermsError("fee_range", {"value": fee_dec, "min": MIN_FEE_PERCENT, "max": MAX_FEE_PERCENT})


@dataclass(frozen=True)
class Installment:
    """One scheduled monthly instalment."""

    number: int  # 1-based
    due_date: date
    principal_due: int
    fee_due: int

    @property
    def total_due(self) -> int:
        return self.principal_due + self.fee_due


def add_months(d: date, months: int, day: int | None = None) -> date:
    """Return the date ``months`` months after ``d`` on day ``day`` (default ``d.day``), clamped to month end.

    Clamping never drifts because the day is always taken from the original date, not from the previous
    result: ``add_months(31 Jan, 1)`` is 28/29 Feb and ``add_months(31 Jan, 2)`` is 31 Mar. ``months`` may be
    zero or negative. The result is always a plain :class:`datetime.date`.
    """
    target_day = d.day if day is None else day
    if not 1 <= target_day <= 31:
        raise ValueError(f"day must be 1..31, got {target_day}")
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(target_day, last_day))


def _round_half_up(value: Fraction) -> int:
    """Round a non-negative exact fraction to the nearest integer, halves up."""
    if value < 0:
        raise ValueError("only non-negative values are rounded here")
    return int((value * 2 + 1) // 2)


def split_principal(principal: int, n: int) -> list[int]:
    """Split ``principal`` into ``n`` instalments of whole Rupiah that sum exactly to ``principal``.

    Rule:

    1. Each of the first ``n - 1`` instalments is ``principal / n`` rounded to the nearest Rp1.000, halves
       up (Rp541.500 -> Rp542.000).
    2. The last instalment absorbs the remainder: ``principal - (n - 1) * per``, so it may be a little larger
       or smaller than the others and need not be a multiple of Rp1.000.
    3. If rounding up would leave the last instalment zero or negative, ``per`` is instead ``principal / n``
       rounded *down* to Rp1.000; then the last is at least ``principal / n`` and so positive.

    Rule 3 cannot trigger for valid terms: rounding adds at most Rp500 per instalment, so the last instalment
    can only reach zero when ``principal <= 500 * n * (n - 1)``, i.e. Rp630.000 at 36 months, below
    ``MIN_PRINCIPAL``. It is kept so the function is total. ``principal`` must be at least
    ``n * ROUNDING_UNIT`` so that every instalment is positive.
    """
    if not _is_int(principal) or not _is_int(n):
        raise TypeError("principal and n must be int")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if principal < n * ROUNDING_UNIT:
        raise ValueError(f"principal {principal} too small to split into {n} instalments of >= Rp1.000")
    if n == 1:
        return [principal]
    per = _round_half_up(Fraction(principal, n * ROUNDING_UNIT)) * ROUNDING_UNIT
    last = principal - (n - 1) * per
    if last <= 0:
        per = principal // (n * ROUNDING_UNIT) * ROUNDING_UNIT
        last = principal - (n - 1) * per
    return [per] * (n - 1) + [last]


def fee_per_installment(principal: int, fee_percent_monthly: Decimal) -> int:
    """Flat monthly fee: ``principal * fee% / 100`` rounded to whole Rupiah, halves up (computed exactly)."""
    fee = Fraction(Decimal(fee_percent_monthly)) * principal / 100
    return _round_half_up(fee)


def build_schedule(terms: LoanTerms) -> list[Installment]:
    """Return the instalment schedule for ``terms`` (validated first; raises :class:`LoanTermsError`).

    Instalment ``k`` (1..n) is due on ``add_months(disbursed_on, grace + k, day=disbursed_on.day)``: the
    disbursement day of month, clamped to the month's end, never drifting. Principal is split by
    :func:`split_principal` (nearest Rp1.000 each, last absorbs the remainder, never zero or negative). The
    fee is the same flat :func:`fee_per_installment` every month.
    """
    validate_terms(terms)
    n = terms.tenor_months
    fee = fee_per_installment(terms.principal, terms.fee_percent_monthly)
    parts = split_principal(terms.principal, n)
    day = terms.disbursed_on.day
    return [
        Installment(
            number=k,
            due_date=add_months(terms.disbursed_on, terms.grace_months + k, day=day),
            principal_due=parts[k - 1],
            fee_due=fee,
        )
        for k in range(1, n + 1)
    ]


# ----------------------------------------------------------------------------------------------------
# Payments and allocation
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    """A verified payment. Only verified, non-reversed payments may be passed to :func:`allocate`."""

    id: int
    amount: int
    paid_on: date


@dataclass(frozen=True)
class Allocation:
    """The part of one payment applied to one instalment."""

    payment_id: int
    installment_number: int
    fee_paid: int
    principal_paid: int

    @property
    def amount(self) -> int:
        return self.fee_paid + self.principal_paid


@dataclass(frozen=True)
class InstallmentState:
    """An instalment together with what has been paid on it."""

    installment: Installment
    fee_paid: int
    principal_paid: int
    fully_paid_on: date | None  # paid_on of the payment that completed it
    fee_waived: int = 0  # the fee of a month not begun when the loan was paid off early

    @property
    def paid(self) -> int:
        return self.fee_paid + self.principal_paid

    @property
    def fee_owed(self) -> int:
        """The fee this instalment owes: as scheduled, less what an early payoff waived."""
        return self.installment.fee_due - self.fee_waived

    @property
    def total_owed(self) -> int:
        return self.installment.principal_due + self.fee_owed

    @property
    def remaining(self) -> int:
        return self.total_owed - self.paid

    @property
    def fee_remaining(self) -> int:
        return self.fee_owed - self.fee_paid

    @property
    def principal_remaining(self) -> int:
        return self.installment.principal_due - self.principal_paid

    @property
    def is_paid(self) -> bool:
        return self.remaining == 0


@dataclass(frozen=True)
class LoanState:
    """The result of allocating all verified payments of a loan to its schedule.

    ``installments`` are in schedule order (due date, then number); ``allocations`` are in payment order
    ``(paid_on, id)`` and, within a payment, in instalment order.
    """

    installments: tuple[InstallmentState, ...]
    allocations: tuple[Allocation, ...]
    total_due: int  # principal + all fees scheduled, less fees waived by an early payoff
    total_paid: int

    @property
    def outstanding(self) -> int:
        return self.total_due - self.total_paid

    @property
    def outstanding_principal(self) -> int:
        return sum(s.principal_remaining for s in self.installments)

    @property
    def outstanding_fee(self) -> int:
        """Fees still owed on the schedule (every month's, begun or not): ``outstanding - outstanding_principal``."""
        return sum(s.fee_remaining for s in self.installments)

    @property
    def principal(self) -> int:
        return sum(s.installment.principal_due for s in self.installments)

    @property
    def fees_scheduled(self) -> int:
        return sum(s.installment.fee_due for s in self.installments)

    @property
    def fees_waived(self) -> int:
        return sum(s.fee_waived for s in self.installments)

    @property
    def principal_paid(self) -> int:
        return sum(s.principal_paid for s in self.installments)

    @property
    def fees_paid(self) -> int:
        return sum(s.fee_paid for s in self.installments)

    def payoff_amount(self, day: date) -> int:
        """What settles the loan on ``day``: the principal still owed plus the unpaid fees of the months begun by
        ``day`` (fees paid ahead for months not begun count as principal). Never more than :attr:`outstanding`;
        0 once paid off. ``day`` should be on or after the last payment's date."""
        begun = sum(s.fee_owed for s in self.installments if fee_begun(self.installments, s, day))
        return max(0, min(self.outstanding, self.principal + begun - self.total_paid))

    @property
    def is_paid_off(self) -> bool:
        return self.outstanding == 0

    def oldest_unpaid(self) -> InstallmentState | None:
        """The oldest instalment not fully paid, or ``None`` when the loan is paid off."""
        return next((s for s in self.installments if not s.is_paid), None)

    def next_due(self, today: date) -> InstallmentState | None:
        """The instalment the borrower should pay next: the oldest not fully paid one, which may be overdue.

        ``today`` is accepted for API symmetry; the answer does not depend on it. ``None`` when paid off.
        """
        del today
        return self.oldest_unpaid()

    def overdue_amount(self, today: date) -> int:
        """Remaining amount on instalments due strictly before ``today``."""
        return sum(s.remaining for s in self.installments if s.installment.due_date < today)

    def due_through(self, day: date) -> int:
        """Remaining amount on instalments due on or before ``day``: what to pay to be current by then."""
        return sum(s.remaining for s in self.installments if s.installment.due_date <= day)

    def days_in_arrears(self, today: date) -> int:
        """``today`` minus the due date of the oldest instalment not fully paid; 0 if it is not yet overdue.

        An instalment due today is not overdue.
        """
        oldest = self.oldest_unpaid()
        if oldest is None or oldest.installment.due_date >= today:
            return 0
        return (today - oldest.installment.due_date).days

    def amount_due_by(self, day: date) -> int:
        """Scheduled total (principal + fee owed) of instalments due on or before ``day``, ignoring payments."""
        return sum(s.total_owed for s in self.installments if s.installment.due_date <= day)


class OverpaymentError(ValueError):
    """A payment exceeds what is still owed. ``outstanding`` is what was owed before that payment."""

    def __init__(self, outstanding: int, payment_id: int | None = None) -> None:
        where = "" if payment_id is None else f" (payment {payment_id})"
        super().__init__(f"payment exceeds the outstanding Rp{outstanding}{where}")
        self.outstanding = outstanding
        self.payment_id = payment_id


def _check_schedule(schedule: Sequence[Installment]) -> list[Installment]:
    numbers = [i.number for i in schedule]
    if len(set(numbers)) != len(numbers):
        raise ValueError("instalment numbers must be unique")
    for inst in schedule:
        if not (_is_int(inst.principal_due) and _is_int(inst.fee_due)):
            raise TypeError("instalment amounts must be int Rupiah")
        if inst.principal_due < 0 or inst.fee_due < 0:
            raise ValueError(f"instalment {inst.number} has a negative amount")
    return sorted(schedule, key=lambda i: (i.due_date, i.number))


def _order_payments(payments: Iterable[Payment]) -> list[Payment]:
    ordered = sorted(payments, key=lambda p: (p.paid_on, p.id))
    seen: set[int] = set()
    for p in ordered:
        if p.id in seen:
            raise ValueError(f"duplicate payment id {p.id}")
        seen.add(p.id)
        if not _is_int(p.amount):
            raise TypeError(f"payment {p.id} amount must be int Rupiah")
        if p.amount <= 0:
            raise ValueError(f"payment {p.id} amount must be positive, got {p.amount}")
    return ordered


def _fee_start(insts: Sequence[Installment], index: int) -> date:
    """The day the month of ``insts[index]`` begins: the previous instalment's due date (the first's: one month
    before its due date)."""
    return insts[index - 1].due_date if index else add_months(insts[0].due_date, -1)


def fee_begun(states: Sequence[InstallmentState], state: InstallmentState, day: date) -> bool:
    """Whether the month of ``state`` (one of ``states``, in schedule order) has begun by ``day``: its fee is
    owed by a payoff on ``day``."""
    insts = [s.installment for s in states]
    return day > _fee_start(insts, insts.index(state.installment))


def _payoff(insts: Sequence[Installment], ordered: Sequence[Payment]) -> date | None:
    """The date of the payment that settles the loan early (see the module docstring), or None. Raises
    :class:`OverpaymentError` for a payment above what settles the loan on its date."""
    principal = sum(i.principal_due for i in insts)
    starts = [_fee_start(insts, k) for k in range(len(insts))]
    paid = 0
    for payment in ordered:
        begun = sum(i.fee_due for i, start in zip(insts, starts, strict=True) if payment.paid_on > start)
        owed = principal + begun - paid
        if payment.amount > owed:
            raise OverpaymentError(max(owed, 0), payment.id)
        paid += payment.amount
        if paid == principal + begun:
            return payment.paid_on
    return None


def allocate(schedule: Sequence[Installment], payments: Iterable[Payment]) -> LoanState:
    """Allocate verified ``payments`` to ``schedule`` and return the resulting :class:`LoanState`.

    Payments are applied in order ``(paid_on, id)`` whatever order they are given in. Each payment pays the
    oldest instalment not fully paid, fee before principal, then moves on to the next instalment; partial
    payments simply leave an instalment partly paid. If a payment is larger than everything still owed at
    that point, :class:`OverpaymentError` is raised with the amount that was still owed (allocation never
    spreads more than was paid and never invents money). Payment ids must be unique and amounts positive.

    Early payoff: a payment that brings the total paid to the principal plus the fees of the months begun by its
    date settles the loan; the fees of the months not begun are waived (``fee_waived``) and every payment is
    allocated against the schedule without them, so fees paid ahead for those months become principal. A
    payment above that amount raises :class:`OverpaymentError` with it.
    """
    scheduled = _check_schedule(schedule)
    ordered = _order_payments(payments)
    insts = _without_waived_fees(scheduled, ordered)

    fee_paid = [0] * len(insts)
    principal_paid = [0] * len(insts)
    fully_paid_on: list[date | None] = [None] * len(insts)
    allocations: list[Allocation] = []
    total_due = sum(i.total_due for i in insts)
    total_paid = 0
    cursor = 0  # index of the oldest instalment that may still have something owing

    for payment in ordered:
        outstanding = total_due - total_paid
        if payment.amount > outstanding:
            raise OverpaymentError(outstanding, payment.id)
        left = payment.amount
        while left > 0:
            # Cannot run past the end: left <= outstanding, which is the sum of what remains from cursor on.
            inst = insts[cursor]
            fee_part = min(left, inst.fee_due - fee_paid[cursor])
            left -= fee_part
            principal_part = min(left, inst.principal_due - principal_paid[cursor])
            left -= principal_part
            if fee_part or principal_part:
                fee_paid[cursor] += fee_part
                principal_paid[cursor] += principal_part
                allocations.append(Allocation(payment.id, inst.number, fee_part, principal_part))
            if fee_paid[cursor] + principal_paid[cursor] == inst.total_due:
                if fee_part or principal_part:  # this payment completed it (not a zero-amount instalment)
                    fully_paid_on[cursor] = payment.paid_on
                cursor += 1
        total_paid += payment.amount

    states = tuple(
        InstallmentState(
            installment=scheduled[idx],
            fee_paid=fee_paid[idx],
            principal_paid=principal_paid[idx],
            fully_paid_on=fully_paid_on[idx],
            fee_waived=scheduled[idx].fee_due - inst.fee_due,
        )
        for idx, inst in enumerate(insts)
    )
    return LoanState(
        installments=states,
        allocations=tuple(allocations),
        total_due=total_due,
        total_paid=total_paid,
    )


def _without_waived_fees(scheduled: list[Installment], ordered: list[Payment]) -> list[Installment]:
    settled_on = _payoff(scheduled, ordered)
    if settled_on is None:
        return scheduled
    return [i if settled_on > _fee_start(scheduled, k) else Installment(i.number, i.due_date, i.principal_due, 0)
            for k, i in enumerate(scheduled)]


def effective_schedule(schedule: Sequence[Installment], payments: Sequence[Payment]) -> list[Installment]:
    """The schedule these payments are allocated against: as scheduled, or, when they pay the loan off early,
    without the fees of the months not begun by then (the early-payoff rule of :func:`allocate`)."""
    return _without_waived_fees(_check_schedule(schedule), _order_payments(payments))


def check_new_payment(state: LoanState, amount: int, paid_on: date | None = None) -> None:
    """Check a payment before it is recorded.

    Raises ``ValueError`` if ``amount <= 0`` and :class:`OverpaymentError` if it is more than is still owed:
    with ``paid_on``, more than settles the loan that day (:meth:`LoanState.payoff_amount`); without it, more
    than ``state.outstanding``. Paying exactly that amount is allowed.
    """
    if not _is_int(amount):
        raise TypeError(f"amount must be int Rupiah, got {type(amount).__name__}")
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    limit = state.outstanding if paid_on is None else state.payoff_amount(paid_on)
    if amount > limit:
        raise OverpaymentError(limit)


# ----------------------------------------------------------------------------------------------------
# Portfolio quality
# ----------------------------------------------------------------------------------------------------


def collectibility(days_in_arrears: int) -> int:
    """POJK 40/2019 collectibility bucket for ``days_in_arrears``.

    1 lancar (0 days), 2 (1-90), 3 (91-120), 4 (121-180), 5 macet (> 180).
    """
    if days_in_arrears < 0:
        raise ValueError(f"days_in_arrears must be >= 0, got {days_in_arrears}")
    if days_in_arrears == 0:
        return 1
    if days_in_arrears <= 90:
        return 2
    if days_in_arrears <= 120:
        return 3
    if days_in_arrears <= 180:
        return 4
    return 5


def repayment_rate(state: LoanState, today: date) -> Decimal | None:
    """Cumulative repayment rate: verified paid ÷ scheduled amount due on or before ``today``, capped at 1.

    ``state`` must be built from verified payments only. Returns ``None`` when nothing is due yet (so the
    caller can show "n/a" rather than 0 % or 100 %). The result is an unrounded ``Decimal`` in ``[0, 1]``.
    """
    due = state.amount_due_by(today)
    if due == 0:
        return None
    rate = Decimal(state.total_paid) / Decimal(due)
    return min(rate, Decimal(1))


# ----------------------------------------------------------------------------------------------------
# Rescheduling (restrukturisasi, issue 16 part 3)
# ----------------------------------------------------------------------------------------------------

RescheduleErrorCode = Literal["nothing_left", "tenor_range", "grace_range", "first_not_future",
                              "first_before_kept", "principal_too_small"]


class RescheduleError(ValueError):
    """New terms that cannot replace the unpaid part of a schedule; ``code`` and ``params`` say why."""

    def __init__(self, code: RescheduleErrorCode, params: dict[str, object] | None = None) -> None:
        super().__init__(f"{code}: {params or {}}")
        self.code: RescheduleErrorCode = code
        self.params: dict[str, object] = dict(params or {})


@dataclass(frozen=True)
class ReschedulePlan:
    """What a reschedule does to a schedule (Fineract's model: the unpaid part is replaced, earlier payments stay).

    * ``kept``: the instalments something was paid on, with what was due on a partly paid one cut down to what
      was paid on it, so replaying the same verified payments gives exactly the same allocations;
    * ``replaced``: the states of the instalments that still had something owing (the partly paid one too);
    * ``new``: the new instalments, numbered after the kept ones;
    * ``fee_carried``: unpaid fees of replaced instalments already due on ``effective_on`` (months begun are
      owed), added to the first new instalment's fee.
    """

    effective_on: date
    kept: tuple[Installment, ...]
    replaced: tuple[InstallmentState, ...]
    new: tuple[Installment, ...]
    principal_left: int
    fee_carried: int
    #: new instalments a pause moved (:func:`bot.domain.pauses.move_plan`): ``(number, date it was planned for)``
    paused_from: tuple[tuple[int, date], ...] = ()

    @property
    def schedule(self) -> list[Installment]:
        return [*self.kept, *self.new]

    def planned_on(self, number: int) -> date | None:
        """The date new instalment ``number`` was planned for before a pause moved it; None when not moved."""
        return dict(self.paused_from).get(number)

    @property
    def outstanding_after(self) -> int:
        return sum(i.total_due for i in self.new)


def suggested_first_due(effective_on: date, grace_months: int) -> date:
    """The first new instalment's date the form offers: one month after ``effective_on`` plus the grace months."""
    return add_months(effective_on, grace_months + 1)


def plan_reschedule(state: LoanState, *, effective_on: date, tenor_months: int, grace_months: int,
                    first_due_on: date, fee_per_month: int) -> ReschedulePlan:
    """Replace the unpaid part of ``state``'s schedule by ``tenor_months`` new monthly instalments.

    Rules (README, "Restrukturisasi"):

    1. Every instalment with something paid on it is kept; a partly paid one keeps only what was paid on it
       (its due amounts become its paid amounts). Fully unpaid ones are replaced.
    2. The principal still owed (``principal_left``) is split over the new tenor by :func:`split_principal`
       (nearest Rp1.000, the last absorbs the remainder).
    3. Each new instalment carries the loan's flat monthly fee ``fee_per_month``; the fees of replaced
       instalments due on or before ``effective_on`` and not paid are owed still and are added to the first
       new instalment. Fees of replaced months not begun are dropped.
    4. New instalment ``k`` falls on ``add_months(first_due_on, k - 1)`` (that day of month, clamped).
       ``first_due_on`` must be after ``effective_on`` and after every kept instalment's due date (so the kept
       ones stay first in the allocation order). ``grace_months`` is recorded and only suggests the date
       (:func:`suggested_first_due`).
    5. Kept instalments keep their due dates as they stand, including a date a pause moved. The pause rule for
       the new ones (a new due date inside a pause moves by its length) is applied on top by
       :func:`bot.domain.pauses.move_plan`, which needs the kelurahan's pauses.

    Raises :class:`RescheduleError`.
    """
    if not _is_int(tenor_months) or not MIN_TENOR_MONTHS <= tenor_months <= MAX_TENOR_MONTHS:
        raise RescheduleError("tenor_range", {"value": tenor_months, "min": MIN_TENOR_MONTHS,
                                              "max": MAX_TENOR_MONTHS})
    if not _is_int(grace_months) or not MIN_GRACE_MONTHS <= grace_months <= MAX_GRACE_MONTHS:
        raise RescheduleError("grace_range", {"value": grace_months, "min": MIN_GRACE_MONTHS,
                                              "max": MAX_GRACE_MONTHS})
    kept: list[Installment] = []
    replaced: list[InstallmentState] = []
    for s in state.installments:
        inst = s.installment
        if s.is_paid:
            kept.append(inst)
            continue
        replaced.append(s)
        if s.paid:
            kept.append(Installment(inst.number, inst.due_date, s.principal_paid, s.fee_paid))
    principal_left = sum(s.principal_remaining for s in replaced)
    if principal_left <= 0:
        raise RescheduleError("nothing_left")
    if first_due_on <= effective_on:
        raise RescheduleError("first_not_future", {"first": first_due_on, "effective_on": effective_on})
    last_kept = max((i.due_date for i in kept), default=None)
    if last_kept is not None and first_due_on <= last_kept:
        raise RescheduleError("first_before_kept", {"first": first_due_on, "last_kept": last_kept})
    if principal_left < tenor_months * ROUNDING_UNIT:
        raise RescheduleError("principal_too_small", {"principal": principal_left, "tenor": tenor_months})
    fee_carried = sum(s.fee_remaining for s in replaced if s.installment.due_date <= effective_on)
    parts = split_principal(principal_left, tenor_months)
    start = max((i.number for i in kept), default=0)
    new = tuple(
        Installment(
            number=start + k,
            due_date=add_months(first_due_on, k - 1),
            principal_due=parts[k - 1],
            fee_due=fee_per_month + (fee_carried if k == 1 else 0),
        )
        for k in range(1, tenor_months + 1)
    )
    return ReschedulePlan(effective_on=effective_on, kept=tuple(kept), replaced=tuple(replaced), new=new,
                          principal_left=principal_left, fee_carried=fee_carried)
