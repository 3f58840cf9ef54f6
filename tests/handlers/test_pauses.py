"""/penundaan: a pause that moves due dates and silences reminders, with hand-computed dates; the city's pause
for several kelurahan; a lurah limited to their own; an overlap refused. NOW is Saturday 28 November 2026."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.roles import Role
from bot.runtime import tick as ticks
from storage import loans, pauses
from storage.reports import digest as digest_reports
from storage.reports import pauses as pause_reports
from tests.conftest import NAIKOTEN_SATU
from tests.handlers.loan_fixtures import make_loan
from tests.jobs_fixtures import wita

pytestmark = pytest.mark.usefixtures("no_pacing")
OEBOBO = "53.71.04.1001"
FONTEIN = "53.71.05.1008"


async def _bad(tester, user, text, expected, question):
    await tester.send(user, text)
    assert expected in tester.texts(user)[-2], text
    assert question in tester.last(user).text, text


async def _tick(running, day: date):
    return await ticks.run_due(running.app.db, running.app.bot, running.settings,
                              wita(day.year, day.month, day.day, 8), catch_up=True)


async def test_a_pause_that_moves_due_dates_and_silences_reminders(running, tester, make_person, frozen_clock):
    db = running.app.db
    _, lurah = await make_person(Role.LURAH, name="Lurah Naikoten")
    _, treasurer = await make_person(Role.TREASURER, name="Bendahara Naikoten")
    ana_p, ana = await make_person(Role.BORROWER, name="Ana Seran")
    beni_p, beni = await make_person(Role.BORROWER, name="Beni Lake")
    carla_p, carla = await make_person(Role.BORROWER, name="Carla Bria", kelurahan=OEBOBO)
    # Ana: Rp1.200.000 from 10 Nov 2026, 12 × Rp100.000 due the 10th from 10 December 2026.
    ana_loan = await make_loan(db, ana_p, principal=1_200_000, disbursed_on=date(2026, 11, 10))
    # Beni and Carla: Rp6.000.000 from 28 Sep 2026, due the 28th from 28 October; nothing paid (31 days late).
    beni_loan = await make_loan(db, beni_p)
    await make_loan(db, carla_p)

    await tester.command(lurah, "penundaan")
    assert "Untuk kelurahan mana" in tester.last(lurah).text
    await _bad(tester, lurah, "Oebobo", "hanya dapat mengumumkan penundaan untuk kelurahan Anda sendiri",
               "Untuk kelurahan mana")
    await _bad(tester, lurah, "Atlantis", "tidak ada di Kota Kupang", "Untuk kelurahan mana")
    await tester.press(lurah, tester.last(lurah).button("Naikoten Satu"))
    await _bad(tester, lurah, "1/9/2026", "lebih dari 60 hari lalu", "Mulai tanggal berapa")
    await tester.send(lurah, "1/12/2026")
    await _bad(tester, lurah, "29/11/2026", "sebelum tanggal mulai", "Sampai tanggal berapa")
    await _bad(tester, lurah, "1/7/2027", "terlalu panjang", "Sampai tanggal berapa")
    await tester.send(lurah, "30/12/2026")
    await _bad(tester, lurah, "x", "alasannya dengan 3 sampai 200", "Apa alasannya")
    await tester.send(lurah, "Banjir bandang")
    summary = tester.last(lurah).text
    assert "Periksa penundaan" in summary and "Naikoten Satu" in summary
    assert "Dari 1 Desember 2026 sampai 30 Desember 2026 (30 hari)" in summary
    await tester.press(lurah, tester.last(lurah).button("Konfirmasi"))
    # Ana's 10 Dec and Beni's 28 Dec fall inside: 2 instalments moved; Ana and Beni told (Carla is in Oebobo)
    assert "2 angsuran dimundurkan 30 hari; 2 peminjam diberi tahu" in tester.last(lurah).text

    # the stored schedule: +30 days for the unpaid instalments due 1–30 December, nothing else moves
    async def dues(loan_id):
        rows = await db.fetchall("SELECT number, due_date, paused_from FROM installments WHERE loan_id = :l "
                                 "AND number <= 4 ORDER BY number", {"l": loan_id})
        return [tuple(r) for r in rows]
    assert await dues(ana_loan.id) == [(1, "2027-01-09", "2026-12-10"), (2, "2027-01-10", None),
                                       (3, "2027-02-10", None), (4, "2027-03-10", None)]
    assert await dues(beni_loan.id) == [(1, "2026-10-28", None), (2, "2026-11-28", None),
                                        (3, "2027-01-27", "2026-12-28"), (4, "2027-01-28", None)]
    pause_row = await db.fetchone("SELECT * FROM pauses")
    assert (pause_row["starts_on"], pause_row["ends_on"], pause_row["reason"]) == (
        "2026-12-01", "2026-12-30", "Banjir bandang")
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'pause.declared'") == 1

    # a loan registered after the declaration gets its dates moved too: 15 Dec → 14 Jan 2027
    dewi_p, _ = await make_person(Role.BORROWER, name="Dewi Tefa", linked=False)
    dewi_loan = await make_loan(db, dewi_p, principal=1_200_000, disbursed_on=date(2026, 11, 15))
    assert (await dues(dewi_loan.id))[0] == (1, "2027-01-14", "2026-12-15")

    # every morning from today to 7 January 2027
    seen: dict[str, dict[date, list[str]]] = {"ana": {}, "beni": {}, "carla": {}, "treasurer": {}}
    users = {"ana": ana, "beni": beni, "carla": carla, "treasurer": treasurer}
    day = date(2026, 11, 28)
    while day <= date(2027, 1, 7):
        frozen_clock.set(wita(day.year, day.month, day.day, 8))
        before = {k: len(running.request.sent(u.chat_id)) for k, u in users.items()}
        await _tick(running, day)
        for key, user in users.items():
            new = [c.text for c in running.request.sent(user.chat_id)[before[key]:]]
            if new:
                seen[key][day] = new
        day += timedelta(days=1)

    notice = "Penundaan angsuran</b> karena Banjir bandang: dari 1 Desember 2026 sampai 30 Desember 2026"
    assert [t for texts in seen["ana"].values() for t in texts if notice in t] != []
    assert sum(notice in t for texts in seen["beni"].values() for t in texts) == 1  # one message, once
    assert not any(notice in t for texts in seen["carla"].values() for t in texts)
    # Beni: D-0 of 28 Nov, D+1 on 29 Nov (before the pause); its D+7 on 5 Dec is silenced, and 28 Dec moved to
    # 27 Jan (the pause's message, queued at 10:00 on 28 Nov, goes out with the next morning's tick)
    assert list(seen["beni"]) == [date(2026, 11, 28), date(2026, 11, 29)]
    assert "jatuh tempo hari ini" in seen["beni"][date(2026, 11, 28)][0]
    assert [notice in t for t in seen["beni"][date(2026, 11, 29)]] == [True, False]
    assert "terlambat 1 hari" in seen["beni"][date(2026, 11, 29)][1]
    # Ana: nothing in December (10 Dec moved to 9 Jan); D-3 of 9 Jan on 6 Jan, D-3 of 10 Jan on 7 Jan
    assert list(seen["ana"]) == [date(2026, 11, 29), date(2027, 1, 6), date(2027, 1, 7)]
    assert [notice in t for t in seen["ana"][date(2026, 11, 29)]] == [True]
    assert "3 hari lagi" in seen["ana"][date(2027, 1, 6)][0] and "9 Januari 2027" in seen["ana"][date(2027, 1, 6)][0]
    assert "10 Januari 2027" in seen["ana"][date(2027, 1, 7)][0]
    # Oebobo has no pause: Carla's D+7 of 28 Nov goes out on 5 Dec
    assert date(2026, 12, 5) in seen["carla"] and "terlambat 7 hari" in seen["carla"][date(2026, 12, 5)][0]
    # no escalation to Naikoten's treasurer: Beni's D+7 (5 Dec) and D+30 (28 Dec) both fall in the pause
    assert not any("Peminjam yang menunggak" in t for texts in seen["treasurer"].values() for t in texts)

    # days in arrears freeze: Beni (oldest unpaid 28 Oct) is 33 days late on 30 Nov and still 33 on 30 Dec
    # (63 days minus the 30 paused), 34 on 31 Dec
    summary_ = await loans.summary(db, beni_loan.id)
    assert summary_ is not None
    assert [summary_.days_in_arrears(d) for d in (date(2026, 11, 30), date(2026, 12, 30), date(2026, 12, 31))] == [
        33, 33, 34]
    rows, _ = await loans.borrowers_overview(db, NAIKOTEN_SATU, date(2026, 12, 30))
    assert {r.name: r.days_in_arrears for r in rows}["Beni Lake"] == 33
    overdue = await digest_reports.most_overdue(db, date(2026, 12, 31), NAIKOTEN_SATU)
    assert {o.name: o.days for o in overdue[NAIKOTEN_SATU]}["Beni Lake"] == 34
    oebobo = await digest_reports.most_overdue(db, date(2026, 12, 31), OEBOBO)
    assert {o.name: o.days for o in oebobo[OEBOBO]}["Carla Bria"] == 64  # no pause there

    # the monthly report's read function
    shown = await pause_reports.in_month(db, NAIKOTEN_SATU, 2026, 12)
    assert [(p.starts_on, p.ends_on, p.reason, p.days_in_month) for p in shown] == [
        (date(2026, 12, 1), date(2026, 12, 30), "Banjir bandang", 30)]
    assert await pause_reports.in_month(db, NAIKOTEN_SATU, 2027, 1) == []


async def test_the_city_pauses_several_kelurahan_and_an_overlap_is_refused(running, tester, make_person):
    db = running.app.db
    _, city = await make_person(Role.CITY, name="Bappeda", kelurahan=None)
    _, lurah = await make_person(Role.LURAH, name="Lurah Fontein", kelurahan=FONTEIN)
    await tester.command(city, "penundaan")
    assert "beberapa dipisah koma" in tester.last(city).text
    await tester.send(city, "Kelurahan Oebobo, Fontein")
    await tester.press(city, tester.last(city).button("Hari ini"))
    await tester.send(city, "7/12/2026")
    await tester.send(city, "Siklon tropis")
    assert "Oebobo, Fontein" in tester.last(city).text and "(10 hari)" in tester.last(city).text
    await tester.press(city, tester.last(city).button("Konfirmasi"))
    assert "berlaku" in tester.last(city).text
    rows = await db.fetchall("SELECT kelurahan_code FROM pause_kelurahan ORDER BY 1")
    assert [r["kelurahan_code"] for r in rows] == [OEBOBO, FONTEIN]
    assert await pauses.paused_kelurahan(db, date(2026, 12, 7)) == {OEBOBO, FONTEIN}
    assert await pauses.paused_kelurahan(db, date(2026, 12, 8)) == set()

    # the lurah of Fontein declares an overlapping one: refused with the dates, asked again, nothing stored
    await tester.command(lurah, "penundaan")
    await tester.press(lurah, tester.last(lurah).button("Fontein"))
    await tester.send(lurah, "5/12/2026")
    await tester.send(lurah, "20/12/2026")
    await tester.send(lurah, "Banjir")
    await tester.press(lurah, tester.last(lurah).button("Konfirmasi"))
    assert "sudah punya penundaan 28 November 2026 – 7 Desember 2026" in tester.texts(lurah)[-2]
    assert "Mulai tanggal berapa" in tester.last(lurah).text
    assert await db.fetchval("SELECT count(*) FROM pauses") == 1
    await tester.send(lurah, "8/12/2026")
    await tester.send(lurah, "20/12/2026")
    await tester.press(lurah, tester.last(lurah).button("Konfirmasi"))
    assert await db.fetchval("SELECT count(*) FROM pauses") == 2


async def test_a_borrower_or_treasurer_cannot_declare_a_pause(running, tester, make_person):
    for role in (Role.BORROWER, Role.TREASURER):
        _, user = await make_person(role)
        await tester.command(user, "penundaan")
        assert "Untuk kelurahan mana" not in tester.last(user).text
