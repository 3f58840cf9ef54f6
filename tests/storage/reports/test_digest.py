"""Digest figures against a hand-computed portfolio (storage.reports.digest + bot.services.digest.kelurahan_contexts).

The fixture, "today" = Saturday 28 November 2026 (WITA), kelurahan Naikoten Satu, fee 0 unless stated:

- Ana (linked): Rp1.200.000 from 10 Aug, 12 × Rp100.000 due the 10th. Verified: Rp100.000 paid 10 Sep,
  Rp150.000 paid 12 Nov (pays #2 and Rp50.000 of #3, due 10 Nov: a *partial*, *late* payment).
  → outstanding Rp950.000, 18 days in arrears (Kol-2, PAR1 only), overdue Rp50.000.
- Budi (blocked the bot): Rp2.400.000 from 20 Oct, 12 × Rp200.000 due the 20th. Verified yesterday: Rp200.000
  paid 20 Nov (on time), and Rp200.000 paid 25 Nov which was then *reversed*.
  → outstanding Rp2.200.000, current (Kol-1).
- Citra (not linked): Rp1.000.000 from 15 Jun, 10 × (Rp100.000 + fee Rp5.000) due the 15th; nothing verified,
  Rp100.000 reported on 26 Nov 10:00 WITA and still pending (48 hours old at 28 Nov 10:00).
  → outstanding Rp1.050.000 (principal Rp1.000.000), 136 days (Kol-4), overdue 5 × Rp105.000 = Rp525.000.

Month to date = instalments due 1–27 Nov: Ana #3 Rp100.000, Budi #1 Rp200.000, Citra #5 Rp105.000 = Rp405.000;
collected on time Rp200.000 (Budi), late Rp50.000 (Ana's partial on #3).
PAR30 = Citra's *whole* outstanding principal Rp1.000.000 ÷ Rp4.150.000; PAR1 = Rp1.950.000 ÷ Rp4.150.000.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.domain.roles import Role
from bot.runtime import clock
from bot.services.digest import city_context, kelurahan_contexts
from messages import MAX_MESSAGE_LENGTH, render
from storage import people, repayments
from storage.reports import digest
from tests.handlers.loan_fixtures import make_loan, record, report
from tests.jobs_fixtures import NAIKOTEN_SATU, WITA, add_person, wita

TODAY = date(2026, 11, 28)
NOW = wita(2026, 11, 28, 10)
OEBOBO = "53.71.04.1001"


def at(moment: datetime):
    """Freeze bot.runtime.clock at ``moment`` (verified_at / reported_at are stamped from it)."""
    clock.utcnow = lambda: moment.astimezone(UTC)  # restored by the autouse fixture below


@pytest.fixture(autouse=True)
def _restore_clock(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(clock, "utcnow", clock.utcnow)


@pytest.fixture
async def portfolio_db(db):
    treasurer = await add_person(db, "Bendahara", roles=(Role.TREASURER,))
    ana = await add_person(db, "Ana Seran")
    budi = await add_person(db, "Budi Lake")
    citra = await add_person(db, "Citra Manafe", linked=False)
    await people.set_reachable(db, budi.id, False)

    loan_a = await make_loan(db, ana, principal=1_200_000, disbursed_on=date(2026, 8, 10), tenor=12)
    loan_b = await make_loan(db, budi, principal=2_400_000, disbursed_on=date(2026, 10, 20), tenor=12)
    loan_c = await make_loan(db, citra, principal=1_000_000, disbursed_on=date(2026, 6, 15), tenor=10,
                             fee=Decimal("0.5"))

    at(wita(2026, 9, 10, 12))
    await record(db, loan_a, treasurer, 100_000, date(2026, 9, 10))
    at(wita(2026, 11, 12, 12))
    await record(db, loan_a, treasurer, 150_000, date(2026, 11, 12))
    at(wita(2026, 11, 26, 10))
    await report(db, loan_c, citra, 100_000, paid_on=date(2026, 11, 26))
    at(wita(2026, 11, 27, 9))
    on_time = await report(db, loan_b, budi, 200_000, paid_on=date(2026, 11, 20))
    async with db.transaction() as tx:
        await repayments.decide(tx, on_time.id, approve=True, by=treasurer.id, now=clock.utcnow())
    wrong = await record(db, loan_b, treasurer, 200_000, date(2026, 11, 25))
    at(wita(2026, 11, 27, 15))
    async with db.transaction() as tx:
        await repayments.reverse(tx, wrong.id, by=treasurer.id, now=clock.utcnow(), reason="salah catat")
    at(NOW)
    return db


async def test_portfolio_par_and_buckets(portfolio_db):
    figures = (await digest.portfolio(portfolio_db, TODAY))[NAIKOTEN_SATU]

    assert figures.loans == 3
    assert figures.outstanding == 950_000 + 2_200_000 + 1_050_000
    assert figures.outstanding_principal == 950_000 + 2_200_000 + 1_000_000
    # PAR30 counts Citra's WHOLE outstanding principal, not only her overdue Rp525.000
    assert figures.par30_principal == 1_000_000
    assert figures.par1_principal == 950_000 + 1_000_000
    assert figures.buckets == (1, 1, 0, 1, 0)


async def test_buckets_follow_collectibility_thresholds(db):
    """Loans at 0, 1, 90, 91, 120, 121, 180 and 181 days land in the same buckets as bot.domain.loans.collectibility."""
    from bot.domain.loans import collectibility

    borrower = await add_person(db, "Dewi")
    today = date(2026, 11, 15)  # every first due date below then falls on a day <= 28
    days = [0, 1, 90, 91, 120, 121, 180, 181]
    for d in days:
        # a 12-month loan whose first instalment fell due exactly d days before today (d = 0: due today)
        first_due = date.fromordinal(today.toordinal() - d)
        disbursed = date(first_due.year - (first_due.month == 1), (first_due.month - 2) % 12 + 1, first_due.day)
        await make_loan(db, borrower, principal=1_200_000, disbursed_on=disbursed)
    figures = (await digest.portfolio(db, today))[NAIKOTEN_SATU]
    expected = [0] * 5
    for d in days:
        expected[collectibility(d) - 1] += 1
    assert list(figures.buckets) == expected == [1, 2, 2, 2, 1]


async def test_yesterday_counts_only_still_verified_repayments(portfolio_db):
    flows = await digest.verified_between(portfolio_db, wita(2026, 11, 27), wita(2026, 11, 28))
    assert flows[NAIKOTEN_SATU].count == 1  # the reversed one is gone
    assert flows[NAIKOTEN_SATU].total == 200_000
    assert await digest.verified_between(portfolio_db, wita(2026, 11, 28), wita(2026, 11, 29)) == {}


async def test_pending_count_and_age(portfolio_db):
    waiting = (await digest.pending(portfolio_db, NOW.astimezone(UTC).replace(day=27)))[NAIKOTEN_SATU]
    assert waiting.count == 1
    assert waiting.oldest_reported_at == "2026-11-26 02:00:00"
    assert waiting.older_than_cutoff == 1


async def test_collection_month_to_date_on_time_and_late(portfolio_db):
    got = (await digest.collection(portfolio_db, date(2026, 11, 1), date(2026, 11, 27)))[NAIKOTEN_SATU]
    assert got.due == 100_000 + 200_000 + 105_000
    assert got.on_time == 200_000
    assert got.late == 50_000


async def test_most_overdue_and_unreachable(portfolio_db):
    overdue = (await digest.most_overdue(portfolio_db, TODAY))[NAIKOTEN_SATU]
    assert [(o.name, o.days, o.overdue) for o in overdue] == [("Citra Manafe", 136, 525_000),
                                                               ("Ana Seran", 18, 50_000)]
    assert overdue[0].total_in_kelurahan == 2
    unreachable = (await digest.unreachable_borrowers(portfolio_db))[NAIKOTEN_SATU]
    assert [(u.name, u.linked) for u in unreachable] == [("Budi Lake", True), ("Citra Manafe", False)]


async def test_daily_context_and_rendering(portfolio_db):
    ctx = (await kelurahan_contexts(portfolio_db, TODAY, NOW, WITA, NAIKOTEN_SATU))[NAIKOTEN_SATU]

    assert ctx["verified_count"] == 1 and ctx["verified_total"] == 200_000
    assert ctx["pending_count"] == 1 and ctx["pending_oldest_hours"] == 48
    assert ctx["rate_on_time"] == pytest.approx(200_000 / 405_000)
    assert ctx["rate_late"] == pytest.approx(50_000 / 405_000)
    assert ctx["par30"] == pytest.approx(1_000_000 / 4_150_000)
    text = render("digest/daily", "id", tz=WITA, **ctx)
    assert "Naikoten Satu" in text
    assert "1 pembayaran terverifikasi, total <b>Rp200.000</b>" in text
    assert "Menunggu verifikasi: 1 (terlama 2 hari)" in text
    assert "PAR30: <b>24,1%</b>" in text
    assert "1. Citra Manafe: 136 hari, Rp525.000" in text
    assert "Kol-1 lancar 1 · Kol-2 1 · Kol-3 0 · Kol-4 1 · Kol-5 macet 0" in text
    assert "Tidak bisa dihubungi di Telegram</b>: 2" in text
    english = render("digest/daily", "en", tz=WITA, **ctx)
    assert "1. Citra Manafe: 136 days, Rp525.000" in english


async def test_quiet_day_still_has_a_digest(db):
    ctx = (await kelurahan_contexts(db, TODAY, NOW, WITA, NAIKOTEN_SATU))[NAIKOTEN_SATU]
    text = render("digest/daily", "id", tz=WITA, **ctx)
    assert "Kemarin tidak ada pembayaran masuk." in text
    assert "Tidak ada peminjam yang menunggak." in text
    assert "No payments came in yesterday." in render("digest/daily", "en", tz=WITA, **ctx)


async def test_200_overdue_borrowers_fit_in_one_message(db):
    long = "Maria Goreti Theresia Bria Seran Nenobais"
    borrowers = [await add_person(db, f"{long} {n:03d}", linked=False) for n in range(200)]
    for person in borrowers:
        await make_loan(db, person, principal=25_000_000, disbursed_on=date(2025, 1, 31), tenor=36)
    ctx = (await kelurahan_contexts(db, TODAY, NOW, WITA, NAIKOTEN_SATU))[NAIKOTEN_SATU]
    for lang, more in (("id", "… dan 190 lainnya"), ("en", "… and 190 more")):
        text = render("digest/daily", lang, tz=WITA, **ctx)
        assert len(text) <= MAX_MESSAGE_LENGTH
        assert text.count(more) == 2  # overdue list and unreachable list


async def test_city_lines_sorted_by_par30(portfolio_db):
    other = await add_person(portfolio_db, "Eko", kelurahan=OEBOBO)
    await make_loan(portfolio_db, other, principal=1_200_000, disbursed_on=date(2026, 3, 1))  # far behind
    ctx = await city_context(portfolio_db, TODAY)
    assert [line["name"] for line in ctx["lines"]] == ["Oebobo", "Naikoten Satu"]
    assert ctx["lines"][0]["par30"] == 1.0
    assert ctx["lines"][1]["par30"] == pytest.approx(1_000_000 / 4_150_000)
    assert ctx["outstanding"] == 950_000 + 2_200_000 + 1_050_000 + 1_200_000
    text = render("digest/city", "id", tz=WITA, **ctx)
    assert text.index("Oebobo") < text.index("Naikoten Satu")


async def test_weekly_series(portfolio_db):
    weeks = await digest.weekly(portfolio_db, date(2026, 11, 9), 3, NAIKOTEN_SATU)
    assert [(w.start, w.collected, w.due) for w in weeks] == [
        (date(2026, 11, 9), 150_000, 100_000 + 105_000),  # Ana's payment on 12 Nov; Ana #3 and Citra #5 due
        (date(2026, 11, 16), 200_000, 200_000),  # Budi's on 20 Nov (the reversed one of 25 Nov is excluded)
        (date(2026, 11, 23), 0, 0),
    ]


async def test_opt_in_round_trip(db):
    admin = await add_person(db, "Admin", roles=(Role.ADMIN,))
    assert await people.opted_in(db, admin.id) is False
    assert [r.person_id for r in await digest.digest_recipients(db)] == []
    await people.set_opt_in(db, admin.id, True)
    assert await people.opted_in(db, admin.id) is True
    assert [(r.person_id, r.role) for r in await digest.digest_recipients(db)] == [(admin.id, "admin")]
