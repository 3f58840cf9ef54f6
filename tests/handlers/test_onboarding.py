"""/start with valid, expired, used and unknown tokens, and from unknown users."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.roles import Role
from bot.runtime import clock
from storage import audit, invites, people
from tests.harness import BotTester, User


async def _invite(running, role: Role = Role.BORROWER, name: str = "Maria Bria") -> tuple[int, str]:
    db = running.app.db
    async with db.transaction() as tx:
        person = await people.create(tx, name=name, kelurahan_code="53.71.05.1004", phone="+6281234567890")
        _, token = await invites.create(tx, person_id=person.id, role=role, now=clock.utcnow())
    return person.id, token


async def test_valid_token_links_account_greets_by_name_and_sets_menu(running, tester: BotTester):
    person_id, token = await _invite(running)
    maria = User(555, "Maria")

    calls = await tester.command(maria, "start", token)

    greeting = tester.last(maria).text
    assert "Selamat datang, <b>Maria Bria</b>" in greeting
    assert "/bantuan" in greeting and "/undang" not in greeting
    person = await people.get(running.app.db, person_id)
    assert person is not None
    assert person.telegram_user_id == 555 and person.telegram_chat_id == 555
    assert person.roles == {Role.BORROWER}
    menus = [c for c in calls if c.method == "setMyCommands"]
    assert menus and menus[-1].params["scope"] == {"type": "chat", "chat_id": 555}
    row = await running.app.db.fetchone("SELECT used_at, used_by_telegram FROM invites")
    assert row["used_at"] is not None and row["used_by_telegram"] == 555
    logged = await audit.recent(running.app.db, action="invite.redeemed")
    assert logged[0].actor_person_id == person_id


async def test_used_token_is_refused(running, tester: BotTester):
    _, token = await _invite(running)
    await tester.command(User(555), "start", token)
    intruder = User(556)

    await tester.command(intruder, "start", token)

    assert "sudah pernah dipakai" in tester.last(intruder).text
    assert await people.by_telegram_user(running.app.db, 556) is None
    refused = await audit.recent(running.app.db, action="invite.refused")
    assert refused[0].details == {"status": "used", "role": "borrower"}
    assert token not in str(refused[0].details)


async def test_expired_token_is_refused(running, tester: BotTester, frozen_clock):
    person_id, token = await _invite(running)
    frozen_clock.advance(days=7, seconds=1)
    user = User(557)

    await tester.command(user, "start", token)

    assert "kedaluwarsa" in tester.last(user).text
    person = await people.get(running.app.db, person_id)
    assert person is not None and person.telegram_user_id is None
    refused = await audit.recent(running.app.db, action="invite.refused")
    assert refused[0].details["status"] == "expired"


async def test_token_just_before_expiry_still_works(running, tester: BotTester, frozen_clock):
    _, token = await _invite(running)
    frozen_clock.advance(days=7)
    frozen_clock.advance(seconds=-1)
    await tester.command(User(558), "start", token)
    assert "Selamat datang" in tester.texts(User(558))[-1]


async def test_unknown_token_is_refused_and_audited_without_token(running, tester: BotTester):
    user = User(559)
    for token in ("AAAAbbbbCCCCddddEEEEffff00001111", "not a token!"):
        await tester.send(user, f"/start {token}")
        assert "tidak dikenal" in tester.last(user).text
    refused = await audit.recent(running.app.db, action="invite.refused")
    assert len(refused) == 2
    assert all(e.details == {"status": "unknown"} and e.actor_telegram_id == 559 for e in refused)
    assert "AAAAbbbb" not in str([e.details for e in refused])


async def test_unknown_user_start_explains_invitation_only(tester: BotTester):
    stranger = User(560)
    await tester.command(stranger, "start")
    text = tester.last(stranger).text
    assert "undangan dari kantor kelurahan" in text
    assert "Rp" not in text


async def test_linked_person_start_again_shows_greeting(make_person, tester: BotTester):
    _, user = await make_person(Role.TREASURER, name="Yohanes")
    await tester.command(user, "start")
    assert "Selamat datang, <b>Yohanes</b>" in tester.last(user).text


async def test_expiry_defaults_to_seven_days(running):
    async with running.app.db.transaction() as tx:
        person = await people.create(tx, name="A", kelurahan_code="53.71.05.1004")
        invite, token = await invites.create(tx, person_id=person.id, role=Role.ADMIN, now=clock.utcnow())
    assert invites.parse_expiry(invite) - clock.utcnow() == timedelta(days=7)
    assert len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()


async def test_account_linked_to_someone_else_is_not_moved(running, tester: BotTester, make_person):
    existing, user = await make_person(Role.TREASURER, name="Yohanes Ndun")
    other_id, token = await _invite(running, name="Orang Lain")

    await tester.command(user, "start", token)

    assert "sudah terhubung atas nama <b>Yohanes Ndun</b>" in tester.last(user).text
    still = await people.get(running.app.db, existing.id)
    assert still is not None and still.telegram_user_id == user.id
    other = await people.get(running.app.db, other_id)
    assert other is not None and other.telegram_user_id is None
    assert await running.app.db.fetchval("SELECT used_at FROM invites") is None
    refused = await audit.recent(running.app.db, action="invite.refused")
    assert refused[0].details["status"] == "already_linked"


async def test_second_invite_for_same_person_adds_the_role(running, tester: BotTester):
    person_id, token = await _invite(running, role=Role.BORROWER)
    user = User(600)
    await tester.command(user, "start", token)
    async with running.app.db.transaction() as tx:
        _, second = await invites.create(tx, person_id=person_id, role=Role.COORDINATOR, now=clock.utcnow())
    await tester.command(user, "start", second)
    person = await people.get(running.app.db, person_id)
    assert person is not None and person.roles == {Role.BORROWER, Role.COORDINATOR}
    assert "/daftar" in tester.last(user).text or "/bantuan" in tester.last(user).text
