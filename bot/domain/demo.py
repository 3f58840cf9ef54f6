"""A deterministic, realistic demo kelurahan (pure: no SQL, no Telegram) for ``pem-bot demo-data``.

:func:`generate` returns plain dataclasses; :func:`bot.services.demo.create_demo_data` writes them, and
``seed-synthetic`` reuses the generator for other kelurahan.

What it builds (for Naikoten Satu, 53.71.05.1004, by default):

* 30 borrowers with Kupang names and mobile numbers, one loan each; principals Rp3–12 juta in steps of
  Rp500.000 adding up to exactly Rp200 juta; tenor 12 or 18 months, some with 1–2 grace months; disbursed 2–10
  months before ``today`` (so ``today`` must be passed in: the same seed on the same day gives the same data).
* A payment history per loan, by profile: ``on_time`` (every due instalment paid on or a few days before its
  due date), ``late`` (paid 5–40 days late, the latest ones still open), ``partial`` (part of each instalment),
  ``stopped`` (paid a few, then nothing: these become Kol-3..5) and, for loans with nothing due yet, no payments.
  Every payment is a whole multiple of Rp1.000, never on a future date, never before disbursement, and the total
  never exceeds what is owed.
* A few ``pending`` payments (reported in the last days, waiting for the treasurer).
* Staff: one treasurer, one lurah, one admin, one coordinator (unlinked; the CLI prints their invite links).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.loans import LoanTerms, add_months, build_schedule

NAIKOTEN_SATU = "53.71.05.1004"
TOTAL_PRINCIPAL = 200_000_000
BORROWERS = 30
STEP = 500_000
MIN_DEMO_LOAN = 3_000_000
MAX_DEMO_LOAN = 12_000_000

FIRST_NAMES = (
    "Maria", "Yohanes", "Fransiska", "Agustinus", "Yosefina", "Marselinus", "Theresia", "Petrus", "Kristina",
    "Yakobus", "Margaretha", "Benediktus", "Elisabeth", "Yosef", "Veronika", "Aloysius", "Maria Goreti",
    "Stefanus", "Imelda", "Dominikus", "Katarina", "Paulus", "Anastasia", "Frederikus", "Yuliana", "Melkior",
    "Oktavia", "Gabriel", "Serafina", "Arnoldus", "Desi", "Jefri", "Novi", "Ronal",
)
SURNAMES = (
    "Bria", "Ndun", "Tefa", "Nalle", "Lake", "Seran", "Manafe", "Nope", "Tallo", "Bessie", "Toelle", "Benu",
    "Kase", "Taneo", "Haning", "Amalo", "Pello", "Lay", "Dethan", "Sinlae", "Missa", "Foenay", "Ratu", "Dima",
    "Mesakh", "Tanesib", "Kolo", "Neno", "Fanggidae", "Ully",
)
BUSINESSES = (
    "warung sembako", "kios pulsa", "jual sayur di pasar Oeba", "bengkel motor", "cuci motor", "jahit pakaian",
    "jual jagung bose", "usaha se'i babi", "tenun ikat", "laundry kiloan", "jual kue", "service AC",
    "pangkas rambut", "jual ikan", "kerajinan sasando", "ojek", "fotokopi", "jual bensin eceran",
)
STAFF = (("treasurer", "Yuliana Manafe"), ("lurah", "Drs. Herman Seran"), ("admin", "Stefanus Toelle"),
         ("coordinator", "Ronal Haning"))
PROFILES = ("on_time", "on_time", "on_time", "on_time", "late", "late", "late", "partial", "partial", "stopped")


@dataclass(frozen=True)
class DemoPerson:
    name: str
    phone: str | None
    role: str  # a bot.domain.roles.Role value


@dataclass(frozen=True)
class DemoPayment:
    amount: int
    paid_on: date
    method: str  # cash / transfer / other
    status: str  # 'verified' or 'pending'


@dataclass(frozen=True)
class DemoLoan:
    borrower: int  # index into DemoData.borrowers
    terms: LoanTerms
    business: str
    profile: str
    payments: tuple[DemoPayment, ...]


@dataclass(frozen=True)
class DemoData:
    kelurahan_code: str
    seed: int
    staff: tuple[DemoPerson, ...]
    borrowers: tuple[DemoPerson, ...]
    loans: tuple[DemoLoan, ...]

    @property
    def total_principal(self) -> int:
        return sum(loan.terms.principal for loan in self.loans)

    @property
    def verified_total(self) -> int:
        return sum(p.amount for loan in self.loans for p in loan.payments if p.status == "verified")

    @property
    def pending_count(self) -> int:
        return sum(1 for loan in self.loans for p in loan.payments if p.status == "pending")


def _principals(rng: random.Random, n: int, total: int) -> list[int]:
    """``n`` multiples of STEP within the demo bounds that sum exactly to ``total``."""
    units = [rng.randint(MIN_DEMO_LOAN // STEP, MAX_DEMO_LOAN // STEP) for _ in range(n)]
    target = total // STEP
    lo, hi = MIN_DEMO_LOAN // STEP, MAX_DEMO_LOAN // STEP
    while sum(units) != target:
        i = rng.randrange(n)
        if sum(units) < target and units[i] < hi:
            units[i] += 1
        elif sum(units) > target and units[i] > lo:
            units[i] -= 1
    return [u * STEP for u in units]


def _names(rng: random.Random, n: int) -> list[str]:
    seen: set[str] = set()
    names: list[str] = []
    while len(names) < n:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        prefix = rng.choice(("812", "813", "821", "822", "852", "853", "811", "878", "857"))
        phone = f"+62{prefix}{rng.randint(10_000_000, 99_999_999)}"
        if phone not in used:
            used.add(phone)
            return phone


def _round_down(amount: int) -> int:
    return amount // 1_000 * 1_000


def payment_history(rng: random.Random, terms: LoanTerms, profile: str, today: date, method: str,
                    parts: int = 1) -> tuple[DemoPayment, ...]:
    """The verified payments of one loan as of ``today`` for a behaviour ``profile`` (see the module docstring).

    ``parts`` > 1 (used by ``seed-synthetic``) pays each instalment in that many deposits about a week apart,
    ending on the date the profile picks (market traders put money aside weekly); ``parts == 1`` draws exactly
    the same random numbers as before, so ``demo-data`` is unchanged.
    """
    schedule = build_schedule(terms)
    due = [i for i in schedule if i.due_date <= today]
    payments: list[DemoPayment] = []
    owed = sum(i.total_due for i in schedule)
    paid = 0

    def pay_once(amount: int, on: date, status: str = "verified") -> None:
        nonlocal paid
        on = min(max(on, terms.disbursed_on), today)
        amount = min(amount, owed - paid)
        if amount > 0:
            payments.append(DemoPayment(amount, on, method if rng.random() < 0.8 else "transfer", status))
            paid += amount

    def pay(amount: int, on: date) -> None:
        if parts <= 1 or amount < parts * 1_000:
            pay_once(amount, on)
            return
        share = _round_down(amount // parts)
        for k in range(parts):
            part = amount - share * (parts - 1) if k == parts - 1 else share
            pay_once(part, on - timedelta(days=7 * (parts - 1 - k)))

    if profile == "on_time":
        for inst in due:
            pay(inst.total_due, inst.due_date - timedelta(days=rng.randint(0, 4)))
    elif profile == "late":
        keep_open = rng.randint(1, 2)
        for inst in due[: max(len(due) - keep_open, 0)]:
            pay(inst.total_due, inst.due_date + timedelta(days=rng.randint(5, 40)))
    elif profile == "partial":
        for inst in due:
            share = rng.choice((0.4, 0.5, 0.6, 0.75))
            amount = max(_round_down(int(inst.total_due * share)), 50_000)
            pay(amount, inst.due_date + timedelta(days=rng.randint(0, 10)))
    elif profile == "stopped":
        for inst in due[: rng.randint(1, 3)]:
            pay(inst.total_due, inst.due_date + timedelta(days=rng.randint(0, 15)))
    payments.sort(key=lambda p: p.paid_on)
    return tuple(payments)


def generate(seed: int, today: date, kelurahan_code: str = NAIKOTEN_SATU) -> DemoData:
    """The demo kelurahan for ``seed`` as of ``today`` (WITA). Same arguments, same result."""
    rng = random.Random(seed)
    used_phones: set[str] = set()
    names = _names(rng, BORROWERS)
    borrowers = tuple(
        DemoPerson(name, _phone(rng, used_phones) if rng.random() < 0.9 else None, "borrower") for name in names
    )
    staff = tuple(DemoPerson(name, _phone(rng, used_phones), role) for role, name in STAFF)
    principals = _principals(rng, BORROWERS, TOTAL_PRINCIPAL)
    loans: list[DemoLoan] = []
    pending_left = 4
    for index, principal in enumerate(principals):
        months_ago = rng.randint(2, 10)
        disbursed = add_months(today, -months_ago, day=rng.randint(1, 28))
        if disbursed > today:
            disbursed = today - timedelta(days=1)
        tenor = rng.choice((12, 12, 18, 18, 18))
        grace = rng.choice((0, 0, 0, 1, 2))
        terms = LoanTerms(principal, disbursed, tenor, grace)
        profile = rng.choice(PROFILES)
        method = rng.choice(("cash", "cash", "transfer"))
        payments = list(payment_history(rng, terms, profile, today, method))
        owed = sum(i.total_due for i in build_schedule(terms)) - sum(p.amount for p in payments)
        if pending_left and profile in ("on_time", "late") and owed > 0 and index % 3 == 0:
            inst = next(i for i in build_schedule(terms) if i.due_date > today or profile == "late")
            amount = min(inst.total_due, owed)
            payments.append(DemoPayment(amount, today - timedelta(days=rng.randint(0, 3)), method, "pending"))
            pending_left -= 1
        loans.append(DemoLoan(index, terms, rng.choice(BUSINESSES), profile, tuple(payments)))
    return DemoData(kelurahan_code, seed, staff, borrowers, tuple(loans))
