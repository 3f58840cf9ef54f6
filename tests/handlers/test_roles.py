"""Every command refuses every role not allowed to use it, and unknown users; private commands refuse groups.

The table is the command registry itself (``handlers.all_commands()``), so a new command is covered the moment
it is registered."""

from __future__ import annotations

import pytest

from bot.domain.roles import Role
from handlers import all_commands
from tests.harness import BotTester

REFUSALS = [
    (spec.name, name, role)
    for spec in all_commands()
    if spec.roles is not None
    for name in spec.names
    for role in sorted(set(Role) - spec.roles)
]


def test_the_table_is_not_empty():
    assert len(REFUSALS) >= 5


@pytest.mark.parametrize(("spec_name", "command", "role"), REFUSALS)
async def test_command_refuses_role(running, tester: BotTester, make_person, spec_name, command, role):
    _, user = await make_person(role)
    before = await running.app.db.fetchval("SELECT count(*) FROM audit_log")
    calls = await tester.command(user, command)
    sent = [c for c in calls if c.method == "sendMessage"]
    assert [c.text for c in sent] == [
        "Maaf, perintah ini tidak tersedia untuk Anda. Ketik /bantuan untuk melihat perintah yang bisa Anda pakai."
    ]
    assert sent[0].buttons == []
    assert await running.app.db.fetchval("SELECT count(*) FROM audit_log") == before


@pytest.mark.parametrize("command", sorted({n for s in all_commands() if s.roles is not None for n in s.names}))
async def test_command_refuses_unknown_user(tester: BotTester, command):
    from tests.harness import User

    stranger = User(4242)
    calls = await tester.command(stranger, command)
    assert [c.text for c in calls if c.method == "sendMessage"] == [
        "Maaf, akun Telegram Anda belum terdaftar. Akses ke PEM Bot hanya lewat undangan dari kantor kelurahan. "
        "Silakan minta tautan undangan ke admin kelurahan Anda."
    ]


@pytest.mark.parametrize("command", sorted({n for s in all_commands() for n in s.names}))
async def test_every_command_in_a_group_points_to_the_private_chat(tester: BotTester, make_person, command):
    """Issue 14, item 7: in a group, one short message with a deep link, never the command's own answer."""
    spec = next(s for s in all_commands() if command in s.names)
    _, user = await make_person(*(spec.roles or {Role.TREASURER}))
    calls = await tester.command(user, command, group=True)
    sent = [c for c in calls if c.method == "sendMessage"]
    assert len(sent) == 1 and "bekerja di obrolan pribadi" in sent[0].text and "t.me/pem_test_bot" in sent[0].text
    assert sent[0].buttons == [[("💬 Buka obrolan pribadi", "https://t.me/pem_test_bot")]]
    assert sent[0].chat_id < 0, "said in the group"


async def test_inactive_person_is_refused(running, tester: BotTester, make_person):
    person, user = await make_person(Role.ADMIN)
    await running.app.db.execute("UPDATE people SET active = 0 WHERE id = :id", {"id": person.id})
    await tester.command(user, "undang")
    assert "tidak tersedia untuk Anda" in tester.last(user).text


async def test_help_lists_only_the_commands_of_the_role(tester: BotTester, make_person):
    _, admin = await make_person(Role.ADMIN)
    _, borrower = await make_person(Role.BORROWER)
    await tester.command(admin, "bantuan")
    await tester.command(borrower, "help")
    assert "/undang" in tester.last(admin).text
    assert "/undang" not in tester.last(borrower).text
    for spec in all_commands():
        if spec.menu and spec.allows(frozenset({Role.BORROWER})):
            assert f"/{spec.name} " in tester.last(borrower).text


async def test_per_chat_menu_has_only_the_role_commands_in_the_person_language(running, tester, make_person):
    from handlers.menus import set_person_menu

    person, user = await make_person(Role.BORROWER, language="en")
    running.request.clear()
    await set_person_menu(running.app.bot, all_commands(), person)
    call = running.request.of("setMyCommands")[-1]
    names = [c["command"] for c in call.params["commands"]]
    assert "help" in names and "language" in names and "invite" not in names and "bantuan" not in names
    assert call.params["scope"] == {"type": "chat", "chat_id": user.chat_id}


async def test_default_menus_are_set_for_both_languages(running):
    calls = running.request.of("setMyCommands")
    languages = [c.params.get("language_code") for c in calls if "scope" not in c.params]
    assert {None, "id", "en"} <= set(languages)
    id_menu = next(c for c in calls if c.params.get("language_code") == "id")
    assert [c["command"] for c in id_menu.params["commands"]] == ["start", "bantuan", "privasi", "batal"]


def test_readme_lists_every_command_with_its_alias():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for spec in all_commands():
        row = f"| `/{spec.name}` | `/{spec.alias}` |" if spec.alias else f"| `/{spec.name}` | |"
        assert row in readme, f"/{spec.name} missing from the README command table"


def test_every_registered_handler_checks_the_role(running):
    """Each callback the application can call is wrapped by @guarded (role and chat-type check)."""
    unguarded = [
        f"{cb.__module__}.{cb.__qualname__}"
        for group in running.app.handlers.values() for handler in group for cb in [handler.callback]
        if not getattr(cb, "pem_guarded", False)
    ]
    assert unguarded == []
