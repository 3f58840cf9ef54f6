"""/undang: the whole form, bad inputs at each step, /batal at every step, a restart in the middle."""

from __future__ import annotations

import pytest

from bot.domain.roles import Role
from storage import audit, people
from tests.harness import BotTester, answers


async def _count(db, table: str) -> int:
    return await db.fetchval(f"SELECT count(*) FROM {table}")


async def test_whole_form_creates_person_and_returns_deep_link(running, tester: BotTester, make_person):
    admin, user = await make_person(Role.ADMIN, name="Admin Kel")
    await tester.command(user, "undang")
    assert "langkah 1 dari 3" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Bendahara"))
    assert "Bendahara LPM" in tester.last(user).text
    await tester.send(user, "  Yohanes   Ndun ")
    assert "Nomor HP Yohanes Ndun" in tester.last(user).text
    await tester.send(user, "0812-3456-7890")

    text = tester.last(user).text
    assert "Undangan untuk <b>Yohanes Ndun</b> sebagai <b>Bendahara LPM</b>" in text
    assert "https://t.me/pem_test_bot?start=" in text
    person = (await people.list_people(running.app.db, role=None))[-1]
    assert (person.name, person.phone, person.kelurahan_code) == ("Yohanes Ndun", "+6281234567890", "53.71.05.1004")
    assert person.roles == frozenset()  # the role is granted when the link is opened
    invite = await running.app.db.fetchone("SELECT role, person_id, created_by FROM invites")
    assert (invite["role"], invite["person_id"], invite["created_by"]) == ("treasurer", person.id, admin.id)
    assert (await audit.recent(running.app.db, action="invite.created"))[0].actor_person_id == admin.id


async def test_link_from_form_works_for_the_new_person(running, tester: BotTester, make_person):
    _, user = await make_person(Role.ADMIN)
    await tester.command(user, "invite")
    await tester.press(user, tester.last(user).button("Peminjam"))
    await tester.send(user, "Maria Bria")
    await tester.press(user, tester.last(user).button("Lewati"))
    token = tester.last(user).text.split("start=")[1].split()[0]

    from tests.harness import User

    maria = User(9001, "Maria")
    await tester.command(maria, "start", token)
    assert "Selamat datang, <b>Maria Bria</b>" in tester.last(maria).text
    linked = await people.by_telegram_user(running.app.db, 9001)
    assert linked is not None and linked.roles == {Role.BORROWER} and linked.phone is None


@pytest.mark.parametrize("bad", ["", "A", "12345", "Maria 2", "x" * 81, "@@@"])
async def test_bad_name_is_explained_and_asked_again(tester: BotTester, make_person, bad, running):
    _, user = await make_person(Role.ADMIN)
    await tester.command(user, "undang")
    await tester.press(user, tester.last(user).button("Lurah"))
    await tester.send(user, bad or " ")
    texts = tester.texts(user)
    assert "Nama itu belum bisa dipakai" in texts[-2]
    assert "langkah 2 dari 3" in texts[-1]
    await tester.send(user, "Gregorius Nalle")
    assert "langkah 3 dari 3" in tester.last(user).text


@pytest.mark.parametrize(
    ("number", "message"),
    [("0380 821234", "telepon rumah"), ("+1 650 253 0000", "luar negeri"), ("halo", "tidak valid"),
     ("0812", "tidak valid")],
)
async def test_bad_phone_is_explained_and_asked_again(running, tester: BotTester, make_person, number, message):
    _, user = await make_person(Role.ADMIN)
    await tester.command(user, "undang")
    await tester.press(user, tester.last(user).button("Peminjam"))
    await tester.send(user, "Maria Bria")
    await tester.send(user, number)
    texts = tester.texts(user)
    assert message in texts[-2]
    assert "langkah 3 dari 3" in texts[-1]
    assert await _count(running.app.db, "invites") == 0


