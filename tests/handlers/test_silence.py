"""No more silence (issue 14, item 6), rate-limited per chat.

What the database holds: an unknown user who writes is not stored as anyone (no person, no draft); answers to
unknown commands store nothing either."""

from __future__ import annotations

from bot.domain.roles import Role
from storage import people
from tests.handlers.test_repayment import _loan
from tests.harness import User


async def _nothing_stored(running) -> None:
    assert await running.app.db.fetchall("SELECT * FROM form_drafts") == []


async def test_an_unknown_user_who_says_halo_is_told_what_the_bot_is(running, tester):
    stranger = User(777_001)
    calls = await tester.send(stranger, "halo")
    (sent,) = [c for c in calls if c.method == "sendMessage"]
    assert "PEM Bot" in sent.text and "undangan" in sent.text
    calls = await tester.command(stranger, "perintahsalah")
    assert any("undangan" in c.text for c in calls if c.method == "sendMessage")
    assert await people.by_telegram_user(running.app.db, stranger.id) is None
    await _nothing_stored(running)


async def test_a_flood_is_not_echoed_and_answers_come_back_after_a_minute(running, tester, frozen_clock):
    stranger = User(777_002)
    for n in range(6):
        await tester.send(stranger, f"halo {n}")
    assert len(running.request.sent(stranger.chat_id)) == 2
    frozen_clock.advance(seconds=61)
    await tester.send(stranger, "halo lagi")
    assert len(running.request.sent(stranger.chat_id)) == 3


async def test_a_registered_users_unknown_command_and_text(running, tester, make_person):
    _, user = await make_person(Role.BORROWER, name="Yosefina Lero")
    await tester.command(user, "perintahsalah")
    assert tester.last(user).text == ("Perintah tidak dikenal: /perintahsalah. Ketik /bantuan untuk melihat "
                                      "perintah Anda.")
    await tester.send(user, "selamat pagi")
    assert "tidak mengerti" in tester.last(user).text and "/bantuan" in tester.last(user).text
    _, en_user = await make_person(Role.TREASURER, name="Agus Lerik", language="en")
    await tester.command(en_user, "wrongcommand")
    assert tester.last(en_user).text == "Unknown command: /wrongcommand. Type /help to see your commands."
    await _nothing_stored(running)


async def test_an_unknown_command_inside_a_form_keeps_the_form(running, tester, make_person):
    borrower, user = await make_person(Role.BORROWER, name="Yosefina Lero")
    await _loan(running, borrower.id)
    await tester.command(user, "bayar")
    await tester.command(user, "bayarr")
    assert "Perintah tidak dikenal" in tester.last(user).text
    (draft,) = await running.app.db.fetchall("SELECT kind, step FROM form_drafts")
    assert (draft["kind"], draft["step"]) == ("pay", "amount")
