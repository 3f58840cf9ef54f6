"""Read model of the instalment card (kartu angsuran, issue 15 part 2): the schedule of one loan, what was paid
against each instalment (when, how much, under which receipt number), what is left and the days late, and
the warning letters issued for it (issue 16).

The allocation is recomputed from the verified repayments (:func:`storage.loans.summary`), so the card agrees
with ``/pinjaman`` to the rupiah. Days late of an instalment: the day it was fully paid (or ``today`` while it is
not) minus its due date, 0 when not late. Reversed payments are listed apart, with their void receipt numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from storage import loans, receipts, warnings
from storage.db import Queryable
from storage.receipts import Receipt
from storage.warnings import WarningStep


@dataclass(frozen=True)
class CardPayment:
    repayment_id: int
    amount: int  # the part of this payment applied to the instalment
    paid_on: date
    receipt_number: str | None  # None: a payment verified before receipts existed


@dataclass(frozen=True)
class CardRow:
    number: int
    due_date: date
    amount_due: int
    paid: int
    remaining: int
    days_late: int
    payments: tuple[CardPayment, ...]


@dataclass(frozen=True)
class Card:
    loan_id: int
    kelurahan_code: str
    kelurahan_name: str
    borrower_id: int
    borrower_name: str
    principal: int
    disbursed_on: date
    tenor_months: int
    grace_months: int
    fee_per_installment: int
    status: str
    today: date
    rows: tuple[CardRow, ...]
    total_due: int
    total_paid: int
    outstanding: int
    days_in_arrears: int
    voided: tuple[Receipt, ...]
    #: the warning letters issued for the loan, in order of issue (issue 16)
    letters: tuple[WarningStep, ...] = ()


def days_late(due: date, fully_paid_on: date | None, today: date) -> int:
    end = fully_paid_on if fully_paid_on is not None else today
    return max((end - due).days, 0)


async def card(q: Queryable, loan_id: int, today: date) -> Card | None:
    summary = await loans.summary(q, loan_id)
    if summary is None:
        return None
    loan = summary.loan
    kelurahan_name = await q.fetchval("SELECT name FROM kelurahan WHERE code = :k", {"k": loan.kelurahan_code})
    rows = await q.fetchall("SELECT id, paid_on FROM repayments WHERE loan_id = :l", {"l": loan_id})
    paid_on = {r["id"]: date.fromisoformat(r["paid_on"]) for r in rows}
    all_receipts = await receipts.for_loan(q, loan_id)
    number_of = {r.repayment_id: r.number for r in all_receipts}
    by_installment: dict[int, list[CardPayment]] = {}
    for a in summary.state.allocations:
        by_installment.setdefault(a.installment_number, []).append(
            CardPayment(a.payment_id, a.amount, paid_on[a.payment_id], number_of.get(a.payment_id)))
    card_rows = tuple(
        CardRow(
            number=s.installment.number, due_date=s.installment.due_date, amount_due=s.installment.total_due,
            paid=s.paid, remaining=s.remaining,
            days_late=days_late(s.installment.due_date, s.fully_paid_on, today),
            payments=tuple(by_installment.get(s.installment.number, ())),
        )
        for s in summary.state.installments
    )
    first = summary.state.installments[0].installment if summary.state.installments else None
    return Card(
        loan_id=loan.id, kelurahan_code=loan.kelurahan_code, kelurahan_name=str(kelurahan_name),
        borrower_id=loan.borrower_id, borrower_name=summary.borrower_name, principal=loan.principal,
        disbursed_on=loan.disbursed_on, tenor_months=loan.tenor_months, grace_months=loan.grace_months,
        fee_per_installment=0 if first is None else first.fee_due, status=loan.status, today=today,
        rows=card_rows, total_due=summary.state.total_due, total_paid=summary.state.total_paid,
        outstanding=summary.state.outstanding, days_in_arrears=summary.state.days_in_arrears(today),
        voided=tuple(sorted((r for r in all_receipts if r.void), key=lambda r: r.id)),
        letters=tuple(await warnings.letters_for_loan(q, loan_id)),
    )
