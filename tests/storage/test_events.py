"""Seats and the waiting list under concurrency, erasure, and the queries for the scheduler and the digest."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from storage import events, people

KEL = "53.71.05.1004"
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


async def _event(db, *, capacity=2, starts_at=datetime(2026, 12, 15, 1, 0, tzinfo=UTC), kind="training"):
    async with db.transaction() as tx:
        return await events.create_event(
            tx, kelurahan_code=KEL, title="Servis AC", kind=kind, organiser="disnaker", starts_at=starts_at,
            place="Aula", capacity=capacity, registration_deadline=starts_at - timedelta(hours=1), min_age=None,
            max_age=None, created_by=None)


async def _participant(db, n: int, person_id=None):
    async with db.transaction() as tx:
        p = await events.create_participant(
            tx, kelurahan_code=KEL, name=f"Peserta {n}", nik=f"53710512079900{n:02d}", birth_date=date(1999, 7, 12),
            sex="M", phone="+6281234567890", address="003/002", education="sma", work_status="working",
            consent_at=NOW, created_by=None)
    if person_id is not None:
        await events.link_person(db, p.id, person_id)
    return p


async def _register(db, event, p, now=NOW):
    async with db.transaction() as tx:
        return await events.register(tx, event_id=event.id, participant_id=p.id, registered_by=None, now=now)


async def test_concurrent_registrations_never_overfill(db):
    event = await _event(db, capacity=3)
    ps = [await _participant(db, n) for n in range(1, 9)]
    results = await asyncio.gather(*(_register(db, event, p) for p in ps))
    statuses = [r.registration.status for r in results]
    assert statuses.count("registered") == 3 and statuses.count("waitlisted") == 5
    ranks = sorted(r.registration.rank for r in results if r.registration.rank)
    assert ranks == [1, 2, 3, 4, 5]
    assert (await events.get_event(db, event.id)).seated == 3


async def test_cancel_moves_first_waiting_up_and_revive(db):
    event = await _event(db, capacity=1)
    a, b, c = [await _participant(db, n) for n in (1, 2, 3)]
    ra, rb, rc = [(await _register(db, event, p)).registration for p in (a, b, c)]
    assert (ra.status, rb.rank, rc.rank) == ("registered", 1, 2)
    async with db.transaction() as tx:
        result = await events.cancel_registration(tx, ra.id, NOW)
    assert result.promoted.id == rb.id and result.promoted.status == "registered"
    assert (await events.get_registration(db, rc.id)).rank == 1
    # cancelling a waitlisted one promotes nobody
    async with db.transaction() as tx:
        assert (await events.cancel_registration(tx, rc.id, NOW)).promoted is None
        assert await events.cancel_registration(tx, rc.id, NOW) is None
    again = await _register(db, event, a)
    assert again.created and again.registration.status == "waitlisted"
    dup = await _register(db, event, a)
    assert not dup.created


async def test_erase_participant_keeps_counts(db):
    event = await _event(db)
    p = await _participant(db, 1)
    await _register(db, event, p)
    async with db.transaction() as tx:
        before = await events.erase_participant(tx, p.id, NOW)
    assert before.nik is not None
    after = await events.get_participant(db, p.id)
    assert after.name == f"Peserta terhapus #{p.id}" and after.nik is None and after.phone is None
    assert after.birth_date is None and after.address is None and after.erased_at is not None
    assert await events.count_registrations(db, event.id) == 1
    assert await events.search_participants(db, KEL, "Peserta") == []


async def test_digest_reminders_and_followups(db):
    async with db.transaction() as tx:
        person = await people.create(tx, name="Ana", kelurahan_code=KEL)
    soon = await _event(db, starts_at=datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    await _event(db, starts_at=datetime(2026, 12, 20, 1, 0, tzinfo=UTC))  # beyond 7 days
    linked = await _participant(db, 1, person_id=person.id)
    other = await _participant(db, 2)
    await _register(db, soon, linked)
    await _register(db, soon, other, now=NOW - timedelta(days=3))
    digest = await events.digest_section(db, KEL, date(2026, 11, 28))
    assert digest.signups_since_yesterday == 1
    assert [(u.title, u.registered, u.capacity) for u in digest.upcoming] == [("Servis AC", 2, 2)]
    reminders = await events.due_event_reminders(db, date(2026, 11, 30))
    assert [(r.participant_id, r.person_id) for r in reminders] == [(linked.id, person.id)]
    assert await events.due_event_reminders(db, date(2026, 12, 1)) == []

    past = await _event(db, starts_at=datetime(2026, 9, 1, 1, 0, tzinfo=UTC))
    reg = (await _register(db, past, other)).registration
    async with db.transaction() as tx:
        await events.save_attendance(tx, past.id, {reg.id}, NOW)
    due = await events.due_followups(db, date(2026, 10, 2))  # 31 days after
    assert [(d.participant_id, d.milestone) for d in due] == [(other.id, 30)]
    async with db.transaction() as tx:
        await events.record_outcome(tx, participant_id=other.id, event_id=past.id, status="employed",
                                    business_type=None, recorded_by=None, now=datetime(2026, 10, 2, 3, tzinfo=UTC))
    assert await events.due_followups(db, date(2026, 10, 3)) == []
    assert [d.milestone for d in await events.due_followups(db, date(2026, 11, 30))] == [90]
    digest = await events.digest_section(db, KEL, date(2026, 11, 28))
    assert digest.outcomes_90d == {"employed": 1}


async def _linked_participant(db, *extra_roles):
    from datetime import UTC, datetime

    from bot.roles import Role
    from storage import people

    async with db.transaction() as tx:
        participant = await events.create_participant(
            tx, kelurahan_code="53.71.05.1004", name="Ana Seran", nik="5371051207990011", birth_date=None,
            sex="F", phone="+6281234567890", address="003/002", education=None, work_status=None,
            consent_at=datetime.now(UTC), created_by=None)
        person = await people.create(tx, name="Ana Seran", kelurahan_code="53.71.05.1004", phone="+6281234567890",
                                     roles=[Role.PARTICIPANT, *extra_roles])
        await people.link_telegram(tx, person.id, 555, 555)
        await events.link_person(tx, participant.id, person.id)
    return participant, person


async def test_erasing_a_linked_participant_erases_their_telegram_link_and_identity(db):
    from datetime import UTC, datetime

    from storage import people

    participant, person = await _linked_participant(db)
    async with db.transaction() as tx:
        await events.erase_participant(tx, participant.id, datetime.now(UTC))
    erased = await people.get(db, person.id)
    assert erased is not None
    assert (erased.name, erased.phone, erased.telegram_user_id, erased.active, erased.roles) == (
        f"Dihapus #{person.id}", None, None, False, frozenset())
    assert await people.by_telegram_user(db, 555) is None


async def test_erasing_a_participant_who_is_also_a_borrower_keeps_the_borrower(db):
    from datetime import UTC, datetime

    from bot.roles import Role
    from storage import people

    participant, person = await _linked_participant(db, Role.BORROWER)
    async with db.transaction() as tx:
        await events.erase_participant(tx, participant.id, datetime.now(UTC))
    kept = await people.get(db, person.id)
    assert kept is not None and kept.name == "Ana Seran" and kept.roles == {Role.BORROWER}
    assert kept.telegram_user_id == 555


async def test_erasure_also_clears_what_the_outbox_and_invites_hold_about_them(db):
    from datetime import UTC, datetime, timedelta

    from bot import clock
    from bot.roles import Role
    from storage import invites, outbox

    participant, person = await _linked_participant(db)
    coordinator = await people.create(db, name="Koordinator", kelurahan_code="53.71.05.1004",
                                      roles=[Role.COORDINATOR])
    now = datetime.now(UTC)
    event = await _event(db)
    async with db.transaction() as tx:
        reg = await tx.execute(
            "INSERT INTO registrations (event_id, participant_id, status, registered_by) "
            "VALUES (:e, :p, 'registered', NULL)", {"e": event.id, "p": participant.id})
        reg_id = reg.lastrowid
        await outbox.enqueue(tx, kind="event_reminder", recipient_id=person.id, dedupe_key=f"evrem:{reg_id}",
                             template="events/reminder", context={"title": "Pelatihan"}, not_before=now)
        await outbox.enqueue(tx, kind="followup", recipient_id=coordinator.id, dedupe_key=f"fu:{reg_id}:30:1",
                             template="followup/prompt", context={"name": "Ana Seran"}, not_before=now)
        await outbox.enqueue(tx, kind="notice", recipient_id=coordinator.id,
                             dedupe_key=f"notice:unreg:reg:{reg_id}:reg:0:to:{coordinator.id}",
                             template="common/notice", context={"text": "<b>Ana Seran</b> batal"}, not_before=now)
        await outbox.enqueue(tx, kind="notice", recipient_id=coordinator.id,  # another registration (id …0)
                             dedupe_key=f"notice:unreg:reg:{reg_id}0:reg:0:to:{coordinator.id}",
                             template="common/notice", context={"text": "Ana Seranita batal"}, not_before=now)
        await invites.create(tx, person_id=person.id, role=Role.PARTICIPANT, now=now - timedelta(hours=1))

    async with db.transaction() as tx:
        await events.erase_participant(tx, participant.id, now)

    rows = {r["dedupe_key"]: r for r in await db.fetchall("SELECT dedupe_key, context, status FROM outbox")}
    for key in (f"evrem:{reg_id}", f"fu:{reg_id}:30:1", f"notice:unreg:reg:{reg_id}:reg:0:to:{coordinator.id}"):
        assert (rows[key]["context"], rows[key]["status"]) == ("{}", "cancelled"), key
    other = rows[f"notice:unreg:reg:{reg_id}0:reg:0:to:{coordinator.id}"]
    assert other["status"] == "queued" and "Seranita" in other["context"]  # about someone else: kept
    assert await db.fetchval("SELECT count(*) FROM invites WHERE expires_at > :now",
                             {"now": clock.utcnow().strftime("%Y-%m-%d %H:%M:%S")}) == 0


async def test_a_failed_or_cancelled_notice_keeps_no_text(db):
    from datetime import UTC, datetime

    from storage import outbox

    person = await people.create(db, name="A", kelurahan_code="53.71.05.1004")
    now = datetime.now(UTC)
    for key in ("n-failed", "n-cancelled", "reminder"):
        await outbox.enqueue(db, kind="reminder" if key == "reminder" else "notice", recipient_id=person.id,
                             dedupe_key=key, template="common/notice", context={"text": "Ana Seran"},
                             not_before=now)
    await outbox.mark_failed(db, (await outbox.by_key(db, "n-failed")).id, "BadRequest")
    await outbox.cancel(db, [(await outbox.by_key(db, "n-cancelled")).id], "unreachable")
    await outbox.cancel(db, [(await outbox.by_key(db, "reminder")).id], "paid")
    assert (await outbox.by_key(db, "n-failed")).context == {}
    assert (await outbox.by_key(db, "n-cancelled")).context == {}
    assert (await outbox.by_key(db, "reminder")).context == {"text": "Ana Seran"}  # only notices are cleared


async def test_a_sent_notice_keeps_no_text(db):
    from datetime import UTC, datetime

    from storage import outbox

    person = await people.create(db, name="A", kelurahan_code="53.71.05.1004")
    now = datetime.now(UTC)
    await outbox.enqueue(db, kind="notice", recipient_id=person.id, dedupe_key="n1", template="common/notice",
                         context={"text": "Ana Seran, NIK 5371…"}, not_before=now)
    message = await outbox.by_key(db, "n1")
    await outbox.mark_sent(db, message.id, now)
    assert (await outbox.by_key(db, "n1")).context == {}


async def test_digest_next_7_days_is_today_and_the_6_following_days(db):
    # 28 November 2026 (WITA) + 6 days = 4 December; 5 December is the 8th day
    first = await _event(db, starts_at=datetime(2026, 11, 27, 16, 0, tzinfo=UTC))  # 28 Nov 00:00 WITA
    last = await _event(db, starts_at=datetime(2026, 12, 4, 15, 59, tzinfo=UTC))  # 4 Dec 23:59 WITA
    await _event(db, starts_at=datetime(2026, 12, 4, 16, 0, tzinfo=UTC))  # 5 Dec 00:00 WITA: out
    await _event(db, starts_at=datetime(2026, 11, 27, 15, 59, tzinfo=UTC))  # yesterday 23:59 WITA: out
    digest = await events.digest_section(db, KEL, date(2026, 11, 28))
    assert [u.starts_at for u in digest.upcoming] == [first.starts_at, last.starts_at]


async def test_save_attendance_changes_only_the_registrations_shown(db):
    event = await _event(db, capacity=5)
    regs = [(await _register(db, event, await _participant(db, n))).registration for n in range(1, 6)]
    shown = {regs[0].id, regs[1].id, regs[2].id}
    async with db.transaction() as tx:
        saved = await events.save_attendance(tx, event.id, {regs[0].id, regs[4].id}, NOW, shown=shown)
    # regs[4] is marked present but was never shown: untouched, like regs[3]
    assert (saved.attended, saved.no_show, saved.unchecked) == (1, 2, 2)
    got = [(await events.get_registration(db, r.id)).status for r in regs]
    assert got == ["attended", "no_show", "no_show", "registered", "registered"]
    assert (await events.get_event(db, event.id)).status == "open"
    async with db.transaction() as tx:  # the rest, later: counts over all, and the event is done
        saved = await events.save_attendance(tx, event.id, {regs[3].id}, NOW, shown={regs[3].id, regs[4].id})
    assert (saved.attended, saved.no_show, saved.unchecked) == (2, 3, 0)
    assert (await events.get_event(db, event.id)).status == "done"
