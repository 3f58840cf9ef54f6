"""/kunjungan: a visit with a photo and a promise to pay, each step's bad inputs, what is stored, the visit
history on the treasurer's borrower detail, the promise reminder on its date, the treasurer told the day after
whether it was kept, and the digest's promise counts. NOW is Saturday 28 November 2026, 10:00 WITA."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.roles import Role
from bot.runtime import tick as ticks
from bot.services.digest import kelurahan_contexts
from bot.services.visits import record_visit
from storage import drafts
from tests.conftest import NAIKOTEN_SATU
from tests.handlers.loan_fixtures import make_loan, record
from tests.jobs_fixtures import WITA, wita

pytestmark = pytest.mark.usefixtures("no_pacing")


@pytest.fixture
async def world(running, make_person):
    treasurer, t_user = await make_person(Role.TREASURER, name="Fransiska Manafe")
    borrower, b_user = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    # Rp6.000.000 from 28 September 2026, 12 × Rp500.000, the first due 28 October 2026 (unpaid: 31 days late)
    loan = await make_loan(running.app.db, borrower)
    return {"db": running.app.db, "t": treasurer, "tu": t_user, "borrower": borrower, "b": b_user, "loan": loan}


async def _bad(tester, user, send, expected, question):
    await send()
    assert expected in tester.texts(user)[-2]
    assert question in tester.last(user).text


async def tick(running, day: date):
    return await ticks.run_due(running.app.db, running.app.bot, running.settings, wita(day.year, day.month, day.day, 8),
                              catch_up=True)


async def test_a_visit_with_a_photo_and_a_broken_promise(running, tester, world, frozen_clock):
    tu, b, db = world["tu"], world["b"], world["db"]
    await tester.command(tu, "kunjungan")
    assert "Siapa yang dikunjungi" in tester.last(tu).text
    await _bad(tester, tu, lambda: tester.send(tu, "Zakarias"), "Tidak ada peminjam", "Siapa yang dikunjungi")
    await tester.send(tu, "yohan")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))

    assert "Tanggal kunjungan" in tester.last(tu).text
    await _bad(tester, tu, lambda: tester.send(tu, "29/11/2026"), "belum terjadi", "Tanggal kunjungan")
    await _bad(tester, tu, lambda: tester.send(tu, "1/9/2026"), "lebih dari 60 hari", "Tanggal kunjungan")
    await tester.send(tu, "kemarin")

    await tester.send(tu, "entah")  # only buttons here
    assert "hasil kunjungannya" in tester.last(tu).text
    await tester.send(tu, "bertemu")  # the label typed counts as the button

    await tester.sticker(tu)
    assert "catatan singkat" in tester.last(tu).text
    await _bad(tester, tu, lambda: tester.send(tu, "k" * 501), "terlalu panjang", "catatan singkat")
    await tester.send(tu, "Warung  sepi sejak hujan; mau bayar awal bulan")

    await _bad(tester, tu, lambda: tester.document(tu), "Kirim foto", "Kirim foto kunjungan")
    await tester.photo(tu, "visit-photo")

    await tester.press(tu, tester.last(tu).button("Ya"))
    await _bad(tester, tu, lambda: tester.send(tu, "7 jt"), "lebih dari sisa pinjaman", "Berapa yang dijanjikan")
    await _bad(tester, tu, lambda: tester.send(tu, "banyak"), "bukan jumlah uang", "Berapa yang dijanjikan")
    await tester.send(tu, "500rb")
    await _bad(tester, tu, lambda: tester.send(tu, "26/11/2026"), "sudah lewat", "Tanggal berapa akan dibayar")
    await _bad(tester, tu, lambda: tester.send(tu, "1/2/2027"), "terlalu jauh", "Tanggal berapa akan dibayar")
    await tester.send(tu, "5/12")

    summary = tester.last(tu)
    assert "Periksa kunjungan" in summary.text and "Yohanis Ndolu" in summary.text
    assert "Tanggal: 27 November 2026" in summary.text and "Hasil: bertemu" in summary.text
    assert "Warung sepi sejak hujan; mau bayar awal bulan" in summary.text and "Foto: ada" in summary.text
    assert "Janji bayar: <b>Rp500.000</b> pada 5 Desember 2026" in summary.text
    await tester.press(tu, summary.button("Konfirmasi"))
    assert "Kunjungan ke <b>Yohanis Ndolu</b> pada 27 November 2026 tercatat" in tester.last(tu).text

    row = await db.fetchone("SELECT * FROM visits")
    assert (row["loan_id"], row["borrower_id"], row["kelurahan_code"], row["visited_on"], row["outcome"]) == (
        world["loan"].id, world["borrower"].id, NAIKOTEN_SATU, "2026-11-27", "met")
    assert (row["note"], row["photo_file_id"], row["promise_amount"], row["promise_on"], row["promise_status"],
            row["recorded_by"]) == ("Warung sepi sejak hujan; mau bayar awal bulan", "visit-photo", 500_000,
                                    "2026-12-05", "open", world["t"].id)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'visit.recorded'") == 1
    assert await drafts.get(db, tu.id) is None

    # the borrower's detail for the treasurer shows the visit
    await tester.command(tu, "peminjam")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))
    detail = tester.last(tu).text
    assert "Riwayat kunjungan" in detail
    assert ("27 November 2026: bertemu 📷 — Warung sepi sejak hujan; mau bayar awal bulan (Fransiska Manafe); "
            "janji bayar Rp500.000 5 Desember 2026 (menunggu)") in detail

    # the digest: due this week on Tuesday 1 December (week 30 Nov – 6 Dec), not yet on 28 November
    ctx = await kelurahan_contexts(db, date(2026, 11, 28), frozen_clock(), WITA, NAIKOTEN_SATU)
    assert (ctx[NAIKOTEN_SATU]["promises_due_week"], ctx[NAIKOTEN_SATU]["promises_broken"]) == (0, 0)
    ctx = await kelurahan_contexts(db, date(2026, 12, 1), frozen_clock(), WITA, NAIKOTEN_SATU)
    assert (ctx[NAIKOTEN_SATU]["promises_due_week"], ctx[NAIKOTEN_SATU]["promises_broken"]) == (1, 0)

    # 4 December: no promise reminder yet; 5 December 08:00: the borrower is reminded, once
    frozen_clock.set(wita(2026, 12, 4, 8))
    await tick(running, date(2026, 12, 4))
    assert not any("janji bayar" in t for t in tester.texts(b))
    frozen_clock.set(wita(2026, 12, 5, 8))
    await tick(running, date(2026, 12, 5))
    await tick(running, date(2026, 12, 5))
    reminders = [t for t in tester.texts(b) if "janji bayar" in t]
    assert len(reminders) == 1
    assert "<b>Rp500.000</b> hari ini, 5 Desember 2026" in reminders[0]

    # she pays Rp300.000 that day (verified): less than promised, so on 6 December the treasurer hears it was broken
    await record(db, world["loan"], world["t"], 300_000, date(2026, 12, 5))
    frozen_clock.set(wita(2026, 12, 6, 8))
    await tick(running, date(2026, 12, 6))
    told = [t for t in tester.texts(tu) if "Janji bayar <b>" in t]
    assert len(told) == 1
    assert "tidak ditepati" in told[0] and "dijanjikan Rp500.000" in told[0] and ": Rp300.000." in told[0]
    row = await db.fetchone("SELECT promise_status, promise_paid FROM visits")
    assert (row["promise_status"], row["promise_paid"]) == ("broken", 300_000)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'promise.judged'") == 1
    await tick(running, date(2026, 12, 7))  # judged once
    assert len([t for t in tester.texts(tu) if "Janji bayar <b>" in t]) == 1
    ctx = await kelurahan_contexts(db, date(2026, 12, 7), frozen_clock(), WITA, NAIKOTEN_SATU)
    assert (ctx[NAIKOTEN_SATU]["promises_due_week"], ctx[NAIKOTEN_SATU]["promises_broken"]) == (0, 1)


async def test_a_kept_promise_and_an_unlinked_borrower(running, tester, world, make_person, frozen_clock):
    db, tu = world["db"], world["tu"]
    offline, _ = await make_person(Role.BORROWER, name="Martha Lede", linked=False)
    loan2 = await make_loan(db, offline, principal=1_200_000)
    for loan, amount in ((world["loan"], 400_000), (loan2, 100_000)):
        await record_visit(db, loan_id=loan.id, visited_on=date(2026, 11, 28), outcome="not_home",
                           note="Bertemu anaknya", photo_file_id=None, promise_amount=amount,
                           promise_on=date(2026, 12, 2), recorded_by=world["t"].id, kelurahan_code=NAIKOTEN_SATU,
                           now=frozen_clock())
    await record(db, world["loan"], world["t"], 250_000, date(2026, 11, 27))  # before the visit: does not count
    await record(db, world["loan"], world["t"], 400_000, date(2026, 11, 30))
    await record(db, loan2, world["t"], 100_000, date(2026, 12, 2))
    frozen_clock.set(wita(2026, 12, 2, 8))
    await tick(running, date(2026, 12, 2))
    # Yohanis is reminded; Martha, not on Telegram, is not
    rows = await db.fetchall("SELECT recipient_id FROM outbox WHERE kind = 'promise_reminder'")
    assert [r["recipient_id"] for r in rows] == [world["borrower"].id]
    frozen_clock.set(wita(2026, 12, 3, 8))
    await tick(running, date(2026, 12, 3))
    rows = await db.fetchall("SELECT loan_id, promise_status, promise_paid FROM visits ORDER BY id")
    assert [tuple(r) for r in rows] == [(world["loan"].id, "kept", 400_000), (loan2.id, "kept", 100_000)]
    told = [t for t in tester.texts(tu) if "Janji bayar <b>" in t]
    assert len(told) == 2 and all("tidak ditepati" not in t for t in told)


async def test_a_borrower_cannot_log_visits(running, tester, world):
    await tester.command(world["b"], "kunjungan")
    assert "Siapa yang dikunjungi" not in tester.last(world["b"]).text


async def test_a_half_done_visit_survives_a_restart_and_the_promise_can_be_dropped(running, world):
    tu = world["tu"]
    tester = running.tester
    await tester.command(tu, "kunjungan")
    await tester.send(tu, "Yohanis")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))
    await tester.press(tu, tester.last(tu).button("Hari ini"))
    refused = tester.last(tu).button("Menolak")
    await running.restart()
    tester, db = running.tester, running.app.db
    await tester.press(tu, refused)
    assert "catatan singkat" in tester.last(tu).text  # the draft survived; the outcome button worked
    await tester.send(tu, "Tidak mau bicara")
    await tester.press(tu, tester.last(tu).button("Lewati"))
    summary = tester.last(tu)  # refused: no promise is asked
    assert "Hasil: menolak" in summary.text and "Janji bayar: tidak ada" in summary.text
    assert "Foto: tidak ada" in summary.text and "Tanggal: 28 November 2026" in summary.text
    await tester.press(tu, summary.button("Ubah hasil"))
    await tester.press(tu, tester.last(tu).button("Tidak di rumah"))
    await tester.press(tu, tester.last(tu).button("Ya"))  # now a promise is asked
    await tester.send(tu, "1 jt")
    await tester.send(tu, "hari ini")
    assert "Janji bayar: <b>Rp1.000.000</b> pada 28 November 2026" in tester.last(tu).text
    await tester.press(tu, tester.last(tu).button("Ubah janji bayar"))
    await tester.press(tu, tester.last(tu).button("Tidak"))
    assert "Janji bayar: tidak ada" in tester.last(tu).text
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))
    row = await db.fetchone("SELECT outcome, note, photo_file_id, promise_amount, promise_on, promise_status "
                            "FROM visits")
    assert tuple(row) == ("not_home", "Tidak mau bicara", None, None, None, None)
