"""Repository: loans and their instalment schedule (migration 0002).

Design
------
* A loan's schedule is written once, at :func:`create`, from :func:`bot.domain.loans.build_schedule`; only an
  approved reschedule (:mod:`storage.lifecycle`, issue 16) replaces its unpaid part, after archiving it.
* The truth about what was paid is the set of *verified* repayments. :func:`summary` recomputes the
  :class:`bot.domain.loans.LoanState` from them with :func:`bot.domain.loans.allocate`, so it is always right. The paid
  columns of ``installments`` and the ``allocations`` rows are a derived copy rewritten by
  :func:`storage.repayments.reallocate` after every verification, record or reversal; they exist so that
  :func:`borrowers_overview` (and digests/reports) can aggregate in SQL without loading every loan.
* Dates are WITA ``YYYY-MM-DD`` text; ``fee_percent_monthly`` is stored as the Decimal's text
  (``'0'``, ``'1.5'``).
* :func:`import_rows` is the write side of ``pem-bot import-loans``: it takes rows already validated by
  :mod:`bot.domain.loan_import` and is idempotent through ``loans.import_key`` (a loan whose key exists is skipped).
  Borrowers are matched by NIK, then by phone within the kelurahan, else created.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from bot.domain.loan_import import ImportRow
from bot.domain.loans import Installment as ScheduledInstallment
from bot.domain.loans import (
    InstallmentState,
    LoanState,
    LoanTerms,
    Payment,
    allocate,
    build_schedule,
    fee_per_installment,
)
from bot.domain.pauses import Pause, move_schedule
from bot.domain.pauses import days_in_arrears as paused_days_in_arrears
from bot.domain.roles import Role
from storage import audit, pauses, people
from storage.db import Queryable, utc_text

STATUSES = ("active", "paid_off", "written_off")


@dataclass(frozen=True)
class Loan:
    id: int
    borrower_id: int
    kelurahan_code: str
    principal: int
    disbursed_on: date
    tenor_months: int
    grace_months: int
    fee_percent_monthly: Decimal
    status: str
    business: str | None
    created_by: int | None
    created_at: str

    @property
    def terms(self) -> LoanTerms:
        return LoanTerms(
            principal=self.principal,
            disbursed_on=self.disbursed_on,
            tenor_months=self.tenor_months,
            grace_months=self.grace_months,
            fee_percent_monthly=self.fee_percent_monthly,
        )


@dataclass(frozen=True)
class LoanSummary:
    """A loan with its state computed from the verified repayments (never from the derived columns)."""

    loan: Loan
    borrower_name: str
    state: LoanState
    installment_ids: dict[int, int]  # instalment number -> installments.id
    pending_total: int  # sum of this loan's pending repayments
    #: the pauses of the loan's kelurahan (days in arrears do not grow during one, bot/domain/pauses.py)
    pauses: tuple[Pause, ...] = ()

    @property
    def outstanding(self) -> int:
        return self.state.outstanding

    @property
    def paid(self) -> int:
        """Verified total paid."""
        return self.state.total_paid

    @property
    def next_due(self) -> InstallmentState | None:
        return self.state.oldest_unpaid()

    @property
    def still_owed(self) -> int:
        """Outstanding minus what is already reported and waiting for verification."""
        return max(self.state.outstanding - self.pending_total, 0)

    def owed_on(self, day: date) -> int:
        """What settles the loan on ``day`` (the early-payoff rule, :meth:`LoanState.payoff_amount`)."""
        return self.state.payoff_amount(day)

    def still_owed_on(self, day: date) -> int:
        """:meth:`owed_on` minus what is already reported and waiting for verification."""
        return max(self.owed_on(day) - self.pending_total, 0)

    def days_in_arrears(self, today: date) -> int:
        """Days in arrears with the kelurahan's pauses taken out (rule 2 of :mod:`bot.domain.pauses`)."""
        oldest = self.state.oldest_unpaid()
        return paused_days_in_arrears(None if oldest is None else oldest.installment.due_date, today, self.pauses)

    def overdue_amount(self, today: date) -> int:
        return self.state.overdue_amount(today)


@dataclass(frozen=True)
class BorrowerRow:
    """One active (or written-off) loan of a kelurahan in the treasurer's overview."""

    person_id: int
    name: str
    linked: bool
    loan_id: int
    principal: int
    outstanding: int
    overdue_amount: int
    days_in_arrears: int
    status: str = "active"  # or written_off
    rescheduled: bool = False


