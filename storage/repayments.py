"""Repository: repayments with maker-checker (migration 0002).

Life of a repayment::

    report ──► pending ──decide(approve)──► verified ──reverse──► reversed
                  └──────decide(reject)───► rejected
    record_verified ─────────────────────► verified   (a treasurer's cash entry, verified at entry)

Design
------
* Nothing is ever deleted. Only ``allocations`` (derived data) is rewritten, by :func:`reallocate`, which
  runs :func:`bot.domain.loans.allocate` over all verified repayments of the loan (ordered ``paid_on, id``) and
  rewrites the loan's allocation rows, the instalments' paid columns and ``loans.status`` (active <->
  paid_off; written_off is left alone). Reversal is therefore exact: the result equals allocating without
  the reversed payment.
* Idempotency: every write carries a caller-chosen ``idempotency_key`` (UNIQUE). The same key again returns
  the existing row and ``False`` instead of inserting a second one.
* Overpayment: :func:`report` refuses an amount above the outstanding minus the loan's *other pending*
  repayments (``Overpayment.still_owed``). :func:`record_verified` refuses only above the outstanding itself
  (a treasurer holding cash must not be blocked by a doubtful pending report; that report then fails to verify
  with :class:`Overpayment` and is rejected). :func:`decide` re-checks at approval (races) and changes nothing
  when it would overpay.
* Races: all writes run inside ``db.transaction()`` (``BEGIN IMMEDIATE`` under the connection lock), and
  :func:`decide` / :func:`reverse` update ``WHERE status = <expected>``; the loser gets
  :class:`AlreadyDecided` / :class:`NotReversible` carrying the current :class:`RepaymentView` (who
  decided first).
* ``RepaymentView.decided_by_name`` is the reverser for a reversed repayment, else the verifier/rejecter.
* No audit rows here: the use cases in :mod:`bot.services.repayments` own the transaction and write them. Each
  write that needs the loan's summary accepts it as the caller already computed it (for its audit row), so it
  is not computed twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.loans import LoanState, OverpaymentError, Payment, allocate
from storage import loans as loans_repo
from storage.db import Queryable, utc_text

METHODS = ("cash", "transfer", "other")
STATUSES = ("pending", "verified", "rejected", "reversed")


@dataclass(frozen=True)
class Repayment:
    id: int
    loan_id: int
    installment_id: int | None
    amount: int
    paid_on: date
    method: str
    receipt_file_id: str | None
    note: str | None
    status: str
    reported_by: int
    reported_at: str
    verified_by: int | None
    verified_at: str | None
    reason: str | None
    reversed_by: int | None
    reversed_at: str | None
    reversal_reason: str | None
    idempotency_key: str
    #: 'repayment', or 'recovery' for a payment on a written-off loan (issue 16)
    kind: str = "repayment"

    @property
    def reference(self) -> str:
        """The number shown to people, e.g. ``PB-00042``."""
        return f"PB-{self.id:05d}"


@dataclass(frozen=True)
class RepaymentView:
    repayment: Repayment
    borrower_id: int
    borrower_name: str
    kelurahan_code: str
    loan_principal: int
    reporter_name: str
    decided_by_name: str | None


class AlreadyDecided(Exception):
    """Someone decided this repayment first; ``view`` shows the current status and who."""

    def __init__(self, view: RepaymentView) -> None:
        super().__init__(f"repayment {view.repayment.id} is already {view.repayment.status}")
        self.view = view


class NotReversible(Exception):
    """Only a verified repayment can be reversed; ``view`` shows its current status."""

    def __init__(self, view: RepaymentView) -> None:
        super().__init__(f"repayment {view.repayment.id} is {view.repayment.status}, not verified")
        self.view = view


class Overpayment(Exception):
    """An amount above what is owed.

    ``outstanding``: the balance from verified payments; ``still_owed``: that minus the other pending ones.
    """

    def __init__(self, outstanding: int, still_owed: int) -> None:
        super().__init__(f"amount exceeds what is owed (outstanding {outstanding}, still owed {still_owed})")
        self.outstanding = outstanding
        self.still_owed = still_owed


class UnknownRepayment(LookupError):
    pass


_FIELDS = """
r.*, l.borrower_id, l.kelurahan_code, l.principal AS loan_principal, b.name AS borrower_name,
rep.name AS reporter_name,
CASE WHEN r.status = 'reversed' THEN rev.name ELSE ver.name END AS decided_by_name
"""
_FROM = """
FROM repayments AS r
JOIN loans AS l ON l.id = r.loan_id
JOIN people AS b ON b.id = l.borrower_id
JOIN people AS rep ON rep.id = r.reported_by
LEFT JOIN people AS ver ON ver.id = r.verified_by
LEFT JOIN people AS rev ON rev.id = r.reversed_by
"""


def _repayment(row) -> Repayment:
    return Repayment(
        id=row["id"], loan_id=row["loan_id"], installment_id=row["installment_id"], amount=row["amount"],
        paid_on=date.fromisoformat(row["paid_on"]), method=row["method"],
        receipt_file_id=row["receipt_file_id"], note=row["note"], status=row["status"],
        reported_by=row["reported_by"], reported_at=row["reported_at"],
        verified_by=row["verified_by"], verified_at=row["verified_at"], reason=row["reason"],
        reversed_by=row["reversed_by"], reversed_at=row["reversed_at"],
        reversal_reason=row["reversal_reason"],
        idempotency_key=row["idempotency_key"], kind=row["kind"],
    )


def _view(row) -> RepaymentView:
    return RepaymentView(
        repayment=_repayment(row), borrower_id=row["borrower_id"], borrower_name=row["borrower_name"],
        kelurahan_code=row["kelurahan_code"], loan_principal=row["loan_principal"],
        reporter_name=row["reporter_name"], decided_by_name=row["decided_by_name"],
    )


async def get(q: Queryable, repayment_id: int) -> Repayment | None:
    row = await q.fetchone("SELECT * FROM repayments WHERE id = :id", {"id": repayment_id})
    return None if row is None else _repayment(row)


async def by_key(q: Queryable, idempotency_key: str) -> Repayment | None:
    row = await q.fetchone("SELECT * FROM repayments WHERE idempotency_key = :k", {"k": idempotency_key})
    return None if row is None else _repayment(row)


async def view(q: Queryable, repayment_id: int) -> RepaymentView | None:
    row = await q.fetchone(f"SELECT {_FIELDS} {_FROM} WHERE r.id = :id", {"id": repayment_id})
    return None if row is None else _view(row)


async def _require_view(q: Queryable, repayment_id: int) -> RepaymentView:
    found = await view(q, repayment_id)
    if found is None:
        raise UnknownRepayment(repayment_id)
    return found


def _check_amount(amount: int, method: str) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError(f"amount must be a positive int, got {amount!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")


async def _loan_summary(q: Queryable, loan_id: int) -> loans_repo.LoanSummary:
    summary = await loans_repo.summary(q, loan_id)
    if summary is None:
        raise LookupError(f"no loan {loan_id}")
    return summary


async def report(
    tx: Queryable,
    *,
    loan_id: int,
    amount: int,
    paid_on: date,
    method: str,
    reported_by: int,
    idempotency_key: str,
    now: datetime,
    receipt_file_id: str | None = None,
    note: str | None = None,
    installment_id: int | None = None,
    summary: loans_repo.LoanSummary | None = None,
) -> tuple[Repayment, bool]:
    """Store a borrower's report as ``pending``; ``(existing, False)`` for a repeated idempotency key."""
    existing = await by_key(tx, idempotency_key)
    if existing is not None:
        return existing, False
    _check_amount(amount, method)
    summary = summary or await _loan_summary(tx, loan_id)
    # the early-payoff rule: what settles the loan that day (or on the latest verified payment's, for a report
    # dated before it); the verification allocates it for certain
    day = max([paid_on, *(p.paid_on for p in await loans_repo.verified_payments(tx, loan_id))])
    if amount > summary.still_owed_on(day):
        raise Overpayment(summary.owed_on(day), summary.still_owed_on(day))
    result = await tx.execute(
        """
        INSERT INTO repayments (loan_id, installment_id, amount, paid_on, method, receipt_file_id, note,
                                status, reported_by, reported_at, idempotency_key)
        VALUES (:loan, :inst, :amount, :paid_on, :method, :file, :note, 'pending', :by, :now, :key)
        """,
        {
            "loan": loan_id, "inst": installment_id, "amount": amount, "paid_on": paid_on.isoformat(),
            "method": method, "file": receipt_file_id, "note": note, "by": reported_by,
            "now": utc_text(now), "key": idempotency_key,
        },
    )
    assert result.lastrowid is not None
    repayment = await get(tx, result.lastrowid)
    assert repayment is not None
    return repayment, True


