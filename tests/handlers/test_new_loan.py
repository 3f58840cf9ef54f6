"""/pinjaman_baru: a new or existing borrower, each step's bad inputs, every edit button, the stored schedule,
the invite link for an unlinked borrower, a restart mid-form and role refusals."""

from __future__ import annotations

import pytest

from bot.domain.roles import Role
from storage import audit, loans, people


@pytest.fixture
async def world(running, make_person):
    treasurer, t_user = await make_person(Role.TREASURER, name="Fransiska Manafe")
    borrower, b_user = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    return {"db": running.app.db, "t": treasurer, "tu": t_user, "borrower": borrower, "b": b_user}


async def _bad(tester, user, text, expected, question):
    await tester.send(user, text)
    assert expected in tester.texts(user)[-2], text
    assert question in tester.last(user).text, text


async def test_new_borrower_whole_path_with_bad_inputs_edits_and_invite(running, tester, world):
    tu, db = world["tu"], world["db"]
    await tester.command(tu, "pinjaman_baru")
    await _bad(tester, tu, "Zakarias", "Tidak ada peminjam", "Siapa peminjamnya")
    await tester.press(tu, tester.last(tu).button("Peminjam baru"))
    await _bad(tester, tu, "R2D2", "belum bisa dipakai", "nama lengkap")
    await tester.send(tu, "Maria  Goreti Bria")
    await _bad(tester, tu, "0380 821234", "telepon rumah", "Nomor HP Maria Goreti Bria")
    await tester.sticker(tu)
    assert "Nomor HP" in tester.last(tu).text
    await tester.send(tu, "0812 3456 7890")

    await _bad(tester, tu, "sejuta-an", "bukan jumlah uang", "pokok pinjaman")
    await _bad(tester, tu, "30 jt", "di luar batas", "pokok pinjaman")
    await _bad(tester, tu, "500rb", "di luar batas", "pokok pinjaman")
    await tester.send(tu, "6 jt")

    await _bad(tester, tu, "31/12/2026", "terlalu jauh", "Tanggal pencairan")
    await _bad(tester, tu, "1/1/2020", "lebih dari 5 tahun", "Tanggal pencairan")
    await _bad(tester, tu, "kapan-kapan", "tidak terbaca", "Tanggal pencairan")
    await tester.send(tu, "31/10/2026")

    await _bad(tester, tu, "40", "1 sampai 36", "Jangka waktu pinjaman")  # a number typed counts, within range
    await tester.press(tu, tester.last(tu).button("Lainnya"))
    await _bad(tester, tu, "40", "1 sampai 36", "jangka waktu dalam bulan")
    await tester.send(tu, "10")

    await tester.press(tu, tester.last(tu).button("Lainnya"))
    await _bad(tester, tu, "-1", "0 sampai 12", "masa tenggang dalam bulan")
    await tester.send(tu, "1")

    await _bad(tester, tu, "lima", "Jasa harus angka", "Jasa per bulan")
    await _bad(tester, tu, "11", "Jasa harus angka", "Jasa per bulan")
    await tester.send(tu, "0,5%")
    await _bad(tester, tu, "k" * 81, "terlalu panjang", "Jenis usaha")
    await tester.send(tu, "Kios sembako")

    summary = tester.last(tu)
    assert "Maria Goreti Bria" in summary.text and "0812-3456-7890" in summary.text
    # issue 14, item 9: the borrower's line ends before the principal's
    assert "Peminjam: <b>Maria Goreti Bria</b> (baru, HP 0812-3456-7890)\nPokok: <b>Rp6.000.000</b>" in summary.text
    assert "Rp6.000.000" in summary.text and "31 Oktober 2026" in summary.text
    assert "10 bulan" in summary.text and "Masa tenggang: 1 bulan" in summary.text and "0,5%" in summary.text
    # first instalment: 31 Oct + 1 grace + 1 month = 31 Dec; 600.000 principal + 30.000 fee
    # issue 14, item 10: principal and fee apart
    assert ("Angsuran pertama: <b>Rp630.000</b> (pokok Rp600.000 + jasa Rp30.000), jatuh tempo 31 Desember 2026"
            in summary.text)
    assert "Jasa: 0,5% per bulan (Rp30.000 sebulan, Rp300.000 selama 10 bulan;" in summary.text

    # every edit button asks its question again and comes back to the summary
    edits = [("Ubah pokok", "7,5 jt", "Rp7.500.000"), ("Ubah tanggal", "30/11/2026", "30 November 2026"),
             ("Ubah jasa", "0", "0% per bulan"), ("Ubah usaha", "Bengkel motor", "Bengkel motor")]
    for button_text, answer, shown in edits:
        await tester.press(tu, tester.last(tu).button(button_text))
        await tester.send(tu, answer)
        assert "Periksa pinjaman baru" in tester.last(tu).text, button_text
        assert shown in tester.last(tu).text, button_text
    await tester.press(tu, tester.last(tu).button("Ubah jangka"))
    await tester.press(tu, tester.last(tu).button("18"))
    assert "18 bulan" in tester.last(tu).text
    await tester.press(tu, tester.last(tu).button("Ubah masa tenggang"))
    await tester.press(tu, tester.last(tu).button("3"))
    assert "Masa tenggang: 3 bulan" in tester.last(tu).text
    await tester.press(tu, tester.last(tu).button("Ubah peminjam"))
    await tester.press(tu, tester.last(tu).button("Peminjam baru"))
    await tester.send(tu, "Maria Goreti Bria Seran")
    await tester.send(tu, "+62 812 3456 7890")
    final = tester.last(tu)
    assert "Maria Goreti Bria Seran" in final.text
    assert "Angsuran pertama: <b>Rp417.000</b>, jatuh tempo 30 Maret 2027" in final.text

    await tester.press(tu, final.button("Konfirmasi"))
    done = tester.last(tu).text
    assert "tersimpan" in done and "https://t.me/pem_test_bot?start=" in done

    person = (await people.search_by_name(db, world["t"].kelurahan_code, "Seran"))[0]
    assert person.roles == {Role.BORROWER}
    assert person.phone == "+6281234567890"
    assert not person.linked
    (loan,) = await loans.for_borrower(db, person.id)
    assert loan.principal == 7_500_000
    assert loan.tenor_months == 18
    assert loan.grace_months == 3
    assert str(loan.disbursed_on) == "2026-11-30"
    assert loan.business == "Bengkel motor"
    assert loan.created_by == world["t"].id
    rows = await db.fetchall("SELECT number, due_date, principal_due, fee_due FROM installments "
                             "WHERE loan_id = :l ORDER BY number", {"l": loan.id})
    assert len(rows) == 18
    assert (rows[0]["due_date"], rows[0]["principal_due"], rows[0]["fee_due"]) == ("2027-03-30", 417_000, 0)
    assert sum(r["principal_due"] for r in rows) == 7_500_000
    assert rows[-1]["due_date"] == "2028-08-30"
    assert await db.fetchval("SELECT COUNT(*) FROM invites WHERE person_id = :p", {"p": person.id}) == 1
    assert len(await audit.recent(db, action="loan.created")) == 1
    assert await db.fetchval("SELECT COUNT(*) FROM people WHERE name LIKE 'Maria%'") == 1


