"""/ringkasan (/digest) for lurah, treasurer, admin (with the morning opt-in), city, and refusal for a borrower.
Frozen clock: Saturday 28 November 2026, 10:00 WITA."""

from __future__ import annotations

from datetime import date

from bot.domain.roles import Role
from bot.jobs.digest import run_daily
from storage import audit, outbox, people
from tests.conftest import NOW
from tests.handlers.loan_fixtures import make_loan, record
from tests.harness import BotTester
from tests.jobs_fixtures import wita

OEBOBO = "53.71.04.1001"


async def _portfolio(running, make_person):
    """Naikoten Satu: Ana is 49 days late on a Rp1.200.000 loan (nothing paid); Budi paid Rp200.000 yesterday."""
    db = running.app.db
    treasurer, _ = await make_person(Role.TREASURER, name="Bendahara Naikoten")
    ana, _ = await make_person(Role.BORROWER, name="Ana Seran")
    budi, _ = await make_person(Role.BORROWER, name="Budi Lake", linked=False)
    await make_loan(db, ana, principal=1_200_000, disbursed_on=date(2026, 9, 10))
    loan_b = await make_loan(db, budi, principal=2_400_000, disbursed_on=date(2026, 10, 20))
    await record(db, loan_b, treasurer, 200_000, date(2026, 11, 20))
    return treasurer


async def test_lurah_sees_the_digest_of_the_kelurahan(running, tester: BotTester, make_person):
    await _portfolio(running, make_person)
    _, lurah = await make_person(Role.LURAH, name="Pak Lurah")

    await tester.command(lurah, "ringkasan")

    reply = tester.last(lurah)
    assert "Ringkasan PEM · Kelurahan Naikoten Satu" in reply.text
    assert "1. Ana Seran: 49 hari, Rp200.000" in reply.text  # instalments due 10 Oct and 10 Nov
    assert "Pinjaman aktif: 2 · sisa pinjaman Rp3.400.000" in reply.text
    assert "PAR30: <b>35,3%</b>" in reply.text  # Rp1.200.000 / Rp3.400.000, whole principal
    assert "• Budi Lake (belum terhubung)" in reply.text
    assert reply.buttons == []  # a lurah gets it every morning anyway


async def test_treasurer_with_english_alias(running, tester: BotTester, make_person):
    await _portfolio(running, make_person)
    _, treasurer = await make_person(Role.TREASURER, name="Bendahara Dua", language="en")

    await tester.command(treasurer, "digest")

    assert "PEM summary · Kelurahan Naikoten Satu" in tester.last(treasurer).text
    assert "1. Ana Seran: 49 days, Rp200.000" in tester.last(treasurer).text


async def test_quiet_kelurahan_still_gets_a_digest(running, tester: BotTester, make_person):
    _, lurah = await make_person(Role.LURAH, kelurahan=OEBOBO)
    await tester.command(lurah, "ringkasan")
    text = tester.last(lurah).text
    assert "Kelurahan Oebobo" in text and "Kemarin tidak ada pembayaran masuk." in text


async def test_admin_opts_in_to_the_morning_digest(running, tester: BotTester, make_person, frozen_clock):
    await _portfolio(running, make_person)
    admin, user = await make_person(Role.ADMIN, name="Admin Kelurahan")
    db = running.app.db

    await tester.command(user, "ringkasan")
    data = tester.last(user).button("Kirim tiap pagi")
    assert await run_daily(db, frozen_clock.now, running.settings) == 0  # nobody: no lurah, admin not opted in

    await tester.press(user, data)

    assert "akan dikirim ke Anda setiap pagi" in tester.last(user).text
    assert await people.opted_in(db, admin.id) is True
    (entry,) = await audit.recent(db, action="person.digest_opt_in")
    assert entry.details == {"from": False, "to": True}
    assert await run_daily(db, frozen_clock.now, running.settings) == 1
    (queued,) = await outbox.for_recipient(db, admin.id)
    assert queued.template == "digest/daily" and queued.dedupe_key == f"digest:53.71.05.1004:2026-11-28:{admin.id}"

    await tester.command(user, "ringkasan")
    await tester.press(user, tester.last(user).button("Berhenti"))
    assert await people.opted_in(db, admin.id) is False


async def test_borrower_is_refused(running, tester: BotTester, make_person):
    _, borrower = await make_person(Role.BORROWER)
    await tester.command(borrower, "ringkasan")
    assert "tidak tersedia untuk Anda" in tester.last(borrower).text


async def test_city_gets_one_line_per_kelurahan_sorted_by_par30(running, tester: BotTester, make_person):
    await _portfolio(running, make_person)
    eko, _ = await make_person(Role.BORROWER, name="Eko", kelurahan=OEBOBO)
    await make_loan(running.app.db, eko, principal=1_000_000, disbursed_on=date(2026, 10, 28))  # current
    _, city = await make_person(Role.CITY, name="Bappeda", kelurahan=None)

    await tester.command(city, "ringkasan")

    text = tester.last(city).text
    assert "Ringkasan PEM Kota Kupang" in text
    assert "1. Naikoten Satu: 35,3%" in text
    assert "2. Oebobo: 0%" in text
    assert "Sisa pinjaman: <b>Rp4.400.000</b>" in text


async def test_english_digest_uses_plural_forms_and_a_decimal_point(running, tester: BotTester, make_person,
                                                                    frozen_clock):
    """Issue 14, item 13: "1 payment verified" (not "1 payment(s)"), "PAR30: 35.3%" (not "35,3%"), while the
    Indonesian digest keeps the decimal comma."""

    bendahara = await _portfolio(running, make_person)
    cika, _ = await make_person(Role.BORROWER, name="Cika Lake", linked=False)
    loan_c = await make_loan(running.app.db, cika, principal=1_200_000, disbursed_on=date(2026, 10, 27))
    frozen_clock.set(wita(2026, 11, 27, 15, 0))  # verified yesterday
    await record(running.app.db, loan_c, bendahara, 100_000, date(2026, 11, 27))
    frozen_clock.set(NOW)
    _, treasurer = await make_person(Role.TREASURER, name="Bendahara Dua", language="en")
    _, lurah = await make_person(Role.LURAH, name="Pak Lurah")

    await tester.command(treasurer, "digest")
    await tester.command(lurah, "ringkasan")

    text = tester.last(treasurer).text
    assert "✅ 1 payment verified, total <b>Rp100.000</b>" in text
    # Ana's whole Rp1.200.000 (49 days late) / (1.200.000 + Budi's 2.200.000 + Cika's 1.100.000) = 26,67 %
    assert "PAR30: <b>26.7%</b>" in text
    assert "(s)" not in text
    assert "PAR30: <b>26,7%</b>" in tester.last(lurah).text
    assert await running.app.db.fetchval("SELECT COUNT(*) FROM repayments WHERE status = 'verified'") == 2
