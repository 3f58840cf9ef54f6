"""The error handler: a polite message in the user's language, no traceback; Forbidden marks unreachable."""

from __future__ import annotations

import pytest

from bot.domain.roles import Role
from handlers import help as help_module
from storage import people
from tests.harness import BotTester


async def test_crash_gives_polite_message_without_traceback(running, tester: BotTester, make_person,
                                                           monkeypatch: pytest.MonkeyPatch, caplog):
    _, user = await make_person(Role.ADMIN, language="en")

    def boom(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(help_module, "commands_for", boom)
    await tester.command(user, "help")
    text = tester.last(user).text
    assert text.startswith("Sorry, something went wrong on our side.")
    assert "Traceback" not in text and "database on fire" not in text
    assert "database on fire" in caplog.text  # but it is logged, with the update


async def test_forbidden_marks_person_unreachable(running, tester: BotTester, make_person):
    person, user = await make_person(Role.BORROWER)
    running.request.fail("sendMessage", "403")
    await tester.command(user, "bantuan")
    assert (await people.get(running.app.db, person.id)).reachable is False
    row = await running.app.db.fetchone("SELECT entity_id FROM audit_log WHERE action = 'person.unreachable'")
    assert row["entity_id"] == person.id


async def test_network_error_while_replying_is_logged_not_raised(running, tester: BotTester, make_person):
    _, user = await make_person(Role.BORROWER)
    running.request.fail("sendMessage", "network", times=2)
    await tester.command(user, "bantuan")  # must not raise
    assert any(c.method == "sendMessage!network" for c in running.request.calls)


async def test_a_user_who_unblocked_the_bot_is_reachable_again(running, tester: BotTester, make_person):
    person, user = await make_person(Role.BORROWER)
    await people.set_reachable(running.app.db, person.id, False)
    await tester.command(user, "bantuan")
    assert (await people.get(running.app.db, person.id)).reachable is True
    row = await running.app.db.fetchone("SELECT entity_id FROM audit_log WHERE action = 'person.reachable'")
    assert row["entity_id"] == person.id