async def record_verified(
    tx: Queryable,
    *,
    loan_id: int,
    amount: int,
    paid_on: date,
    method: str,
    recorded_by: int,
    idempotency_key: str,
    now: datetime,
    note: str | None = None,
    summary: loans_repo.LoanSummary | None = None,
    kind: str = "repayment",
) -> tuple[Repayment, bool]:
    """A treasurer's own entry (cash from a borrower): verified at entry and allocated at once. ``kind``
    ``'recovery'``: a payment on a written-off loan (issue 16)."""
    existing = await by_key(tx, idempotency_key)
    if existing is not None:
        return existing, False
    _check_amount(amount, method)
    summary = summary or await _loan_summary(tx, loan_id)
    if amount > summary.outstanding:
        raise Overpayment(summary.outstanding, summary.still_owed)
    verified = await loans_repo.verified_payments(tx, loan_id)
    try:  # the early-payoff rule, and a date before other payments: allocate as reallocate will
        allocate(await loans_repo.schedule(tx, loan_id),
                 [*verified, Payment(max((p.id for p in verified), default=0) + 1, amount, paid_on)])
    except OverpaymentError as exc:
        raise Overpayment(summary.owed_on(paid_on), summary.still_owed_on(paid_on)) from exc
    result = await tx.execute(
        """
        INSERT INTO repayments (loan_id, amount, paid_on, method, note, status, reported_by, reported_at,
                                verified_by, verified_at, idempotency_key, kind)
        VALUES (:loan, :amount, :paid_on, :method, :note, 'verified', :by, :now, :by, :now, :key, :kind)
        """,
        {"loan": loan_id, "amount": amount, "paid_on": paid_on.isoformat(), "method": method, "note": note,
         "by": recorded_by, "now": utc_text(now), "key": idempotency_key, "kind": kind},
    )
    assert result.lastrowid is not None
    await reallocate(tx, loan_id, now=now)
    repayment = await get(tx, result.lastrowid)
    assert repayment is not None
    return repayment, True