async def test_existing_linked_borrower_gets_no_invite(running, tester, world):
    tu, db = world["tu"], world["db"]
    await tester.command(tu, "newloan")
    await tester.send(tu, "ndolu")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))
    await tester.send(tu, "Rp2.000.000")
    await tester.press(tu, tester.last(tu).button("Hari ini"))
    await tester.press(tu, tester.last(tu).button("12"))
    await tester.press(tu, tester.last(tu).button("0"))
    await tester.press(tu, tester.last(tu).button("0%"))
    await tester.press(tu, tester.last(tu).button("Lewati"))
    summary = tester.last(tu)
    assert "Rp167.000</b>, jatuh tempo 28 Desember 2026" in summary.text
    await tester.press(tu, summary.button("Konfirmasi"))
    await tester.press(tu, summary.button("Konfirmasi"))  # a double tap is stale, not a second loan

    assert "https://t.me" not in tester.last(tu).text
    (loan,) = await loans.for_borrower(db, world["borrower"].id)
    assert loan.principal == 2_000_000
    assert loan.business is None
    assert await db.fetchval("SELECT COUNT(*) FROM installments WHERE loan_id = :l", {"l": loan.id}) == 12
    assert await db.fetchval("SELECT COUNT(*) FROM invites") == 0


async def test_phone_of_existing_person_reuses_them(running, tester, world, make_person):
    tu, db = world["tu"], world["db"]
    other, _ = await make_person(Role.COORDINATOR, name="Paulus Tefa", phone="+6281299990000", linked=False)
    await tester.command(tu, "pinjaman_baru")
    await tester.press(tu, tester.last(tu).button("Peminjam baru"))
    await tester.send(tu, "Paulus T")
    await tester.send(tu, "081299990000")
    await tester.send(tu, "3jt")
    await tester.press(tu, tester.last(tu).button("Hari ini"))
    await tester.press(tu, tester.last(tu).button("18"))
    await tester.press(tu, tester.last(tu).button("2"))
    await tester.press(tu, tester.last(tu).button("0%"))
    await tester.press(tu, tester.last(tu).button("Lewati"))
    assert "sudah terdaftar atas nama <b>Paulus Tefa</b>" in tester.last(tu).text
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))
    refreshed = await people.get(db, other.id)
    assert refreshed.roles == {Role.COORDINATOR, Role.BORROWER}
    assert len(await loans.for_borrower(db, other.id)) == 1
    assert "https://t.me/pem_test_bot?start=" in tester.last(tu).text


