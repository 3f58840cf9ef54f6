"""UU 27/2022 in the bot (issue 18): /privasi, the greeting's link line, /dataku, /koreksi with the admins'
decision, /tarik_izin. Each test asserts what the person saw and what the database holds."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime

from openpyxl import load_workbook

from bot.domain.roles import Role
from bot.services import invites as invite_service
from storage import participants, people, registrations
from tests.conftest import NAIKOTEN_SATU, Running
from tests.handlers.loan_fixtures import make_loan, record
from tests.handlers.test_events import capture_uploads
from tests.handlers.test_registration import make_event
from tests.harness import User

NIK = "5371051207990011"


async def _actions(db, action: str) -> list:
    return await db.fetchall("SELECT * FROM audit_log WHERE action = :a ORDER BY id", {"a": action})


async def test_privacy_notice_names_the_configured_controller_in_both_languages(settings, frozen_clock):
    configured = dataclasses.replace(settings, privacy_controller="Kelurahan Naikoten Satu",
                                     privacy_contact="Jl. Soeharto 1, 0380-821234", retention_borrower_years=7)
    run = await Running(configured).start()
    try:
        stranger = User(5555)  # anyone, before any invite: the right to be informed comes first
        await run.tester.command(stranger, "privasi")
        text = run.tester.last(stranger).text
        assert "Pengendali data:</b> Kelurahan Naikoten Satu" in text
        assert "Jl. Soeharto 1, 0380-821234" in text
        assert "sampai 7 tahun setelah pinjaman terakhir selesai" in text and "/dataku" in text
        assert "/tarik_izin" in text and "3×24 jam" in text and len(text) <= 4096
        english = User(5556, language_code="en")
        async with run.app.db.transaction() as tx:
            person = await people.create(tx, name="Maria Bria", kelurahan_code=NAIKOTEN_SATU,
                                         roles=[Role.BORROWER], language="en")
            await people.link_telegram(tx, person.id, english.id, english.chat_id)
        await run.tester.command(english, "privacy")
        text = run.tester.last(english).text
        assert "Data controller:</b> Kelurahan Naikoten Satu" in text and "/mydata" in text
    finally:
        await run.stop()


async def test_notice_without_a_controller_names_the_kelurahan_office(tester):
    stranger = User(5557)
    await tester.command(stranger, "privasi")
    assert "Pengendali data:</b> kantor kelurahan Anda" in tester.last(stranger).text
    assert "Kontak:" not in tester.last(stranger).text


async def test_first_greeting_after_an_invite_points_to_the_notice(running, tester):
    db = running.app.db
    result = await invite_service.create_invite(db, role=Role.BORROWER, name="Maria Bria",
                                                kelurahan_code=NAIKOTEN_SATU, now=running.app.now(), via="cli")
    maria = User(9101)
    await tester.command(maria, "start", result.token)
    assert "apa hak Anda: /privasi" in tester.last(maria).text
    await tester.command(maria, "start")  # the greeting again: no line this time
    assert "/privasi" not in tester.last(maria).text.split("Perintah")[0]
    assert "apa hak Anda" not in tester.last(maria).text


async def test_mydata_sends_xlsx_and_json_of_everything_with_third_parties_by_role(running, tester, make_person):
    db = running.app.db
    borrower, user = await make_person(Role.BORROWER, name="Maria Bria", phone="+6281234567890")
    treasurer, _ = await make_person(Role.TREASURER, name="Yohanes Bendahara", phone="+6281299990000")
    loan = await make_loan(db, borrower, principal=6_000_000, created_by=treasurer.id)
    await record(db, loan, treasurer, 500_000)
    uploads = capture_uploads(running.request)

    calls = await tester.command(user, "dataku")
    docs = [c for c in calls if c.method == "sendDocument"]
    assert len(docs) == 2 and "XLSX" in docs[0].text and "JSON" in docs[1].text
    (xlsx_name, xlsx), (json_name, raw) = uploads[0]["document"], uploads[1]["document"]
    assert xlsx_name.endswith(".xlsx") and json_name.endswith(".json")
    data = json.loads(raw)
    assert data["person"]["name"] == "Maria Bria" and data["person"]["phone"] == "+6281234567890"
    assert data["roles"] == ["borrower"]
    [mine] = data["loans"]
    assert mine["principal"] == 6_000_000 and len(mine["schedule"]) == 12
    assert sum(i["principal_due"] for i in mine["schedule"]) == 6_000_000
    assert mine["created_by"] == "treasurer"
    [payment] = mine["repayments"]
    assert (payment["amount"], payment["status"], payment["decided_by"]) == (500_000, "verified", "treasurer")
    assert mine["schedule"][0]["principal_paid"] == 500_000
    # third parties: by role only, never a name, a number or an id
    assert "Yohanes" not in raw.decode() and "6281299990000" not in raw.decode()
    assert all(str(treasurer.id) != str(e.get("entity_id")) for e in data["audit"])
    book = load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames[:3] == ["Data diri", "Pinjaman", "Jadwal angsuran"]
    person_sheet = {row[0]: row[1] for row in book["Data diri"].iter_rows(values_only=True) if row}
    assert person_sheet["Nama"] == "Maria Bria" and person_sheet["Peran"] == "Peminjam"
    pay_rows = list(book["Pembayaran"].iter_rows(values_only=True))
    assert pay_rows[0][2] == "Jumlah" and pay_rows[1][2] == 500_000 and pay_rows[1][11] == "treasurer"
    assert "Yohanes" not in str([list(s.iter_rows(values_only=True)) for s in book.worksheets])
    # logged: who, and which records
    [logged] = await _actions(db, "person.data_exported")
    assert (logged["actor_person_id"], logged["entity_id"]) == (borrower.id, borrower.id)
    assert json.loads(logged["details"])["loans"] == 1


async def test_correction_goes_to_another_admin_who_approves_it(running, tester, make_person):
    db = running.app.db
    borrower, user = await make_person(Role.BORROWER, name="Maria Bria")
    admin, admin_user = await make_person(Role.ADMIN, name="Admin Satu")
    await tester.command(user, "koreksi")
    ask = tester.last(user)
    assert "Data mana yang salah" in ask.text and ask.button_texts == ["Nama", "Nomor HP"]  # no address held
    await tester.send(user, "nomor hp")  # typing a label counts as tapping it
    await tester.send(user, "0380 821234")
    assert "telepon rumah" in tester.texts(user)[-2]
    await tester.send(user, "0813 1111 2222")
    summary = tester.last(user)
    assert "0813-1111-2222" in summary.text
    await tester.press(user, summary.button("Konfirmasi"))
    assert "sudah dikirim ke admin" in tester.last(user).text

    notice = tester.last(admin_user)
    assert "Permintaan koreksi data" in notice.text and "Maria Bria" in notice.text
    await tester.command(admin_user, "periksa_koreksi")
    assert "0813-1111-2222" in tester.last(admin_user).text
    [seen] = await _actions(db, "person.viewed_full")
    assert seen["actor_person_id"] == admin.id and json.loads(seen["details"])["people"] == [borrower.id]
    request = await db.fetchone("SELECT * FROM correction_requests")
    assert (request["status"], request["field"], db.key.reveal(request["new_value"])) == (
        "pending", "phone", "+6281311112222")
    assert request["new_value"].startswith("v1:")  # sealed at rest
    await tester.press(admin_user, notice.button("Setujui"))
    assert "disetujui dan sudah disimpan" in tester.last(admin_user).text
    assert "disetujui" in tester.last(user).text and "0813-1111-2222" in tester.last(user).text
    assert (await people.get(db, borrower.id)).phone == "+6281311112222"
    decided = await db.fetchone("SELECT * FROM correction_requests")
    assert (decided["status"], decided["decided_by"], decided["old_value"]) == ("approved", admin.id, None)
    [asked] = await _actions(db, "correction.requested")
    [approved] = await _actions(db, "correction.approved")
    assert approved["actor_person_id"] == admin.id and json.loads(approved["details"]) == {
        "field": "phone", "request": request["id"]}
    assert "+62" not in approved["details"] + asked["details"]  # the values stay in the (erasable) request row
    # the queued notice masks the new phone; /periksa_koreksi shows it in full, and that view is logged
    assert "2222" in notice.text and "0813-1111-2222" not in notice.text
    # pressed twice: already decided, nothing changes
    await tester.press(admin_user, notice.button("Setujui"))
    assert "sudah diputuskan" in tester.last(admin_user).text


async def test_nobody_decides_their_own_correction(running, tester, make_person):
    db = running.app.db
    admin, admin_user = await make_person(Role.ADMIN, name="Admin Satu")
    _other, other_user = await make_person(Role.ADMIN, name="Admin Dua")
    await tester.command(admin_user, "koreksi")
    await tester.press(admin_user, tester.last(admin_user).button("Nama"))
    await tester.send(admin_user, "Admin Satu Ndun")
    await tester.press(admin_user, tester.last(admin_user).button("Konfirmasi"))
    request = await db.fetchone("SELECT id FROM correction_requests")
    await tester.press(admin_user, f"krd:ok:{request['id']}")
    assert "tidak bisa memutuskan permintaan koreksi Anda sendiri" in tester.last(admin_user).text
    assert (await people.get(db, admin.id)).name == "Admin Satu"
    # the other admin sees it in /periksa_koreksi and rejects it
    await tester.command(other_user, "periksa_koreksi")
    listed = tester.last(other_user)
    assert "Admin Satu Ndun" in listed.text
    await tester.press(other_user, listed.button("Tolak"))
    assert "ditolak" in tester.last(admin_user).text
    assert (await people.get(db, admin.id)).name == "Admin Satu"
    await tester.command(admin_user, "periksa_koreksi")
    assert "Tidak ada permintaan koreksi" in tester.last(admin_user).text


async def test_same_value_and_bad_name_are_asked_again(tester, make_person):
    _, user = await make_person(Role.BORROWER, name="Maria Bria")
    await tester.command(user, "correct")
    await tester.press(user, tester.last(user).button("Nama"))
    await tester.send(user, "Maria 2")
    assert "Nama itu belum bisa dipakai" in tester.texts(user)[-2]
    await tester.send(user, "Maria Bria")
    await tester.press(user, tester.last(user).button("Konfirmasi"))
    assert "sama dengan data yang sudah tersimpan" in tester.texts(user)[-2]
    assert "Tulis nama lengkap" in tester.last(user).text


async def _linked_participant(running, tester, make_person):
    db = running.app.db
    coord, coord_user = await make_person(Role.COORDINATOR, name="Koordinator Satu")
    event = await make_event(running)
    async with db.transaction() as tx:
        p = await participants.create_participant(
            tx, kelurahan_code=NAIKOTEN_SATU, name="Ana Seran", nik=NIK, birth_date=None, sex="F",
            phone="+6281234567890", address="RT 3/RW 2", education="sma", work_status="school",
            consent_at=datetime.now(UTC), created_by=coord.id)
        await registrations.register(tx, event_id=event.id, participant_id=p.id, registered_by=coord.id,
                                     now=running.app.now())
        person = await people.create(tx, name="Ana Seran", kelurahan_code=NAIKOTEN_SATU, roles=[Role.PARTICIPANT],
                                     phone="+6281234567890")
        await participants.link_person(tx, p.id, person.id)
    ana = User(9201)
    async with db.transaction() as tx:
        await people.link_telegram(tx, person.id, ana.id, ana.chat_id)
    return p, person, ana, coord_user, event


async def test_participant_corrects_birth_date_and_address(running, tester, make_person):
    db = running.app.db
    p, _person, ana, _, _ = await _linked_participant(running, tester, make_person)
    _, admin_user = await make_person(Role.ADMIN)
    await tester.command(ana, "koreksi")
    assert tester.last(ana).button_texts == ["Nama", "Nomor HP", "Alamat", "Tanggal lahir"]
    await tester.press(ana, tester.last(ana).button("Tanggal lahir"))
    await tester.send(ana, "28 Nov")  # no year: refused
    assert "dengan tahunnya" in tester.texts(ana)[-2]
    await tester.send(ana, "12-07-1999")
    assert "12 Juli 1999" in tester.last(ana).text
    await tester.press(ana, tester.last(ana).button("Konfirmasi"))
    await tester.press(admin_user, tester.last(admin_user).button("Setujui"))
    assert (await participants.get_participant(db, p.id)).birth_date.isoformat() == "1999-07-12"


async def test_withdrawing_consent_anonymises_at_once_and_tells_the_coordinator(running, tester, make_person):
    db = running.app.db
    p, person, ana, coord_user, event = await _linked_participant(running, tester, make_person)
    await tester.command(ana, "tarik_izin")
    confirm = tester.last(ana)
    assert "tidak bisa dibatalkan" in confirm.text
    await tester.press(ana, confirm.button("Batal"))
    assert "tetap berlaku" in tester.last(ana).text
    assert (await participants.get_participant(db, p.id)).nik == NIK

    await tester.press(ana, confirm.button("Ya, tarik"))
    assert "sudah ditarik" in tester.last(ana).text
    erased = await participants.get_participant(db, p.id)
    assert (erased.nik, erased.phone, erased.address, erased.person_id) == (None, None, None, None)
    assert erased.erased_at is not None and erased.name == f"Peserta terhapus #{p.id}"
    gone = await people.get(db, person.id)
    assert gone.telegram_user_id is None and gone.phone is None and gone.name.startswith("Dihapus #")
    assert await db.fetchval("SELECT count(*) FROM registrations WHERE participant_id = :p", {"p": p.id}) == 1
    told = tester.last(coord_user).text
    assert f"Peserta #{p.id} menarik persetujuannya" in told and event.title in told and "Ana" not in told
    [logged] = await _actions(db, "participant.consent_withdrawn")
    assert (logged["entity_id"], logged["actor_person_id"]) == (p.id, person.id)
    # the account is gone: the next command is the unknown user's answer
    await tester.command(ana, "tarik_izin")
    assert "belum terdaftar" in tester.last(ana).text


async def test_every_export_of_a_participant_list_names_its_records_in_the_audit_log(running, tester, make_person):
    db = running.app.db
    p, _, _, coord_user, event = await _linked_participant(running, tester, make_person)
    capture_uploads(running.request)
    await tester.press(coord_user, f"ev:xlsx:{event.id}")
    [exported] = await _actions(db, "event.exported")
    details = json.loads(exported["details"])
    assert details["participants"] == [p.id] and details["masked"] is False
    from storage.reports.personal_data import audit_about

    assert exported["id"] in [r["id"] for r in await audit_about(db, person_id=None, participant_id=p.id)]