async def decide(
    tx: Queryable, repayment_id: int, *, approve: bool, by: int, now: datetime, reason: str | None = None,
    summary: loans_repo.LoanSummary | None = None,
) -> RepaymentView:
    """Verify or reject a pending repayment. Raises :class:`AlreadyDecided` when it is no longer pending,
    :class:`Overpayment` (changing nothing) when approving would pay more than is owed, ``ValueError`` when a
    rejection has no reason."""
    reason = (reason or "").strip() or None
    if not approve and reason is None:
        raise ValueError("a rejection needs a reason")
    current = await _require_view(tx, repayment_id)
    if current.repayment.status != "pending":
        raise AlreadyDecided(current)
    rep = current.repayment
    summary = summary or await _loan_summary(tx, rep.loan_id)
    if approve:
        payments = await loans_repo.verified_payments(tx, rep.loan_id)
        try:
            allocate(await loans_repo.schedule(tx, rep.loan_id),
                     [*payments, Payment(rep.id, rep.amount, rep.paid_on)])
        except OverpaymentError as exc:
            day = max([rep.paid_on, *(p.paid_on for p in payments)])  # what settles the loan by then
            raise Overpayment(summary.owed_on(day), summary.still_owed_on(day)) from exc
    updated = await tx.execute(
        """
        UPDATE repayments SET status = :status, verified_by = :by, verified_at = :now, reason = :reason,
               kind = CASE WHEN :status = 'verified'
                            AND (SELECT l.status FROM loans AS l WHERE l.id = repayments.loan_id) = 'written_off'
                           THEN 'recovery' ELSE kind END  -- reported before a write-off, verified after it
        WHERE id = :id AND status = 'pending'
        """,
        {"status": "verified" if approve else "rejected", "by": by, "now": utc_text(now),
         "reason": None if approve else reason, "id": repayment_id},
    )
    if updated.rowcount != 1:  # cannot happen under BEGIN IMMEDIATE, kept as the guard
        raise AlreadyDecided(await _require_view(tx, repayment_id))
    if approve:
        await reallocate(tx, rep.loan_id, now=now)
    return await _require_view(tx, repayment_id)