async def test_sticker_or_photo_instead_of_text(running, tester: BotTester, make_person):
    _, user = await make_person(Role.ADMIN)
    await tester.command(user, "undang")
    await tester.press(user, tester.last(user).button("Peminjam"))
    await tester.sticker(user)
    assert "perlu jawaban berupa teks" in tester.texts(user)[-2]
    assert "langkah 2 dari 3" in tester.texts(user)[-1]
    await tester.send(user, "Maria Bria")
    await tester.photo(user)
    assert "langkah 3 dari 3" in tester.texts(user)[-1]


async def test_typing_instead_of_choosing_a_role(tester: BotTester, make_person):
    _, user = await make_person(Role.ADMIN)
    await tester.command(user, "undang")
    await tester.send(user, "bendahara")
    assert "pilih salah satu tombol" in tester.texts(user)[-2]
    assert "langkah 1 dari 3" in tester.texts(user)[-1]


async def _at_step(tester: BotTester, user, step: int) -> None:
    await tester.command(user, "undang")
    if step >= 2:
        await tester.press(user, tester.last(user).button("Peminjam"))
    if step >= 3:
        await tester.send(user, "Maria Bria")


@pytest.mark.parametrize("step", [1, 2, 3])
@pytest.mark.parametrize("command", ["batal", "cancel"])
async def test_cancel_at_every_step_saves_nothing(running, tester: BotTester, make_person, step, command):
    _, user = await make_person(Role.ADMIN)
    before = await _count(running.app.db, "people")
    await _at_step(tester, user, step)
    await tester.command(user, command)
    assert "Dibatalkan. Tidak ada yang disimpan." in tester.last(user).text
    # the form is gone: text now goes nowhere, and the next /batal has nothing to cancel
    await tester.send(user, "0812-3456-7890")
    await tester.command(user, "batal")
    assert "Tidak ada formulir" in tester.last(user).text
    assert await _count(running.app.db, "people") == before
    assert await _count(running.app.db, "invites") == 0


async def test_old_buttons_after_cancel_are_stale(running, tester: BotTester, make_person):
    _, user = await make_person(Role.ADMIN)
    await tester.command(user, "undang")
    old_button = tester.last(user).button("Peminjam")
    await tester.command(user, "batal")
    calls = await tester.press(user, old_button)
    assert answers(calls) == ["Tombol ini sudah tidak berlaku. Silakan pakai pesan yang terbaru."]
    await tester.command(user, "undang")
    calls = await tester.press(user, old_button)  # a button of the previous form, not this one
    assert "sudah tidak berlaku" in answers(calls)[0]


@pytest.mark.parametrize("step", [1, 2, 3])
async def test_restart_in_the_middle_carries_on(running, make_person, step):
    _, user = await make_person(Role.ADMIN)
    await _at_step(running.tester, user, step)
    last_keyboard = running.tester.last(user)

    await running.restart()  # a new Application on the same database file
    tester = running.tester

    if step == 1:
        await tester.press(user, last_keyboard.button("Peminjam"))
        step = 2
    if step == 2:
        await tester.send(user, "Maria Bria")
    await tester.send(user, "081234567890")
    assert "Undangan untuk <b>Maria Bria</b>" in tester.last(user).text
    assert await _count(running.app.db, "invites") == 1


async def test_existing_phone_reuses_the_person(running, tester: BotTester, make_person):
    existing, _ = await make_person(Role.BORROWER, name="Maria Bria", phone="+6281234567890")
    _, user = await make_person(Role.ADMIN)
    await tester.command(user, "undang")
    await tester.press(user, tester.last(user).button("Koordinator"))
    await tester.send(user, "Maria B.")
    await tester.send(user, "0812 3456 7890")
    assert "sudah terdaftar atas nama <b>Maria Bria</b>" in tester.last(user).text
    invite = await running.app.db.fetchone("SELECT person_id, role FROM invites")
    assert (invite["person_id"], invite["role"]) == (existing.id, "coordinator")


