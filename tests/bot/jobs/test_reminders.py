"""Reminders and treasurer escalation, by time travel through ``bot.ticks.run_due`` (the tick: due jobs, the
cleanups, then the sender) against a recording Bot API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.roles import Role
from bot.jobs import reminders
from bot.runtime import tick as ticks
from storage import outbox, repayments
from storage.outbox import Status
from tests.handlers.loan_fixtures import make_loan, record, report
from tests.jobs_fixtures import add_person, wita

#: Ana's loan: Rp1.200.000 from 10 Nov 2026, 12 × Rp100.000, the first due 10 December 2026.
FIRST_DUE = date(2026, 12, 10)


pytestmark = pytest.mark.usefixtures("no_pacing")


async def tick(db, bot, settings, day: date, hour: int = 8):
    # the reminder job only: at the same hour the warning-letter job (issue 16) gives treasurers their SP tasks,
    # which tests/handlers/test_warnings.py covers
    return await ticks.run_due(db, bot, settings, wita(day.year, day.month, day.day, hour), catch_up=True,
                              jobs=reminders.JOBS)


def _at(day: date, hour: int = 8):
    return wita(day.year, day.month, day.day, hour)


async def test_a_loans_life_sends_exactly_the_expected_reminders(db, bot, rec, settings, frozen_clock):
    treasurer = await add_person(db, "Bendahara", roles=(Role.TREASURER,))
    ana = await add_person(db, "Ana Seran")
    loan = await make_loan(db, ana, principal=1_200_000, disbursed_on=date(2026, 11, 10))
    sent: dict[date, list[str]] = {}
    day = FIRST_DUE - timedelta(days=5)
    while day <= FIRST_DUE + timedelta(days=9):
        frozen_clock.set(_at(day, 8))
        before = len(rec.sent(ana.telegram_chat_id))
        await tick(db, bot, settings, day)
        await tick(db, bot, settings, day, hour=12)  # a second tick the same day adds nothing
        calls = rec.sent(ana.telegram_chat_id)[before:]
        if calls:
            sent[day] = [c.text for c in calls]
        if day == FIRST_DUE:  # she pays Rp40.000 on the due day, after the morning reminder
            await record(db, loan, treasurer, 40_000, day)
        if day == FIRST_DUE + timedelta(days=3):  # and the rest three days late
            await record(db, loan, treasurer, 60_000, day)
        day += timedelta(days=1)

    assert list(sent) == [FIRST_DUE - timedelta(days=3), FIRST_DUE, FIRST_DUE + timedelta(days=1)]
    assert all(len(texts) == 1 for texts in sent.values())
    d_minus_3, d0, d_plus_1 = (texts[0] for texts in sent.values())
    assert "3 hari lagi" in d_minus_3 and "10 Desember 2026" in d_minus_3 and "Rp100.000" in d_minus_3
    assert "Sisa pinjaman seluruhnya: Rp1.200.000" in d_minus_3
    assert "jatuh tempo hari ini" in d0
    assert "terlambat 1 hari" in d_plus_1
    assert "<b>Rp60.000</b>" in d_plus_1 and "Sisa pinjaman seluruhnya: Rp1.160.000" in d_plus_1
    inst_id = await db.fetchval("SELECT id FROM installments WHERE loan_id = :l AND number = 1", {"l": loan.id})
    keys = [m.dedupe_key for m in await outbox.for_recipient(db, ana.id)]
    assert keys == [f"rem:{inst_id}:-3", f"rem:{inst_id}:0", f"rem:{inst_id}:1"]
    # nothing reached the treasurer: the instalment was paid before D+7
    assert rec.sent(treasurer.telegram_chat_id) == []


async def test_reminder_has_the_pay_and_loan_buttons_and_follows_the_language(db, bot, rec, settings):
    ana = await add_person(db, "Ana Seran", language="en")
    loan = await make_loan(db, ana, principal=1_200_000, disbursed_on=date(2026, 11, 10))
    await tick(db, bot, settings, FIRST_DUE - timedelta(days=3))
    call = rec.sent(ana.telegram_chat_id)[-1]
    inst_id = await db.fetchval("SELECT id FROM installments WHERE loan_id = :l AND number = 1", {"l": loan.id})
    assert call.buttons == [[("✅ I have paid", f"payrem:{inst_id}"), ("📄 See my loan", "loanview")]]
    assert "is due <b>in 3 days</b>, on 10 December 2026" in call.text


async def test_running_the_same_instant_twice_sends_nothing_new(db, bot, rec, settings):
    ana = await add_person(db, "Ana Seran")
    await make_loan(db, ana, principal=1_200_000, disbursed_on=date(2026, 11, 10))
    now = _at(FIRST_DUE)
    assert await reminders.run(db, now, settings) == 1
    assert await reminders.run(db, now, settings) == 0
    await tick(db, bot, settings, FIRST_DUE)
    await tick(db, bot, settings, FIRST_DUE)
    assert len(rec.sent(ana.telegram_chat_id)) == 1


async def test_pending_repayment_covering_the_instalment_means_no_reminder(db, bot, rec, settings, frozen_clock):
    treasurer = await add_person(db, "Bendahara", roles=(Role.TREASURER,))
    ana = await add_person(db, "Ana Seran")
    loan = await make_loan(db, ana, principal=1_200_000, disbursed_on=date(2026, 11, 10))
    frozen_clock.set(_at(FIRST_DUE - timedelta(days=4)))
    pending = await report(db, loan, ana, 100_000, paid_on=FIRST_DUE - timedelta(days=4))

    await tick(db, bot, settings, FIRST_DUE - timedelta(days=3))
    assert rec.sent(ana.telegram_chat_id) == []  # "menunggu verifikasi" counts as reported

    frozen_clock.set(_at(FIRST_DUE - timedelta(days=1)))
    async with db.transaction() as tx:
        await repayments.decide(tx, pending.id, approve=False, by=treasurer.id, now=frozen_clock.now,
                                reason="bukti tidak terbaca")
    await tick(db, bot, settings, FIRST_DUE)
    assert len(rec.sent(ana.telegram_chat_id)) == 1  # rejected: the due-day reminder goes out


async def test_partial_pending_does_not_cover(db, bot, rec, settings):
    ana = await add_person(db, "Ana Seran")
    loan = await make_loan(db, ana, principal=1_200_000, disbursed_on=date(2026, 11, 10))
    await report(db, loan, ana, 30_000, paid_on=FIRST_DUE - timedelta(days=4))
    await tick(db, bot, settings, FIRST_DUE - timedelta(days=3))
    assert len(rec.sent(ana.telegram_chat_id)) == 1


async def test_reminder_for_an_instalment_paid_before_sending_is_cancelled(db, bot, rec, settings):
    treasurer = await add_person(db, "Bendahara", roles=(Role.TREASURER,))
    ana = await add_person(db, "Ana Seran")
    loan = await make_loan(db, ana, principal=1_200_000, disbursed_on=date(2026, 11, 10))
    # queued at 08:00 (e.g. the sender was down), paid at 09:00, sent at the 10:00 tick: it must not go out
    assert await reminders.run(db, _at(FIRST_DUE), settings) == 1
    await record(db, loan, treasurer, 100_000, FIRST_DUE)
    await tick(db, bot, settings, FIRST_DUE, hour=10)
    assert rec.sent(ana.telegram_chat_id) == []
    (message,) = await outbox.for_recipient(db, ana.id)
    assert message.status == Status.CANCELLED and message.last_error == "paid"


async def test_unlinked_and_blocked_borrowers_are_skipped(db, bot, rec, settings):
    nolink = await add_person(db, "Citra Manafe", linked=False)
    await make_loan(db, nolink, principal=1_200_000, disbursed_on=date(2026, 11, 10))
    assert await reminders.run(db, _at(FIRST_DUE), settings) == 0
    assert await outbox.for_recipient(db, nolink.id) == []


async def test_escalation_one_message_per_treasurer_listing_the_borrowers(db, bot, rec, settings):
    t1 = await add_person(db, "Bendahara Satu", roles=(Role.TREASURER,))
    t2 = await add_person(db, "Bendahara Dua", roles=(Role.TREASURER,), language="en")
    elsewhere = await add_person(db, "Bendahara Oebobo", roles=(Role.TREASURER,), kelurahan="53.71.04.1001")
    ana = await add_person(db, "Ana Seran")
    budi = await add_person(db, "Budi Lake")
    citra = await add_person(db, "Citra Manafe", linked=False)
    for person in (ana, budi, citra):
        await make_loan(db, person, principal=1_200_000, disbursed_on=date(2026, 11, 10))
    old = await add_person(db, "Dedi Tefa")
    await make_loan(db, old, principal=1_200_000, disbursed_on=date(2026, 10, 17))  # first due 17 Nov: D+30

    day = FIRST_DUE + timedelta(days=7)  # 17 December: D+7 of the three, D+30 of Dedi's first instalment
    await tick(db, bot, settings, day)
    await tick(db, bot, settings, day, hour=9)

    for treasurer in (t1, t2):
        (message,) = rec.sent(treasurer.telegram_chat_id)
        for name in ("Ana Seran", "Budi Lake", "Citra Manafe", "Dedi Tefa"):
            assert message.text.count(name) == 1
    assert "Dedi Tefa: terlambat 30 hari" in rec.sent(t1.telegram_chat_id)[0].text
    assert "Citra Manafe: 7 days late" in rec.sent(t2.telegram_chat_id)[0].text
    assert "not on Telegram" in rec.sent(t2.telegram_chat_id)[0].text
    assert rec.sent(elsewhere.telegram_chat_id) == []
    keys = sorted([m.dedupe_key for m in await outbox.for_recipient(db, t1.id)]
                  + [m.dedupe_key for m in await outbox.for_recipient(db, t2.id)])
    assert keys == [f"esc:53.71.05.1004:2026-12-17:{t1.id}", f"esc:53.71.05.1004:2026-12-17:{t2.id}"]
    # the borrowers themselves got their D+7 reminder (Citra is not linked); D+30 is no reminder day, so Dedi
    # only got the due-day reminder of his second instalment
    assert len(rec.sent(ana.telegram_chat_id)) == 1 and len(rec.sent(budi.telegram_chat_id)) == 1
    (dedi,) = rec.sent(old.telegram_chat_id)
    assert "Angsuran ke-2 jatuh tempo hari ini" in dedi.text


class _Capture:
    """A Queryable that records the SQL it is given, then runs it."""

    def __init__(self, db) -> None:
        self.db = db
        self.queries: list[tuple[str, dict]] = []

    async def fetchall(self, sql, params=None):
        self.queries.append((sql, dict(params or {})))
        return await self.db.fetchall(sql, params)


async def test_the_day_is_planned_in_one_query_over_the_unpaid_due_index(db):
    from storage.reports import reminders as repo

    capture = _Capture(db)
    await repo.due_on(capture, {o: FIRST_DUE - timedelta(days=o) for o in (-3, 0, 1, 7, 30)})
    assert len(capture.queries) == 1
    sql, params = capture.queries[0]
    plan = " ".join(row["detail"] for row in await db.fetchall("EXPLAIN QUERY PLAN " + sql, params))
    assert "installments_unpaid_due" in plan
    assert "SCAN i " not in plan and "SCAN loans" not in plan


def test_reminder_wording_is_as_of_the_day_it_is_sent():
    from messages import render

    planned = {"installment_id": 1, "loan_id": 1, "number": 2, "due_date": "2026-12-10", "offset": -3,
               "remaining": 100_000, "outstanding": 1_000_000}
    assert "3 hari lagi" in render("reminders/reminder", "id", **planned, sent_on=date(2026, 12, 7))
    # held overnight (quiet hours): planned at D-3 in the evening, sent the next morning at D-2
    assert "2 hari lagi" in render("reminders/reminder", "id", **planned, sent_on=date(2026, 12, 8))
    assert "hari ini" in render("reminders/reminder", "id", **planned, sent_on=date(2026, 12, 10))
    assert "terlambat 1 hari" in render("reminders/reminder", "id", **planned, sent_on=date(2026, 12, 11))
