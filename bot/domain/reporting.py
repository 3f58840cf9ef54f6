"""What a borrower still has to report, and which reports look like the same payment twice (issue 14, item 1).

A *pending* report (a borrower's ``/bayar`` waiting for a treasurer) does not change the loan's state until it
is verified, but for what the borrower is asked next it already counts: the reminders treat an instalment as
covered once pending reports reach everything owed up to it (:mod:`storage.reports.reminders`). The same rule
decides what ``/bayar`` offers: pending amounts are laid on the unpaid instalments oldest first (as the
allocation will do once they are verified), and the first instalment they don't fully cover is the one offered,
with only its unreported rest.

A *possible duplicate* is a report of the same loan, for the same amount, whose payment dates are at most
:data:`DUPLICATE_WINDOW_DAYS` apart: the borrower is asked before storing it, and ``/verifikasi`` flags both.
Two reports that each name a *different* instalment (the "Angsuran ke-2" button after a pending report of
instalment 1: equal instalments have equal amounts) are two payments, not one.
Pure rules: no clock, no storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.domain.loans import InstallmentState, LoanState

#: Two reports of one loan and amount whose payment dates are this many days apart (or fewer) may be one payment.
DUPLICATE_WINDOW_DAYS = 5


@dataclass(frozen=True)
class Unreported:
    """The next instalment not yet covered by pending reports: its state and the part of it not reported."""

    state: InstallmentState
    remaining: int

    @property
    def partly_reported(self) -> bool:
        return self.remaining < self.state.remaining


def next_unreported(state: LoanState, pending_total: int) -> Unreported | None:
    """The oldest instalment that the pending reports (``pending_total``, laid oldest first) don't fully cover,
    with what is left of it; None when everything owed is reported or paid."""
    covered = max(pending_total, 0)
    for inst in state.installments:
        if inst.is_paid:
            continue
        if covered >= inst.remaining:
            covered -= inst.remaining
            continue
        return Unreported(inst, inst.remaining - covered)
    return None


def overdue_unreported(state: LoanState, pending_total: int, today: date) -> int:
    """The overdue amount (instalments due before ``today``) that pending reports don't cover."""
    return max(state.overdue_amount(today) - max(pending_total, 0), 0)


@dataclass(frozen=True)
class ReportedPayment:
    """A report as the duplicate rule sees it."""

    id: int
    loan_id: int
    amount: int
    paid_on: date
    #: the instalment the report names (a schedule button), None for a typed amount
    installment_id: int | None = None


def is_possible_duplicate(a: ReportedPayment, b: ReportedPayment, window_days: int = DUPLICATE_WINDOW_DAYS) -> bool:
    other_instalments = (a.installment_id is not None and b.installment_id is not None
                         and a.installment_id != b.installment_id)
    return (a.id != b.id and a.loan_id == b.loan_id and a.amount == b.amount and not other_instalments
            and abs((a.paid_on - b.paid_on).days) <= window_days)


def matching_report(pending: Iterable[ReportedPayment], *, loan_id: int, amount: int, paid_on: date,
                    installment_id: int | None = None, window_days: int = DUPLICATE_WINDOW_DAYS
                    ) -> ReportedPayment | None:
    """The pending report a new one (not stored yet) would repeat, the most recent payment date first."""
    new = ReportedPayment(id=-1, loan_id=loan_id, amount=amount, paid_on=paid_on, installment_id=installment_id)
    found = [p for p in pending if is_possible_duplicate(new, p, window_days)]
    return max(found, key=lambda p: (p.paid_on, p.id), default=None)


def possible_duplicates(reports: Sequence[ReportedPayment], window_days: int = DUPLICATE_WINDOW_DAYS
                        ) -> dict[int, list[int]]:
    """For each report that may repeat another one of ``reports``: the ids of those others, in id order."""
    found: dict[int, list[int]] = {}
    for a in reports:
        twins = sorted(b.id for b in reports if is_possible_duplicate(a, b, window_days))
        if twins:
            found[a.id] = twins
    return found
