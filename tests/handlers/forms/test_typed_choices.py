"""Typing what a button says (issue 14, item 5), through the bot: 12 at the tenor, 1 for grace, ya for
consent, SMA for education, and the yes/no synonyms."""

from __future__ import annotations

from bot.domain.roles import Role
from storage import loans, participants
from tests.handlers.test_registration import NIK_M, make_event


async def test_new_loan_tenor_and_grace_typed(running, tester, make_person):
    _, tu = await make_person(Role.TREASURER, name="Fransiska Manafe")
    await tester.command(tu, "pinjaman_baru")
    await tester.press(tu, tester.last(tu).button("Peminjam baru"))
    await tester.send(tu, "Maria Goreti Bria")
    await tester.send(tu, "0812 3456 7890")
    await tester.send(tu, "6 jt")
    await tester.send(tu, "31/10/2026")
    assert "Jangka waktu pinjaman" in tester.last(tu).text
    await tester.send(tu, "12")
    assert "masa tenggang" in tester.last(tu).text.lower()
    await tester.send(tu, "1")
    assert "Jasa per bulan" in tester.last(tu).text
    await tester.send(tu, "0%")
    await tester.press(tu, tester.last(tu).button("Lewati"))
    summary = tester.last(tu).text
    assert "12 bulan" in summary and "Masa tenggang: 1 bulan" in summary
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))
    (row,) = await running.app.db.fetchall("SELECT id FROM loans")
    loan = await loans.get(running.app.db, row["id"])
    assert (loan.tenor_months, loan.grace_months, loan.principal) == (12, 1, 6_000_000)


async def _to_education(tester, user, event) -> None:
    await tester.command(user, "daftar")
    await tester.press(user, tester.last(user).button(event.title[:10]))
    await tester.press(user, tester.last(user).button("Peserta baru"))
    await tester.send(user, "Yohanes Bria")
    await tester.send(user, NIK_M)
    await tester.send(user, "BENAR")
    await tester.send(user, "0812 3456 7890")
    await tester.send(user, "3/2")
    assert "Pendidikan terakhir" in tester.last(user).text


async def test_registration_education_and_consent_typed(running, tester, make_person):
    _, user = await make_person(Role.COORDINATOR, name="Maria Goreti")
    event = await make_event(running)
    await _to_education(tester, user, event)
    await tester.send(user, "sma")
    assert "Pekerjaan saat ini" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Tidak bekerja"))
    await tester.send(user, "iya")
    await tester.send(user, "konfirmasi")
    assert "terdaftar di <b>Pelatihan Servis AC</b>" in tester.last(user).text
    p = await participants.participant_by_nik(running.app.db, NIK_M)
    assert p is not None and p.education == "sma" and p.consent_at is not None


async def test_consent_refused_by_typing_gak_stores_nothing(running, tester, make_person):
    _, user = await make_person(Role.COORDINATOR, name="Maria Goreti")
    event = await make_event(running)
    await _to_education(tester, user, event)
    await tester.send(user, "SMA")
    await tester.press(user, tester.last(user).button("Tidak bekerja"))
    await tester.send(user, "gak")
    assert await participants.participant_by_nik(running.app.db, NIK_M) is None
    assert await running.app.db.fetchall("SELECT * FROM form_drafts") == []
