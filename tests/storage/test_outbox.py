"""The outbox repository: dedupe on enqueue, the due query, status changes, cancelling, job slots, notices
that keep no text once settled."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from storage import outbox, people
from storage.db import Database
from storage.outbox import Status
from tests.jobs_fixtures import add_person, wita

T0 = wita(2026, 12, 5, 8, 0)


async def _queue(db: Database, person_id: int, key: str, **kw) -> bool:
    return await outbox.enqueue(db, kind=kw.pop("kind", "test"), recipient_id=person_id, dedupe_key=key,
                                template=kw.pop("template", "t/x"), context=kw.pop("context", {}),
                                not_before=kw.pop("not_before", T0), **kw)


async def test_enqueue_round_trips_context_buttons_and_photo(db: Database):
    person = await add_person(db)
    ctx = {"due": date(2026, 12, 8), "amount": 450_000, "rate": Decimal("0.125"), "names": ["A", "B"]}
    assert await _queue(db, person.id, "rem:1:-3", context=ctx,
                        buttons=[[("reminders.paid", "payrem:1")], [("reminders.view", "loanview")]],
                        photo=b"\x89PNG...")
    msg = await outbox.by_key(db, "rem:1:-3")
    assert msg is not None
    assert msg.context == ctx
    assert msg.buttons == [[("reminders.paid", "payrem:1")], [("reminders.view", "loanview")]]
    assert msg.photo == b"\x89PNG..."
    assert msg.not_before == T0
    assert (msg.status, msg.attempts, msg.last_error, msg.sent_at) == (Status.QUEUED, 0, None, None)


async def test_same_dedupe_key_is_ignored_whatever_its_status(db: Database):
    person = await add_person(db)
    assert await _queue(db, person.id, "k") is True
    assert await _queue(db, person.id, "k", template="other") is False
    msg = await outbox.by_key(db, "k")
    assert msg is not None
    await outbox.mark_sent(db, msg.id, T0)
    assert await _queue(db, person.id, "k") is False
    await outbox.cancel(db, [msg.id], "x")  # already sent: stays sent
    assert await db.fetchval("SELECT count(*) FROM outbox") == 1
    assert (await outbox.by_key(db, "k")).status == Status.SENT


async def test_due_returns_queued_messages_whose_time_has_come_oldest_first(db: Database):
    person = await add_person(db)
    await _queue(db, person.id, "later", not_before=T0 + timedelta(hours=1))
    await _queue(db, person.id, "second", not_before=T0)
    await _queue(db, person.id, "first", not_before=T0 - timedelta(minutes=5))
    await _queue(db, person.id, "done", not_before=T0 - timedelta(days=1))
    done = await outbox.by_key(db, "done")
    await outbox.mark_failed(db, done.id, "BadRequest: x")
    assert [m.dedupe_key for m in await outbox.due(db, T0, 10)] == ["first", "second"]
    assert [m.dedupe_key for m in await outbox.due(db, T0, 1)] == ["first"]
    assert [m.dedupe_key for m in await outbox.due(db, T0 + timedelta(hours=1), 10)] == ["first", "second", "later"]


async def test_the_due_query_uses_the_index(db: Database):
    plan = await db.fetchall("EXPLAIN QUERY PLAN SELECT * FROM outbox WHERE status = 'queued' "
                             "AND not_before <= '2026-12-05 00:00:00' ORDER BY not_before, id LIMIT 5")
    assert any("outbox_due" in row["detail"] for row in plan)


async def test_attempts_failure_sent_and_postpone(db: Database):
    person = await add_person(db)
    await _queue(db, person.id, "k")
    msg = await outbox.by_key(db, "k")
    await outbox.record_attempt(db, msg.id, "NetworkError: down", T0 + timedelta(seconds=30))
    msg = await outbox.get(db, msg.id)
    assert (msg.status, msg.attempts, msg.last_error) == (Status.QUEUED, 1, "NetworkError: down")
    assert msg.not_before == T0 + timedelta(seconds=30)
    assert await outbox.due(db, T0, 10) == []
    await outbox.postpone(db, [msg.id], T0 + timedelta(hours=2))
    assert (await outbox.get(db, msg.id)).attempts == 1
    await outbox.mark_sent(db, msg.id, T0)
    msg = await outbox.get(db, msg.id)
    assert (msg.status, msg.attempts, msg.last_error, msg.sent_at) == (Status.SENT, 2, None, T0)


async def test_cancel_by_ids_keys_recipient_and_filters(db: Database):
    a = await add_person(db, "A")
    b = await add_person(db, "B")
    for key in ("rem:1:0", "rem:1:1", "rem:2:0", "dig:1"):
        await _queue(db, a.id, key, kind="digest" if key.startswith("dig") else "reminder")
    await _queue(db, b.id, "rem:3:0", kind="reminder")
    assert await outbox.cancel_keys(db, ["rem:1:0", "nope"], "paid") == 1
    assert await outbox.cancel_where(db, reason="paid", key_prefix="rem:1:") == 1
    assert await outbox.cancel_for_recipient(db, a.id) == 2
    assert await outbox.cancel_for_recipient(db, a.id) == 0
    assert [m.last_error for m in await outbox.for_recipient(db, a.id)] == ["paid", "paid", "unreachable",
                                                                            "unreachable"]
    assert (await outbox.by_key(db, "rem:3:0")).status == Status.QUEUED
    assert await outbox.counts(db) == {"cancelled": 4, "queued": 1}


async def test_job_slot_is_claimed_once(db: Database):
    assert not await outbox.slot_taken(db, "digest", "2026-12-05")
    assert await outbox.claim_job_slot(db, "digest", "2026-12-05", T0, 3) is True
    assert await outbox.claim_job_slot(db, "digest", "2026-12-05", T0) is False
    assert await outbox.claim_job_slot(db, "digest", "2026-12-06", T0) is True
    assert await outbox.slot_taken(db, "digest", "2026-12-05")
    assert await outbox.job_slots(db) == [("digest", "2026-12-05"), ("digest", "2026-12-06")]


async def test_a_failed_or_cancelled_notice_keeps_no_text(db):
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
    person = await people.create(db, name="A", kelurahan_code="53.71.05.1004")
    now = datetime.now(UTC)
    await outbox.enqueue(db, kind="notice", recipient_id=person.id, dedupe_key="n1", template="common/notice",
                         context={"text": "Ana Seran, NIK 5371…"}, not_before=now)
    message = await outbox.by_key(db, "n1")
    await outbox.mark_sent(db, message.id, now)
    assert (await outbox.by_key(db, "n1")).context == {}