async def reverse(tx: Queryable, repayment_id: int, *, by: int, now: datetime, reason: str) -> RepaymentView:
    """Reverse a verified repayment (never deleted) and re-allocate the loan. Raises :class:`NotReversible`
    when it is not verified, ``ValueError`` without a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reversal needs a reason")
    current = await _require_view(tx, repayment_id)
    if current.repayment.status != "verified":
        raise NotReversible(current)
    rep = current.repayment
    updated = await tx.execute(
        """
        UPDATE repayments
        SET status = 'reversed', reversed_by = :by, reversed_at = :now, reversal_reason = :reason
        WHERE id = :id AND status = 'verified'
        """,
        {"by": by, "now": utc_text(now), "reason": reason, "id": repayment_id},
    )
    if updated.rowcount != 1:
        raise NotReversible(await _require_view(tx, repayment_id))
    await reallocate(tx, rep.loan_id, now=now)
    return await _require_view(tx, repayment_id)


async def reallocate(tx: Queryable, loan_id: int, *, now: datetime) -> LoanState:
    """Recompute the loan's allocation from its verified repayments and rewrite the derived data."""
    rows = await tx.fetchall("SELECT id, number FROM installments WHERE loan_id = :loan", {"loan": loan_id})
    ids = {r["number"]: r["id"] for r in rows}
    state = allocate(await loans_repo.schedule(tx, loan_id), await loans_repo.verified_payments(tx, loan_id))
    await tx.execute(
        "DELETE FROM allocations WHERE repayment_id IN (SELECT id FROM repayments WHERE loan_id = :loan)",
        {"loan": loan_id},
    )
    await tx.executemany(
        """
        INSERT INTO allocations (repayment_id, installment_id, fee_paid, principal_paid)
        VALUES (:rep, :inst, :fee, :principal)
        """,
        [{"rep": a.payment_id, "inst": ids[a.installment_number], "fee": a.fee_paid,
          "principal": a.principal_paid}
         for a in state.allocations],
    )
    await tx.executemany(
        """
        UPDATE installments SET principal_paid = :principal, fee_paid = :fee, fee_due = :fee_owed,
                                paid_on = :paid_on
        WHERE id = :id
        """,
        [{"id": ids[s.installment.number], "principal": s.principal_paid, "fee": s.fee_paid,
          "fee_owed": s.fee_owed, "paid_on": None if s.fully_paid_on is None else s.fully_paid_on.isoformat()}
         for s in state.installments],
    )
    await tx.execute(
        """
        UPDATE loans SET status = :new, updated_at = :now
        WHERE id = :loan AND status IN ('active', 'paid_off') AND status <> :new
        """,
        {"new": "paid_off" if state.is_paid_off else "active", "loan": loan_id,
         "now": utc_text(now)},
    )
    return state


