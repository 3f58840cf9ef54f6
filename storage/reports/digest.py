"""Read model: the figures of the daily digest, as SQL aggregates grouped by kelurahan, and who receives it.

Every function takes ``kelurahan_code`` (``None`` = the whole city) and returns one row per kelurahan, so the
daily job computes every kelurahan's digest with a handful of queries and the city view reuses the same ones.
Nothing here loops over loans in Python: per-loan figures (days in arrears, outstanding principal) are
computed in a ``GROUP BY l.id`` sub-query over the *unpaid* instalments only (``installments.paid_on IS NULL``, the
``installments_unpaid_due`` partial index; a fully paid instalment has nothing outstanding, so leaving it out
changes no sum). The paid columns of ``installments`` and the ``allocations`` rows are the derived copy that
``storage.repayments`` keeps exact after every verify/record/reverse, so they only ever reflect *verified*
payments; a reversed payment therefore drops out of every figure.

Definitions (``docs`` = /work/shared/domain.md):

* days in arrears of a loan = ``today`` − due date of its oldest instalment not fully paid (0 if not overdue);
* PAR30 / PAR1 = whole outstanding principal of active loans with arrears > 30 / > 0 ÷ all outstanding
  principal;
* collectibility buckets = the thresholds of :func:`bot.domain.loans.collectibility`, as a SQL ``CASE``;
* collection for a period = allocations (of verified repayments) to instalments due in the period ÷ the
  scheduled amount of those instalments, split on-time (repayment ``paid_on`` ≤ instalment ``due_date``) and late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.db import Queryable, utc_text
from storage.pauses import paused_days_sql

#: Days-in-arrears CASE matching bot.domain.loans.collectibility (1: 0 days, 2: 1–90, 3: 91–120, 4: 121–180, 5: >180)
_BUCKET_SQL = (
    "CASE WHEN dpd = 0 THEN 1 WHEN dpd <= 90 THEN 2 WHEN dpd <= 120 THEN 3 WHEN dpd <= 180 THEN 4 ELSE 5 END"
)

_PAUSED = paused_days_sql("r.oldest_due", ":today", "r.kelurahan_code")

#: Per active loan: outstanding, outstanding principal, overdue amount and days in arrears as of :today.
#: Days in arrears leave out the kelurahan's paused days (bot/domain/pauses.py, rule 2).
_PER_LOAN = """
per_loan_raw AS (
    SELECT l.id AS loan_id, l.kelurahan_code, l.borrower_id,
           SUM(i.principal_due + i.fee_due - i.principal_paid - i.fee_paid) AS outstanding,
           SUM(i.principal_due - i.principal_paid) AS outstanding_principal,
           SUM(CASE WHEN i.due_date < :today
                    THEN i.principal_due + i.fee_due - i.principal_paid - i.fee_paid ELSE 0 END) AS overdue,
           MIN(i.due_date) AS oldest_due
    FROM loans AS l
    JOIN installments AS i ON i.loan_id = l.id AND i.paid_on IS NULL
    WHERE l.status = 'active' AND (:kel IS NULL OR l.kelurahan_code = :kel)
    GROUP BY l.id
),
per_loan AS (
    SELECT r.*,
           CASE WHEN r.oldest_due < :today
                THEN MAX(0, CAST(julianday(:today) - julianday(r.oldest_due) AS INTEGER)
                            - CAST(""" + _PAUSED + """ AS INTEGER))
                ELSE 0 END AS dpd
    FROM per_loan_raw AS r
)
"""


@dataclass(frozen=True)
class Portfolio:
    kelurahan_code: str
    loans: int
    outstanding: int
    outstanding_principal: int
    par30_principal: int
    par1_principal: int
    buckets: tuple[int, int, int, int, int]  # loans in Kol-1 … Kol-5


@dataclass(frozen=True)
class Flow:
    """Yesterday's verified repayments, and the pending ones."""

    kelurahan_code: str
    count: int
    total: int


@dataclass(frozen=True)
class Pending:
    kelurahan_code: str
    count: int
    oldest_reported_at: str | None  # UTC text
    older_than_cutoff: int  # how many were reported before the cutoff passed in


@dataclass(frozen=True)
class Collection:
    kelurahan_code: str
    due: int
    on_time: int
    late: int