async def test_the_draft_is_in_form_drafts_and_goes_with_the_invite(running, tester: BotTester, make_person):
    _, user = await make_person(Role.ADMIN)
    await _at_step(tester, user, 3)
    assert await _count(running.app.db, "form_drafts") == 1
    await tester.send(user, "0812-3456-7890")
    assert "Undangan untuk" in tester.last(user).text
    assert await _count(running.app.db, "form_drafts") == 0  # deleted by create_invite, in its transaction


async def test_a_phone_of_another_kelurahan_asks_the_phone_again(running, tester: BotTester, make_person):
    await make_person(Role.BORROWER, name="Yohana Lake", phone="+6281234567890", kelurahan="53.71.01.1001")
    _, user = await make_person(Role.ADMIN)
    await _at_step(tester, user, 3)
    await tester.send(user, "0812-3456-7890")
    texts = tester.texts(user)
    assert "kelurahan lain" in texts[-2]
    assert "langkah 3 dari 3" in texts[-1]
    assert await _count(running.app.db, "invites") == 0
    assert await _count(running.app.db, "form_drafts") == 1  # the refusal keeps the form open
    await tester.press(user, tester.last(user).button("Lewati"))
    assert "Undangan untuk <b>Maria Bria</b>" in tester.last(user).text
    assert await _count(running.app.db, "invites") == 1


# --- issue 14, item 14: /undang with the name of someone already there ------------------------------------


async def test_undang_with_an_existing_name_warns_and_offers_that_person(running, tester, make_person):
    db = running.app.db
    _, admin = await make_person(Role.ADMIN, name="Admin Kelurahan")
    maria, _ = await make_person(Role.BORROWER, name="Maria Bria", phone="+6281234567890", linked=False)
    await tester.command(admin, "undang")
    await tester.press(admin, tester.last(admin).button("Bendahara"))
    await tester.send(admin, "maria  BRIA")

    ask = tester.last(admin)
    assert "sudah ada orang bernama" in ask.text and "+62812••••7890" in ask.text and "Peminjam" in ask.text
    await tester.press(admin, ask.button("Maria Bria"))

    done = tester.last(admin).text
    assert "Undangan untuk <b>Maria Bria</b> sebagai <b>Bendahara LPM</b>" in done and "?start=" in done
    assert await db.fetchval("SELECT COUNT(*) FROM people WHERE name LIKE 'Maria%'") == 1
    invite = await db.fetchone("SELECT person_id, role FROM invites ORDER BY id DESC LIMIT 1")
    assert (invite["person_id"], invite["role"]) == (maria.id, "treasurer")
    assert await db.fetchval("SELECT COUNT(*) FROM form_drafts") == 0


async def test_undang_a_real_namesake_creates_a_second_person_after_the_warning(running, tester, make_person):
    db = running.app.db
    _, admin = await make_person(Role.ADMIN, name="Admin Kelurahan")
    await make_person(Role.BORROWER, name="Maria Bria", linked=False)
    await tester.command(admin, "undang")
    await tester.press(admin, tester.last(admin).button("Peminjam"))
    await tester.send(admin, "Maria Bria")
    await tester.press(admin, tester.last(admin).button("Orang baru"))
    assert "Nomor HP" in tester.last(admin).text
    await tester.send(admin, "0813 1111 2222")
    assert "Undangan untuk <b>Maria Bria</b>" in tester.last(admin).text
    assert await db.fetchval("SELECT COUNT(*) FROM people WHERE name = 'Maria Bria'") == 2


async def test_undang_with_a_new_name_asks_no_extra_question(running, tester, make_person):
    _, admin = await make_person(Role.ADMIN, name="Admin Kelurahan")
    await make_person(Role.BORROWER, name="Maria Bria Seran", linked=False)  # not the same name
    await tester.command(admin, "undang")
    await tester.press(admin, tester.last(admin).button("Peminjam"))
    await tester.send(admin, "Maria Bria")
    assert "Nomor HP" in tester.last(admin).text
