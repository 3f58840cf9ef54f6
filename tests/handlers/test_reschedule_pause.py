"""A reschedule of a loan whose instalments a pause moved (issue 16: rule 4 of bot/domain/pauses.py, README
"A pause and a reschedule"), checked against a hand-computed fixture through the bot. The clock is pinned:
Saturday 28 November 2026, 10:00 WITA (tests/conftest.py).

The fixture, by hand. Rp6.000.000 over 12 months from 15 May 2026, 1 % fee: 500.000 + 60.000 due the 15th, from
15 June 2026. Instalments 1–4 are paid in full (560.000 on 15 Jun, 14 Jul, 20 Aug, 15 Sep). Pause A (1–30 October
2026, 30 days) moves the unpaid instalment 5 from 15 October to 14 November. A 30.000 payment on 20 November goes
to instalment 5's fee (oldest first, fee first). Pause B (20 January – 10 February 2027, 22 days) is declared
ahead. On 28 November: outstanding 6.720.000 − 2.270.000 = 4.450.000; the oldest unpaid is instalment 5, due 14
November: 14 days late.

Reschedule on 28 November, 7 months, 1 grace month, first new instalment 28 January 2027:
* kept: 1–4 as they were; 5 cut down to what was paid on it (principal 0, fee 30.000), still due 14 November;
* principal left 8 × 500.000 = 4.000.000 → 571.000 × 6 + 574.000;
* fees carried: the unpaid fees due by 28 November: instalment 5's 30.000 + instalment 6's (15 Nov) 60.000 = 90.000;
* new 6…12 from 28 January 2027 monthly; 28 January lies in pause B, so it moves 22 days, to 19 February 2027:
  6: 19 Feb 571.000 + 150.000 = 721.000 · 7–11: 28 Feb … 28 Jun 631.000 · 12: 28 Jul 574.000 + 60.000 = 634.000;
* outstanding after: 4.000.000 + 90.000 + 7 × 60.000 = 4.510.000; days in arrears 0 (re-aged).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.domain.pauses import Pause
from bot.domain.roles import Role
from bot.runtime import clock
from bot.services import pauses as pause_service
from storage import audit, lifecycle, loans
from tests.handlers.loan_fixtures import make_loan, record

pytestmark = pytest.mark.usefixtures("no_pacing")
TODAY = date(2026, 11, 28)


async def _allocations(db, loan_id):
    rows = await db.fetchall(
        """
        SELECT a.repayment_id, i.number, a.fee_paid, a.principal_paid FROM allocations AS a
        JOIN installments AS i ON i.id = a.installment_id WHERE i.loan_id = :loan ORDER BY a.repayment_id, i.number
        """, {"loan": loan_id})
    return [tuple(r) for r in rows]


async def test_a_reschedule_after_a_pause_keeps_allocations_and_follows_the_pause_rule(running, tester,
                                                                                       make_person):
    db = running.app.db
    treasurer, tu = await make_person(Role.TREASURER, name="Maria Bendahara")
    lurah, lu = await make_person(Role.LURAH, name="Pak Lurah")
    borrower, bu = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    loan = await make_loan(db, borrower, disbursed_on=date(2026, 5, 15), fee=Decimal(1))
    for paid_on in (date(2026, 6, 15), date(2026, 7, 14), date(2026, 8, 20), date(2026, 9, 15)):
        await record(db, loan, treasurer, 560_000, paid_on)
    for starts, ends, reason in ((date(2026, 10, 1), date(2026, 10, 30), "Badai Seroja"),
                                 (date(2027, 1, 20), date(2027, 2, 10), "Perbaikan pasar")):
        await pause_service.declare_pause(db, pause=Pause(starts, ends), reason=reason,
                                          kelurahan=[borrower.kelurahan_code], declared_by=lurah.id,
                                          now=clock.utcnow())
    partial = await record(db, loan, treasurer, 30_000, date(2026, 11, 20))
    moved = await db.fetchone("SELECT due_date, paused_from FROM installments WHERE loan_id = :l AND number = 5",
                              {"l": loan.id})
    assert tuple(moved) == ("2026-11-14", "2026-10-15")
    before = await loans.summary(db, loan.id)
    assert before.outstanding == 4_450_000 and before.days_in_arrears(TODAY) == 14
    before_alloc = await _allocations(db, loan.id)
    assert before_alloc == [(1, 1, 60_000, 500_000), (2, 2, 60_000, 500_000), (3, 3, 60_000, 500_000),
                            (4, 4, 60_000, 500_000), (partial.id, 5, 30_000, 0)]

    await tester.command(tu, "restrukturisasi")
    await tester.send(tu, "yohanis")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))
    assert "Rp4.450.000" in tester.last(tu).text and "terlambat 14 hari" in tester.last(tu).text
    await tester.send(tu, "7")
    await tester.press(tu, tester.last(tu).button("1 bln"))
    await tester.press(tu, tester.last(tu).button("28 Jan 2027"))
    summary = tester.last(tu)
    text = summary.text
    assert "Pokok tersisa: Rp4.000.000" in text and "jasa tertunggak dibawa: Rp90.000" in text
    assert "6. 19 Februari 2027: Rp721.000 (jasa Rp150.000) (digeser penundaan dari 28 Januari 2027)" in text
    assert "7. 28 Februari 2027: Rp631.000" in text and "12. 28 Juli 2027: Rp634.000" in text
    assert "Sisa pinjaman sesudahnya: <b>Rp4.510.000</b>" in text
    await tester.press(tu, summary.button("Konfirmasi"))
    notice = tester.last(lu)
    assert "(digeser penundaan dari 28 Januari 2027)" in notice.text
    await tester.press(lu, notice.button("Setujui"))
    assert "angsuran pertama 19 Februari 2027" in tester.last(lu).text
    assert "disetujui oleh Pak Lurah" in tester.last(tu).text
    told = tester.last(bu).text
    assert "Jadwal angsuran pinjaman Anda diubah" in told and "19 Februari 2027" in told

    rows = await db.fetchall(
        "SELECT number, due_date, principal_due, fee_due, principal_paid, fee_paid, paused_from, fee_scheduled "
        "FROM installments WHERE loan_id = :l ORDER BY number", {"l": loan.id})
    got = [tuple(r) for r in rows]
    assert got[:4] == [(n, f"2026-{n + 5:02d}-15", 500_000, 60_000, 500_000, 60_000, None, 60_000)
                       for n in range(1, 5)]
    assert got[4] == (5, "2026-11-14", 0, 30_000, 0, 30_000, "2026-10-15", 30_000)
    assert got[5] == (6, "2027-02-19", 571_000, 150_000, 0, 0, "2027-01-28", 150_000)
    assert got[6:] == [(n, f"2027-{n - 5:02d}-28", 571_000 if n < 12 else 574_000, 60_000, 0, 0, None, 60_000)
                       for n in range(7, 13)]
    assert await _allocations(db, loan.id) == before_alloc  # to the rupiah
    after = await loans.summary(db, loan.id)
    assert after.outstanding == 4_510_000 and after.state.oldest_unpaid().installment.number == 6
    assert after.days_in_arrears(TODAY) == 0  # re-aged
    assert after.days_in_arrears(date(2027, 2, 19)) == 0 and after.days_in_arrears(date(2027, 2, 21)) == 2
    # the old schedule is kept, with the date the pause moved instalment 5 from
    old = await lifecycle.archived_schedule(db, loan.id, 1)
    assert [(r["number"], r["due_date"], r["paused_from"]) for r in old][4:6] == [
        (5, "2026-11-14", "2026-10-15"), (6, "2026-11-15", None)]
    (row,) = await audit.recent(db, action="loan.rescheduled")
    assert (row.details["outstanding_before"], row.details["outstanding_after"]) == (4_450_000, 4_510_000)
    assert (row.details["days_in_arrears_before"], row.details["days_in_arrears_after"]) == (14, 0)
    assert row.details["first_due_on"] == "2027-02-19"
    assert row.details["moved_by_pause"] == {"6": "2027-01-28"}

    # a payment of the first new instalment in full clears it exactly: nothing extra is owed on instalment 5
    paid = await record(db, loan, treasurer, 721_000, date(2027, 2, 19))
    assert (await _allocations(db, loan.id))[-1] == (paid.id, 6, 150_000, 571_000)
    assert (await loans.summary(db, loan.id)).outstanding == 3_789_000
