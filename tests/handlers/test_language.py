"""/bahasa switches the language of the replies that follow, and the person's menu."""

from __future__ import annotations

from storage import audit, people
from tests.harness import BotTester, answers


async def test_switch_to_english_and_back(running, tester: BotTester, make_person):
    from bot.domain.roles import Role

    person, user = await make_person(Role.ADMIN)
    await tester.command(user, "bahasa")
    assert tester.last(user).button_texts == ["🇮🇩 Bahasa Indonesia", "🇬🇧 English"]
    calls = await tester.press(user, tester.last(user).button("English"))
    assert tester.last(user).text == "OK, from now on I will use English."
    assert any(c.method == "setMyCommands" and c.params.get("scope") for c in calls)
    assert (await people.get(running.app.db, person.id)).language == "en"

    await tester.command(user, "batal")
    assert tester.last(user).text == "You are not filling in any form, so there is nothing to cancel."
    await tester.command(user, "invite")
    assert "Invite a new person" in tester.last(user).text

    await tester.command(user, "language")
    await tester.press(user, tester.last(user).button("Indonesia"))
    assert tester.last(user).text == "Baik, mulai sekarang saya memakai Bahasa Indonesia."
    changes = await audit.recent(running.app.db, action="person.language")
    assert [c.details["to"] for c in changes] == ["id", "en"]


async def test_forged_language_is_stale(running, tester: BotTester, make_person):
    from bot.domain.roles import Role

    person, user = await make_person(Role.BORROWER)
    calls = await tester.press(user, "lang:fr")
    assert "sudah tidak berlaku" in answers(calls)[0]
    assert (await people.get(running.app.db, person.id)).language == "id"


async def test_unknown_user_cannot_switch(tester: BotTester):
    from tests.harness import User

    calls = await tester.press(User(777), "lang:en")
    assert "belum terdaftar" in answers(calls)[0]
