"""The monthly report (LPJ) to every lurah and treasurer on the 1st, through the tick and the outbox, once."""

from __future__ import annotations

import pytest

from bot.domain.roles import Role
from bot.jobs import lpj as lpj_jobs
from bot.runtime import tick as ticks
from storage import outbox, people
from tests import lpj_fixture as fx
from tests.jobs_fixtures import add_person, wita

pytestmark = pytest.mark.usefixtures("no_pacing")


async def test_first_of_the_month_once_per_lurah_and_treasurer(db, bot, rec, settings):
    await fx.build(db)  # its treasurer is not linked to Telegram: no message for them
    lurah = await add_person(db, "Pak Lurah", roles=(Role.LURAH,), kelurahan=fx.KEL)
    treasurer = await add_person(db, "Ibu Bendahara", roles=(Role.TREASURER, Role.ADMIN), kelurahan=fx.KEL,
                                 language="en")
    other = await add_person(db, "Lurah Oebobo", roles=(Role.LURAH,), kelurahan=fx.OTHER)
    blocked = await add_person(db, "Lurah Diblokir", roles=(Role.LURAH,), kelurahan=fx.KEL)
    await people.set_reachable(db, blocked.id, False)
    admin = await add_person(db, "Admin Saja", roles=(Role.ADMIN,), kelurahan=fx.KEL)
    borrower = await add_person(db, "Peminjam", kelurahan=fx.KEL)

    await ticks.run_due(db, bot, settings, wita(2026, 11, 30, 7, 0), catch_up=False)
    assert [m for m in rec.sent() if "LPJ" in m.text] == []  # not the 1st
    await ticks.run_due(db, bot, settings, wita(2026, 12, 1, 7, 0), catch_up=False)
    await ticks.run_due(db, bot, settings, wita(2026, 12, 1, 7, 5), catch_up=True)
    assert await lpj_jobs.run_monthly(db, wita(2026, 12, 1, 9, 0), settings) == 0  # the same month again: nothing

    def monthly(person):
        return [m for m in rec.sent(person.telegram_chat_id) if "LPJ" in m.text]

    assert [len(monthly(p)) for p in (lurah, treasurer, other, blocked, admin, borrower)] == [1, 1, 1, 0, 0, 0]
    (msg,) = monthly(lurah)
    assert "Laporan bulanan (LPJ) November 2026" in msg.text and "Kelurahan Naikoten Satu" in msg.text
    assert "jatuh tempo Rp1.530.000, terkumpul Rp1.070.000 (69,9% termasuk terlambat)" in msg.text
    assert "PAR30 9,1%" in msg.text and "Kas dan bank: Rp26.612.500" in msg.text
    assert "selisih rekening koran Rp17.500" in msg.text
    assert msg.buttons == [[("📊 XLSX (Excel)", "lpjf:2026-11:xlsx"), ("📄 PDF (untuk ditandatangani)",
                                                                      "lpjf:2026-11:pdf")]]
    (en,) = monthly(treasurer)
    assert "Monthly report (LPJ) November 2026" in en.text and "📄 PDF (to sign)" in en.button_texts
    assert "Kelurahan Oebobo" in monthly(other)[0].text
    rows = [m for m in await outbox.for_recipient(db, lurah.id) if m.kind == "lpj"]
    assert [m.dedupe_key for m in rows] == [f"lpj:{fx.KEL}:2026-11:{lurah.id}"]

    # January's 1st brings December's report
    await ticks.run_due(db, bot, settings, wita(2027, 1, 1, 7, 0), catch_up=False)
    assert "Desember 2026" in monthly(lurah)[-1].text and len(monthly(lurah)) == 2