async def _page(q: Queryable, where: str, order: str, params: dict, offset: int, limit: int
                ) -> tuple[list[RepaymentView], int]:
    rows = await q.fetchall(
        f"SELECT {_FIELDS} {_FROM} WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset",
        {**params, "limit": limit, "offset": offset},
    )
    total = await q.fetchval(f"SELECT COUNT(*) {_FROM} WHERE {where}", params)
    return [_view(r) for r in rows], int(total or 0)


async def pending_for_kelurahan(
    q: Queryable, kelurahan_code: str, *, offset: int = 0, limit: int = 5
) -> tuple[list[RepaymentView], int]:
    """Pending repayments of a kelurahan, oldest report first; one page and the total count."""
    return await _page(q, "l.kelurahan_code = :kel AND r.status = 'pending'", "r.reported_at, r.id",
                       {"kel": kelurahan_code}, offset, limit)


async def pending_reported_before(q: Queryable, cutoff: datetime) -> list[RepaymentView]:
    """Every pending repayment of the city reported before ``cutoff`` (the daily nudge), by kelurahan."""
    rows = await q.fetchall(
        f"SELECT {_FIELDS} {_FROM} WHERE r.status = 'pending' AND r.reported_at < :cutoff"
        " ORDER BY l.kelurahan_code, r.reported_at, r.id",
        {"cutoff": utc_text(cutoff)},
    )
    return [_view(r) for r in rows]


async def verified_for_kelurahan(
    q: Queryable, kelurahan_code: str, *, borrower_id: int | None = None, offset: int = 0, limit: int = 5
) -> tuple[list[RepaymentView], int]:
    """Verified repayments of a kelurahan (optionally one borrower's), newest verification first."""
    if borrower_id is None:
        where = "l.kelurahan_code = :kel AND r.status = 'verified'"
    else:
        # One borrower: start from their loans (loans_borrower, then repayments_loan). With a plain
        # ``r.status = 'verified'`` (or ``:b IS NULL OR …``) SQLite walked every verified repayment of the city by
        # repayments_status_verified_at to sort them: 1.1 s on the synthetic city instead of 0.1 ms. The unary
        # ``+`` keeps that index out of the plan.
        where = "l.borrower_id = :b AND l.kelurahan_code = :kel AND +r.status = 'verified'"
    return await _page(q, where, "r.verified_at DESC, r.id DESC", {"kel": kelurahan_code, "b": borrower_id},
                       offset, limit)


async def recent_for_loan(q: Queryable, loan_id: int, limit: int = 5) -> list[Repayment]:
    """The loan's latest repayments in any status, newest payment date first."""
    rows = await q.fetchall(
        "SELECT * FROM repayments WHERE loan_id = :loan ORDER BY paid_on DESC, id DESC LIMIT :limit",
        {"loan": loan_id, "limit": limit},
    )
    return [_repayment(r) for r in rows]


async def pending_for_loans(q: Queryable, loan_ids: Sequence[int]) -> list[Repayment]:
    """Every pending repayment of these loans, in id order (for the duplicate rule, bot.domain.reporting)."""
    if not loan_ids:
        return []
    names = {f"l{i}": loan_id for i, loan_id in enumerate(loan_ids)}
    rows = await q.fetchall(
        f"SELECT * FROM repayments WHERE status = 'pending' AND loan_id IN ({', '.join(':' + n for n in names)})"
        " ORDER BY id",
        names,
    )
    return [_repayment(r) for r in rows]


async def last_method(q: Queryable, borrower_id: int) -> str | None:
    """The method of the borrower's most recent repayment on any of their loans (for a default)."""
    return await q.fetchval(
        """
        SELECT r.method FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id
        WHERE l.borrower_id = :b ORDER BY r.id DESC LIMIT 1
        """,
        {"b": borrower_id},
    )
