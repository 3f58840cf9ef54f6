"""A deterministic synthetic city for ``pem-bot seed-synthetic`` and the benchmarks (pure: no SQL, no Telegram).

:func:`generate_kelurahan` builds one kelurahan as plain dataclasses; ``bot/cli/seed_synthetic.py`` numbers the
rows, allocates every loan with :func:`bot.domain.loans.allocate` and bulk-inserts them through
:mod:`storage.bulk`. The same ``(seed, kelurahan, borrowers_per, years, today)`` always gives the same data:
each kelurahan has its own ``random.Random(f"{seed}:{code}")``, so kelurahan can be generated one at a time
(memory stays flat at 10× the data) and in any order.

What one kelurahan holds (``n = borrowers_per``):

* staff: treasurer, lurah, admin and coordinator (linked to synthetic Telegram ids, so digests and
  escalations have recipients);
* ``n`` borrowers (Kupang names from :mod:`bot.domain.demo`, unique mobile numbers, a NIK for 80 %, 75 % linked to
  Telegram, 3 % of those have blocked the bot), one loan each: principal Rp1–25 juta in steps of Rp500.000,
  mostly Rp3–10 juta; tenor 12 or 18 months, grace 0–2 months; disbursed uniformly over the last ``years``
  years. About one kelurahan in five charges a flat 0,5–1 % monthly fee ("jasa");
* payments from :func:`bot.domain.demo.payment_history` (profiles on_time / late / partial / stopped), each
  instalment paid in 1, 2 or 4 deposits (weekly savers), so about 33 repayments per loan at 3 years.
  On top of the verified ones: a pending report on ~8 % of active loans (reported in the last 4 days), a
  rejected report on ~3 % of loans, and ~1 % of verified payments duplicated and then **reversed**
  ("tercatat dua kali"). Amounts never exceed what is owed, dates never before disbursement nor after today;
* Karang Taruna: 3 events a year per kelurahan plus one upcoming (half of them Disnaker trainings with age
  limits 17–40), ``n // 2`` participants (NIK with the +40 day for women, consent recorded), registrations
  up to ~110 % of capacity (the rest waitlisted for open events), attendance for past ones, outcomes for half
  the trained.

Synthetic Telegram ids are ``9_000_000_000 + person id``: never point a real bot token at a synthetic database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from bot.domain.demo import BUSINESSES, FIRST_NAMES, PROFILES, STAFF, SURNAMES, DemoPayment, payment_history
from bot.domain.loans import LoanTerms, build_schedule

SYNTHETIC_TELEGRAM_BASE = 9_000_000_000
PARTS = (1, 2, 4, 4, 4)  # deposits per instalment
EVENTS_PER_YEAR = 3
TRAININGS = ("Pelatihan servis AC", "Pelatihan pertukangan kayu", "Pelatihan cuci motor", "Pelatihan bengkel motor",
             "Pelatihan menjahit", "Pelatihan tata boga")
GATHERINGS = ("Rapat Karang Taruna", "Kerja bakti RT", "Lomba 17 Agustus", "Sosialisasi PEM", "Bazar UMKM")
PLACES = ("Aula Kelurahan", "Balai Latihan Kerja Kupang", "Kantor Lurah", "Gedung Karang Taruna")
EDUCATION = ("sd", "smp", "sma", "sma", "sma", "d3", "s1", "none")
WORK = ("not_working", "not_working", "working", "own_business", "school")
OUTCOMES = ("own_business", "employed", "still_looking", "still_looking", "other")


@dataclass(frozen=True)
class SynthPerson:
    name: str
    phone: str | None
    role: str  # bot.domain.roles.Role value
    nik: str | None = None
    linked: bool = False
    reachable: bool = True


@dataclass(frozen=True)
class SynthPayment:
    amount: int
    paid_on: date
    method: str
    status: str  # pending / verified / rejected / reversed
    decided_on: date | None = None  # verified, rejected or (for a reversal) verified on this day
    reversed_on: date | None = None
    reason: str | None = None  # rejection or reversal reason


@dataclass(frozen=True)
class SynthLoan:
    borrower: int  # index into borrowers
    terms: LoanTerms
    business: str
    profile: str
    payments: tuple[SynthPayment, ...]


@dataclass(frozen=True)
class SynthParticipant:
    name: str
    nik: str
    birth_date: date
    sex: str
    phone: str | None
    education: str
    work_status: str


@dataclass(frozen=True)
class SynthRegistration:
    participant: int  # index into participants
    status: str  # registered / waitlisted / cancelled / attended / no_show
    waitlist_position: int | None
    registered_on: date
    outcome: str | None = None


@dataclass(frozen=True)
class SynthEvent:
    title: str
    kind: str
    organiser: str
    starts_at: datetime  # aware, WITA
    place: str
    capacity: int
    min_age: int | None
    max_age: int | None
    status: str
    registrations: tuple[SynthRegistration, ...]


@dataclass(frozen=True)
class SynthKelurahan:
    code: str
    staff: tuple[SynthPerson, ...]
    borrowers: tuple[SynthPerson, ...]
    loans: tuple[SynthLoan, ...]
    participants: tuple[SynthParticipant, ...]
    events: tuple[SynthEvent, ...]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        prefix = rng.choice(("812", "813", "821", "822", "852", "853", "811", "878", "857"))
        phone = f"+62{prefix}{rng.randint(10_000_000, 99_999_999)}"
        if phone not in used:
            used.add(phone)
            return phone


def _nik(rng: random.Random, kecamatan: str, birth: date, female: bool, used: set[str]) -> str:
    day = birth.day + (40 if female else 0)
    while True:
        nik = f"5371{kecamatan}{day:02d}{birth.month:02d}{birth.year % 100:02d}{rng.randint(1, 9999):04d}"
        if nik not in used:
            used.add(nik)
            return nik


def _principal(rng: random.Random) -> int:
    if rng.random() < 0.8:
        return rng.randint(6, 20) * 500_000  # Rp3–10 juta, the usual loan
    return rng.randint(2, 50) * 500_000  # Rp1–25 juta


def _loan_payments(rng: random.Random, terms: LoanTerms, profile: str, today: date) -> tuple[SynthPayment, ...]:
    method = rng.choice(("cash", "cash", "transfer"))
    parts = rng.choice(PARTS)
    history: tuple[DemoPayment, ...] = payment_history(rng, terms, profile, today, method, parts)
    owed = sum(i.total_due for i in build_schedule(terms))
    verified_total = sum(p.amount for p in history)
    out: list[SynthPayment] = []
    for p in history:
        decided = min(p.paid_on + timedelta(days=rng.choice((0, 0, 1, 2))), today)
        out.append(SynthPayment(p.amount, p.paid_on, p.method, "verified", decided))
        # ~1 %: the treasurer typed it twice; the copy was verified, then reversed a few days later.
        if rng.random() < 0.01 and verified_total + p.amount <= owed:
            reversed_on = min(decided + timedelta(days=rng.randint(1, 10)), today)
            out.append(SynthPayment(p.amount, p.paid_on, p.method, "reversed", decided, reversed_on,
                                    "tercatat dua kali"))
    if history and rng.random() < 0.03:  # a report with the wrong amount, rejected
        wrong = rng.choice(history)
        amount = min(wrong.amount * 10, max(owed - verified_total, 1_000))
        out.append(SynthPayment(amount, wrong.paid_on, wrong.method, "rejected",
                                min(wrong.paid_on + timedelta(days=1), today), None, "nominal tidak sesuai bukti"))
    still_owed = owed - verified_total
    if still_owed > 0 and rng.random() < 0.08:  # reported in the last days, waiting for the treasurer
        inst = next((i for i in build_schedule(terms) if i.due_date >= today - timedelta(days=30)), None)
        amount = min(inst.total_due if inst else still_owed, still_owed)
        paid_on = max(today - timedelta(days=rng.randint(0, 3)), terms.disbursed_on)
        out.append(SynthPayment(amount, paid_on, method, "pending"))
    out.sort(key=lambda p: p.paid_on)
    return tuple(out)


def _events(rng: random.Random, participants: int, years: int, today: date, tz) -> list[SynthEvent]:
    events: list[SynthEvent] = []
    count = max(EVENTS_PER_YEAR * years, 1)
    for n in range(count + 1):  # the extra one is always upcoming (registration open)
        day = today + timedelta(days=rng.randint(3, 30)) if n == 0 else today - timedelta(
            days=rng.randint(0, 365 * years - 1))
        training = rng.random() < 0.5
        starts = datetime.combine(day, time(rng.choice((8, 9, 10, 14))), tzinfo=tz)
        capacity = rng.randint(15, 40)
        future = day > today
        wanted = min(int(capacity * rng.uniform(0.6, 1.1)), participants)
        chosen = rng.sample(range(participants), wanted) if participants else []
        regs: list[SynthRegistration] = []
        seated = 0
        waitlist = 0
        for idx in chosen:
            registered_on = day - timedelta(days=rng.randint(1, 20))
            if rng.random() < 0.05:
                regs.append(SynthRegistration(idx, "cancelled", None, registered_on))
            elif seated < capacity:
                seated += 1
                if future:
                    regs.append(SynthRegistration(idx, "registered", None, registered_on))
                else:
                    attended = rng.random() < 0.85
                    outcome = rng.choice(OUTCOMES) if training and attended and rng.random() < 0.5 else None
                    regs.append(SynthRegistration(idx, "attended" if attended else "no_show", None, registered_on,
                                                  outcome))
            elif future:
                waitlist += 1
                regs.append(SynthRegistration(idx, "waitlisted", waitlist, registered_on))
        events.append(SynthEvent(
            title=rng.choice(TRAININGS if training else GATHERINGS), kind="training" if training else "event",
            organiser="disnaker" if training else rng.choice(("karang_taruna", "pemkot", "other")),
            starts_at=starts, place=rng.choice(PLACES), capacity=capacity,
            min_age=17 if training else None, max_age=40 if training else None,
            status="open" if future else "done", registrations=tuple(regs),
        ))
    return events


def generate_kelurahan(seed: int, code: str, borrowers_per: int, years: int, today: date, tz,
                       used_phones: set[str], used_niks: set[str]) -> SynthKelurahan:
    """One kelurahan of the synthetic city. ``used_phones``/``used_niks`` are shared across kelurahan (and
    updated) so numbers stay unique city-wide; their content depends only on the kelurahan generated before,
    so the same call order gives the same city."""
    rng = random.Random(f"{seed}:{code}")
    kecamatan = code.split(".")[2]
    staff = tuple(SynthPerson(_name(rng) if role != "treasurer" else name, _phone(rng, used_phones), role,
                              linked=True)
                  for role, name in STAFF)
    borrowers: list[SynthPerson] = []
    for _ in range(borrowers_per):
        female = rng.random() < 0.55
        birth = today - timedelta(days=rng.randint(19 * 365, 60 * 365))
        nik = _nik(rng, kecamatan, birth, female, used_niks) if rng.random() < 0.8 else None
        phone = _phone(rng, used_phones) if rng.random() < 0.92 else None
        linked = phone is not None and rng.random() < 0.8
        borrowers.append(SynthPerson(_name(rng), phone, "borrower", nik, linked, rng.random() >= 0.03))
    fee = Decimal(rng.choice(("0.5", "1"))) if rng.random() < 0.2 else Decimal(0)
    loans: list[SynthLoan] = []
    window = max(365 * years, 30)
    for index in range(borrowers_per):
        disbursed = today - timedelta(days=rng.randint(7, window))
        terms = LoanTerms(_principal(rng), disbursed, rng.choice((12, 12, 18, 18, 18)), rng.choice((0, 0, 0, 1, 2)),
                          fee)
        profile = rng.choice(PROFILES)
        loans.append(SynthLoan(index, terms, rng.choice(BUSINESSES), profile,
                               _loan_payments(rng, terms, profile, today)))
    participants: list[SynthParticipant] = []
    for _ in range(max(borrowers_per // 2, 1)):
        female = rng.random() < 0.5
        birth = today - timedelta(days=rng.randint(17 * 365, 40 * 365))
        participants.append(SynthParticipant(
            _name(rng), _nik(rng, kecamatan, birth, female, used_niks), birth, "F" if female else "M",
            _phone(rng, used_phones) if rng.random() < 0.9 else None, rng.choice(EDUCATION), rng.choice(WORK),
        ))
    events = _events(rng, len(participants), years, today, tz)
    return SynthKelurahan(code, staff, tuple(borrowers), tuple(loans), tuple(participants), tuple(events))
