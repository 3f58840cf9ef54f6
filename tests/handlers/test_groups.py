"""Our commands in a group chat (issue 14, item 7): one short message with a deep link to the private chat,
rate-limited per group; nothing stored."""

from __future__ import annotations

from bot.domain.roles import Role
from bot.services import invites as invite_service
from storage import people
from tests.harness import User


async def _nothing_stored(running) -> None:
    assert await running.app.db.fetchall("SELECT * FROM form_drafts") == []


async def test_in_a_group_one_short_message_with_a_deep_link(running, tester, make_person):
    _, treasurer = await make_person(Role.TREASURER, name="Fransiska Manafe")
    calls = await tester.command(treasurer, "bantuan", group=True)
    (sent,) = [c for c in calls if c.method == "sendMessage"]
    assert "bekerja di obrolan pribadi" in sent.text and "https://t.me/pem_test_bot" in sent.text
    assert "/verifikasi" not in sent.text and "/catat_bayar" not in sent.text, "no private commands listed"
    assert sent.buttons == [[("💬 Buka obrolan pribadi", "https://t.me/pem_test_bot")]]
    (again,) = [c for c in await tester.command(treasurer, "bahasa", group=True) if c.method == "sendMessage"]
    assert "bekerja di obrolan pribadi" in again.text
    # a third command within the minute is not answered (a group may get 20 messages a minute)
    assert [c for c in await tester.command(treasurer, "start", group=True) if c.method == "sendMessage"] == []
    await _nothing_stored(running)


async def test_in_a_group_text_and_other_bots_commands_are_left_alone(running, tester, make_person):
    _, treasurer = await make_person(Role.TREASURER, name="Fransiska Manafe")
    assert [c for c in await tester.send(treasurer, "halo semua", group=True) if c.method == "sendMessage"] == []
    calls = await tester.send(treasurer, "/bantuan@other_bot", group=True)
    assert [c for c in calls if c.method == "sendMessage"] == []
    calls = await tester.send(treasurer, "/start@pem_test_bot", group=True)
    assert len([c for c in calls if c.method == "sendMessage"]) == 1


async def test_start_in_a_group_with_a_token_does_not_redeem_it(running, tester, frozen_clock):
    result = await invite_service.create_invite(running.app.db, role=Role.TREASURER, name="Maria Bria",
                                                kelurahan_code="53.71.05.1004", now=frozen_clock.now, via="cli")
    user = User(777_003)
    calls = await tester.command(user, "start", result.token, group=True)
    assert any("obrolan pribadi" in c.text for c in calls if c.method == "sendMessage")
    assert await people.by_telegram_user(running.app.db, user.id) is None