async def test_form_survives_restart(running, world):
    tu = world["tu"]
    await running.tester.command(tu, "pinjaman_baru")
    await running.tester.send(tu, "ndolu")
    await running.tester.press(tu, running.tester.last(tu).button("Yohanis"))
    await running.tester.send(tu, "5 jt")
    await running.restart()
    await running.tester.press(tu, running.tester.last(tu).button("Hari ini"))
    assert "Jangka waktu" in running.tester.last(tu).text


async def test_refused_for_borrower_and_lurah(running, tester, world, make_person):
    _, lurah = await make_person(Role.LURAH, name="Pak Lurah")
    for user in (world["b"], lurah):
        await tester.command(user, "pinjaman_baru")
        assert "Siapa peminjamnya" not in tester.last(user).text
    assert await world["db"].fetchval("SELECT COUNT(*) FROM loans") == 0


async def test_admin_may_register(running, tester, world, make_person):
    _, admin = await make_person(Role.ADMIN, name="Admin")
    await tester.command(admin, "pinjaman_baru")
    assert "Siapa peminjamnya" in tester.last(admin).text


async def test_disbursement_date_on_29_february_does_not_crash(running, tester, make_person, frozen_clock):
    from datetime import UTC, datetime

    frozen_clock.set(datetime(2028, 2, 29, 2, 0, tzinfo=UTC))
    _, user = await make_person(Role.TREASURER)
    await tester.command(user, "pinjaman_baru")
    await tester.press(user, tester.last(user).button("baru"))
    await tester.send(user, "Maria Bria")
    await tester.send(user, "0812-3456-7890")
    await tester.send(user, "5 jt")
    await tester.send(user, "hari ini")
    assert "Maaf, terjadi kesalahan" not in "\n".join(tester.texts(user))
    assert "12" in " ".join(tester.last(user).button_texts)  # the tenor question follows


async def test_linked_person_who_becomes_a_borrower_gets_pay_in_their_menu(running, tester, world, make_person):
    tu = world["tu"]
    _, o_user = await make_person(Role.COORDINATOR, name="Paulus Tefa", phone="+6281299990000")
    await tester.command(tu, "pinjaman_baru")
    await tester.press(tu, tester.last(tu).button("Peminjam baru"))
    await tester.send(tu, "Paulus T")
    await tester.send(tu, "081299990000")
    await tester.send(tu, "3jt")
    await tester.press(tu, tester.last(tu).button("Hari ini"))
    await tester.press(tu, tester.last(tu).button("12"))
    await tester.press(tu, tester.last(tu).button("0"))
    await tester.press(tu, tester.last(tu).button("0%"))
    await tester.press(tu, tester.last(tu).button("Lewati"))
    calls = await tester.press(tu, tester.last(tu).button("Konfirmasi"))

    menus = [c for c in calls if c.method == "setMyCommands" and c.params.get("scope", {}).get("chat_id") == o_user.id]
    assert menus, "the new borrower's menu was not refreshed"
    assert "bayar" in [c["command"] for c in menus[-1].params["commands"]]
    assert "https://t.me" not in tester.last(tu).text  # linked already: no invite
