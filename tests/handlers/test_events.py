"""/acara_baru with bad inputs, /acara list and details, participants, export, close, cancel, attendance."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from bot.domain.roles import Role
from storage import audit, events, participants, registrations
from tests.conftest import NAIKOTEN_SATU
from tests.handlers.test_registration import _quick, make_event


def capture_uploads(request) -> list[dict]:
    """Wrap the recording request so document uploads (multipart files) are kept: name → (filename, bytes)."""
    uploads: list[dict] = []
    original = request.do_request

    async def do_request(url, method, request_data=None, *args, **kwargs):
        if request_data is not None and request_data.contains_files:
            uploads.append({k: (v[0], v[1]) for k, v in request_data.multipart_data.items()})
        return await original(url, method, request_data, *args, **kwargs)

    request.do_request = do_request
    return uploads


async def test_new_event_form_with_bad_inputs(running, tester, make_person):
    coord, user = await make_person(Role.COORDINATOR)
    await tester.command(user, "acara_baru")
    await tester.send(user, "AC")
    assert "3–100" in tester.texts(user)[-2]
    await tester.send(user, "Pelatihan Servis AC")
    await tester.send(user, "latihan kerja")
    assert "tombol" in tester.texts(user)[-2]
    await tester.send(user, "pelatihan")  # typing a button's label counts as tapping it
    assert "penyelenggara" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Disnaker"))
    await tester.send(user, "kemarin")
    assert "sudah lewat" in tester.texts(user)[-2]
    await tester.send(user, "31/02/2027")
    assert "tidak ada di kalender" in tester.texts(user)[-2]
    await tester.send(user, "hari ini")
    await tester.send(user, "08.00")  # 10:00 WITA now
    assert "Waktu itu sudah lewat" in tester.texts(user)[-2]
    await tester.send(user, "25:00")
    assert "Jam itu tidak ada" in tester.texts(user)[-2]
    await tester.send(user, "09.00")  # still today: asked again for the time (date kept)
    assert "sudah lewat" in tester.texts(user)[-2]
    await tester.sticker(user)
    assert "Jam berapa" in tester.last(user).text
    await tester.send(user, "pukul 14.00")
    await tester.send(user, "Aula Kantor Lurah")
    for bad, expected in [("banyak", "berupa angka"), ("0", "minimal 1")]:
        await tester.send(user, bad)
        assert expected in tester.texts(user)[-2]
    await tester.send(user, "2")
    await tester.send(user, "besok")
    assert "tidak boleh setelah hari acara" in tester.texts(user)[-2]
    await tester.send(user, "hari ini")
    for bad, expected in [("muda", "17-40"), ("40-17", "lebih besar"), ("5-90", "antara 10 dan 80")]:
        await tester.send(user, bad)
        assert expected in tester.texts(user)[-2]
    await tester.send(user, "17 - 40")
    summary = tester.last(user)
    assert "28 November 2026, 14.00 WITA" in summary.text and "17–40" in summary.text
    await tester.press(user, summary.button("Tanggal"))
    await tester.send(user, "15/12")
    await tester.send(user, "09.00")
    await tester.send(user, "13/12/2026")
    summary = tester.last(user)
    assert "15 Desember 2026, 09.00 WITA" in summary.text and "13 Desember 2026, 23.59 WITA" in summary.text
    await tester.press(user, summary.button("Konfirmasi"))
    assert "Acara tersimpan" in tester.last(user).text
    row = await running.app.db.fetchone("SELECT * FROM events")
    assert row["starts_at"] == "2026-12-15 01:00:00" and row["registration_deadline"] == "2026-12-13 15:59:59"
    assert (row["capacity"], row["min_age"], row["max_age"], row["kind"], row["organiser"]) == (
        2, 17, 40, "training", "disnaker")
    assert row["kelurahan_code"] == NAIKOTEN_SATU and row["created_by"] == coord.id
    assert await audit.recent(running.app.db, action="event.created")


async def test_list_detail_participants_and_export(running, tester, make_person):
    coord, user = await make_person(Role.COORDINATOR)
    event = await make_event(running, capacity=1)
    await _quick(running, event, "Ana Seran", "5371051207990011", coord.id)
    await _quick(running, event, "Beni Seran", "5371051207990012", coord.id)
    await tester.command(user, "acara")
    text = tester.last(user).text
    assert "Pelatihan Servis AC" in text and "sisa 0 dari 1 kursi, 1 menunggu" in text
    await tester.press(user, tester.last(user).button("Servis"))
    detail = tester.last(user)
    assert "1/1 terisi, 1 menunggu" in detail.text
    await tester.press(user, detail.button("Daftar peserta"))
    listing = tester.last(user).text
    assert "5371••••••••0011" in listing and "5371051207990011" not in listing and "Menunggu #1" in listing

    uploads = capture_uploads(running.request)
    assert not any("CSV" in b for b in detail.button_texts)  # XLSX only (issue 14, item 4)
    await tester.press(user, detail.button("XLSX"))
    filename, content = uploads[-1]["document"]
    assert filename.endswith(".xlsx")
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(content)).active.iter_rows()]
    assert rows[0][:3] == ["No", "Nama", "NIK"]
    assert rows[1][1:3] == ["Ana Seran", "5371051207990011"] and rows[2][9] == "Menunggu"
    # the lurah gets the same list with the NIK masked, as XLSX
    _, lurah = await make_person(Role.LURAH)
    await tester.press(lurah, f"ev:xlsx:{event.id}")
    filename, content = uploads[-1]["document"]
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["B2"].value == "Ana Seran" and sheet["C2"].value == "5371••••••••0011"
    assert "disamarkan" in tester.last(lurah).text
    # the lurah cannot close or cancel
    calls = await tester.press(lurah, f"ev:close:{event.id}")
    assert any(c.method == "answerCallbackQuery" for c in calls)
    assert (await events.get_event(running.app.db, event.id)).status == "open"


async def test_close_and_cancel_notify(running, tester, make_person, frozen_clock):
    coord, user = await make_person(Role.COORDINATOR)
    _, other_coord = await make_person(Role.COORDINATOR, name="Koordinator Dua")
    event = await make_event(running)
    p, _ = await _quick(running, event, "Ana Seran", "5371051207990011", coord.id)
    person, participant_user = await make_person(name="Ana Seran")
    await participants.link_person(running.app.db, p.id, person.id)
    await tester.press(user, f"ev:close:{event.id}")
    assert "ditutup" in tester.last(user).text
    assert (await events.get_event(running.app.db, event.id)).status == "closed"
    await tester.press(user, f"ev:cancel:{event.id}")
    await tester.press(user, tester.last(user).button("Ya, batalkan"))
    assert "dibatalkan" in tester.last(user).text
    assert "dibatalkan" in tester.last(other_coord).text
    assert "Pendaftaran Anda ikut batal" in tester.last(participant_user).text
    assert (await events.get_event(running.app.db, event.id)).status == "cancelled"


async def test_attendance_and_followup(running, tester, make_person, frozen_clock):
    coord, user = await make_person(Role.COORDINATOR)
    event = await make_event(running)
    a, ra = await _quick(running, event, "Ana Seran", "5371051207990011", coord.id)
    _b, rb = await _quick(running, event, "Beni Seran", "5371051207990012", coord.id)
    await tester.press(user, f"ev:show:{event.id}")
    assert "Isi kehadiran" not in tester.last(user).button_texts  # not started yet
    frozen_clock.set(datetime(2026, 12, 15, 6, 0, tzinfo=UTC))
    await tester.press(user, f"ev:show:{event.id}")
    await tester.press(user, tester.last(user).button("kehadiran"))
    await tester.press(user, tester.last(user).button("Ana Seran"))
    edited = tester.last(user)
    assert edited.method == "editMessageText" and "Hadir: 1 dari 2" in edited.text
    await tester.press(user, edited.button("Simpan"))
    assert "1 hadir, 1 tidak hadir" in tester.last(user).text
    assert (await registrations.get_registration(running.app.db, ra.registration.id)).status == "attended"
    assert (await registrations.get_registration(running.app.db, rb.registration.id)).status == "no_show"
    assert (await events.get_event(running.app.db, event.id)).status == "done"

    await tester.command(user, "tindak_lanjut")
    listing = tester.last(user)
    assert "Ana Seran" in listing.text and "Beni" not in listing.text
    await tester.press(user, listing.button("Ana Seran"))
    await tester.send(user, "usaha")
    assert "tombol" in tester.texts(user)[-2]
    await tester.press(user, tester.last(user).button("Usaha sendiri"))
    await tester.send(user, "x")
    assert "3–80" in tester.texts(user)[-2]
    await tester.send(user, "Servis AC keliling")
    assert "usaha sendiri (Servis AC keliling)" in tester.last(user).text
    row = await running.app.db.fetchone("SELECT * FROM outcomes")
    assert (row["participant_id"], row["status"], row["business_type"], row["recorded_by"]) == (
        a.id, "own_business", "Servis AC keliling", coord.id)


async def test_followup_refused_for_lurah_and_city_sees_nothing(running, tester, make_person):
    _, lurah = await make_person(Role.LURAH)
    await tester.command(lurah, "tindak_lanjut")
    assert "tidak" in tester.last(lurah).text.lower()
    _, city = await make_person(Role.CITY, kelurahan=None)
    event = await make_event(running)
    await tester.command(city, "acara")
    assert "Pelatihan Servis AC" not in tester.last(city).text
    calls = await tester.press(city, f"ev:list:{event.id}:0")
    assert any(c.method == "answerCallbackQuery" for c in calls)


async def _seat_many(running, event, count: int, by: int) -> list:
    """``count`` seated participants "Peserta 001"…, in sign-up order (the check-list's order)."""
    regs = []
    async with running.app.db.transaction() as tx:
        for n in range(1, count + 1):
            p = await participants.create_participant(
                tx, kelurahan_code=NAIKOTEN_SATU, name=f"Peserta {n:03d}", nik=f"537105120799{n:04d}",
                birth_date=None, sex=None, phone=None, address=None, education=None, work_status=None,
                consent_at=datetime.now(UTC), created_by=by)
            regs.append((await registrations.register(tx, event_id=event.id, participant_id=p.id, registered_by=by,
                                                      now=datetime.now(UTC))).registration)
    assert all(r.status == "registered" for r in regs)
    return regs


async def _statuses(running, event) -> dict[int, str]:
    rows = await running.app.db.fetchall("SELECT id, status FROM registrations WHERE event_id = :e",
                                         {"e": event.id})
    return {r["id"]: r["status"] for r in rows}


def _toggles(call) -> list[str]:
    return [t for t in call.button_texts if t.startswith(("✅", "⬜"))]


async def test_attendance_of_100_participants_over_three_pages(running, tester, make_person, frozen_clock):
    coord, user = await make_person(Role.COORDINATOR)
    event = await make_event(running, capacity=100)
    regs = await _seat_many(running, event, 100, coord.id)
    frozen_clock.set(datetime(2026, 12, 15, 6, 0, tzinfo=UTC))
    await tester.press(user, f"ev:att:{event.id}")
    page = tester.last(user)
    assert len(_toggles(page)) == 40 and "Peserta 001" in _toggles(page)[0] and "Peserta 040" in _toggles(page)[-1]
    assert "Hadir: 0 dari 100" in page.text and "Halaman 1 dari 3" in page.text
    assert not any("Sebelumnya" in t for t in page.button_texts)
    for name in ("Peserta 002", "Peserta 040"):
        await tester.press(user, tester.last(user).button(name))
    await tester.press(user, tester.last(user).button("Berikutnya"))
    assert "Peserta 041" in _toggles(tester.last(user))[0] and "Halaman 2 dari 3" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Berikutnya"))
    page = tester.last(user)
    assert len(_toggles(page)) == 20 and "Peserta 100" in _toggles(page)[-1]
    assert not any("Berikutnya" in t for t in page.button_texts)
    await tester.press(user, page.button("Peserta 081"))
    await tester.press(user, tester.last(user).button("Peserta 100"))
    assert "Hadir: 4 dari 100" in tester.last(user).text
    # back to page 1: the marks made there are still on
    await tester.press(user, tester.last(user).button("Sebelumnya"))
    await tester.press(user, tester.last(user).button("Sebelumnya"))
    page = tester.last(user)
    assert "✅ Peserta 002" in page.button_texts and "✅ Peserta 040" in page.button_texts
    assert "⬜ Peserta 001" in page.button_texts and "Hadir: 4 dari 100" in page.text
    await tester.press(user, page.button("Simpan"))
    assert "4 hadir, 96 tidak hadir" in tester.last(user).text
    assert "belum dicek" not in tester.last(user).text

    present = {regs[i].id for i in (1, 39, 80, 99)}
    statuses = await _statuses(running, event)
    assert len(statuses) == 100
    assert {i for i, s in statuses.items() if s == "attended"} == present
    assert all(s == "no_show" for i, s in statuses.items() if i not in present)
    assert (await events.get_event(running.app.db, event.id)).status == "done"
    logged = await audit.recent(running.app.db, action="event.attendance")
    assert logged[0].details["attended"] == 4 and logged[0].details["no_show"] == 96


async def test_attendance_never_changes_participants_on_pages_not_opened(running, tester, make_person,
                                                                         frozen_clock):
    coord, user = await make_person(Role.COORDINATOR)
    event = await make_event(running, capacity=100)
    regs = await _seat_many(running, event, 100, coord.id)
    frozen_clock.set(datetime(2026, 12, 15, 6, 0, tzinfo=UTC))
    await tester.press(user, f"ev:att:{event.id}")
    assert "60 peserta di halaman yang belum dibuka" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Peserta 003"))
    await tester.press(user, tester.last(user).button("Simpan"))
    saved = tester.last(user).text
    assert "1 hadir, 39 tidak hadir" in saved and "60 peserta belum dicek" in saved
    statuses = await _statuses(running, event)
    assert statuses[regs[2].id] == "attended"
    assert [statuses[r.id] for r in regs[:40]].count("no_show") == 39
    assert all(statuses[r.id] == "registered" for r in regs[40:])  # unseen: not silently no_show
    assert (await events.get_event(running.app.db, event.id)).status != "done"

    # opened again: the saved marks come back, the other pages are checked, and then the event is done
    await tester.press(user, f"ev:att:{event.id}")
    assert "✅ Peserta 003" in tester.last(user).button_texts and "Hadir: 1 dari 100" in tester.last(user).text
    await tester.press(user, tester.last(user).button("Berikutnya"))
    await tester.press(user, tester.last(user).button("Peserta 050"))
    await tester.press(user, tester.last(user).button("Berikutnya"))
    await tester.press(user, tester.last(user).button("Simpan"))
    assert "2 hadir, 98 tidak hadir" in tester.last(user).text
    statuses = await _statuses(running, event)
    assert {i for i, s in statuses.items() if s == "attended"} == {regs[2].id, regs[49].id}
    assert list(statuses.values()).count("no_show") == 98
    assert (await events.get_event(running.app.db, event.id)).status == "done"
