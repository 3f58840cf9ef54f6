"""The scheduled digest, the Monday chart and the treasurer nudge, through ``bot.ticks.run_due`` (the tick)."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from bot.domain.roles import Role
from bot.jobs import digest as digest_jobs
from bot.runtime import clock
from bot.runtime import tick as ticks
from storage import outbox, people
from tests.handlers.loan_fixtures import make_loan, report
from tests.jobs_fixtures import add_person, wita

OEBOBO = "53.71.04.1001"


pytestmark = pytest.mark.usefixtures("no_pacing")


async def test_daily_digest_goes_to_lurah_city_and_opted_in_admins_every_day_once(db, bot, rec, settings):
    lurah = await add_person(db, "Pak Lurah", roles=(Role.LURAH,))
    other_lurah = await add_person(db, "Ibu Lurah", roles=(Role.LURAH,), kelurahan=OEBOBO, language="en")
    blocked = await add_person(db, "Lurah Diblokir", roles=(Role.LURAH,))
    await people.set_reachable(db, blocked.id, False)
    admin = await add_person(db, "Admin", roles=(Role.ADMIN,))
    keen = await add_person(db, "Admin Rajin", roles=(Role.ADMIN,))
    await people.set_opt_in(db, keen.id, True)
    city = await add_person(db, "Bappeda", roles=(Role.CITY,), kelurahan=None)
    borrower = await add_person(db, "Ana Seran")
    await make_loan(db, borrower, principal=1_200_000, disbursed_on=date(2026, 9, 10))

    await ticks.run_due(db, bot, settings, wita(2026, 11, 28, 6, 59), catch_up=False)
    assert rec.sent() == []  # not yet 07:00
    await ticks.run_due(db, bot, settings, wita(2026, 11, 28, 7, 0), catch_up=False)
    await ticks.run_due(db, bot, settings, wita(2026, 11, 28, 7, 1), catch_up=False)

    assert [len(rec.sent(p.telegram_chat_id)) for p in (lurah, other_lurah, blocked, admin, keen, city)] == [
        1, 1, 0, 0, 1, 1]
    assert "Kelurahan Naikoten Satu" in rec.sent(lurah.telegram_chat_id)[0].text
    assert "1. Ana Seran: 49 hari, Rp200.000" in rec.sent(keen.telegram_chat_id)[0].text
    quiet = rec.sent(other_lurah.telegram_chat_id)[0].text
    assert "Kelurahan Oebobo" in quiet and "No payments came in yesterday." in quiet
    assert "Ringkasan PEM Kota Kupang" in rec.sent(city.telegram_chat_id)[0].text
    assert rec.of("sendPhoto") == []  # Saturday: no chart

    # the next day it goes out again, even though nothing happened
    await ticks.run_due(db, bot, settings, wita(2026, 11, 29, 7, 0), catch_up=False)
    assert len(rec.sent(lurah.telegram_chat_id)) == 2
    # running the job function again for the same day adds nothing
    assert await digest_jobs.run_daily(db, wita(2026, 11, 29, 7, 0), settings) == 0


async def test_monday_adds_the_weekly_chart_as_a_png(db, bot, rec, settings):
    lurah = await add_person(db, "Pak Lurah", roles=(Role.LURAH,), language="en")
    borrower = await add_person(db, "Ana Seran")
    await make_loan(db, borrower, principal=1_200_000, disbursed_on=date(2026, 9, 10))

    await ticks.run_due(db, bot, settings, wita(2026, 11, 30, 7, 0), catch_up=False)  # Monday

    (photo,) = rec.of("sendPhoto")
    assert photo.chat_id == lurah.telegram_chat_id
    assert "Weekly summary" in photo.text and "7 Sep" in photo.text
    (queued,) = [m for m in await outbox.for_recipient(db, lurah.id) if m.kind == "digest_chart"]
    assert queued.photo is not None and queued.photo.startswith(b"\x89PNG")
    assert len(rec.sent(lurah.telegram_chat_id)) == 2  # the digest and the chart
    await ticks.run_due(db, bot, settings, wita(2026, 11, 30, 7, 0), catch_up=True)
    assert len(rec.of("sendPhoto")) == 1


async def test_treasurer_nudge_after_24_hours_once_a_day(db, bot, rec, settings, monkeypatch):
    treasurer = await add_person(db, "Bendahara", roles=(Role.TREASURER,))
    borrower = await add_person(db, "Ana Seran")
    loan = await make_loan(db, borrower, principal=1_200_000, disbursed_on=date(2026, 9, 10))
    monkeypatch.setattr(clock, "utcnow", lambda: wita(2026, 11, 27, 12).astimezone(UTC))
    await report(db, loan, borrower, 100_000, paid_on=date(2026, 11, 27))

    await ticks.run_due(db, bot, settings, wita(2026, 11, 28, 7, 0), catch_up=False)
    assert rec.sent(treasurer.telegram_chat_id) == []  # 19 hours: not yet

    await ticks.run_due(db, bot, settings, wita(2026, 11, 29, 7, 0), catch_up=False)
    await ticks.run_due(db, bot, settings, wita(2026, 11, 29, 7, 30), catch_up=False)
    (nudge,) = rec.sent(treasurer.telegram_chat_id)
    assert "1 pembayaran menunggu verifikasi lebih dari 24 jam" in nudge.text and "/verifikasi" in nudge.text
    assert await outbox.by_key(db, f"nudge:{treasurer.id}:2026-11-29") is not None
