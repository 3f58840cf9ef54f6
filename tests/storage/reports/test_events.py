"""The read models of storage.reports.events: the digest section, the reminders and follow-ups to plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.domain.roles import Role
from bot.jobs import events as event_jobs
from storage import outbox, outcomes, people, registrations
from storage.reports import events as event_reports
from tests.jobs_fixtures import add_person, wita
from tests.storage.event_fixtures import KEL, NOW, make_event, make_participant, register


async def test_digest_reminders_and_followups(db):
    async with db.transaction() as tx:
        person = await people.create(tx, name="Ana", kelurahan_code=KEL)
    soon = await make_event(db, starts_at=datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    await make_event(db, starts_at=datetime(2026, 12, 20, 1, 0, tzinfo=UTC))  # beyond 7 days
    linked = await make_participant(db, 1, person_id=person.id)
    other = await make_participant(db, 2)
    await register(db, soon, linked)
    await register(db, soon, other, now=NOW - timedelta(days=3))
    digest = await event_reports.digest_section(db, KEL, date(2026, 11, 28))
    assert digest.signups_since_yesterday == 1
    assert [(u.title, u.registered, u.capacity) for u in digest.upcoming] == [("Servis AC", 2, 2)]
    reminders = await event_reports.due_event_reminders(db, date(2026, 11, 30))
    assert [(r.participant_id, r.person_id) for r in reminders] == [(linked.id, person.id)]
    assert await event_reports.due_event_reminders(db, date(2026, 12, 1)) == []

    past = await make_event(db, starts_at=datetime(2026, 9, 1, 1, 0, tzinfo=UTC))
    reg = (await register(db, past, other)).registration
    async with db.transaction() as tx:
        await registrations.save_attendance(tx, past.id, {reg.id}, NOW)
    due = await event_reports.due_followups(db, date(2026, 10, 2))  # 31 days after
    assert [(d.participant_id, d.milestone) for d in due] == [(other.id, 30)]
    async with db.transaction() as tx:
        await outcomes.record_outcome(tx, participant_id=other.id, event_id=past.id, status="employed",
                                      business_type=None, recorded_by=None, now=datetime(2026, 10, 2, 3, tzinfo=UTC))
    assert await event_reports.due_followups(db, date(2026, 10, 3)) == []
    assert [d.milestone for d in await event_reports.due_followups(db, date(2026, 11, 30))] == [90]
    digest = await event_reports.digest_section(db, KEL, date(2026, 11, 28))
    assert digest.outcomes_90d == {"employed": 1}


async def test_digest_next_7_days_is_today_and_the_6_following_days(db):
    # 28 November 2026 (WITA) + 6 days = 4 December; 5 December is the 8th day
    first = await make_event(db, starts_at=datetime(2026, 11, 27, 16, 0, tzinfo=UTC))  # 28 Nov 00:00 WITA
    last = await make_event(db, starts_at=datetime(2026, 12, 4, 15, 59, tzinfo=UTC))  # 4 Dec 23:59 WITA
    await make_event(db, starts_at=datetime(2026, 12, 4, 16, 0, tzinfo=UTC))  # 5 Dec 00:00 WITA: out
    await make_event(db, starts_at=datetime(2026, 11, 27, 15, 59, tzinfo=UTC))  # yesterday 23:59 WITA: out
    digest = await event_reports.digest_section(db, KEL, date(2026, 11, 28))
    assert [u.starts_at for u in digest.upcoming] == [first.starts_at, last.starts_at]


async def test_the_clean_up_queries_find_the_messages_the_jobs_queued(db, settings):
    """The jobs of bot.jobs.events build their kinds and keys with storage.outbox_keys and the clean-up queries
    read them back through the same definitions: once a reminder or a prompt no longer applies, the query finds
    exactly the message the job queued (looked up by recipient here, not by a key typed in the test, so this
    fails as soon as the job and the query disagree on a format)."""
    # a seated, linked participant of an event tomorrow (28 Nov 2026, 08:00 WITA) → one day-before reminder
    ana = await add_person(db, "Ana Seran", roles=(Role.PARTICIPANT,), kelurahan=KEL)
    tomorrow = await make_event(db, starts_at=wita(2026, 11, 29, 9))
    seat = (await register(db, tomorrow, await make_participant(db, 1, person_id=ana.id))).registration
    # an attended training 30 days ago → one follow-up prompt to the kelurahan's coordinator
    coordinator = await add_person(db, "Koordinator", roles=(Role.COORDINATOR,), kelurahan=KEL)
    training = await make_event(db, starts_at=wita(2026, 10, 29, 9))
    trainee = await make_participant(db, 2)
    attended = (await register(db, training, trainee, now=NOW - timedelta(days=40))).registration
    async with db.transaction() as tx:
        await registrations.save_attendance(tx, training.id, {attended.id}, NOW)

    now = wita(2026, 11, 28, 8)
    assert await event_jobs.run_reminders(db, now, settings) == 1
    assert await event_jobs.run_followups(db, now, settings) == 1
    [reminder] = await outbox.for_recipient(db, ana.id)
    [prompt] = await outbox.for_recipient(db, coordinator.id)
    # still relevant: neither query picks them up
    assert await event_reports.stale_event_reminder_ids(db, now) == []
    assert await event_reports.answered_followup_prompt_ids(db, settings.timezone) == []

    async with db.transaction() as tx:
        await registrations.cancel_registration(tx, seat.id, now)
        await outcomes.record_outcome(tx, participant_id=trainee.id, event_id=training.id, status="employed",
                                      business_type=None, recorded_by=coordinator.id, now=now)
    assert await event_reports.stale_event_reminder_ids(db, now) == [reminder.id]
    assert await event_reports.answered_followup_prompt_ids(db, settings.timezone) == [prompt.id]


async def test_digest_next_7_days_leaves_out_events_that_took_place_earlier_today(db):
    """Issue 14, item 12: the 07:00 digest of 28 Nov does not list under "the next 7 days" an event that ran
    at 05:00 that day, nor one already done (attendance taken); one at 10:00 is still to come."""
    early = await make_event(db, starts_at=wita(2026, 11, 28, 5, 0))
    done = await make_event(db, starts_at=wita(2026, 11, 28, 6, 0))
    await db.execute("UPDATE events SET status = 'done' WHERE id = :id", {"id": done.id})
    later = await make_event(db, starts_at=wita(2026, 11, 28, 10, 0))
    digest = await event_reports.digest_section(db, KEL, date(2026, 11, 28), now=wita(2026, 11, 28, 7, 0))
    assert [u.starts_at for u in digest.upcoming] == [later.starts_at]
    assert early.starts_at < later.starts_at