@dataclass(frozen=True)
class OverdueBorrower:
    kelurahan_code: str
    loan_id: int
    person_id: int
    name: str
    days: int
    overdue: int
    total_in_kelurahan: int  # how many overdue loans the kelurahan has in all


@dataclass(frozen=True)
class Unreachable:
    kelurahan_code: str
    person_id: int
    name: str
    linked: bool
    total_in_kelurahan: int


@dataclass(frozen=True)
class Week:
    start: date
    collected: int
    due: int


async def portfolio(q: Queryable, today: date, kelurahan_code: str | None = None) -> dict[str, Portfolio]:
    rows = await q.fetchall(
        f"""
        WITH {_PER_LOAN}, bucketed AS (SELECT *, {_BUCKET_SQL} AS bucket FROM per_loan)
        SELECT kelurahan_code, COUNT(*) AS loans, SUM(outstanding) AS outstanding,
               SUM(outstanding_principal) AS outstanding_principal,
               SUM(CASE WHEN dpd > 30 THEN outstanding_principal ELSE 0 END) AS par30,
               SUM(CASE WHEN dpd > 0 THEN outstanding_principal ELSE 0 END) AS par1,
               SUM(bucket = 1) AS k1, SUM(bucket = 2) AS k2, SUM(bucket = 3) AS k3, SUM(bucket = 4) AS k4,
               SUM(bucket = 5) AS k5
        FROM bucketed GROUP BY kelurahan_code
        """,
        {"today": today.isoformat(), "kel": kelurahan_code},
    )
    return {
        r["kelurahan_code"]: Portfolio(
            r["kelurahan_code"], r["loans"], r["outstanding"], r["outstanding_principal"], r["par30"],
            r["par1"], (r["k1"], r["k2"], r["k3"], r["k4"], r["k5"]),
        )
        for r in rows
    }


async def verified_between(
    q: Queryable, start: datetime, end: datetime, kelurahan_code: str | None = None
) -> dict[str, Flow]:
    """Repayments verified in ``[start, end)`` that are still verified (a reversed one no longer counts)."""
    rows = await q.fetchall(
        """
        SELECT l.kelurahan_code, COUNT(*) AS n, SUM(r.amount) AS total
        FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id
        WHERE r.status = 'verified' AND r.verified_at >= :start AND r.verified_at < :end
          AND (:kel IS NULL OR l.kelurahan_code = :kel)
        GROUP BY l.kelurahan_code
        """,
        {"start": utc_text(start), "end": utc_text(end), "kel": kelurahan_code},
    )
    return {r["kelurahan_code"]: Flow(r["kelurahan_code"], r["n"], r["total"]) for r in rows}


async def pending(q: Queryable, cutoff: datetime, kelurahan_code: str | None = None) -> dict[str, Pending]:
    """Repayments waiting for verification; ``older_than_cutoff`` counts those reported before ``cutoff``."""
    rows = await q.fetchall(
        """
        SELECT l.kelurahan_code, COUNT(*) AS n, MIN(r.reported_at) AS oldest,
               SUM(r.reported_at < :cutoff) AS old
        FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id
        WHERE r.status = 'pending' AND (:kel IS NULL OR l.kelurahan_code = :kel)
        GROUP BY l.kelurahan_code
        """,
        {"cutoff": utc_text(cutoff), "kel": kelurahan_code},
    )
    return {r["kelurahan_code"]: Pending(r["kelurahan_code"], r["n"], r["oldest"], r["old"]) for r in rows}


