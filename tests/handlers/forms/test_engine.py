"""The form engine (handlers/forms/engine.py), driven through the real PTB update path on a declared form
(/tindak_lanjut): what the user sees and what the database holds, for every kind of input the engine handles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.roles import Role
from bot.jobs.drafts import FORM_MAX_AGE, expire_stale_forms
from bot.runtime import clock
from storage import drafts, participants, people
from tests.handlers.test_followup_prompts import attended
from tests.harness import answers

pytestmark = pytest.mark.usefixtures("no_pacing")

AFTER = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)  # a few days after the training of `attended`


@pytest.fixture
async def world(running, make_person, frozen_clock):
    coord, user = await make_person(Role.COORDINATOR, name="Koordinator Kupang")
    event, (ana, beni) = await attended(running, "Ana Seran", "Beni Lake")
    frozen_clock.set(AFTER)
    return {"db": running.app.db, "coord": coord, "user": user, "event": event, "ana": ana, "beni": beni}


async def _outcomes(db) -> list:
    rows = await db.fetchall("SELECT participant_id, status, business_type FROM outcomes ORDER BY id")
    return [tuple(r) for r in rows]


async def _draft(running, user):
    return await drafts.get(running.app.db, user.id)


async def test_the_whole_form_with_buttons_stores_one_outcome_and_deletes_the_draft(running, tester, world):
    user, ana = world["user"], world["ana"]
    await tester.command(user, "tindak_lanjut")
    listing = tester.last(user)
    assert "Ana Seran" in listing.text and "Beni Lake" in listing.text
    assert (await _draft(running, user)).step == "pick"
    await tester.press(user, listing.button("Ana Seran"))
    assert "Apa kegiatan <b>Ana Seran</b>" in tester.last(user).text
    draft = await _draft(running, user)
    assert (draft.step, draft.data["registration_id"], draft.data["name"]) == ("status", ana.id, "Ana Seran")
    await tester.press(user, tester.last(user).button("Bekerja"))
    await tester.press(user, tester.last(user).button("Lewati"))
    assert "Tersimpan: <b>Ana Seran</b> — bekerja" in tester.last(user).text
    assert await _outcomes(world["db"]) == [(ana.participant_id, "employed", None)]
    assert await _draft(running, user) is None


async def test_typing_a_buttons_label_counts_as_tapping_it(running, tester, world):
    user, beni = world["user"], world["beni"]
    await tester.command(user, "tindak_lanjut")
    await tester.send(user, tester.last(user).button_texts[1])  # the label of Beni's button, typed
    assert "Apa kegiatan <b>Beni Lake</b>" in tester.last(user).text
    await tester.send(user, "  masih MENCARI ")  # case and spaces don't matter
    assert "Tersimpan: <b>Beni Lake</b> — masih mencari" in tester.last(user).text
    assert await _outcomes(world["db"]) == [(beni.participant_id, "still_looking", None)]


async def test_text_where_only_buttons_are_offered_asks_again_with_the_buttons(running, tester, world):
    user = world["user"]
    await tester.command(user, "tindak_lanjut")
    await tester.press(user, tester.last(user).button("Ana Seran"))
    await tester.send(user, "sudah kerja di toko")
    texts = tester.texts(user)
    assert "tombol" in texts[-2]
    assert "Apa kegiatan <b>Ana Seran</b>" in texts[-1] and tester.last(user).button("Bekerja")
    assert (await _draft(running, user)).step == "status"
    assert await _outcomes(world["db"]) == []


async def test_a_bad_answer_gets_its_message_and_the_question_again(running, tester, world):
    user = world["user"]
    await tester.command(user, "tindak_lanjut")
    await tester.press(user, tester.last(user).button("Ana Seran"))
    await tester.press(user, tester.last(user).button("Usaha sendiri"))
    for bad in ("x", "!!!", "a" * 81):
        await tester.send(user, bad)
        texts = tester.texts(user)
        assert "3–80 huruf" in texts[-2] and "Jenis usaha" in texts[-1]
    assert await _outcomes(world["db"]) == []
    await tester.send(user, "Bengkel motor")
    assert await _outcomes(world["db"]) == [(world["ana"].participant_id, "own_business", "Bengkel motor")]


async def test_a_sticker_or_photo_where_text_is_expected_asks_again(running, tester, world):
    user = world["user"]
    await tester.command(user, "tindak_lanjut")
    await tester.press(user, tester.last(user).button("Ana Seran"))
    await tester.press(user, tester.last(user).button("Usaha sendiri"))
    for other in (tester.sticker, tester.photo):
        await other(user)
        texts = tester.texts(user)
        assert "teks" in texts[-2].lower() and "Jenis usaha" in texts[-1]
    assert (await _draft(running, user)).step == "business"


async def test_a_forged_value_records_nothing_and_asks_again(running, tester, world):
    user = world["user"]
    await tester.command(user, "tindak_lanjut")
    await tester.press(user, tester.last(user).button("Ana Seran"))
    form_id = (await _draft(running, user)).form_id
    await tester.press(user, f"tl:{form_id}:status:rich")
    assert "Apa kegiatan <b>Ana Seran</b>" in tester.last(user).text
    await tester.press(user, f"tl:{form_id}:pick:999999")  # a button of an earlier step: the question again
    assert "Apa kegiatan <b>Ana Seran</b>" in tester.last(user).text
    assert (await _draft(running, user)).data.get("status") is None
    assert await _outcomes(world["db"]) == []


async def test_buttons_of_a_finished_or_replaced_form_are_stale(running, tester, world):
    user = world["user"]
    await tester.command(user, "tindak_lanjut")
    old_listing = tester.last(user)
    await tester.command(user, "tindak_lanjut")  # a fresh form replaces the first
    calls = await tester.press(user, old_listing.button("Ana Seran"))
    assert any("kedaluwarsa" in a or "tidak berlaku" in a for a in answers(calls)), answers(calls)
    assert (await _draft(running, user)).step == "pick"
    await tester.press(user, tester.last(user).button("Beni Lake"))
    status_message = tester.last(user)
    await tester.press(user, status_message.button("Masih mencari"))
    calls = await tester.press(user, status_message.button("Bekerja"))  # after the form finished
    assert answers(calls) and await _draft(running, user) is None
    assert len(await _outcomes(world["db"])) == 1


async def test_cancel_deletes_the_draft_and_saves_nothing(running, tester, world):
    user = world["user"]
    await tester.command(user, "tindak_lanjut")
    await tester.press(user, tester.last(user).button("Ana Seran"))
    await tester.command(user, "batal")
    assert "dibatalkan" in tester.last(user).text.lower()
    assert await _draft(running, user) is None
    await tester.command(user, "batal")
    assert "tidak ada" in tester.last(user).text.lower()  # nothing left to cancel
    assert await _outcomes(world["db"]) == []


async def test_a_half_finished_form_survives_a_restart(running, world):
    user = world["user"]
    await running.tester.command(user, "tindak_lanjut")
    await running.tester.press(user, running.tester.last(user).button("Ana Seran"))
    await running.tester.press(user, running.tester.last(user).button("Lainnya"))
    await running.restart()
    await running.tester.send(user, "Jualan online")
    assert "Tersimpan: <b>Ana Seran</b>" in running.tester.last(user).text
    assert await _outcomes(running.app.db) == [(world["ana"].participant_id, "other", "Jualan online")]


async def test_what_is_typed_in_a_group_is_never_taken_as_an_answer(running, tester, world):
    user = world["user"]
    await tester.command(user, "tindak_lanjut")
    await tester.press(user, tester.last(user).button("Ana Seran"))
    await tester.press(user, tester.last(user).button("Usaha sendiri"))
    await tester.send(user, "Bengkel motor", group=True)
    assert await _outcomes(world["db"]) == []
    assert (await _draft(running, user)).step == "business"


async def test_a_role_removed_meanwhile_ends_the_form(running, tester, world):
    user, coord = world["user"], world["coord"]
    await tester.command(user, "tindak_lanjut")
    await tester.press(user, tester.last(user).button("Ana Seran"))
    await world["db"].execute("DELETE FROM person_roles WHERE person_id = :p", {"p": coord.id})
    await tester.press(user, tester.last(user).button("Bekerja"))
    assert await _draft(running, user) is None
    assert await _outcomes(world["db"]) == []


async def test_nothing_to_follow_up_ends_the_form_at_once(running, tester, make_person):
    _, user = await make_person(Role.COORDINATOR)
    await tester.command(user, "tindak_lanjut")
    assert "Belum ada peserta" in tester.last(user).text
    assert await drafts.get(running.app.db, user.id) is None


async def test_an_abandoned_draft_is_deleted_after_a_day(running, tester, world, frozen_clock):
    user = world["user"]
    await tester.command(user, "tindak_lanjut")
    await tester.press(user, tester.last(user).button("Ana Seran"))
    frozen_clock.advance(seconds=FORM_MAX_AGE.total_seconds() - 60)
    assert await expire_stale_forms(running.app.db, clock.utcnow()) == 0
    frozen_clock.advance(seconds=120)
    assert await expire_stale_forms(running.app.db, clock.utcnow()) == 1
    assert await _draft(running, user) is None
    await tester.press(user, tester.last(user).button("Bekerja"))  # the late answer finds no form
    assert await _outcomes(world["db"]) == []


async def test_one_form_at_a_time(running, tester, world, make_person):
    """Opening a form replaces the one that was open: its draft is gone and its buttons are stale."""
    user = world["user"]
    async with world["db"].transaction() as tx:
        await people.add_role(tx, world["coord"].id, Role.ADMIN)
    await tester.command(user, "tindak_lanjut")
    await tester.press(user, tester.last(user).button("Ana Seran"))
    status_message = tester.last(user)
    await tester.command(user, "undang")
    draft = await _draft(running, user)
    assert draft.kind == "undang"
    calls = await tester.press(user, status_message.button("Bekerja"))  # the follow-up form is over
    assert answers(calls) and (await _draft(running, user)).kind == "undang"
    await tester.command(user, "tindak_lanjut")  # and back: the invite form is over
    await tester.send(user, "Maria Bria")  # would have been the invite's name: here text where buttons are asked
    assert "tombol" in tester.texts(user)[-2]
    assert (await _draft(running, user)).kind == "tl"
    assert await world["db"].fetchval("SELECT count(*) FROM invites") == 0


async def test_an_erased_participants_prompt_opens_nothing(running, tester, world):
    user, ana = world["user"], world["ana"]
    async with world["db"].transaction() as tx:
        await participants.erase_participant(tx, ana.participant_id, AFTER)
    await tester.press(user, f"fuq:{ana.id}:employed")
    assert await _draft(running, user) is None
    assert await _outcomes(world["db"]) == []


# --- the summary stage, on /acara_baru ---------------------------------------------------------------------------
async def _event_up_to_the_summary(tester, user):
    await tester.command(user, "acara_baru")
    for answer in ("Pelatihan Servis AC", "Pelatihan", "Disnaker", "15/12", "09.00", "Aula Kantor Lurah", "25",
                   "13/12/2026"):
        await tester.send(user, answer)  # the two button steps answered by typing their labels
    await tester.press(user, tester.last(user).button("Lewati"))
    return tester.last(user)


async def test_the_summary_edits_one_field_and_comes_back(running, tester, make_person, frozen_clock):
    _, user = await make_person(Role.COORDINATOR)
    summary = await _event_up_to_the_summary(tester, user)
    assert "15 Desember 2026, 09.00 WITA" in summary.text and (await _draft(running, user)).step == "summary"
    await tester.press(user, summary.button("Tempat"))
    assert "Di mana tempatnya" in tester.last(user).text
    await tester.send(user, "Gedung Karang Taruna")
    summary = tester.last(user)
    assert "Gedung Karang Taruna" in summary.text and "Aula" not in summary.text
    await tester.send(user, "simpan saja")  # text on the summary: the buttons again
    assert "tombol" in tester.texts(user)[-2] and "Gedung Karang Taruna" in tester.last(user).text
    await tester.send(user, "konfirmasi")  # the label of Konfirmasi, typed
    assert "Acara tersimpan" in tester.last(user).text
    row = await running.app.db.fetchone("SELECT place, capacity, min_age FROM events")
    assert tuple(row) == ("Gedung Karang Taruna", 25, None)
    assert await _draft(running, user) is None
    assert await running.app.db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'event.created'") == 1


async def test_the_summary_survives_a_restart(running, make_person, frozen_clock):
    _, user = await make_person(Role.COORDINATOR)
    await _event_up_to_the_summary(running.tester, user)
    summary = running.tester.last(user)
    await running.restart()
    await running.tester.press(user, summary.button("Konfirmasi"))
    assert "Acara tersimpan" in running.tester.last(user).text
    assert await running.app.db.fetchval("SELECT count(*) FROM events") == 1


async def test_a_start_that_passed_while_the_draft_waited_asks_the_date_again(running, tester, make_person,
                                                                             frozen_clock):
    _, user = await make_person(Role.COORDINATOR)
    summary = await _event_up_to_the_summary(tester, user)
    frozen_clock.set(datetime(2026, 12, 15, 2, 0, tzinfo=UTC))  # 10:00 WITA on the event day
    await tester.press(user, summary.button("Konfirmasi"))
    texts = tester.texts(user)
    assert "sudah lewat" in texts[-2] and "Tanggal berapa" in texts[-1]
    assert await running.app.db.fetchval("SELECT count(*) FROM events") == 0
    draft = await _draft(running, user)
    assert draft.step == "date" and "time" not in draft.data and draft.data["place"] == "Aula Kantor Lurah"


async def test_a_double_confirm_stores_one_event(running, tester, make_person, frozen_clock):
    _, user = await make_person(Role.COORDINATOR)
    summary = await _event_up_to_the_summary(tester, user)
    await tester.press(user, summary.button("Konfirmasi"))
    calls = await tester.press(user, summary.button("Konfirmasi"))
    assert answers(calls)  # the second press only gets "this button has expired"
    assert await running.app.db.fetchval("SELECT count(*) FROM events") == 1


# --- a custom step: the attendance check-list ----------------------------------------------------------------------
async def test_the_checklist_keeps_its_toggles_across_a_restart_and_saves_once(running, make_person, frozen_clock):
    from tests.handlers.test_registration import _quick, make_event

    coord, user = await make_person(Role.COORDINATOR)
    event = await make_event(running)
    _, ra = await _quick(running, event, "Ana Seran", "5371051207990011", coord.id)
    _, rb = await _quick(running, event, "Beni Seran", "5371051207990012", coord.id)
    frozen_clock.set(datetime(2026, 12, 15, 6, 0, tzinfo=UTC))  # the training has started
    await running.tester.press(user, f"ev:att:{event.id}")
    await running.tester.press(user, running.tester.last(user).button("Ana Seran"))
    assert "Hadir: 1 dari 2" in running.tester.last(user).text
    assert (await _draft(running, user)).data["present"] == [ra.registration.id]
    await running.restart()
    await running.tester.send(user, "simpan")  # the label of Simpan is not typed text for a check-list
    assert "tombol" in running.tester.texts(user)[-2]
    checklist = running.tester.last(user)
    await running.tester.press(user, checklist.button("Simpan"))
    assert "1 hadir, 1 tidak hadir" in running.tester.last(user).text
    assert await _draft(running, user) is None
    statuses = {r["id"]: r["status"] for r in await running.app.db.fetchall("SELECT id, status FROM registrations")}
    assert statuses == {ra.registration.id: "attended", rb.registration.id: "no_show"}
    calls = await running.tester.press(user, checklist.button("Simpan"))  # a second press: expired
    assert answers(calls)
    assert await running.app.db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'event.attendance'") == 1


@pytest.mark.parametrize(("typed", "label_", "same"), [
    ("masih MENCARI ", "Masih mencari", True),
    ("bekerja.", "💼 Bekerja", True),
    ("hari ini", "Hari ini", True),
    ("jumát", "Jumat", True),
    ("-1", "1", False),  # a minus sign is not decoration
    ("0,5", "05", False),
    ("12", "12", True),
    ("", "Lewati", False),
])
def test_a_typed_label_is_compared_without_case_accents_emoji_or_a_final_full_stop(typed, label_, same):
    from handlers.forms.engine import _fold

    assert (_fold(typed) == _fold(label_)) is same


# --- /pinjaman_baru: a search step, a summary with Batal ------------------------------------------------------------
async def test_numbers_typed_at_a_choice_step_and_batal_on_the_summary(running, tester, make_person):
    _, tu = await make_person(Role.TREASURER)
    await tester.command(tu, "pinjaman_baru")
    await tester.send(tu, "peminjam baru")  # the button's label, typed
    await tester.send(tu, "Maria Bria")
    await tester.send(tu, "0812 3456 7890")
    await tester.send(tu, "sejuta")
    assert "Dibaca sebagai: <b>Rp1.000.000</b>" in tester.texts(tu)[-2]
    await tester.send(tu, "hari ini")
    await tester.send(tu, "12")  # the label of the 12 button
    await tester.send(tu, "0")  # grace
    await tester.send(tu, "0%")
    await tester.send(tu, "lewati")
    summary = tester.last(tu)
    assert "12 bulan" in summary.text and "Masa tenggang: 0 bulan" in summary.text
    draft = await drafts.get(running.app.db, tu.id)
    assert (draft.step, draft.data["tenor"], draft.data["grace"], draft.data["principal"]) == ("summary", 12, 0,
                                                                                              1_000_000)
    await tester.press(tu, summary.button("Batal"))
    assert "Tidak ada yang disimpan" in tester.last(tu).text
    assert await drafts.get(running.app.db, tu.id) is None
    assert await running.app.db.fetchval("SELECT count(*) FROM loans") == 0
    assert await running.app.db.fetchval("SELECT count(*) FROM people WHERE name = 'Maria Bria'") == 0


# --- /daftar: a form that ends itself, fields unset, a summary that depends on the draft -------------------------
async def test_a_registration_survives_a_restart_and_an_event_closing_meanwhile_ends_it(running, make_person,
                                                                                       frozen_clock):
    from tests.handlers.test_registration import NIK_M, make_event

    _, user = await make_person(Role.COORDINATOR)
    event = await make_event(running)
    await running.tester.command(user, "daftar")
    await running.tester.press(user, running.tester.last(user).button(event.title[:10]))
    await running.tester.send(user, "peserta baru")  # typed label
    await running.tester.send(user, "Yohanes Bria")
    await running.tester.send(user, NIK_M)
    # "Perbaiki NIK" unsets the NIK fields: the NIK is asked again
    await running.tester.press(user, running.tester.last(user).button("Perbaiki"))
    draft = await _draft(running, user)
    assert draft.step == "nik" and "nik" not in draft.data and draft.data["name"] == "Yohanes Bria"
    await running.tester.send(user, NIK_M)
    await running.tester.send(user, "benar, lanjut")  # the whole label, typed
    await running.restart()
    await running.tester.send(user, "0812 3456 7890")
    assert "RT/RW" in running.tester.last(user).text
    await running.app.db.execute("UPDATE events SET status = 'closed' WHERE id = :id", {"id": event.id})
    await running.tester.send(user, "3/2")
    assert "Pendaftaran acara ini sudah ditutup" in running.tester.last(user).text
    assert await _draft(running, user) is None
    assert await running.app.db.fetchval("SELECT count(*) FROM participants") == 0


async def test_a_photo_step_takes_a_photo_or_lewati_and_refuses_anything_else(running, tester, make_person):
    """``Step(photo=True)`` (/bayar's receipt): a photo answers with its largest size's file_id; text, a sticker
    or a file gets the step's ``invalid`` and the question again; a photo at any other step is "not text"."""
    from tests.handlers.loan_fixtures import make_loan

    borrower, user = await make_person(Role.BORROWER, name="Ana Seran")
    await make_loan(running.app.db, borrower)
    await tester.command(user, "bayar")
    await tester.photo(user, "too-early")  # the amount step expects text or a button
    assert "teks" in tester.texts(user)[-2].lower() and "Berapa yang Anda bayar" in tester.texts(user)[-1]
    assert "photo" not in (await _draft(running, user)).data
    await tester.press(user, tester.last(user).button("Angsuran ke-"))
    assert (await _draft(running, user)).step == "photo"
    for wrong in (lambda: tester.send(user, "sudah"), lambda: tester.sticker(user), lambda: tester.document(user)):
        await wrong()
        texts = tester.texts(user)
        assert "perlu <b>foto</b>" in texts[-2] and "Kirim fotonya" in texts[-1]
    assert (await _draft(running, user)).step == "photo"
    await tester.photo(user, "receipt")
    draft = await _draft(running, user)
    assert (draft.step, draft.data["photo"]) == ("summary", "receipt")  # the largest size, not receipt-small
    await tester.press(user, tester.last(user).button("Ubah foto"))
    await tester.press(user, tester.last(user).button("Lewati"))
    draft = await _draft(running, user)
    assert (draft.step, draft.data["photo"]) == ("summary", None)


async def test_ended_from_a_steps_context_on_a_repeated_question_ends_the_form(running, tester, make_person):
    """A step's functions may raise ``Ended`` on every path that asks, a repeated question too (here /bayar's
    loan choice, both loans reassigned while it was open, then a sticker)."""
    from tests.handlers.loan_fixtures import make_loan

    borrower, user = await make_person(Role.BORROWER, name="Ana Seran")
    other, _ = await make_person(Role.BORROWER, name="Beni Lake")
    for _ in range(2):
        await make_loan(running.app.db, borrower)
    await tester.command(user, "bayar")
    assert (await _draft(running, user)).step == "loan"
    await running.app.db.execute("UPDATE loans SET borrower_id = :b WHERE borrower_id = :a",
                                 {"a": borrower.id, "b": other.id})

    await tester.sticker(user)

    assert "tidak punya pinjaman aktif" in tester.last(user).text
    assert await _draft(running, user) is None
