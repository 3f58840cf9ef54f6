"""Read model of the monthly report (LPJ): the facts of one kelurahan, or of every kelurahan, up to a month's end.

One query per table for the whole scope (a kelurahan or the city), each filtered to what can matter for the month
(loans disbursed by its last day, repayments paid by then that were ever verified, the receipts issued in it, the
cash entries dated by then, its bank statements), grouped per kelurahan in Python and handed to
:func:`bot.domain.lpj.monthly_report`. ``*_at`` timestamps (UTC) become WITA dates here, with the zone the caller
passes. Nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.domain.loans import Installment
from bot.domain.lpj import CashEntryFacts, KelurahanFacts, LoanFacts, ReceiptFacts, RepaymentFacts
from storage.db import Queryable, parse_utc_text, utc_text


def _wita(text: str | None, tz: tzinfo) -> date | None:
    return None if text is None else parse_utc_text(text).astimezone(tz).date()


def _scope(kelurahan_code: str | None, alias: str) -> str:
    return "" if kelurahan_code is None else f" AND {alias}.kelurahan_code = :kel"


async def facts(
    q: Queryable, first: date, last: date, tz: tzinfo, kelurahan_code: str | None = None,
) -> dict[str, KelurahanFacts]:
    """``{code: facts}`` for ``kelurahan_code`` or for every kelurahan of the city (those without any loan too)."""
    params = {"first": first.isoformat(), "last": last.isoformat(), "kel": kelurahan_code,
              "from": utc_text(datetime.combine(first, time(0), tzinfo=tz)),
              "to": utc_text(datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz))}
    kel_rows = await q.fetchall(
        "SELECT k.code, k.name, c.name AS kecamatan FROM kelurahan AS k JOIN kecamatan AS c"
        " ON c.code = k.kecamatan_code WHERE 1" + _scope(kelurahan_code, "k").replace("kelurahan_code", "code")
        + " ORDER BY k.code", params)

    schedules: dict[int, list[Installment]] = defaultdict(list)
    for r in await q.fetchall(
        "SELECT i.loan_id, i.number, i.due_date, i.principal_due, i.fee_due FROM installments AS i"
        " JOIN loans AS l ON l.id = i.loan_id WHERE l.disbursed_on <= :last" + _scope(kelurahan_code, "l")
        + " ORDER BY i.loan_id, i.due_date, i.number", params,
    ):
        schedules[r[0]].append(Installment(r[1], date.fromisoformat(r[2]), r[3], r[4]))

    loans: dict[str, list[LoanFacts]] = defaultdict(list)
    for r in await q.fetchall(
        "SELECT l.id, l.kelurahan_code, l.borrower_id, p.name, l.principal, l.disbursed_on,"
        " l.disbursement_status, l.disbursement_answered_at FROM loans AS l JOIN people AS p ON p.id = l.borrower_id"
        " WHERE l.disbursed_on <= :last" + _scope(kelurahan_code, "l") + " ORDER BY l.id", params,
    ):
        loans[r[1]].append(LoanFacts(r[0], r[2], r[3], r[4], date.fromisoformat(r[5]), tuple(schedules.pop(r[0], ())),
                                     r[6], _wita(r[7], tz)))

    repayments: dict[str, list[RepaymentFacts]] = defaultdict(list)
    for r in await q.fetchall(
        "SELECT r.id, r.loan_id, l.kelurahan_code, r.amount, r.paid_on, r.method, r.status, r.verified_at,"
        " r.reversed_at, r.reversal_reason FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id"
        " WHERE r.status IN ('verified', 'reversed') AND r.paid_on <= :last AND l.disbursed_on <= :last"
        + _scope(kelurahan_code, "l") + " ORDER BY r.id", params,
    ):
        repayments[r[2]].append(RepaymentFacts(r[0], r[1], r[3], date.fromisoformat(r[4]), r[5], r[6],
                                               _wita(r[7], tz), _wita(r[8], tz), r[9]))

    receipts: dict[str, list[ReceiptFacts]] = defaultdict(list)
    for r in await q.fetchall(
        "SELECT rc.number, rc.kelurahan_code, rc.loan_id, rc.repayment_id, p.name, rc.amount, rc.paid_on,"
        " rc.issued_at, rc.voided_at, rc.void_reason FROM receipts AS rc JOIN loans AS l ON l.id = rc.loan_id"
        " JOIN people AS p ON p.id = l.borrower_id WHERE rc.issued_at >= :from AND rc.issued_at < :to"
        + _scope(kelurahan_code, "rc") + " ORDER BY rc.number", params,
    ):
        issued = _wita(r[7], tz)
        assert issued is not None
        receipts[r[1]].append(ReceiptFacts(r[0], r[2], r[3], r[4], r[5], date.fromisoformat(r[6]), issued,
                                           _wita(r[8], tz), r[9]))

    entries: dict[str, list[CashEntryFacts]] = defaultdict(list)
    for r in await q.fetchall(
        "SELECT e.id, e.kelurahan_code, e.kind, e.account, e.amount, e.entry_date, e.description, e.round_label,"
        " e.reverses_id, e.reason, e.recorded_at FROM cash_entries AS e WHERE e.entry_date <= :last"
        + _scope(kelurahan_code, "e") + " ORDER BY e.entry_date, e.id", params,
    ):
        recorded = _wita(r[10], tz)
        assert recorded is not None
        entries[r[1]].append(CashEntryFacts(r[0], r[2], r[3], r[4], date.fromisoformat(r[5]), r[6], r[7], r[8],
                                            r[9], recorded))

    statements: dict[str, int] = {}
    for r in await q.fetchall(
        "SELECT s.kelurahan_code, s.closing_balance FROM bank_statements AS s WHERE s.month = :month"
        + _scope(kelurahan_code, "s") + " ORDER BY s.id", {**params, "month": first.strftime("%Y-%m")},
    ):
        statements[r[0]] = r[1]  # the latest recorded wins

    return {
        k["code"]: KelurahanFacts(
            code=k["code"], name=k["name"], kecamatan=k["kecamatan"], loans=tuple(loans.get(k["code"], ())),
            repayments=tuple(repayments.get(k["code"], ())), receipts=tuple(receipts.get(k["code"], ())),
            entries=tuple(entries.get(k["code"], ())), statement_balance=statements.get(k["code"]),
        )
        for k in kel_rows
    }


@dataclass(frozen=True)
class Recipient:
    person_id: int
    kelurahan_code: str
    role: str


async def monthly_recipients(q: Queryable) -> list[Recipient]:
    """Every active, linked, reachable lurah and treasurer (one row per person and kelurahan, lurah first)."""
    rows = await q.fetchall(
        """
        SELECT p.id, p.kelurahan_code, MIN(pr.role) AS role FROM people AS p
        JOIN person_roles AS pr ON pr.person_id = p.id AND pr.role IN ('lurah', 'treasurer')
        WHERE p.active = 1 AND p.reachable = 1 AND p.telegram_chat_id IS NOT NULL AND p.kelurahan_code IS NOT NULL
        GROUP BY p.id ORDER BY p.kelurahan_code, p.id
        """
    )
    return [Recipient(r[0], r[1], r[2]) for r in rows]
