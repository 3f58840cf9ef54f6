"""Read model of the monthly report (LPJ): the facts of one kelurahan, or of every kelurahan, up to a month's end.

One query per table for the whole scope (a kelurahan or the city), each filtered to what can matter for the month
(loans disbursed by its last day, repayments paid by then that were ever verified, the receipts issued in it, the
cash entries dated by then, its bank statements; issue 16: the schedules replaced by reschedules, the pauses, the
warning letters issued in the month), grouped per kelurahan in Python and handed to
:func:`bot.domain.lpj.monthly_report`. ``*_at`` timestamps (UTC) become WITA dates here, with the zone the caller
passes. Nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from bot.domain.loans import Installment
from bot.domain.lpj import CashEntryFacts, KelurahanFacts, LoanFacts, PauseFacts, ReceiptFacts, RepaymentFacts
from storage.db import Queryable, utc_text


def _shift(day: date, tz: tzinfo) -> str:
    """SQLite's ``date()`` modifier from UTC to the zone, e.g. ``+480 minutes`` for WITA (the offset at ``day``: a
    zone with daylight saving would be off by its shift around the change; Indonesia has none)."""
    offset = datetime.combine(day, time(12), tzinfo=tz).utcoffset()
    minutes = 0 if offset is None else int(offset.total_seconds() // 60)
    return f"{minutes:+d} minutes"


def _scope(kelurahan_code: str | None, alias: str) -> str:
    return "" if kelurahan_code is None else f" AND {alias}.kelurahan_code = :kel"


async def facts(
    q: Queryable, first: date, last: date, tz: tzinfo, kelurahan_code: str | None = None, *,
    with_receipts: bool = True,
) -> dict[str, KelurahanFacts]:
    """``{code: facts}`` for ``kelurahan_code`` or for every kelurahan of the city (those without any loan too).
    ``with_receipts=False`` leaves the receipts out (the cash book's balances do not need them)."""
    day = lru_cache(maxsize=None)(date.fromisoformat)  # dates repeat: parse each once
    params = {"first": first.isoformat(), "last": last.isoformat(), "kel": kelurahan_code, "shift": _shift(last, tz),
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
        + " ORDER BY i.loan_id, i.number", params,
    ):
        schedules[r[0]].append(Installment(r[1], day(r[2]), r[3], r[4]))

    # the schedules a reschedule replaced (issue 16), oldest first: a month before the approval keeps them
    archived: dict[int, dict[int, tuple[date, list[Installment]]]] = defaultdict(dict)
    for r in await q.fetchall(
        "SELECT v.loan_id, v.version, date(v.replaced_at, :shift), a.number, a.due_date, a.principal_due, a.fee_due"
        " FROM schedule_versions AS v JOIN loans AS l ON l.id = v.loan_id"
        " JOIN archived_installments AS a ON a.version_id = v.id"
        " WHERE l.disbursed_on <= :last" + _scope(kelurahan_code, "l") + " ORDER BY v.loan_id, v.version, a.number",
        params,
    ):
        version = archived[r[0]].setdefault(r[1], (day(r[2]), []))
        version[1].append(Installment(r[3], day(r[4]), r[5], r[6]))

    loans: dict[str, list[LoanFacts]] = defaultdict(list)
    for r in await q.fetchall(
        "SELECT l.id, l.kelurahan_code, l.borrower_id, p.name, l.principal, l.disbursed_on,"
        " l.disbursement_status, date(l.disbursement_answered_at, :shift), date(l.written_off_at, :shift),"
        " l.written_off_amount"
        " FROM loans AS l JOIN people AS p ON p.id = l.borrower_id"
        " WHERE l.disbursed_on <= :last" + _scope(kelurahan_code, "l") + " ORDER BY l.id", params,
    ):
        versions = archived.pop(r[0], {})
        replaced = tuple((on, tuple(schedule)) for _, (on, schedule) in sorted(versions.items()))
        loans[r[1]].append(LoanFacts(r[0], r[2], r[3], r[4], date.fromisoformat(r[5]), tuple(schedules.pop(r[0], ())),
                                     r[6], day(r[7]) if r[7] else None,
                                     written_off_on=day(r[8]) if r[8] else None, written_off_amount=r[9] or 0,
                                     replaced=replaced))

    repayments: dict[str, list[RepaymentFacts]] = defaultdict(list)
    for r in await q.fetchall(
        # CROSS JOIN keeps the loans first (loans_kelurahan, then repayments_loan per loan): left to itself the
        # planner walks repayments_status_verified_at over the whole city (9.5 s instead of 0.05 s on the
        # synthetic city, bench/report.py).
        "SELECT r.id, r.loan_id, l.kelurahan_code, r.amount, r.paid_on, r.method, r.status,"
        " date(r.verified_at, :shift), date(r.reversed_at, :shift), r.reversal_reason, r.kind"
        " FROM loans AS l CROSS JOIN repayments AS r ON r.loan_id = l.id"
        " WHERE r.status IN ('verified', 'reversed') AND r.paid_on <= :last AND l.disbursed_on <= :last"
        + _scope(kelurahan_code, "l"), params,  # no ORDER BY: allocation orders the payments itself
    ):
        repayments[r[2]].append(RepaymentFacts(r[0], r[1], r[3], day(r[4]), r[5], r[6],
                                               day(r[7]) if r[7] else None, day(r[8]) if r[8] else None, r[9],
                                               r[10]))

    receipts: dict[str, list[ReceiptFacts]] = defaultdict(list)
    for r in [] if not with_receipts else await q.fetchall(
        "SELECT rc.number, rc.kelurahan_code, rc.loan_id, rc.repayment_id, p.name, rc.amount, rc.paid_on,"
        " date(rc.issued_at, :shift), date(rc.voided_at, :shift), rc.void_reason"
        " FROM receipts AS rc JOIN loans AS l ON l.id = rc.loan_id"
        " JOIN people AS p ON p.id = l.borrower_id WHERE rc.issued_at >= :from AND rc.issued_at < :to"
        + _scope(kelurahan_code, "rc") + " ORDER BY rc.number", params,
    ):
        receipts[r[1]].append(ReceiptFacts(r[0], r[2], r[3], r[4], r[5], day(r[6]), day(r[7]),
                                           day(r[8]) if r[8] else None, r[9]))

    entries: dict[str, list[CashEntryFacts]] = defaultdict(list)
    for r in await q.fetchall(
        "SELECT e.id, e.kelurahan_code, e.kind, e.account, e.amount, e.entry_date, e.description, e.round_label,"
        " e.reverses_id, e.reason, date(e.recorded_at, :shift) FROM cash_entries AS e WHERE e.entry_date <= :last"
        + _scope(kelurahan_code, "e") + " ORDER BY e.entry_date, e.id", params,
    ):
        entries[r[1]].append(CashEntryFacts(r[0], r[2], r[3], r[4], day(r[5]), r[6], r[7], r[8], r[9], day(r[10])))

    statements: dict[str, int] = {}
    for r in await q.fetchall(
        "SELECT s.kelurahan_code, s.closing_balance FROM bank_statements AS s WHERE s.month = :month"
        + _scope(kelurahan_code, "s") + " ORDER BY s.id", {**params, "month": first.strftime("%Y-%m")},
    ):
        statements[r[0]] = r[1]  # the latest recorded wins

    kel_pauses: dict[str, list[PauseFacts]] = defaultdict(list)
    for r in await q.fetchall(
        "SELECT pk.kelurahan_code, pz.starts_on, pz.ends_on, pz.reason FROM pause_kelurahan AS pk"
        " JOIN pauses AS pz ON pz.id = pk.pause_id WHERE pz.starts_on <= :last" + _scope(kelurahan_code, "pk")
        + " ORDER BY pz.starts_on, pz.id", params,
    ):
        kel_pauses[r[0]].append(PauseFacts(day(r[1]), day(r[2]), r[3]))

    letters: dict[str, tuple[int, int, int]] = {}
    for r in await q.fetchall(  # as storage.reports.warnings.issued_in_month counts them
        "SELECT w.kelurahan_code, w.level, COUNT(*) FROM warning_steps AS w"
        " WHERE w.status = 'issued' AND w.issued_on BETWEEN :first AND :last" + _scope(kelurahan_code, "w")
        + " GROUP BY w.kelurahan_code, w.level", params,
    ):
        sp = list(letters.get(r[0], (0, 0, 0)))
        sp[r[1] - 1] = r[2]
        letters[r[0]] = (sp[0], sp[1], sp[2])

    return {
        k["code"]: KelurahanFacts(
            code=k["code"], name=k["name"], kecamatan=k["kecamatan"], loans=tuple(loans.get(k["code"], ())),
            repayments=tuple(repayments.get(k["code"], ())), receipts=tuple(receipts.get(k["code"], ())),
            entries=tuple(entries.get(k["code"], ())), statement_balance=statements.get(k["code"]),
            pauses=tuple(kel_pauses.get(k["code"], ())),
            letters=letters.get(k["code"], (0, 0, 0)),
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
