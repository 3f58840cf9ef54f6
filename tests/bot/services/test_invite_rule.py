"""One invite rule for ``pem-bot invite`` and ``/undang`` (issue 11): the same inputs through both give the same
outcome in the database and the same verdict to the user.

The CLI runs in-process (``cli.main`` in a worker thread: it calls ``asyncio.run`` itself) on the database file of
the running bot; /undang goes through the real PTB update path with the recording harness.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import run as cli
from bot.domain.roles import Role
from storage import audit, kelurahan, people
from tests.conftest import NAIKOTEN_SATU, TEST_DATA_KEY

PHONE, PHONE_E164 = "0812-3456-7890", "+6281234567890"


@pytest.fixture
def cli_env(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's environment, pointing at the running bot's database (as when both run on one server)."""
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "PEM_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PEM_DATABASE", str(settings.database))
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "pem_test_bot")
    monkeypatch.setenv("PEM_DATA_KEY", TEST_DATA_KEY)


@dataclass
class Seen:
    accepted: bool  # an invite link was handed out
    text: str  # everything the user saw for the last input


async def via_cli(capsys, name: str, phone: str | None) -> Seen:
    args = ["invite", "--role", "coordinator", "--name", name, *(["--phone", phone] if phone else [])]
    capsys.readouterr()
    status = await asyncio.to_thread(cli.main, args)
    out = capsys.readouterr()
    assert status in (0, 2)
    if status == 2:  # a refused input: one clear line on stderr, nothing on stdout
        assert len(out.err.strip().splitlines()) == 1 and not out.out
    return Seen(status == 0, out.out + out.err)


async def via_bot(tester, user, name: str, phone: str | None) -> Seen:
    await tester.command(user, "undang")
    await tester.press(user, tester.last(user).button("Koordinator"))
    calls = await tester.send(user, name)
    if "sudah ada orang bernama" in tester.last(user).text:
        # /undang's namesake question (issue 14): "Orang baru" leaves the decision to the phone rule tested here
        calls = await tester.press(user, tester.last(user).button("Orang baru"))
    if "langkah 3 dari 3" in tester.last(user).text:
        calls = await (tester.send(user, phone) if phone else tester.press(user, tester.last(user).button("Lewati")))
    text = "\n".join(c.text for c in calls if c.text)
    accepted = "start=" in text
    if not accepted:
        await tester.command(user, "batal")
    return Seen(accepted, text)


async def invite(path: str, *, running, capsys, admin_user, name: str, phone: str | None) -> Seen:
    if path == "cli":
        return await via_cli(capsys, name, phone)
    return await via_bot(running.tester, admin_user, name, phone)


async def _other_kelurahan(db) -> str:
    return next(k.code for k in await kelurahan.list_all(db) if k.code != NAIKOTEN_SATU)


async def _with_phone(db) -> list[people.Person]:
    return [p for p in await people.list_people(db) if p.phone == PHONE_E164]


PATHS = ["cli", "bot"]


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("path", PATHS)
async def test_admin_2_is_refused_twice_and_nobody_is_created(path, running, make_person, capsys):
    _, admin_user = await make_person(Role.ADMIN, name="Admin Kel")
    before = len(await people.list_people(running.app.db))
    for _ in range(2):
        seen = await invite(path, running=running, capsys=capsys, admin_user=admin_user, name="Admin 2",
                            phone=PHONE)
        assert not seen.accepted
        assert "belum bisa dipakai" in seen.text  # the same rule (clean_name), in both words
    assert len(await people.list_people(running.app.db)) == before
    assert await running.app.db.fetchval("SELECT count(*) FROM invites") == 0


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("path", PATHS)
async def test_one_phone_twice_is_one_person_with_two_invites(path, running, make_person, capsys):
    _, admin_user = await make_person(Role.ADMIN, name="Admin Kel")
    first = await invite(path, running=running, capsys=capsys, admin_user=admin_user, name="Admin Dua",
                         phone=PHONE)
    second = await invite(path, running=running, capsys=capsys, admin_user=admin_user, name="  Admin   Dua ",
                          phone=PHONE)
    assert first.accepted and second.accepted
    assert "sudah terdaftar atas nama" not in first.text
    assert "sudah terdaftar atas nama" in second.text and "Admin Dua" in second.text

    [person] = await _with_phone(running.app.db)
    assert (person.name, person.kelurahan_code) == ("Admin Dua", NAIKOTEN_SATU)
    rows = await running.app.db.fetchall("SELECT person_id, role FROM invites ORDER BY id")
    assert [(r["person_id"], r["role"]) for r in rows] == [(person.id, "coordinator")] * 2
    logged = sorted(await audit.recent(running.app.db, action="invite.created"), key=lambda e: e.id)
    assert [e.details["new_person"] for e in logged] == [True, False]
    assert {e.details["via"] for e in logged} == {path}


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("path", PATHS)
async def test_a_phone_of_someone_else_in_the_kelurahan_keeps_their_name(path, running, make_person, capsys):
    existing, _ = await make_person(Role.BORROWER, name="Maria Bria", phone=PHONE_E164)
    _, admin_user = await make_person(Role.ADMIN, name="Admin Kel")
    seen = await invite(path, running=running, capsys=capsys, admin_user=admin_user, name="Maria B.", phone=PHONE)
    assert seen.accepted and "sudah terdaftar atas nama" in seen.text and "Maria Bria" in seen.text
    assert [p.id for p in await _with_phone(running.app.db)] == [existing.id]
    assert (await people.get(running.app.db, existing.id)).name == "Maria Bria"  # never renamed by an invite
    invite_row = await running.app.db.fetchone("SELECT person_id, role FROM invites")
    assert (invite_row["person_id"], invite_row["role"]) == (existing.id, "coordinator")


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("path", PATHS)
async def test_a_phone_of_another_kelurahan_is_refused_and_nobody_moves(path, running, make_person, capsys):
    other = await _other_kelurahan(running.app.db)
    elsewhere, _ = await make_person(Role.BORROWER, name="Yohana Lake", phone=PHONE_E164, kelurahan=other)
    _, admin_user = await make_person(Role.ADMIN, name="Admin Kel")
    seen = await invite(path, running=running, capsys=capsys, admin_user=admin_user, name="Yohana Lake",
                        phone=PHONE)
    assert not seen.accepted
    assert "kelurahan lain" in seen.text or other in seen.text
    assert "tidak dipindahkan antarkelurahan" in seen.text
    [still] = await _with_phone(running.app.db)
    assert (still.id, still.kelurahan_code) == (elsewhere.id, other)
    assert await running.app.db.fetchval("SELECT count(*) FROM invites") == 0


async def test_cli_and_bot_agree_on_one_database(running, make_person, capsys, cli_env):
    """The CLI invites a phone; /undang with that phone reuses the person the CLI created, and back."""
    admin, admin_user = await make_person(Role.ADMIN, name="Admin Kel")
    assert (await via_cli(capsys, "Yohanes Ndun", PHONE)).accepted
    seen = await via_bot(running.tester, admin_user, "Yohanes N.", "+62 812 3456 7890")
    assert seen.accepted and "sudah terdaftar atas nama <b>Yohanes Ndun</b>" in seen.text
    again = await via_cli(capsys, "Yohanes", PHONE)
    assert again.accepted and "Yohanes Ndun" in again.text
    [person] = await _with_phone(running.app.db)
    rows = await running.app.db.fetchall("SELECT person_id, created_by FROM invites ORDER BY id")
    assert [(r["person_id"], r["created_by"]) for r in rows] == [(person.id, None), (person.id, admin.id),
                                                                 (person.id, None)]
