"""``pem-bot seed-synthetic``: fill an empty database with a synthetic city, fast and deterministically.

``pem-bot seed-synthetic --kelurahan 51 --borrowers-per 300 --years 3 --seed 1`` builds the first N kelurahan
of Kota Kupang (:mod:`bot.domain.synthetic`: ~15,000 loans, ~500,000 repayments, events and registrations) and
prints what it built and how long it took. The benchmarks (``bench/common.py``) call :func:`seed` directly.

Decisions
---------
* Speed: rows are generated in Python, numbered here (explicit ids), and bulk-inserted through
  :mod:`storage.bulk` with one ``executemany`` per table, in a few large transactions (a flush every
  :data:`FLUSH_REPAYMENTS` repayments). The 1× city takes well under a minute on the 2-core machine.
* Exactness: each loan's verified payments (ordered ``paid_on, id`` like ``storage.loans.verified_payments``)
  go through :func:`bot.domain.loans.allocate`; the instalments' paid columns, the ``allocations`` rows and the loan
  status (``paid_off`` when nothing is outstanding) are written exactly as
  :func:`storage.repayments.reallocate` would write them. Pending, rejected and reversed repayments are
  stored but never allocated.
* Timestamps: reports at 08:00–16:00 WITA on the payment date, verification at 17:00 WITA on the decision
  date, every ``*_at`` clamped to ``now``. A linked borrower reported their own payment; for the others the
  treasurer recorded it (``reported_by`` = treasurer).
* One ``synthetic.created`` audit entry with the counts, not one per row (the use cases, bot/services, audit every
  write; 500,000 audit rows would only measure the audit log).
* ``today``/``now`` are parameters: the CLI passes the real WITA date, the benchmarks a fixed one so that
  cached databases stay valid.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time as timer
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from bot.cli.common import CliError, open_database, say
from bot.domain.kota_kupang import all_kelurahan
from bot.domain.loans import Payment, allocate, build_schedule
from bot.domain.synthetic import SYNTHETIC_TELEGRAM_BASE, SynthKelurahan, generate_kelurahan
from storage import audit, bulk
from storage.db import Database, utc_text

FLUSH_REPAYMENTS = 200_000


@dataclass
class SeedStats:
    kelurahan: int = 0
    people: int = 0
    borrowers: int = 0
    loans: int = 0
    active_loans: int = 0
    installments: int = 0
    repayments: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("verified", "pending", "rejected", "reversed"), 0))
    allocations: int = 0
    events: int = 0
    participants: int = 0
    registrations: int = 0
    outcomes: int = 0
    seconds: float = 0.0

    @property
    def repayments_total(self) -> int:
        return sum(self.repayments.values())


class _Buffer:
    """Rows waiting for the next flush, table by table, in insertion order (parents first)."""

    ORDER = ("people", "roles", "loans", "installments", "repayments", "allocations", "events", "participants",
             "registrations", "outcomes")

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in self.ORDER}

    async def flush(self, db: Database) -> None:
        writers = {
            "people": bulk.insert_people, "roles": bulk.insert_roles, "loans": bulk.insert_loans,
            "installments": bulk.insert_installments, "repayments": bulk.insert_repayments,
            "allocations": bulk.insert_allocations, "events": bulk.insert_events,
            "participants": bulk.insert_participants, "registrations": bulk.insert_registrations,
            "outcomes": bulk.insert_outcomes,
        }
        async with db.transaction() as tx:
            for table in self.ORDER:
                if self.rows[table]:
                    await writers[table](tx, self.rows[table])
                    self.rows[table] = []


class _Writer:
    def __init__(self, ids: dict[str, int], seed_value: int, today: date, now: datetime, tz) -> None:
        self.ids = dict(ids)
        self.seed = seed_value
        self.today = today
        self.now = now
        self.tz = tz
        self.stats = SeedStats()
        self.buffer = _Buffer()

    def _id(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def _at(self, day: date, hour: int, minute: int = 0) -> str:
        return utc_text(min(datetime.combine(day, time(hour, minute), tzinfo=self.tz), self.now))

    def _person(self, name: str, phone: str | None, kel: str | None, roles: tuple[str, ...], *, linked: bool,
                reachable: bool = True, nik: str | None = None) -> int:
        pid = self._id("people")
        self.buffer.rows["people"].append({
            "id": pid, "name": name, "phone": phone, "kel": kel,
            "tg": SYNTHETIC_TELEGRAM_BASE + pid if linked else None, "language": "id",
            "reachable": int(reachable), "nik": nik, "now": utc_text(self.now),
        })
        self.buffer.rows["roles"].extend({"person": pid, "role": role} for role in roles)
        self.stats.people += 1
        return pid

    def city_staff(self) -> None:
        self._person("Bappeda Kota Kupang", None, None, ("city",), linked=True)

    def add(self, kel: SynthKelurahan) -> None:
        rows = self.buffer.rows
        staff = {s.role: self._person(s.name, s.phone, kel.code, (s.role,), linked=s.linked) for s in kel.staff}
        treasurer = staff["treasurer"]
        borrower_ids = [
            self._person(b.name, b.phone, kel.code, ("borrower",), linked=b.linked, reachable=b.reachable, nik=b.nik)
            for b in kel.borrowers
        ]
        self.stats.kelurahan += 1
        self.stats.borrowers += len(borrower_ids)
        for loan in kel.loans:
            self._loan(loan, kel.code, borrower_ids[loan.borrower], kel.borrowers[loan.borrower].linked, treasurer)
        participant_ids = []
        for p in kel.participants:
            pid = self._id("participants")
            participant_ids.append(pid)
            rows["participants"].append({
                "id": pid, "kel": kel.code, "name": p.name, "nik": p.nik, "birth_date": p.birth_date.isoformat(),
                "sex": p.sex, "phone": p.phone, "education": p.education, "work_status": p.work_status,
                "consent_at": utc_text(self.now), "by": staff["coordinator"],
            })
        self.stats.participants += len(participant_ids)
        for event in kel.events:
            eid = self._id("events")
            starts = event.starts_at
            rows["events"].append({
                "id": eid, "kel": kel.code, "title": event.title, "kind": event.kind, "organiser": event.organiser,
                "starts_at": utc_text(starts), "place": event.place, "capacity": event.capacity,
                "deadline": utc_text(starts.replace(hour=0)), "min_age": event.min_age, "max_age": event.max_age,
                "status": event.status, "by": staff["coordinator"],
                "created": self._at(min(r.registered_on for r in event.registrations)
                                    if event.registrations else starts.date(), 9),
            })
            self.stats.events += 1
            for reg in event.registrations:
                rows["registrations"].append({
                    "id": self._id("registrations"), "event": eid, "participant": participant_ids[reg.participant],
                    "status": reg.status, "waitlist_position": reg.waitlist_position, "by": staff["coordinator"],
                    "created": self._at(reg.registered_on, 10),
                })
                self.stats.registrations += 1
                if reg.outcome is not None:
                    rows["outcomes"].append({
                        "participant": participant_ids[reg.participant], "event": eid, "status": reg.outcome,
                        "by": staff["coordinator"], "recorded": self._at(starts.date(), 12),
                    })
                    self.stats.outcomes += 1

    def _loan(self, loan, kel: str, borrower: int, linked: bool, treasurer: int) -> None:
        rows = self.buffer.rows
        loan_id = self._id("loans")
        schedule = build_schedule(loan.terms)
        inst_ids = {i.number: self._id("installments") for i in schedule}
        verified: list[Payment] = []
        for k, p in enumerate(loan.payments):
            rid = self._id("repayments")
            reporter = borrower if linked else treasurer
            decided = p.decided_on
            rows["repayments"].append({
                "id": rid, "loan": loan_id, "amount": p.amount, "paid_on": p.paid_on.isoformat(),
                "method": p.method, "status": p.status, "reported_by": reporter,
                "reported_at": self._at(p.paid_on, 8 + (rid % 9), rid % 60),
                "verified_by": None if p.status == "pending" else treasurer,
                "verified_at": None if decided is None else self._at(decided, 17, rid % 60),
                "reason": p.reason if p.status == "rejected" else None,
                "reversed_by": treasurer if p.status == "reversed" else None,
                "reversed_at": self._at(p.reversed_on, 11) if p.reversed_on else None,
                "reversal_reason": p.reason if p.status == "reversed" else None,
                "key": f"syn:{self.seed}:{loan_id}:{k}",
            })
            self.stats.repayments[p.status] += 1
            if p.status == "verified":
                verified.append(Payment(rid, p.amount, p.paid_on))
        state = allocate(schedule, verified)
        rows["allocations"].extend(
            {"rep": a.payment_id, "inst": inst_ids[a.installment_number], "fee": a.fee_paid,
             "principal": a.principal_paid}
            for a in state.allocations
        )
        self.stats.allocations += len(state.allocations)
        rows["installments"].extend(
            {"id": inst_ids[s.installment.number], "loan": loan_id, "number": s.installment.number,
             "due": s.installment.due_date.isoformat(), "principal_due": s.installment.principal_due,
             "fee_due": s.installment.fee_due, "principal_paid": s.principal_paid, "fee_paid": s.fee_paid,
             "paid_on": None if s.fully_paid_on is None else s.fully_paid_on.isoformat()}
            for s in state.installments
        )
        self.stats.installments += len(schedule)
        status = "paid_off" if state.is_paid_off else "active"
        terms = loan.terms
        rows["loans"].append({
            "id": loan_id, "borrower": borrower, "kel": kel, "principal": terms.principal,
            "disbursed": terms.disbursed_on.isoformat(), "tenor": terms.tenor_months, "grace": terms.grace_months,
            "fee": str(terms.fee_percent_monthly), "status": status, "business": loan.business, "by": treasurer,
            "created": self._at(terms.disbursed_on, 9),
            "updated": self._at(max((p.paid_on for p in verified), default=terms.disbursed_on), 17),
        })
        self.stats.loans += 1
        self.stats.active_loans += status == "active"


async def seed(db: Database, *, kelurahan: int, borrowers_per: int, years: int, seed_value: int, today: date,
               now: datetime, tz, progress=None) -> SeedStats | None:
    """Fill ``db`` (migrated, empty) with the synthetic city; ``None`` when it already holds data."""
    started = timer.perf_counter()
    if not await bulk.is_empty(db):
        return None
    writer = _Writer(await bulk.next_ids(db), seed_value, today, now, tz)
    writer.city_staff()
    used_phones: set[str] = set()
    used_niks: set[str] = set()
    for info in all_kelurahan()[:kelurahan]:
        writer.add(generate_kelurahan(seed_value, info.code, borrowers_per, years, today, tz, used_phones,
                                      used_niks))
        if len(writer.buffer.rows["repayments"]) >= FLUSH_REPAYMENTS:
            await writer.buffer.flush(db)
            if progress is not None:
                progress(writer.stats)
    await writer.buffer.flush(db)
    stats = writer.stats
    await audit.record(db, "synthetic.created", details={
        "seed": seed_value, "kelurahan": stats.kelurahan, "borrowers_per": borrowers_per, "years": years,
        "loans": stats.loans, "repayments": stats.repayments_total, "events": stats.events,
    })
    stats.seconds = timer.perf_counter() - started
    return stats


# --- CLI ------------------------------------------------------------------------------------------------------
def seed_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kelurahan", type=int, default=51, help="how many kelurahan, 1–51 (default 51)")
    parser.add_argument("--borrowers-per", type=int, default=300, help="borrowers per kelurahan (default 300)")
    parser.add_argument("--years", type=int, default=3, help="years of history (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same city (default 1)")


async def _run(settings, args: argparse.Namespace) -> SeedStats | None:
    db = await open_database(settings)
    try:
        return await seed(db, kelurahan=args.kelurahan, borrowers_per=args.borrowers_per, years=args.years,
                          seed_value=args.seed, today=args.process.today(settings), now=args.process.now(),
                          tz=settings.timezone)
    finally:
        await db.close()


def cmd_seed_synthetic(args: argparse.Namespace) -> int:
    if not 1 <= args.kelurahan <= len(all_kelurahan()):
        raise CliError("seed_range", name="--kelurahan", min=1, max=len(all_kelurahan()))
    if not 1 <= args.borrowers_per <= 100_000:
        raise CliError("seed_range", name="--borrowers-per", min=1, max=100_000)
    if not 1 <= args.years <= 10:
        raise CliError("seed_range", name="--years", min=1, max=10)
    settings = args.process.settings()
    stats = asyncio.run(_run(settings, args))
    if stats is None:
        say(settings, "seed_synthetic", file=sys.stderr, refused=True, path=str(settings.database))
        return 1
    say(settings, "seed_synthetic", refused=False, path=str(settings.database), s=stats,
        repayments=stats.repayments, repayments_total=stats.repayments_total, seconds=stats.seconds)
    return 0