async def collection(
    q: Queryable, start: date, end: date, kelurahan_code: str | None = None
) -> dict[str, Collection]:
    """Collection against instalments due in ``[start, end]`` (all loan statuses: a loan paid off this month
    was collected this month).

    ``CROSS JOIN`` fixes the join order of the sub-queries (SQLite never reorders it): allocations of the
    instalment first (``allocations_installment``), then its repayment by primary key. With a plain ``JOIN``
    and no ``ANALYZE`` statistics SQLite drove it from ``repayments_status`` (every verified repayment, per
    instalment): over 60 s instead of 4 ms on the synthetic city (docs/performance.md)."""
    rows = await q.fetchall(
        """
        SELECT l.kelurahan_code, SUM(i.principal_due + i.fee_due) AS due,
               SUM((SELECT COALESCE(SUM(a.fee_paid + a.principal_paid), 0)
                    FROM allocations AS a
                    CROSS JOIN repayments AS r ON r.id = a.repayment_id AND r.status = 'verified'
                    WHERE a.installment_id = i.id AND r.paid_on <= i.due_date)) AS on_time,
               SUM((SELECT COALESCE(SUM(a.fee_paid + a.principal_paid), 0)
                    FROM allocations AS a
                    CROSS JOIN repayments AS r ON r.id = a.repayment_id AND r.status = 'verified'
                    WHERE a.installment_id = i.id AND r.paid_on > i.due_date)) AS late
        FROM loans AS l
        JOIN installments AS i ON i.loan_id = l.id AND i.due_date BETWEEN :start AND :end
        WHERE (:kel IS NULL OR l.kelurahan_code = :kel)
        GROUP BY l.kelurahan_code
        """,
        {"start": start.isoformat(), "end": end.isoformat(), "kel": kelurahan_code},
    )
    return {
        r["kelurahan_code"]: Collection(r["kelurahan_code"], r["due"], r["on_time"], r["late"]) for r in rows
    }


async def most_overdue(
    q: Queryable, today: date, kelurahan_code: str | None = None, *, limit: int = 10
) -> dict[str, list[OverdueBorrower]]:
    """The ``limit`` most overdue loans per kelurahan (most days first, then the largest amount)."""
    rows = await q.fetchall(
        f"""
        WITH {_PER_LOAN}, ranked AS (
            SELECT pl.*, p.name,
                   ROW_NUMBER() OVER (PARTITION BY pl.kelurahan_code
                                      ORDER BY pl.dpd DESC, pl.overdue DESC, pl.loan_id) AS rank,
                   COUNT(*) OVER (PARTITION BY pl.kelurahan_code) AS total
            FROM per_loan AS pl JOIN people AS p ON p.id = pl.borrower_id
            WHERE pl.dpd > 0
        )
        SELECT * FROM ranked WHERE rank <= :limit ORDER BY kelurahan_code, rank
        """,
        {"today": today.isoformat(), "kel": kelurahan_code, "limit": limit},
    )
    out: dict[str, list[OverdueBorrower]] = {}
    for r in rows:
        out.setdefault(r["kelurahan_code"], []).append(
            OverdueBorrower(r["kelurahan_code"], r["loan_id"], r["borrower_id"], r["name"], r["dpd"],
                            r["overdue"], r["total"])
        )
    return out


async def unreachable_borrowers(
    q: Queryable, kelurahan_code: str | None = None, *, limit: int = 10
) -> dict[str, list[Unreachable]]:
    """Borrowers with an active loan who cannot get reminders: not linked to Telegram, or blocked the bot."""
    rows = await q.fetchall(
        """
        WITH who AS (
            SELECT DISTINCT l.kelurahan_code, p.id, p.name, p.telegram_user_id IS NOT NULL AS linked
            FROM loans AS l JOIN people AS p ON p.id = l.borrower_id
            WHERE l.status = 'active' AND (:kel IS NULL OR l.kelurahan_code = :kel)
              AND (p.telegram_user_id IS NULL OR p.reachable = 0)
        ), ranked AS (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY kelurahan_code ORDER BY name, id) AS rank,
                   COUNT(*) OVER (PARTITION BY kelurahan_code) AS total
            FROM who
        )
        SELECT * FROM ranked WHERE rank <= :limit ORDER BY kelurahan_code, rank
        """,
        {"kel": kelurahan_code, "limit": limit},
    )
    out: dict[str, list[Unreachable]] = {}
    for r in rows:
        out.setdefault(r["kelurahan_code"], []).append(
            Unreachable(r["kelurahan_code"], r["id"], r["name"], bool(r["linked"]), r["total"])
        )
    return out


