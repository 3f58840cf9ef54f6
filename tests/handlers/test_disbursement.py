"""The disbursement the borrower confirms (issue 15 part 3): asked once linked (after an invite, or at once for a
linked borrower), Ya / Belum with a note, the alert to the lurah and admins, /konfirmasi_dana."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.domain.loans import LoanTerms
from bot.domain.roles import Role
from bot.runtime import clock
from bot.runtime.sender import send_due
from bot.services import loans as loan_service
from bot.services.disbursements import ask_in
from storage import audit, disbursements, invites, outbox
from tests.handlers.loan_fixtures import make_loan
from tests.harness import User


@pytest.fixture
async def world(running, make_person):
    borrower, b_user = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    t, _t_user = await make_person(Role.TREASURER, name="Fransiska Manafe")
    _lurah, l_user = await make_person(Role.LURAH, name="Pak Lurah")
    _admin, a_user = await make_person(Role.ADMIN, name="Ibu Admin", language="en")
    _far, far_user = await make_person(Role.LURAH, name="Lurah Lain", kelurahan="53.71.01.1001")
    return {"db": running.app.db, "borrower": borrower, "b": b_user, "t": t, "l": l_user, "a": a_user,
            "far": far_user}


async def _flush(running):
    return await send_due(running.app.db, running.app.bot, running.app.settings, clock.utcnow())


async def _new_loan(running, world, person):
    return await loan_service.create_loan(
        running.app.db, kelurahan_code=person.kelurahan_code, terms=LoanTerms(6_000_000, date(2026, 5, 15), 12, 0,
                                                                              Decimal(0)),
        business=None, created_by=world["t"].id, borrower_id=person.id, name=person.name, phone=None, language="id",
        now=clock.utcnow())


async def test_a_linked_borrower_is_asked_once_and_confirms(running, tester, world):
    db = world["db"]
    created = await _new_loan(running, world, world["borrower"])
    loan = created.loan
    assert (await disbursements.get(db, loan.id)).status == "unconfirmed"
    await _flush(running)
    ask = tester.last(world["b"])
    assert "Anda sudah menerima dana pinjaman <b>Rp6.000.000</b> pada 15 Mei 2026?" in ask.text
    assert ask.button("Ya, sudah terima") == f"dsb:yes:{loan.id}"
    assert ask.button("Belum / tidak sesuai") == f"dsb:no:{loan.id}"
    async with db.transaction() as tx:  # asking again queues nothing: once per loan
        assert await ask_in(tx, world["borrower"], now=clock.utcnow()) == 0

    await tester.press(world["b"], f"dsb:yes:{loan.id}")
    assert "Tercatat: Anda sudah menerima" in tester.last(world["b"]).text
    d = await disbursements.get(db, loan.id)
    assert (d.status, d.answered_at, d.note) == ("confirmed", "2026-11-28 02:00:00", None)
    assert [e.entity_id for e in await audit.recent(db, action="disbursement.confirmed")] == [loan.id]
    await tester.press(world["b"], f"dsb:no:{loan.id}")  # a second answer shows the first
    assert "sudah Anda jawab" in tester.last(world["b"]).text
    assert (await disbursements.get(db, loan.id)).status == "confirmed"


async def test_belum_asks_a_note_and_alerts_the_lurah_and_admins_at_once(running, tester, world):
    db = world["db"]
    loan = await make_loan(db, world["borrower"])
    b = world["b"]
    await tester.press(b, f"dsb:no:{loan.id}")
    assert "Mohon tulis singkat" in tester.last(b).text
    await tester.send(b, "x")
    assert "3 sampai 200 karakter" in " ".join(tester.texts(b)[-2:])
    await tester.send(b, "Belum terima sama sekali")

    assert "Lurah dan admin kelurahan sudah diberi tahu" in tester.last(b).text
    d = await disbursements.get(db, loan.id)
    assert (d.status, d.note) == ("disputed", "Belum terima sama sekali")
    alert = tester.last(world["l"]).text
    assert "Pencairan dibantah" in alert and "Yohanis Ndolu" in alert and "Belum terima sama sekali" in alert
    assert "Disbursement disputed" in tester.last(world["a"]).text
    assert not running.request.sent(world["far"].chat_id)
    [entry] = await audit.recent(db, action="disbursement.disputed")
    assert entry.details["note"] == "Belum terima sama sekali"


async def test_only_the_borrower_may_answer(running, tester, world, make_person):
    loan = await make_loan(world["db"], world["borrower"])
    _other, other_user = await make_person(Role.BORROWER, name="Orang Lain")
    await tester.press(other_user, f"dsb:yes:{loan.id}")
    await tester.press(other_user, f"dsb:no:{loan.id}")
    assert (await disbursements.get(world["db"], loan.id)).status == "unconfirmed"


async def test_an_invited_borrower_is_asked_after_opening_the_invite(running, tester, world, make_person):
    db = world["db"]
    offline, _ = await make_person(Role.BORROWER, name="Mama Ina", linked=False)
    loan = await make_loan(db, offline)
    assert await outbox.by_key(db, f"dsb:ask:{loan.id}") is None  # nobody to ask yet
    async with db.transaction() as tx:
        _, token = await invites.create(tx, person_id=offline.id, role=Role.BORROWER, now=clock.utcnow())
    ina = User(777001, first_name="Ina")
    await tester.command(ina, "start", token)
    await _flush(running)
    assert "Rp6.000.000" in tester.last(ina).text and "28 September 2026" in tester.last(ina).text


async def test_konfirmasi_dana_asks_again(running, tester, world):
    loan = await make_loan(world["db"], world["borrower"])
    await tester.command(world["b"], "konfirmasi_dana")
    assert tester.last(world["b"]).button("Ya") == f"dsb:yes:{loan.id}"
    await tester.press(world["b"], f"dsb:yes:{loan.id}")
    await tester.command(world["b"], "confirm_funds")
    assert "Tidak ada pencairan" in tester.last(world["b"]).text


async def test_the_lurah_digest_lists_disputed_and_unconfirmed_loans(running, tester, world, make_person):
    db = world["db"]
    disputed_loan = await make_loan(db, world["borrower"])
    ina, _ = await make_person(Role.BORROWER, name="Mama Ina", linked=False)
    await make_loan(db, ina, principal=3_000_000)
    await tester.press(world["b"], f"dsb:no:{disputed_loan.id}")
    await tester.send(world["b"], "Uangnya belum pernah saya terima")
    await tester.command(world["l"], "ringkasan")
    text = tester.last(world["l"]).text
    assert "<b>Pencairan dibantah peminjam</b>: 1" in text
    assert "🚨 Yohanis Ndolu · Rp6.000.000 (28 September 2026): Uangnya belum pernah saya terima" in text
    assert "<b>Pencairan belum dikonfirmasi</b>: 1 (Rp3.000.000)" in text
    assert "• Mama Ina · Rp3.000.000, cair 28 September 2026" in text


async def test_typing_the_label_answers_the_one_open_question(running, tester, world):
    loan = await make_loan(world["db"], world["borrower"])
    await tester.send(world["b"], "ya sudah terima")
    assert "Tercatat: Anda sudah menerima" in tester.last(world["b"]).text
    assert (await disbursements.get(world["db"], loan.id)).status == "confirmed"
    second = await make_loan(world["db"], world["borrower"])
    await tester.send(world["b"], "BELUM / TIDAK SESUAI")
    assert "Mohon tulis singkat" in tester.last(world["b"]).text
    await tester.send(world["b"], "baru terima setengah")
    assert (await disbursements.get(world["db"], second.id)).status == "disputed"
