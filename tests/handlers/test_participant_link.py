"""A participant linked to Telegram: the coordinator's invite (ev:pinv), /start with the token, /acara showing
their own registrations, cancelling moves the first waiting person up; reuse by phone; refusals."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from bot.domain.roles import Role
from storage import participants, people, registrations
from tests.conftest import NAIKOTEN_SATU
from tests.handlers.test_registration import make_event
from tests.harness import User


async def add_participant(running, event, name, nik, *, phone=None, by=None):
    async with running.app.db.transaction() as tx:
        p = await participants.create_participant(
            tx, kelurahan_code=NAIKOTEN_SATU, name=name, nik=nik, birth_date=None, sex=None, phone=phone,
            address=None, education=None, work_status=None, consent_at=datetime.now(UTC), created_by=by)
        result = await registrations.register(tx, event_id=event.id, participant_id=p.id, registered_by=by,
                                              now=datetime.now(UTC))
    return p, result.registration


def token_of(text: str) -> str:
    match = re.search(r"\?start=([A-Za-z0-9_-]+)", text)
    assert match is not None, text
    return match[1]


async def test_invite_round_trip_and_cancel_moves_the_waiting_person_up(running, tester, make_person):
    db = running.app.db
    coord, coord_user = await make_person(Role.COORDINATOR, name="Koordinator Satu")
    event = await make_event(running, capacity=1)
    ana, ana_reg = await add_participant(running, event, "Ana Seran", "5371051207990011", phone="+6281234567890",
                                         by=coord.id)
    _, beni_reg = await add_participant(running, event, "Beni Lake", "5371051207990012", by=coord.id)
    assert (ana_reg.status, beni_reg.status) == ("registered", "waitlisted")

    # the coordinator opens the participant list: each unlinked participant has an invite button
    await tester.press(coord_user, f"ev:list:{event.id}:0")
    listing = tester.last(coord_user)
    assert listing.button("Undang Ana") == f"ev:pinv:{ana_reg.id}"
    await tester.press(coord_user, listing.button("Undang Ana"))
    shown = tester.last(coord_user).text
    assert "Undangan Telegram untuk peserta <b>Ana Seran</b>" in shown and "https://t.me/" in shown
    token = token_of(shown)

    linked = await participants.get_participant(db, ana.id)
    person = await people.get(db, linked.person_id)
    assert (person.name, person.phone, person.kelurahan_code, person.linked) == (
        "Ana Seran", "+6281234567890", NAIKOTEN_SATU, False)
    invite = await db.fetchone("SELECT * FROM invites WHERE person_id = :p", {"p": person.id})
    assert invite["role"] == "participant" and invite["created_by"] == coord.id
    audit_row = await db.fetchone("SELECT * FROM audit_log WHERE action = 'participant.invited'")
    assert audit_row["entity_id"] == ana.id and audit_row["actor_person_id"] == coord.id
    assert "+62812" not in audit_row["details"] and token not in audit_row["details"]
    assert json.loads(audit_row["details"])["role"] == "participant"

    # the participant redeems the link and sees only the participant commands
    ana_user = User(777_001, first_name="Ana")
    await tester.command(ana_user, "start", token)
    welcome = tester.last(ana_user).text
    assert "Selamat datang, <b>Ana Seran</b>" in welcome
    assert "/acara " in welcome and "/batal_daftar " in welcome
    assert "/daftar " not in welcome and "/acara_baru" not in welcome and "/bayar" not in welcome
    assert Role.PARTICIPANT in (await people.get(db, person.id)).roles
    await tester.command(ana_user, "daftar")
    assert "tidak tersedia untuk Anda" in tester.last(ana_user).text

    # /acara lists her own registration with a cancel button
    await tester.command(ana_user, "acara")
    own = tester.last(ana_user)
    assert "Pendaftaran Anda" in own.text and "Pelatihan Servis AC" in own.text and "terdaftar" in own.text
    await tester.press(ana_user, own.button("Batalkan"))
    await tester.press(ana_user, tester.last(ana_user).button("Ya"))
    assert "dibatalkan" in tester.last(ana_user).text
    assert "Ana Seran</b> membatalkan" in tester.last(coord_user).text
    assert (await registrations.get_registration(db, ana_reg.id)).status == "cancelled"
    moved = await registrations.get_registration(db, beni_reg.id)
    assert moved.status == "registered" and moved.waitlist_position is None

    # the list no longer offers an invite for Ana (linked), and does for Beni
    await tester.press(coord_user, f"ev:list:{event.id}:0")
    texts = tester.last(coord_user).button_texts
    assert not any("Undang Ana" in t for t in texts) and any("Undang Beni" in t for t in texts)


async def test_waitlisted_participant_sees_the_position(running, tester, make_person):
    coord, _ = await make_person(Role.COORDINATOR)
    event = await make_event(running, capacity=1)
    await add_participant(running, event, "Ana Seran", "5371051207990011", by=coord.id)
    beni, _ = await add_participant(running, event, "Beni Lake", "5371051207990012", by=coord.id)
    person, user = await make_person(Role.PARTICIPANT, name="Beni Lake", language="en")
    await participants.link_person(running.app.db, beni.id, person.id)
    await tester.command(user, "events")
    assert "#1" in tester.last(user).text
    await tester.command(user, "help")
    assert "/events" in tester.last(user).text and "/unregister" in tester.last(user).text
    assert "/register " not in tester.last(user).text


async def test_person_with_the_same_phone_already_on_telegram_is_linked_without_invite(running, tester,
                                                                                      make_person):
    db = running.app.db
    _, coord_user = await make_person(Role.COORDINATOR)
    borrower, borrower_user = await make_person(Role.BORROWER, name="Ana S.", phone="+6281234567890")
    event = await make_event(running)
    ana, reg = await add_participant(running, event, "Ana Seran", "5371051207990011", phone="+6281234567890")
    await tester.press(coord_user, f"ev:pinv:{reg.id}")
    assert "sudah memakai PEM Bot" in tester.last(coord_user).text
    assert "terhubung dengan data peserta" in tester.last(borrower_user).text
    assert (await participants.get_participant(db, ana.id)).person_id == borrower.id
    assert (await people.get(db, borrower.id)).roles == {Role.BORROWER, Role.PARTICIPANT}
    assert await db.fetchval("SELECT count(*) FROM invites") == 0
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'participant.linked'") == 1
    await tester.command(borrower_user, "acara")
    assert "Pelatihan Servis AC" in tester.last(borrower_user).text


async def test_invite_refusals(running, tester, make_person):
    db = running.app.db
    event = await make_event(running)
    _, reg = await add_participant(running, event, "Ana Seran", "5371051207990011")
    _, lurah = await make_person(Role.LURAH)
    _, other = await make_person(Role.COORDINATOR, kelurahan="53.71.05.1001")
    _, coord = await make_person(Role.COORDINATOR)
    calls = await tester.press(lurah, f"ev:pinv:{reg.id}")
    assert any("tidak tersedia" in c.params.get("text", "") for c in calls if c.method == "answerCallbackQuery")
    for user, data in ((other, f"ev:pinv:{reg.id}"), (coord, "ev:pinv:99999"), (coord, "ev:pinv:x")):
        calls = await tester.press(user, data)
        assert any("tidak ditemukan" in c.params.get("text", "") for c in calls
                   if c.method == "answerCallbackQuery"), data
    assert await db.fetchval("SELECT count(*) FROM invites") == 0
    assert await db.fetchval("SELECT count(*) FROM people WHERE name = 'Ana Seran'") == 0