async def weekly(q: Queryable, first_monday: date, weeks: int, kelurahan_code: str | None) -> list[Week]:
    """Per week from ``first_monday``: verified repayments by payment date, and the scheduled amount due."""
    from datetime import timedelta

    end = first_monday + timedelta(days=7 * weeks - 1)
    params = {"start": first_monday.isoformat(), "end": end.isoformat(), "kel": kelurahan_code}
    collected = await q.fetchall(
        """
        SELECT CAST((julianday(r.paid_on) - julianday(:start)) / 7 AS INTEGER) AS week, SUM(r.amount) AS total
        FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id
        WHERE r.status = 'verified' AND r.paid_on BETWEEN :start AND :end
          AND (:kel IS NULL OR l.kelurahan_code = :kel)
        GROUP BY week
        """,
        params,
    )
    due = await q.fetchall(
        """
        SELECT CAST((julianday(i.due_date) - julianday(:start)) / 7 AS INTEGER) AS week,
               SUM(i.principal_due + i.fee_due) AS total
        FROM loans AS l JOIN installments AS i ON i.loan_id = l.id AND i.due_date BETWEEN :start AND :end
        WHERE (:kel IS NULL OR l.kelurahan_code = :kel)
        GROUP BY week
        """,
        params,
    )
    got = {r["week"]: r["total"] for r in collected}
    owed = {r["week"]: r["total"] for r in due}
    return [Week(first_monday + timedelta(days=7 * k), got.get(k, 0), owed.get(k, 0)) for k in range(weeks)]


@dataclass(frozen=True)
class Promises:
    """Promises to pay (``/kunjungan``) of one kelurahan: due this week, and broken lately."""

    kelurahan_code: str
    due_this_week: int
    broken: int


async def promises(q: Queryable, week_start: date, week_end: date, broken_since: date, today: date,
                   kelurahan_code: str | None = None) -> dict[str, Promises]:
    """Per kelurahan: promises whose date falls in ``[week_start, week_end]`` (any verdict), and promises
    judged broken whose date falls in ``[broken_since, today)``."""
    rows = await q.fetchall(
        """
        SELECT kelurahan_code,
               SUM(promise_on BETWEEN :ws AND :we) AS due_week,
               SUM(promise_status = 'broken' AND promise_on >= :bs AND promise_on < :today) AS broken
        FROM visits
        WHERE promise_status IS NOT NULL AND (:kel IS NULL OR kelurahan_code = :kel)
          AND promise_on >= MIN(:ws, :bs)
        GROUP BY kelurahan_code
        """,
        {"ws": week_start.isoformat(), "we": week_end.isoformat(), "bs": broken_since.isoformat(),
         "today": today.isoformat(), "kel": kelurahan_code},
    )
    return {r["kelurahan_code"]: Promises(r["kelurahan_code"], r["due_week"] or 0, r["broken"] or 0)
            for r in rows if (r["due_week"] or r["broken"])}


async def kelurahan_names(q: Queryable) -> dict[str, str]:
    rows = await q.fetchall("SELECT code, name FROM kelurahan")
    return {r["code"]: r["name"] for r in rows}


@dataclass(frozen=True)
class Recipient:
    person_id: int
    kelurahan_code: str | None
    language: str
    role: str  # 'lurah' | 'admin' | 'city' | 'treasurer'


async def digest_recipients(q: Queryable) -> list[Recipient]:
    """Who gets the morning digest: every lurah, admins who opted in, and city staff. Only active people who
    can be reached (linked, not blocked); one row per person (a lurah who is also admin gets one digest)."""
    rows = await q.fetchall(
        """
        SELECT p.id, p.kelurahan_code, p.language,
               CASE WHEN EXISTS (SELECT 1 FROM person_roles AS c
                                 WHERE c.person_id = p.id AND c.role = 'city') THEN 'city'
                    WHEN EXISTS (SELECT 1 FROM person_roles AS c
                                 WHERE c.person_id = p.id AND c.role = 'lurah') THEN 'lurah'
                    ELSE 'admin' END AS role
        FROM people AS p
        WHERE p.active = 1 AND p.reachable = 1 AND p.telegram_chat_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM person_roles AS r WHERE r.person_id = p.id
                      AND (r.role IN ('lurah', 'city') OR (r.role = 'admin' AND p.digest_opt_in = 1)))
        ORDER BY p.id
        """
    )
    return [Recipient(r["id"], r["kelurahan_code"], r["language"], r["role"]) for r in rows]
