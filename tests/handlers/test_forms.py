"""Form drafts: an abandoned one is dropped after a day, with everything typed into it."""

from __future__ import annotations

from bot.domain.roles import Role
from bot.jobs.drafts import FORM_MAX_AGE, expire_stale_forms
from bot.runtime import clock
from tests.harness import BotTester


async def _state_texts(db) -> str:
    return " ".join(db.key.reveal(r["data"]) for r in await db.fetchall("SELECT data FROM form_drafts"))


async def test_an_abandoned_draft_is_dropped_after_a_day(running, tester: BotTester, make_person, frozen_clock):
    _, admin = await make_person(Role.ADMIN)
    await tester.command(admin, "undang")
    await tester.press(admin, tester.last(admin).button("Peminjam"))
    await tester.send(admin, "Maria Bria")  # the phone step is open; the draft holds the name
    assert "Maria Bria" in await _state_texts(running.app.db)

    frozen_clock.advance(seconds=FORM_MAX_AGE.total_seconds() - 60)
    assert await expire_stale_forms(running.app.db, clock.utcnow()) == 0
    frozen_clock.advance(seconds=120)
    assert await expire_stale_forms(running.app.db, clock.utcnow()) == 1

    assert "Maria Bria" not in await _state_texts(running.app.db)
    await tester.send(admin, "0812-3456-7890")  # the late answer finds no form: nothing is created
    assert await running.app.db.fetchval("SELECT count(*) FROM invites") == 0
    await tester.command(admin, "undang")
    assert "langkah 1 dari 3" in tester.last(admin).text


async def test_a_fresh_draft_survives_the_expiry_and_a_restart(running, make_person, frozen_clock):
    _, admin = await make_person(Role.ADMIN)
    await running.tester.command(admin, "undang")
    await running.tester.press(admin, running.tester.last(admin).button("Peminjam"))
    frozen_clock.advance(hours=2)
    assert await expire_stale_forms(running.app.db, clock.utcnow()) == 0
    await running.restart()
    await running.tester.send(admin, "Maria Bria")
    assert "langkah 3 dari 3" in running.tester.last(admin).text
