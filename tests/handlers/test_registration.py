"""/daftar end to end: every bad input, NIK derivation, age limits, duplicates, NIK reuse, waiting list,
moving up, the race for the last seat, and refusals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.domain.roles import Role
from storage import audit, events, participants, registrations
from tests.conftest import NAIKOTEN_SATU

NIK_M = "5371051207990003"  # 12 July 1999, male
NIK_F = "5371055207990004"  # 12 July 1999, female
NIK_OLD = "5371051207800005"  # 12 July 1980: 46 on the event day


async def make_event(running, *, capacity=10, kelurahan=NAIKOTEN_SATU, min_age=17, max_age=40, by=None,
                     starts_at=datetime(2026, 12, 15, 1, 0, tzinfo=UTC), title="Pelatihan Servis AC"):
    async with running.app.db.transaction() as tx:
        return await events.create_event(
            tx, kelurahan_code=kelurahan, title=title, kind="training", organiser="disnaker",
            starts_at=starts_at, place="Aula Kelurahan", capacity=capacity,
            registration_deadline=starts_at - timedelta(days=1), min_age=min_age, max_age=max_age, created_by=by)


async def fill_new(tester, user, event, *, name="Yohanes Bria", nik=NIK_M, phone="0812 3456 7890",
                   address="3/2") -> None:
    await tester.command(user, "daftar")
    await tester.press(user, tester.last(user).button(event.title[:10]))
    await tester.press(user, tester.last(user).button("Peserta baru"))
    await tester.send(user, name)
    await tester.send(user, nik)
    if "Tidak bisa" in tester.last(user).text or "sudah" in tester.last(user).text:
        return
    await tester.press(user, tester.last(user).button("Benar"))
    await tester.send(user, phone)
    await tester.send(user, address)
    await tester.press(user, tester.last(user).button("SMA/SMK"))
    await tester.press(user, tester.last(user).button("Tidak bekerja"))
    await tester.press(user, tester.last(user).button("Ya"))


async def test_whole_form_with_every_bad_input(running, tester, make_person):
    coord, user = await make_person(Role.COORDINATOR, name="Maria Goreti")
    event = await make_event(running)
    await tester.command(user, "daftar")
    await tester.send(user, "Servis AC")
    assert "tombol" in tester.texts(user)[-2]
    await tester.press(user, tester.last(user).button("Servis AC"))
    await tester.send(user, "x")
    assert "minimal 2 huruf" in tester.texts(user)[-2]
    await tester.send(user, "Nobody")
    assert 'Tidak ada peserta "Nobody"' in tester.last(user).text
    await tester.press(user, tester.last(user).button("Peserta baru"))
    await tester.sticker(user)
    assert "Nama lengkap" in tester.last(user).text
    await tester.send(user, "12345")
    assert "Nama hanya huruf" in tester.texts(user)[-2]
    await tester.send(user, "Yohanes   Bria")
    for bad, expected in [("53710512abc", "hanya berisi angka"), ("537105", "16 angka (tertulis 6)"),
                          ("9971051207990003", "Kode provinsi 99"), ("5371053207990003", "tidak valid"),
                          ("5371051213990003", "tidak valid"), ("5371051207990000", "0000")]:
        await tester.send(user, bad)
        assert expected in tester.texts(user)[-2], bad
        assert "NIK Yohanes Bria" in tester.last(user).text
    await tester.send(user, "5371-0512-0799-0003")
    check = tester.last(user).text
    assert "12 Juli 1999" in check and "Laki-laki" in check and "Kota Kupang" in check
    await tester.send(user, "mungkin")
    assert "tombol" in tester.texts(user)[-2]
    await tester.press(user, tester.last(user).button("Benar"))
    for bad, expected in [("0380 821234", "telepon rumah"), ("+65 9123 4567", "luar negeri"), ("halo", "tidak valid")]:
        await tester.send(user, bad)
        assert expected in tester.texts(user)[-2], bad
    await tester.send(user, "0812-3456-7890")
    await tester.send(user, "rumah saya")
    assert "003/002" in tester.texts(user)[-2]
    await tester.send(user, "RT 3 RW 2")
    await tester.send(user, "kuliah")
    assert "tombol" in tester.texts(user)[-2]
    await tester.send(user, "SMA")  # one alternative of "SMA/SMK" counts as its button (issue 14, item 5)
    assert "Pekerjaan saat ini" in tester.last(user).text
    await tester.photo(user)
    assert "Pekerjaan saat ini" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Tidak bekerja"))
    await tester.press(user, tester.last(user).button("Ya"))
    summary = tester.last(user)
    assert NIK_M in summary.text and "0812-3456-7890" in summary.text and "003/002" in summary.text
    await tester.press(user, summary.button("RT/RW"))
    await tester.send(user, "004/001")
    assert "004/001" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    assert "terdaftar di <b>Pelatihan Servis AC</b>" in tester.last(user).text

    p = await participants.participant_by_nik(running.app.db, NIK_M)
    assert p is not None and p.name == "Yohanes Bria" and p.phone == "+6281234567890" and p.address == "004/001"
    assert p.sex == "M" and p.birth_date.isoformat() == "1999-07-12" and p.consent_at and p.education == "sma"
    reg = await registrations.registration_for(running.app.db, event.id, p.id)
    assert reg is not None and reg.status == "registered" and reg.registered_by == coord.id
    logged = await audit.recent(running.app.db, action="registration.created")
    assert logged and NIK_M not in str(logged[0].details)


async def test_female_nik_and_unknown_regency(running, tester, make_person):
    _, user = await make_person(Role.COORDINATOR)
    await make_event(running)
    await tester.command(user, "daftar")
    await tester.press(user, tester.last(user).button("Servis"))
    await tester.press(user, tester.last(user).button("Peserta baru"))
    await tester.send(user, "Maria Bria")
    await tester.send(user, NIK_F)
    assert "Perempuan" in tester.last(user).text and "12 Juli 1999" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Perbaiki NIK"))
    await tester.send(user, "5399051207990003")
    text = tester.last(user).text
    assert "tidak dikenal" in text and "53.99" in text
    assert "Benar" in " ".join(tester.last(user).button_texts)


async def test_no_consent_stores_nothing(running, tester, make_person):
    _, user = await make_person(Role.COORDINATOR)
    event = await make_event(running)
    await tester.command(user, "daftar")
    await tester.press(user, tester.last(user).button("Servis"))
    await tester.press(user, tester.last(user).button("Peserta baru"))
    await tester.send(user, "Yohanes Bria")
    await tester.send(user, NIK_M)
    await tester.press(user, tester.last(user).button("Benar"))
    await tester.press(user, tester.last(user).button("Lewati"))
    await tester.send(user, "003/002")
    await tester.press(user, tester.last(user).button("SD"))
    await tester.press(user, tester.last(user).button("Sekolah"))
    await tester.press(user, tester.last(user).button("Tidak"))
    assert "tidak ada data yang disimpan" in tester.last(user).text
    assert await running.app.db.fetchval("SELECT count(*) FROM participants") == 0
    assert await registrations.count_registrations(running.app.db, event.id) == 0


async def test_age_limit_refused(running, tester, make_person):
    _, user = await make_person(Role.COORDINATOR)
    await make_event(running)
    await fill_new(tester, user, await make_event(running, title="Bengkel Motor"), nik=NIK_OLD)
    assert "berumur <b>46 tahun</b>" in tester.last(user).text and "17–40" in tester.last(user).text
    assert await running.app.db.fetchval("SELECT count(*) FROM participants") == 0


async def test_duplicate_and_reuse_of_known_nik(running, tester, make_person):
    _, user = await make_person(Role.COORDINATOR, name="Maria Goreti")
    event = await make_event(running)
    other = await make_event(running, title="Bengkel Motor")
    await fill_new(tester, user, event)
    await tester.press(user, tester.last(user).button("Konfirmasi"))

    await tester.command(user, "daftar")
    await tester.press(user, tester.last(user).button("Servis"))
    await tester.send(user, "yohanes")
    await tester.press(user, tester.last(user).button("Yohanes"))
    text = tester.last(user).text
    assert "sudah terdaftar" in text and "Maria Goreti" in text and "28 November 2026" in text

    # the same NIK typed as a "new" participant for another event reuses the record, offering an update
    await tester.command(user, "daftar")
    await tester.press(user, tester.last(user).button("Bengkel"))
    await tester.press(user, tester.last(user).button("Peserta baru"))
    await tester.send(user, "Yohanes B")
    await tester.send(user, NIK_M)
    assert "data lama dipakai" in tester.last(user).text
    assert NIK_M not in tester.last(user).text
    await tester.press(user, tester.last(user).button("Perbarui"))
    await tester.send(user, "0813 1111 2222")
    await tester.send(user, "005/006")
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    assert "terdaftar di <b>Bengkel Motor</b>" in tester.last(user).text
    assert await running.app.db.fetchval("SELECT count(*) FROM participants") == 1
    p = await participants.participant_by_nik(running.app.db, NIK_M)
    assert p.phone == "+6281311112222" and p.address == "005/006"
    assert (await registrations.registration_for(running.app.db, other.id, p.id)).status == "registered"


async def _quick(running, event, name, nik, by):
    async with running.app.db.transaction() as tx:
        p = await participants.create_participant(
            tx, kelurahan_code=NAIKOTEN_SATU, name=name, nik=nik, birth_date=None, sex=None, phone=None,
            address=None, education=None, work_status=None, consent_at=datetime.now(UTC), created_by=by)
        return p, await registrations.register(tx, event_id=event.id, participant_id=p.id, registered_by=by,
                                               now=datetime.now(UTC))


async def test_waiting_list_and_moving_up(running, tester, make_person):
    coord, user = await make_person(Role.COORDINATOR)
    event = await make_event(running, capacity=1)
    first, _ = await _quick(running, event, "Ana Seran", "5371051207990011", coord.id)
    await fill_new(tester, user, event, name="Yohanes Bria")
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    assert "daftar tunggu, urutan ke-<b>1</b>" in tester.last(user).text
    # the waiting participant is linked to Telegram and will be told
    linked_person, linked_user = await make_person(name="Yohanes Bria")
    waiting = await participants.participant_by_nik(running.app.db, NIK_M)
    await participants.link_person(running.app.db, waiting.id, linked_person.id)

    reg = await registrations.registration_for(running.app.db, event.id, first.id)
    await tester.press(user, f"ev:unreg:{reg.id}")
    await tester.press(user, tester.last(user).button("Ya, batalkan"))
    assert "naik dari daftar tunggu" in tester.last(user).text
    assert "Anda sekarang terdaftar" in tester.last(linked_user).text
    moved = await registrations.registration_for(running.app.db, event.id, waiting.id)
    assert moved.status == "registered" and moved.waitlist_position is None
    assert (await registrations.get_registration(running.app.db, reg.id)).status == "cancelled"


async def test_linked_participant_cancels_own_registration(running, tester, make_person):
    coord, coord_user = await make_person(Role.COORDINATOR)
    event = await make_event(running)
    p, result = await _quick(running, event, "Ana Seran", "5371051207990011", coord.id)
    person, user = await make_person(Role.PARTICIPANT, name="Ana Seran")
    await participants.link_person(running.app.db, p.id, person.id)
    await tester.command(user, "batal_daftar")
    await tester.press(user, tester.last(user).button("Batalkan"))
    await tester.press(user, tester.last(user).button("Ya"))
    assert "dibatalkan" in tester.last(user).text
    assert "Ana Seran</b> membatalkan" in tester.last(coord_user).text
    assert (await registrations.get_registration(running.app.db, result.registration.id)).status == "cancelled"
    # somebody else cannot cancel it
    _, stranger = await make_person(name="Orang Lain")
    calls = await tester.press(stranger, f"ev:unreg:{result.registration.id}")
    assert any(c.method == "answerCallbackQuery" and "tidak ditemukan" in c.params.get("text", "") for c in calls)


async def test_two_coordinators_race_for_the_last_seat(running, tester, make_person):
    _, a = await make_person(Role.COORDINATOR, name="Koordinator A")
    _, b = await make_person(Role.COORDINATOR, name="Koordinator B")
    event = await make_event(running, capacity=1)
    await fill_new(tester, a, event, name="Ana Seran", nik="5371051207990011")
    await fill_new(tester, b, event, name="Beni Seran", nik="5371051207990012")
    await asyncio.gather(tester.press(a, tester.last(a).button("Konfirmasi")),
                         tester.press(b, tester.last(b).button("Konfirmasi")))
    statuses = sorted(r["status"] for r in await running.app.db.fetchall("SELECT status FROM registrations"))
    assert statuses == ["registered", "waitlisted"]
    texts = tester.last(a).text + tester.last(b).text
    assert "terdaftar di" in texts and "daftar tunggu" in texts


async def test_concurrent_two_coordinators_race_for_the_last_seat(running, tester, make_person):
    """The race above through the concurrent update processor (issue 12): both forms filled at once too."""
    tester.concurrent = True
    _, a = await make_person(Role.COORDINATOR, name="Koordinator A")
    _, b = await make_person(Role.COORDINATOR, name="Koordinator B")
    event = await make_event(running, capacity=1)
    await asyncio.gather(fill_new(tester, a, event, name="Ana Seran", nik="5371051207990011"),
                         fill_new(tester, b, event, name="Beni Seran", nik="5371051207990012"))
    await asyncio.gather(tester.press(a, tester.last(a).button("Konfirmasi")),
                         tester.press(b, tester.last(b).button("Konfirmasi")))
    statuses = sorted(r["status"] for r in await running.app.db.fetchall("SELECT status FROM registrations"))
    assert statuses == ["registered", "waitlisted"]
    texts = tester.last(a).text + tester.last(b).text
    assert "terdaftar di" in texts and "daftar tunggu" in texts


async def test_roles_and_kelurahan_refusals(running, tester, make_person):
    _, borrower = await make_person(Role.BORROWER)
    await tester.command(borrower, "daftar")
    assert "tidak" in tester.last(borrower).text.lower()
    _, lurah = await make_person(Role.LURAH)
    await tester.command(lurah, "daftar")
    assert "tidak" in tester.last(lurah).text.lower()
    # a coordinator of another kelurahan sees no event of Naikoten Satu and cannot open one
    event = await make_event(running)
    _, other = await make_person(Role.COORDINATOR, kelurahan="53.71.05.1001")
    await tester.command(other, "daftar")
    assert "Tidak ada acara" in tester.last(other).text
    calls = await tester.press(other, f"ev:list:{event.id}:0")
    assert any("tidak ditemukan" in c.params.get("text", "") for c in calls if c.method == "answerCallbackQuery")


async def test_skip_while_updating_contact_keeps_the_stored_phone_and_address(running, tester, make_person):
    _, user = await make_person(Role.COORDINATOR)
    await fill_new(tester, user, await make_event(running))  # phone 0812 3456 7890, RT/RW 003/002
    await tester.press(user, tester.last(user).button("Konfirmasi"))

    async def reuse_and_update(event) -> None:
        await tester.command(user, "daftar")
        await tester.press(user, tester.last(user).button(event.title[:10]))
        await tester.press(user, tester.last(user).button("Peserta baru"))
        await tester.send(user, "Yohanes Bria")
        await tester.send(user, NIK_M)
        await tester.press(user, tester.last(user).button("Perbarui"))
        assert "tetap memakai nomor lama" in tester.last(user).text

    # Lewati at the phone step, a new RT/RW
    second = await make_event(running, title="Bengkel Motor")
    await reuse_and_update(second)
    await tester.press(user, tester.last(user).button("Lewati"))
    assert "tetap memakai alamat lama" in tester.last(user).text
    await tester.send(user, "005/006")
    assert "HP: +62812••••7890" in tester.last(user).text and "RT/RW: 005/006" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    assert "terdaftar di <b>Bengkel Motor</b>" in tester.last(user).text
    p = await participants.participant_by_nik(running.app.db, NIK_M)
    assert (p.phone, p.address) == ("+6281234567890", "005/006")
    assert (await registrations.registration_for(running.app.db, second.id, p.id)).status == "registered"

    # a new phone, Lewati at the RT/RW step
    third = await make_event(running, title="Cuci Motor")
    await reuse_and_update(third)
    await tester.send(user, "0813 1111 2222")
    await tester.press(user, tester.last(user).button("Lewati"))
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    p = await participants.participant_by_nik(running.app.db, NIK_M)
    assert (p.phone, p.address) == ("+6281311112222", "005/006")
    assert await running.app.db.fetchval("SELECT count(*) FROM participants") == 1


# Today is 28 November 2026 (frozen); the event is 10 days later.
EVENT_IN_10_DAYS = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)  # 8 December 2026, 09.00 WITA
NIK_17_IN_5_DAYS = "5371050312090021"  # 3 December 2009: 16 today, 17 on the event day
NIK_41_IN_5_DAYS = "5371050312850022"  # 3 December 1985: 40 today, 41 on the event day


async def test_age_is_checked_on_the_event_date_not_today(running, tester, make_person, frozen_clock):
    _, user = await make_person(Role.COORDINATOR)
    event = await make_event(running, starts_at=EVENT_IN_10_DAYS, min_age=17, max_age=40)
    # 16 today but 17 on the event day: accepted
    await fill_new(tester, user, event, name="Yakobus Muda", nik=NIK_17_IN_5_DAYS)
    assert "3 Desember 2009" in tester.last(user).text  # the summary
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    assert "terdaftar di <b>Pelatihan Servis AC</b>" in tester.last(user).text
    young = await participants.participant_by_nik(running.app.db, NIK_17_IN_5_DAYS)
    assert (await registrations.registration_for(running.app.db, event.id, young.id)).status == "registered"
    # 40 today but 41 on the event day: refused, nothing stored
    await fill_new(tester, user, event, name="Markus Tua", nik=NIK_41_IN_5_DAYS)
    text = tester.last(user).text
    assert "berumur <b>41 tahun</b>" in text and "17–40" in text
    assert await participants.participant_by_nik(running.app.db, NIK_41_IN_5_DAYS) is None
    assert await registrations.count_registrations(running.app.db, event.id) == 1


async def test_nik_taken_in_another_kelurahan_before_konfirmasi_is_refused(running, tester, make_person):
    _, user = await make_person(Role.COORDINATOR)
    event = await make_event(running)
    await fill_new(tester, user, event)
    summary = tester.last(user)
    assert "Konfirmasi" in " ".join(summary.button_texts)
    # meanwhile another kelurahan registers a participant with the same NIK
    async with running.app.db.transaction() as tx:
        theirs = await participants.create_participant(
            tx, kelurahan_code="53.71.05.1001", name="Orang Lain", nik=NIK_M, birth_date=None, sex=None,
            phone="+6281399998888", address="001/001", education=None, work_status=None,
            consent_at=datetime.now(UTC), created_by=None)
    await tester.press(user, summary.button("Konfirmasi"))
    assert "kelurahan lain" in tester.texts(user)[-2]
    assert "NIK Yohanes Bria" in tester.last(user).text  # asked again, the rest of the draft kept
    assert await running.app.db.fetchval("SELECT count(*) FROM registrations") == 0
    assert await running.app.db.fetchval("SELECT count(*) FROM participants") == 1
    assert (await participants.get_participant(running.app.db, theirs.id)).name == "Orang Lain"
    # another NIK goes through, straight back to the summary
    await tester.send(user, NIK_F)
    await tester.press(user, tester.last(user).button("Benar"))
    assert "Konfirmasi" in " ".join(tester.last(user).button_texts)
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    assert "terdaftar di <b>Pelatihan Servis AC</b>" in tester.last(user).text
    mine = await participants.participant_by_nik(running.app.db, NIK_F)
    assert mine.kelurahan_code == NAIKOTEN_SATU and mine.phone == "+6281234567890"
    assert (await registrations.registration_for(running.app.db, event.id, mine.id)).status == "registered"
    assert await registrations.registration_for(running.app.db, event.id, theirs.id) is None


async def test_unregister_confirmation_has_kembali_and_it_cancels_nothing(running, tester, make_person):
    """Issue 14, item 14: "Kembali" on the confirmation goes back (a coordinator to the participant list, a
    participant to their registrations) and the registration stays."""
    coord, user = await make_person(Role.COORDINATOR)
    event = await make_event(running)
    p, result = await _quick(running, event, "Ana Seran", "5371051207990011", coord.id)
    reg_id = result.registration.id

    await tester.press(user, f"ev:unreg:{reg_id}")
    confirm = tester.last(user)
    assert confirm.button("Kembali") == f"ev:list:{event.id}:0"
    await tester.press(user, confirm.button("Kembali"))
    assert "Ana Seran" in tester.last(user).text and "Ya, batalkan" not in tester.last(user).text

    person, p_user = await make_person(Role.PARTICIPANT, name="Ana Seran")
    await participants.link_person(running.app.db, p.id, person.id)
    await tester.command(p_user, "batal_daftar")
    await tester.press(p_user, tester.last(p_user).button("Batalkan"))
    await tester.press(p_user, tester.last(p_user).button("Kembali"))
    own = tester.last(p_user)
    assert event.title in own.text and own.button("Batalkan") == f"ev:unreg:{reg_id}"
    assert (await registrations.get_registration(running.app.db, reg_id)).status == "registered"
