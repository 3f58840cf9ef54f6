"""The scheduled follow-up prompt's buttons (fuq:<registration>:<status>) open the /tindak_lanjut form: the
outcome lands in ``outcomes``; forged and foreign-kelurahan presses record nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.roles import Role
from bot.runtime import tick as ticks
from storage import participants, registrations
from tests.handlers.test_registration import make_event
from tests.jobs_fixtures import wita

STARTED = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)  # 1 October 2026, 09:00 WITA
_niks = iter(range(5371051207990100, 5371051207999999))


pytestmark = pytest.mark.usefixtures("no_pacing")


async def attended(running, *names, kind="training"):
    event = await make_event(running, starts_at=STARTED, min_age=None, max_age=None)
    db = running.app.db
    regs = []
    async with db.transaction() as tx:
        if kind != "training":
            await tx.execute("UPDATE events SET kind = :k WHERE id = :id", {"k": kind, "id": event.id})
        for name in names:
            p = await participants.create_participant(
                tx, kelurahan_code=event.kelurahan_code, name=name, nik=str(next(_niks)), birth_date=None,
                sex=None, phone=None, address=None, education=None, work_status=None, consent_at=STARTED,
                created_by=None)
            regs.append((await registrations.register(tx, event_id=event.id, participant_id=p.id, registered_by=None,
                                                      now=STARTED)).registration)
        await registrations.save_attendance(tx, event.id, {r.id for r in regs}, STARTED)
    return event, regs


async def test_prompt_buttons_record_the_outcome(running, tester, make_person, frozen_clock):
    db = running.app.db
    coord, user = await make_person(Role.COORDINATOR)
    event, (ana, beni) = await attended(running, "Ana Seran", "Beni Lake")
    day30 = wita(2026, 10, 31, 8)
    frozen_clock.set(day30)
    await ticks.run_due(db, running.app.bot, running.settings, day30, catch_up=True)
    prompts = [c for c in running.request.sent(user.chat_id) if "Tindak lanjut 30 hari" in c.text]
    assert len(prompts) == 2
    ana_prompt = next(c for c in prompts if "Ana Seran" in c.text)

    await tester.press(user, ana_prompt.button("Usaha sendiri"))
    assert "Jenis usaha" in tester.last(user).text  # asks the business type
    await tester.send(user, "Servis AC keliling")
    assert "usaha sendiri (Servis AC keliling)" in tester.last(user).text
    row = await db.fetchone("SELECT * FROM outcomes WHERE participant_id = :p", {"p": ana.participant_id})
    assert (row["event_id"], row["status"], row["business_type"], row["recorded_by"]) == (
        event.id, "own_business", "Servis AC keliling", coord.id)

    beni_prompt = next(c for c in prompts if "Beni Lake" in c.text)
    await tester.press(user, beni_prompt.button("Masih mencari"))
    assert "masih mencari" in tester.last(user).text.lower()
    row = await db.fetchone("SELECT * FROM outcomes WHERE participant_id = :p", {"p": beni.participant_id})
    assert (row["status"], row["business_type"]) == ("still_looking", None)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'outcome.recorded'") == 2

    # nothing more is asked at the next run of the catch-up window
    frozen_clock.set(day30 + timedelta(days=1))
    report = await ticks.run_due(db, running.app.bot, running.settings, day30 + timedelta(days=1), catch_up=True)
    assert report.enqueued == 0


async def test_forged_and_foreign_prompt_presses_record_nothing(running, tester, make_person, frozen_clock):
    db = running.app.db
    _, coord = await make_person(Role.COORDINATOR)
    _, other = await make_person(Role.COORDINATOR, kelurahan="53.71.05.1001")
    _, lurah = await make_person(Role.LURAH)
    _, (ana,) = await attended(running, "Ana Seran")
    _, (plain,) = await attended(running, "Beni Lake", kind="event")
    refused = [(other, f"fuq:{ana.id}:employed"), (coord, f"fuq:{ana.id}:rich"), (coord, "fuq:9999:employed"),
               (coord, "fuq:x:employed"), (coord, f"fuq:{plain.id}:employed")]
    for user, data in refused:
        calls = await tester.press(user, data)
        assert any("tidak ditemukan" in c.params.get("text", "") for c in calls
                   if c.method == "answerCallbackQuery"), data
    calls = await tester.press(lurah, f"fuq:{ana.id}:employed")
    assert any("tidak tersedia" in c.params.get("text", "") for c in calls if c.method == "answerCallbackQuery")
    assert await db.fetchval("SELECT count(*) FROM outcomes") == 0