def _row(row) -> Loan:
    return Loan(
        id=row["id"],
        borrower_id=row["borrower_id"],
        kelurahan_code=row["kelurahan_code"],
        principal=row["principal"],
        disbursed_on=date.fromisoformat(row["disbursed_on"]),
        tenor_months=row["tenor_months"],
        grace_months=row["grace_months"],
        fee_percent_monthly=Decimal(row["fee_percent_monthly"]),
        status=row["status"],
        business=row["business"],
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


async def create(
    tx: Queryable,
    *,
    borrower_id: int,
    kelurahan_code: str,
    terms: LoanTerms,
    business: str | None,
    created_by: int | None,
    now: datetime,
    import_key: str | None = None,
) -> Loan:
    """Insert a loan and its schedule (raises :class:`bot.domain.loans.LoanTermsError` for bad terms); audited.

    Due dates inside a pause already declared for the kelurahan are moved by its length (rule 1 of
    :mod:`bot.domain.pauses`); ``paused_from`` keeps the scheduled date."""
    planned = build_schedule(terms)  # validates the terms first
    schedule = move_schedule(planned, await pauses.for_kelurahan(tx, kelurahan_code))
    stamp = utc_text(now)
    result = await tx.execute(
        """
        INSERT INTO loans (borrower_id, kelurahan_code, principal, disbursed_on, tenor_months, grace_months,
                           fee_percent_monthly, business, import_key, created_by, created_at, updated_at)
        VALUES (:borrower, :kel, :principal, :disbursed, :tenor, :grace, :fee, :business, :key, :by,
                :now, :now)
        """,
        {
            "borrower": borrower_id,
            "kel": kelurahan_code,
            "principal": terms.principal,
            "disbursed": terms.disbursed_on.isoformat(),
            "tenor": terms.tenor_months,
            "grace": terms.grace_months,
            "fee": str(Decimal(terms.fee_percent_monthly)),
            "business": (business or "").strip() or None,
            "key": import_key,
            "by": created_by,
            "now": stamp,
        },
    )
    loan_id = result.lastrowid
    assert loan_id is not None
    await tx.executemany(
        """
        INSERT INTO installments (loan_id, number, due_date, principal_due, fee_due, paused_from)
        VALUES (:loan, :number, :due, :principal, :fee, :paused_from)
        """,
        [
            {"loan": loan_id, "number": i.number, "due": i.due_date.isoformat(), "principal": i.principal_due,
             "fee": i.fee_due, "paused_from": None if i.due_date == p.due_date else p.due_date.isoformat()}
            for i, p in zip(schedule, planned, strict=True)
        ],
    )
    await audit.record(
        tx, "loan.created", actor_person_id=created_by, entity="loan", entity_id=loan_id,
        kelurahan_code=kelurahan_code,
        details={
            "borrower_id": borrower_id, "principal": terms.principal, "disbursed_on": terms.disbursed_on,
            "tenor_months": terms.tenor_months, "grace_months": terms.grace_months,
            "fee_percent_monthly": str(terms.fee_percent_monthly), "via": "import" if import_key else "bot",
        },
    )
    loan = await get(tx, loan_id)
    assert loan is not None
    return loan


async def get(q: Queryable, loan_id: int) -> Loan | None:
    row = await q.fetchone("SELECT * FROM loans WHERE id = :id", {"id": loan_id})
    return None if row is None else _row(row)


async def by_import_key(q: Queryable, import_key: str) -> Loan | None:
    row = await q.fetchone("SELECT * FROM loans WHERE import_key = :k", {"k": import_key})
    return None if row is None else _row(row)


async def for_borrower(q: Queryable, borrower_id: int, *, include_closed: bool = False) -> list[Loan]:
    """The borrower's loans, oldest disbursement first; only active ones unless ``include_closed``."""
    rows = await q.fetchall(
        """
        SELECT * FROM loans WHERE borrower_id = :b AND (:all OR status = 'active')
        ORDER BY disbursed_on, id
        """,
        {"b": borrower_id, "all": int(include_closed)},
    )
    return [_row(r) for r in rows]


async def _schedule_rows(q: Queryable, loan_id: int):
    return await q.fetchall(
        """
        SELECT i.*, l.principal AS loan_principal, l.fee_percent_monthly AS loan_fee_percent
        FROM installments AS i JOIN loans AS l ON l.id = i.loan_id
        WHERE i.loan_id = :loan ORDER BY i.due_date, i.number
        """,
        {"loan": loan_id},
    )


def _installment(row) -> ScheduledInstallment:
    """The instalment as scheduled. ``installments.fee_due`` holds the fee still owed (an early payoff waives
    the fees of the months not begun, :func:`storage.repayments.reallocate`), so the scheduled fee comes from
    ``fee_scheduled`` (set by a reschedule, migration 0019) or else the loan's flat terms; a reversal of the
    payoff then owes it again."""
    if row["fee_scheduled"] is not None:
        scheduled_fee = row["fee_scheduled"]
    else:
        scheduled_fee = max(row["fee_due"],
                            fee_per_installment(row["loan_principal"], Decimal(str(row["loan_fee_percent"]))))
    return ScheduledInstallment(
        number=row["number"], due_date=date.fromisoformat(row["due_date"]),
        principal_due=row["principal_due"], fee_due=scheduled_fee,
    )


async def schedule(q: Queryable, loan_id: int) -> list[ScheduledInstallment]:
    return [_installment(r) for r in await _schedule_rows(q, loan_id)]


async def verified_payments(q: Queryable, loan_id: int) -> list[Payment]:
    """The loan's verified payments, for :func:`bot.domain.loans.allocate`. After a reschedule (issue 16) a
    payment stored after its approval (a higher id: no report was pending then, the approval waits for that)
    and dated before the date the new schedule runs from is allocated as of that date, so it can never slip in
    front of the payments the kept instalments were paid with."""
    rows = await q.fetchall(
        """
        SELECT r.id, r.amount,
               CASE WHEN l.rescheduled_after_repayment IS NOT NULL AND r.id > l.rescheduled_after_repayment
                         AND r.paid_on < l.rescheduled_on
                    THEN l.rescheduled_on ELSE r.paid_on END AS paid_on
        FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id
        WHERE r.loan_id = :loan AND r.status = 'verified'
        ORDER BY 3, r.id
        """,
        {"loan": loan_id},
    )
    return [Payment(r["id"], r["amount"], date.fromisoformat(r["paid_on"])) for r in rows]


async def summary(q: Queryable, loan_id: int) -> LoanSummary | None:
    """The loan, its borrower's name and its state allocated from the verified repayments."""
    row = await q.fetchone(
        """
        SELECT l.*, p.name AS borrower_name,
               (SELECT COALESCE(SUM(amount), 0) FROM repayments AS r
                WHERE r.loan_id = l.id AND r.status = 'pending') AS pending_total
        FROM loans AS l JOIN people AS p ON p.id = l.borrower_id
        WHERE l.id = :id
        """,
        {"id": loan_id},
    )
    if row is None:
        return None
    rows = await _schedule_rows(q, loan_id)
    state = allocate([_installment(r) for r in rows], await verified_payments(q, loan_id))
    return LoanSummary(
        loan=_row(row),
        borrower_name=row["borrower_name"],
        state=state,
        installment_ids={r["number"]: r["id"] for r in rows},
        pending_total=row["pending_total"],
        pauses=tuple(await pauses.for_kelurahan(q, row["kelurahan_code"])),
    )


async def borrowers_overview(
    q: Queryable, kelurahan_code: str, today: date, *, offset: int = 0, limit: int = 10
) -> tuple[list[BorrowerRow], int]:
    """Active loans of a kelurahan, riskiest first, computed in SQL from the instalments' paid columns; then the
    written-off ones (issue 16: they never vanish from the list), with what is still owed on them.

    Order: active before written off, days in arrears (desc), overdue amount (desc), name, loan id. Returns one
    page and the total count. Days in arrears leave out the kelurahan's paused days
    (:func:`storage.pauses.paused_days_sql`); a written-off loan has none (it is out of the portfolio).
    """
    params = {"kel": kelurahan_code, "today": today.isoformat(), "limit": limit, "offset": offset}
    paused = pauses.paused_days_sql("agg.oldest_overdue", ":today", ":kel")
    rows = await q.fetchall(
        f"""
        WITH agg AS (
            SELECT l.id AS loan_id, l.borrower_id, l.principal, l.status,
                   l.rescheduled_at IS NOT NULL AS rescheduled,
                   SUM(i.principal_due + i.fee_due - i.principal_paid - i.fee_paid) AS outstanding,
                   SUM(CASE WHEN i.due_date < :today
                            THEN i.principal_due + i.fee_due - i.principal_paid - i.fee_paid ELSE 0 END)
                       AS overdue_amount,
                   MIN(CASE WHEN i.due_date < :today
                             AND i.principal_paid + i.fee_paid < i.principal_due + i.fee_due
                            THEN i.due_date END) AS oldest_overdue
            FROM loans AS l JOIN installments AS i ON i.loan_id = l.id
            WHERE l.kelurahan_code = :kel AND l.status IN ('active', 'written_off')
            GROUP BY l.id
        )
        SELECT agg.*, p.name, p.telegram_user_id IS NOT NULL AS linked,
               CASE WHEN agg.oldest_overdue IS NULL OR agg.status = 'written_off' THEN 0
                    ELSE MAX(0, CAST(julianday(:today) - julianday(agg.oldest_overdue) AS INTEGER)
                                - CAST({paused} AS INTEGER)) END AS days
        FROM agg JOIN people AS p ON p.id = agg.borrower_id
        ORDER BY agg.status = 'written_off', days DESC, agg.overdue_amount DESC, p.name, agg.loan_id
        LIMIT :limit OFFSET :offset
        """,
        params,
    )
    total = await q.fetchval(
        "SELECT COUNT(*) FROM loans WHERE kelurahan_code = :kel AND status IN ('active', 'written_off')",
        {"kel": kelurahan_code},
    )
    return (
        [
            BorrowerRow(
                person_id=r["borrower_id"], name=r["name"], linked=bool(r["linked"]), loan_id=r["loan_id"],
                principal=r["principal"], outstanding=r["outstanding"], overdue_amount=r["overdue_amount"],
                days_in_arrears=r["days"], status=r["status"], rescheduled=bool(r["rescheduled"]),
            )
            for r in rows
        ],
        int(total or 0),
    )


# --- bulk import (pem-bot import-loans) --------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    created_loans: list[Loan] = field(default_factory=list)
    skipped_rows: list[int] = field(default_factory=list)  # row numbers whose loan already existed
    new_borrowers: list[people.Person] = field(default_factory=list)  # created by this import
    matched_borrowers: int = 0

    @property
    def total_principal(self) -> int:
        return sum(loan.principal for loan in self.created_loans)


async def _find_by_nik(q: Queryable, nik: str) -> people.Person | None:
    person_id = await people.id_by_nik(q, nik)
    return None if person_id is None else await people.get(q, person_id)


async def import_rows(
    tx: Queryable, rows: Sequence[ImportRow], *, now: datetime, created_by: int | None = None, language: str = "id"
) -> ImportResult:
    """Write validated rows in the caller's transaction. A row whose ``import_key`` exists is skipped.

    Borrowers: matched by NIK, then by phone within the kelurahan, else created (role borrower; the NIK is
    stored when the matched person has none). Each created loan is audited by :func:`create`.
    """
    created: list[Loan] = []
    skipped: list[int] = []
    new_people: dict[int, people.Person] = {}
    matched: set[int] = set()
    for row in rows:
        if await by_import_key(tx, row.import_key) is not None:
            skipped.append(row.row_number)
            continue
        person = await _find_by_nik(tx, row.nik) if row.nik else None
        if person is None and row.phone:
            person = await people.by_phone(tx, row.phone, row.kelurahan_code)
        if person is None:
            person = await people.create(tx, name=row.name, kelurahan_code=row.kelurahan_code,
                                         roles=[Role.BORROWER], phone=row.phone, language=language)
            new_people[person.id] = person
            await audit.record(tx, "person.imported", actor_person_id=created_by, entity="person",
                               entity_id=person.id, kelurahan_code=row.kelurahan_code,
                               details={"role": str(Role.BORROWER), "via": "import"})
        else:
            if person.id not in new_people:
                matched.add(person.id)
            await people.add_role(tx, person.id, Role.BORROWER)
        if row.nik:
            await people.set_nik(tx, person.id, row.nik)
        loan = await create(tx, borrower_id=person.id, kelurahan_code=row.kelurahan_code, terms=row.terms,
                            business=row.business, created_by=created_by, import_key=row.import_key, now=now)
        created.append(loan)
    if created:
        await audit.record(tx, "loans.imported", actor_person_id=created_by, entity="loan",
                           details={"loans": len(created), "skipped": len(skipped),
                                    "new_borrowers": len(new_people),
                                    "principal": sum(loan.principal for loan in created)})
    return ImportResult(created, skipped, list(new_people.values()), len(matched))


async def database_is_empty(q: Queryable) -> bool:
    """No people and no loans yet (``pem-bot demo-data`` and ``seed-synthetic`` only fill an empty database)."""
    return not await q.fetchval("SELECT (SELECT COUNT(*) FROM people) + (SELECT COUNT(*) FROM loans)")
