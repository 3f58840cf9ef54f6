"""The Karang Taruna outbox jobs by time travel through ``bot.ticks.run_due`` (due jobs, cleanups, sender)
against a recording Bot API: the day-before reminder and the 30/90-day follow-up prompts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.roles import Role
from bot.jobs import events as event_jobs
from bot.runtime import tick as ticks
from storage import events, outbox, outcomes, participants, registrations
from storage.outbox import Status
from tests.jobs_fixtures import NAIKOTEN_SATU, add_person, wita

OEBOBO = "53.71.04.1001"


pytestmark = pytest.mark.usefixtures("no_pacing")


async def tick(db, bot, settings, day: date, hour: int = 8):
    return await ticks.run_due(db, bot, settings, wita(day.year, day.month, day.day, hour), catch_up=True)


async def make_event(db, *, starts_at: datetime, kind="training", capacity=10, kelurahan=NAIKOTEN_SATU,
                     title="Pelatihan Servis AC"):
    async with db.transaction() as tx:
        return await events.create_event(
            tx, kelurahan_code=kelurahan, title=title, kind=kind, organiser="disnaker", starts_at=starts_at,
            place="Aula Kelurahan", capacity=capacity, registration_deadline=starts_at - timedelta(hours=1),
            min_age=None, max_age=None, created_by=None)


_niks = iter(range(5371051207990100, 5371051207999999))


async def sign_up(db, event, name, *, person=None, kelurahan=NAIKOTEN_SATU):
    async with db.transaction() as tx:
        p = await participants.create_participant(
            tx, kelurahan_code=kelurahan, name=name, nik=str(next(_niks)), birth_date=None, sex=None, phone=None,
            address=None, education=None, work_status=None, consent_at=datetime.now(UTC), created_by=None)
        if person is not None:
            await participants.link_person(tx, p.id, person.id)
        result = await registrations.register(tx, event_id=event.id, participant_id=p.id, registered_by=None,
                                              now=datetime.now(UTC))
    return p, result.registration


async def cancel(db, registration_id: int) -> None:
    async with db.transaction() as tx:
        await registrations.cancel_registration(tx, registration_id, datetime.now(UTC))


# --- the day-before reminder ----------------------------------------------------------------------------------
EVENT_DAY = date(2026, 12, 15)


async def test_one_reminder_per_seated_linked_participant_the_day_before(db, bot, rec, settings):
    event = await make_event(db, starts_at=wita(2026, 12, 15, 9), capacity=3)
    ana = await add_person(db, "Ana Seran", roles=(Role.PARTICIPANT,))
    beni = await add_person(db, "Beni Lake", roles=(Role.PARTICIPANT,))
    citra = await add_person(db, "Citra Manafe", roles=(Role.PARTICIPANT,), language="en")
    dodi = await add_person(db, "Dodi Tefa", roles=(Role.PARTICIPANT,))
    _, ana_reg = await sign_up(db, event, "Ana Seran", person=ana)
    _, beni_reg = await sign_up(db, event, "Beni Lake", person=beni)  # cancels before the reminder is planned
    _, _unlinked = await sign_up(db, event, "Eko Not Linked")
    _, citra_reg = await sign_up(db, event, "Citra Manafe", person=citra)  # seated after Beni's cancel
    _, dodi_reg = await sign_up(db, event, "Dodi Tefa", person=dodi)  # waitlisted: no reminder
    await cancel(db, beni_reg.id)
    assert (await registrations.get_registration(db, citra_reg.id)).status == "registered"
    assert (await registrations.get_registration(db, dodi_reg.id)).status == "waitlisted"
    # another event tomorrow, cancelled: its participants get nothing
    gone = await make_event(db, starts_at=wita(2026, 12, 15, 14), title="Acara Batal")
    fina = await add_person(db, "Fina Bria", roles=(Role.PARTICIPANT,))
    _, gone_reg = await sign_up(db, gone, "Fina Bria", person=fina)
    async with db.transaction() as tx:
        await events.set_event_status(tx, gone.id, events.EventStatus.CANCELLED)

    await tick(db, bot, settings, EVENT_DAY - timedelta(days=2))  # two days before: nothing
    assert rec.sent() == []

    await tick(db, bot, settings, EVENT_DAY - timedelta(days=1))
    ana_calls, citra_calls = rec.sent(ana.telegram_chat_id), rec.sent(citra.telegram_chat_id)
    assert len(ana_calls) == 1 and len(citra_calls) == 1
    assert rec.sent(beni.telegram_chat_id) == [] and rec.sent(dodi.telegram_chat_id) == []
    assert rec.sent(fina.telegram_chat_id) == []
    text = ana_calls[0].text
    assert "Pengingat: besok" in text and "Pelatihan Servis AC" in text and "Aula Kelurahan" in text
    assert "15 Desember 2026, 09.00 WITA" in text
    assert ana_calls[0].buttons == [[("✖ Batalkan pendaftaran saya", f"ev:unreg:{ana_reg.id}")]]
    assert "Reminder: tomorrow" in citra_calls[0].text
    keys = sorted(m.dedupe_key for m in await outbox.for_recipient(db, ana.id))
    assert keys == [f"evrem:{ana_reg.id}"]
    assert await outbox.by_key(db, f"evrem:{gone_reg.id}") is None

    # a second tick the same day, and the next day, send nothing more
    await tick(db, bot, settings, EVENT_DAY - timedelta(days=1), hour=12)
    await tick(db, bot, settings, EVENT_DAY)
    assert len(rec.sent()) == 2


async def test_a_reminder_held_until_the_event_day_says_today(db, bot, rec, settings):
    event = await make_event(db, starts_at=wita(2026, 12, 15, 9))
    ana = await add_person(db, "Ana Seran", roles=(Role.PARTICIPANT,))
    _, ana_reg = await sign_up(db, event, "Ana Seran", person=ana)
    assert await event_jobs.run_reminders(db, wita(2026, 12, 14, 8), settings) == 1
    queued = await outbox.by_key(db, f"evrem:{ana_reg.id}")
    assert queued.context["event_day"] == "2026-12-15"  # the event's WITA date (09.00 WITA = 01.00 UTC)
    # not sent the day before (an outage, quiet hours): it goes out early on the event day
    await ticks.run_due(db, bot, settings, wita(2026, 12, 15, 7), catch_up=True)
    text = rec.sent(ana.telegram_chat_id)[0].text
    assert "Pengingat: hari ini" in text and "besok" not in text


async def test_a_queued_reminder_of_a_registration_cancelled_since_is_cancelled(db, bot, rec, settings):
    event = await make_event(db, starts_at=wita(2026, 12, 15, 9))
    ana = await add_person(db, "Ana Seran", roles=(Role.PARTICIPANT,))
    beni = await add_person(db, "Beni Lake", roles=(Role.PARTICIPANT,))
    _, ana_reg = await sign_up(db, event, "Ana Seran", person=ana)
    _, beni_reg = await sign_up(db, event, "Beni Lake", person=beni)
    now = wita(2026, 12, 14, 8)
    assert await event_jobs.run_reminders(db, now, settings) == 2
    assert await event_jobs.run_reminders(db, now, settings) == 0  # idempotent
    await cancel(db, ana_reg.id)  # after planning, before sending
    report = await ticks.run_due(db, bot, settings, now, catch_up=True)
    assert report.stale_cancelled == 1
    assert rec.sent(ana.telegram_chat_id) == [] and len(rec.sent(beni.telegram_chat_id)) == 1
    cancelled = await outbox.by_key(db, f"evrem:{ana_reg.id}")
    assert cancelled.status is Status.CANCELLED and cancelled.last_error == "no_longer_applies"
    assert (await outbox.by_key(db, f"evrem:{beni_reg.id}")).status is Status.SENT


async def test_a_reminder_still_queued_when_the_event_starts_is_cancelled(db, bot, rec, settings):
    event = await make_event(db, starts_at=wita(2026, 12, 15, 9))
    ana = await add_person(db, "Ana Seran", roles=(Role.PARTICIPANT,))
    _, reg = await sign_up(db, event, "Ana Seran", person=ana)
    assert await event_jobs.run_reminders(db, wita(2026, 12, 14, 8), settings) == 1
    # the bot was down until after the event had begun
    await ticks.run_due(db, bot, settings, wita(2026, 12, 15, 10), catch_up=True)
    assert rec.sent(ana.telegram_chat_id) == []
    assert (await outbox.by_key(db, f"evrem:{reg.id}")).status is Status.CANCELLED


# --- the 30/90-day follow-up prompts ---------------------------------------------------------------------------
TRAINING_DAY = date(2026, 10, 1)


async def attended_training(db, *, kind="training", kelurahan=NAIKOTEN_SATU):
    event = await make_event(db, starts_at=wita(2026, 10, 1, 9), kind=kind, kelurahan=kelurahan)
    ana, ana_reg = await sign_up(db, event, "Ana Seran", kelurahan=kelurahan)
    beni, beni_reg = await sign_up(db, event, "Beni Lake", kelurahan=kelurahan)
    await sign_up(db, event, "Citra Absen", kelurahan=kelurahan)
    async with db.transaction() as tx:
        await registrations.save_attendance(tx, event.id, {ana_reg.id, beni_reg.id}, datetime.now(UTC))
    return event, (ana, ana_reg), (beni, beni_reg)


async def record(db, event, participant, at: datetime, status="employed"):
    async with db.transaction() as tx:
        await outcomes.record_outcome(tx, participant_id=participant.id, event_id=event.id, status=status,
                                      business_type=None, recorded_by=None, now=at)


async def test_followup_prompts_at_30_and_90_days(db, bot, rec, settings):
    coord1 = await add_person(db, "Koordinator Satu", roles=(Role.COORDINATOR,))
    coord2 = await add_person(db, "Koordinator Dua", roles=(Role.COORDINATOR,), language="en")
    elsewhere = await add_person(db, "Koordinator Oebobo", roles=(Role.COORDINATOR,), kelurahan=OEBOBO)
    event, (ana, ana_reg), (beni, beni_reg) = await attended_training(db)
    await attended_training(db, kind="event")  # not a training: never followed up

    await tick(db, bot, settings, TRAINING_DAY + timedelta(days=29))
    assert rec.sent() == []
    await tick(db, bot, settings, TRAINING_DAY + timedelta(days=30))
    first = rec.sent(coord1.telegram_chat_id)
    assert len(first) == 2 and len(rec.sent(coord2.telegram_chat_id)) == 2
    assert rec.sent(elsewhere.telegram_chat_id) == []
    assert "Tindak lanjut 30 hari" in first[0].text and "Ana Seran" in first[0].text
    assert "Pelatihan Servis AC" in first[0].text
    assert first[0].buttons == [[("Usaha sendiri", f"fuq:{ana_reg.id}:own_business")],
                                [("Bekerja", f"fuq:{ana_reg.id}:employed")],
                                [("Masih mencari", f"fuq:{ana_reg.id}:still_looking")],
                                [("Lainnya", f"fuq:{ana_reg.id}:other")]]
    assert "30-day follow-up" in rec.sent(coord2.telegram_chat_id)[0].text
    assert await outbox.by_key(db, f"fu:{ana_reg.id}:30:{coord1.id}") is not None

    # Ana's outcome is recorded; the catch-up window re-runs the query but the dedupe keys hold
    await record(db, event, ana, wita(2026, 11, 2, 10))
    for offset in range(31, 40):
        await tick(db, bot, settings, TRAINING_DAY + timedelta(days=offset))
    assert len(rec.sent()) == 4

    # 90 days: both again (Ana's answer is older than the milestone); Beni is answered after planning
    day90 = TRAINING_DAY + timedelta(days=90)
    now = wita(day90.year, day90.month, day90.day, 8)
    assert await event_jobs.run_followups(db, now, settings) == 4
    await record(db, event, beni, now + timedelta(minutes=5))
    report = await ticks.run_due(db, bot, settings, now + timedelta(minutes=10), catch_up=True)
    assert report.stale_cancelled == 2  # Beni's prompt to both coordinators
    ninety = rec.sent(coord1.telegram_chat_id)[2:]
    assert [("Tindak lanjut 90 hari" in c.text, "Ana Seran" in c.text) for c in ninety] == [(True, True)]
    assert (await outbox.by_key(db, f"fu:{beni_reg.id}:90:{coord2.id}")).status is Status.CANCELLED


async def test_no_prompt_when_answered_since_the_milestone(db, bot, rec, settings):
    coord = await add_person(db, "Koordinator", roles=(Role.COORDINATOR,))
    event, (ana, _), _ = await attended_training(db)
    await record(db, event, ana, wita(2026, 10, 31, 7))  # on the 30th day, before the 08:00 run
    await tick(db, bot, settings, TRAINING_DAY + timedelta(days=30))
    sent = rec.sent(coord.telegram_chat_id)
    assert len(sent) == 1 and "Beni Lake" in sent[0].text
