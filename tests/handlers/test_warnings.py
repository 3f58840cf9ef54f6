"""Warning letters SP-1..SP-3 in the bot (issue 16 part 1): the daily task to each treasurer, Terbitkan (the PDF to
the treasurer and the borrower, read back with pypdf), Tunda 7 hari with a reason (a declared form), SP-2 never
before SP-1, a clearing payment that closes the step, the letters on the borrower's detail and the card, and the
monthly count. The clock is pinned (tests/conftest.py NOW: Saturday 28 November 2026, 10:00 WITA)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from bot.domain.roles import Role
from bot.jobs import warnings as warning_job
from bot.runtime import clock
from bot.runtime import tick as ticks
from bot.runtime.sender import send_due
from messages.documents import card_pdf
from storage import audit
from storage import warnings as repo
from storage.reports import card as card_model
from storage.reports.warnings import issued_in_month
from tests.handlers.loan_fixtures import make_loan, record

OTHER_KEL = "53.71.01.1001"


def pdf_text(call) -> str:
    [(name, content)] = call.files.values()
    assert name.endswith(".pdf")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
async def world(running, make_person):
    db = running.app.db
    borrower, b_user = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    t1, t1_user = await make_person(Role.TREASURER, name="Fransiska Manafe")
    t2, t2_user = await make_person(Role.TREASURER, name="Marthen Tefa", language="en")
    _far, far_user = await make_person(Role.TREASURER, name="Bendahara Lain", kelurahan=OTHER_KEL)
    return {"db": db, "borrower": borrower, "b": b_user, "t1": t1, "t1u": t1_user, "t2": t2, "t2u": t2_user,
            "far": far_user}


async def run_job(running) -> int:
    return await warning_job.run(running.app.db, clock.utcnow(), running.app.settings)


async def flush(running):
    return await send_due(running.app.db, running.app.bot, running.app.settings, clock.utcnow())


def task_of(running, user):
    calls = [c for c in running.request.sent(user.chat_id) if "SP-" in c.text and c.buttons]
    return calls[-1] if calls else None


async def test_a_loan_30_days_late_gives_each_treasurer_one_task_and_terbitkan_issues_the_letter(
        running, tester, world):
    db = world["db"]
    loan = await make_loan(db, world["borrower"])  # instalment 1 due 28 Oct 2026: 31 days late
    assert await run_job(running) == 2  # t1 and t2; not the other kelurahan's treasurer
    assert await run_job(running) == 0  # running it again adds nothing
    await flush(running)
    task = task_of(running, world["t1u"])
    assert "SP-1 perlu diterbitkan untuk Yohanis Ndolu" in task.text
    assert "terlambat 31 hari, tunggakan Rp500.000" in task.text
    [step] = await repo.open_steps(db)
    assert (step.loan_id, step.level, step.status, step.days_late_at_open) == (loan.id, 1, "open", 31)
    assert task.button("Terbitkan") == f"spl:go:{step.id}"
    assert task.button("Tunda 7 hari") == f"spl:wait:{step.id}"
    assert "SP-1 (warning letter I) to be issued" in task_of(running, world["t2u"]).text
    assert task_of(running, world["far"]) is None
    running.request.clear()

    await tester.press(world["t1u"], f"spl:go:{step.id}")

    letter = await repo.get(db, step.id)
    assert (letter.status, letter.number, letter.deadline, letter.arrears_amount, letter.days_late) == (
        "issued", "NKT1/SP-1/2026/0001", date(2026, 12, 12), 500_000, 31)
    assert [(m.number, m.due_date, m.remaining) for m in letter.missed] == [(1, date(2026, 10, 28), 500_000)]
    assert letter.issued_by == world["t1"].id and letter.outstanding == 6_000_000
    [entry] = await audit.recent(db, action="warning.issued")
    assert entry.entity_id == step.id and entry.details["number"] == "NKT1/SP-1/2026/0001"

    t1_calls = running.request.sent(world["t1u"].chat_id)
    [issued] = [c for c in t1_calls if "diterbitkan untuk Yohanis Ndolu" in c.text]
    assert "NKT1/SP-1/2026/0001" in issued.text and "12 Desember 2026" in issued.text
    assert "sudah diberi tahu lewat Telegram" in issued.text
    [t1_doc] = [c for c in t1_calls if c.method == "sendDocument"]
    text = pdf_text(t1_doc)
    for part in ("LEMBAGA PEMBERDAYAAN MASYARAKAT", "KELURAHAN NAIKOTEN SATU", "KECAMATAN KOTA RAJA",
                 "NKT1/SP-1/2026/0001", "Surat Peringatan I (SP-1)", "Yohanis Ndolu", "Rp6.000.000",
                 "terlambat 31 hari", "Rp500.000", "Lima ratus ribu rupiah", "28 Oktober 2026",
                 "paling lambat 12 Desember 2026", "Surat Peringatan II", "Ketua LPM Kelurahan Naikoten Satu",
                 "Lurah Naikoten Satu", "Fransiska Manafe"):
        assert part in text, part

    b_calls = running.request.sent(world["b"].chat_id)
    [notice] = [c for c in b_calls if c.method == "sendMessage"]
    assert "Surat Peringatan I (SP-1)" in notice.text and "paling lambat <b>12 Desember 2026</b>" in notice.text
    [b_doc] = [c for c in b_calls if c.method == "sendDocument"]
    assert "NKT1/SP-1/2026/0001" in pdf_text(b_doc)

    # the other treasurer's task: pressing it shows what was done, nothing is issued twice
    await tester.press(world["t2u"], f"spl:go:{step.id}")
    assert "already been issued" in tester.last(world["t2u"]).text
    assert "Fransiska Manafe" in tester.last(world["t2u"]).text
    assert len(await audit.recent(db, action="warning.issued")) == 1
    # a treasurer of another kelurahan may not
    await tester.press(world["far"], f"spl:go:{step.id}")
    assert running.request.of("answerCallbackQuery")[-1].params.get("show_alert")


async def test_the_other_treasurers_queued_task_is_cancelled_once_issued(running, tester, world):
    db = world["db"]
    await make_loan(db, world["borrower"])
    await run_job(running)
    [step] = await repo.open_steps(db)
    await tester.press(world["t1u"], f"spl:go:{step.id}")  # before the tick sent the tasks
    await flush(running)
    assert task_of(running, world["t2u"]) is None
    assert task_of(running, world["t1u"]) is None


async def test_sp2_is_never_offered_before_sp1_was_issued(running, tester, world, frozen_clock):
    db = world["db"]
    loan = await make_loan(db, world["borrower"], disbursed_on=date(2026, 8, 28))  # 61 days late
    await run_job(running)
    [step] = await repo.open_steps(db)
    assert step.level == 1
    frozen_clock.advance(days=30)  # 91 days late, past every step: still only the SP-1 task, not re-sent
    assert await run_job(running) == 0
    assert [s.level for s in await repo.open_steps(db)] == [1]

    await tester.press(world["t1u"], f"spl:go:{step.id}")
    assert (await repo.get(db, step.id)).number == "NKT1/SP-1/2026/0001"
    assert await run_job(running) == 2  # the same day: SP-2 now
    [sp2] = await repo.open_steps(db)
    assert (sp2.loan_id, sp2.level) == (loan.id, 2)
    await flush(running)
    assert "SP-2 perlu diterbitkan" in task_of(running, world["t1u"]).text
    await tester.press(world["t1u"], f"spl:go:{sp2.id}")
    letter = await repo.get(db, sp2.id)
    assert letter.number == "NKT1/SP-2/2026/0002"  # one gap-free register for the three levels
    assert "Surat Peringatan III" in pdf_text(running.request.of("sendDocument")[-1])
    await run_job(running)
    [sp3] = await repo.open_steps(db)
    await tester.press(world["t1u"], f"spl:go:{sp3.id}")
    assert (await repo.get(db, sp3.id)).number == "NKT1/SP-3/2026/0003"
    assert "terakhir" in pdf_text(running.request.of("sendDocument")[-1])
    assert await run_job(running) == 0 and await repo.open_steps(db) == []  # nothing after SP-3
    assert await repo.issued_levels(db, loan.id) == {1, 2, 3}


async def test_tunda_7_hari_asks_a_reason_and_the_task_comes_back_after_a_week(running, tester, world, frozen_clock):
    db = world["db"]
    await make_loan(db, world["borrower"])
    await run_job(running)
    await flush(running)
    [step] = await repo.open_steps(db)
    t1 = world["t1u"]

    await tester.press(t1, f"spl:wait:{step.id}")
    assert "Mengapa SP-1 untuk Yohanis Ndolu ditunda 7 hari?" in tester.last(t1).text
    await tester.send(t1, "x")
    assert "3 sampai 200 karakter" in " ".join(tester.texts(t1)[-2:])
    assert (await repo.get(db, step.id)).postponed_until is None
    await running.restart()  # a half-finished form survives a restart
    await running.tester.send(t1, "Sudah janji bayar hari Jumat")

    assert "ditunda sampai <b>5 Desember 2026</b>" in running.tester.last(t1).text
    postponed = await repo.get(db := running.app.db, step.id)
    assert (postponed.status, postponed.postponed_until, postponed.postpone_reason, postponed.round) == (
        "open", date(2026, 12, 5), "Sudah janji bayar hari Jumat", 1)
    [entry] = await audit.recent(db, action="warning.postponed")
    assert entry.actor_person_id == world["t1"].id and entry.details["until"] == "2026-12-05"
    await running.tester.press(world["t2u"], f"spl:wait:{step.id}")  # the other treasurer: already postponed
    assert "already been postponed until 5 December 2026" in running.tester.last(world["t2u"]).text

    frozen_clock.advance(days=6)
    assert await warning_job.run(db, clock.utcnow(), running.app.settings) == 0
    frozen_clock.advance(days=1)  # 5 December: the task again, as a new message to each treasurer
    assert await warning_job.run(db, clock.utcnow(), running.app.settings) == 2
    running.request.clear()
    await send_due(db, running.app.bot, running.app.settings, clock.utcnow())
    again = [c for c in running.request.sent(t1.chat_id) if "SP-1 perlu diterbitkan" in c.text]
    assert len(again) == 1 and "terlambat 38 hari" in again[0].text


async def test_a_payment_that_clears_the_arrears_closes_the_open_step(running, tester, world):
    db = world["db"]
    loan = await make_loan(db, world["borrower"])
    await run_job(running)
    [step] = await repo.open_steps(db)
    await record(db, loan, world["t1"], 500_000, paid_on=date(2026, 11, 27))  # before the tasks went out

    report = await ticks.run_due(db, running.app.bot, running.app.settings, clock.utcnow(), catch_up=False, jobs=[])

    assert report.stale_cancelled >= 1
    closed = await repo.get(db, step.id)
    assert (closed.status, closed.close_reason) == ("closed", "cleared")
    assert task_of(running, world["t1u"]) is None and task_of(running, world["t2u"]) is None
    rows = await db.fetchall("SELECT status FROM outbox WHERE kind = 'warning_task'")
    assert [r["status"] for r in rows] == ["cancelled", "cancelled"]
    [entry] = await audit.recent(db, action="warning.step_closed")
    assert entry.details == {"loan_id": loan.id, "level": 1, "reason": "cleared"}
    await tester.press(world["t1u"], f"spl:go:{step.id}")  # an old task's button: nothing to do any more
    assert "sudah ditutup" in tester.last(world["t1u"]).text
    assert await audit.recent(db, action="warning.issued") == []
    assert await run_job(running) == 0  # no longer late: no new step


async def test_a_payment_cleared_before_terbitkan_closes_the_step_instead(running, tester, world):
    db = world["db"]
    loan = await make_loan(db, world["borrower"])
    await run_job(running)
    await flush(running)
    [step] = await repo.open_steps(db)
    await record(db, loan, world["t1"], 500_000, paid_on=date(2026, 11, 27))
    await tester.press(world["t1u"], f"spl:go:{step.id}")
    assert "Tidak perlu diterbitkan: tunggakan Yohanis Ndolu sudah lunas" in tester.last(world["t1u"]).text
    assert (await repo.get(db, step.id)).status == "closed"
    assert running.request.of("sendDocument") == []


async def test_a_partial_payment_keeps_the_step_open(running, world):
    db = world["db"]
    loan = await make_loan(db, world["borrower"])
    await run_job(running)
    await record(db, loan, world["t1"], 200_000, paid_on=date(2026, 11, 27))
    await ticks.run_due(db, running.app.bot, running.app.settings, clock.utcnow(), catch_up=False, jobs=[])
    assert [s.status for s in await repo.open_steps(db)] == ["open"]


async def test_an_unlinked_borrower_the_treasurer_hands_the_letter_over(running, tester, make_person, world):
    db = world["db"]
    offline, _ = await make_person(Role.BORROWER, name="Maria Bria", linked=False)
    await make_loan(db, offline)
    await run_job(running)
    [step] = await repo.open_steps(db)
    await tester.press(world["t1u"], f"spl:go:{step.id}")
    assert "belum terhubung ke Telegram" in " ".join(tester.texts(world["t1u"]))
    [doc] = running.request.of("sendDocument")
    assert doc.chat_id == world["t1u"].chat_id and "Maria Bria" in pdf_text(doc)


async def test_letters_show_on_the_borrower_detail_the_card_and_the_monthly_count(running, tester, world,
                                                                                    make_person):
    db = world["db"]
    loan = await make_loan(db, world["borrower"])
    await run_job(running)
    [step] = await repo.open_steps(db)
    await tester.press(world["t1u"], f"spl:go:{step.id}")
    running.request.clear()

    await tester.press(world["t1u"], f"brw:show:{world['borrower'].id}")
    detail = tester.last(world["t1u"])
    assert "SP-1 NKT1/SP-1/2026/0001: diterbitkan 28 November 2026, batas bayar 12 Desember 2026" in detail.text
    assert detail.button("SP-1") == f"spl:pdf:{step.id}"
    await tester.press(world["t1u"], f"spl:pdf:{step.id}")
    assert "NKT1/SP-1/2026/0001" in pdf_text(running.request.of("sendDocument")[-1])
    await tester.press(world["t2u"], f"spl:pdf:{step.id}")  # in the reader's language, the words in Indonesian
    english = pdf_text(running.request.of("sendDocument")[-1])
    for part in ("Warning Letter I (SP-1)", "Amount in arrears", "Lima ratus ribu rupiah", "by 12 December 2026",
                 "Ketua LPM, Kelurahan Naikoten Satu", "Lurah of Naikoten Satu"):
        assert part in english, part
    await tester.command(world["b"], "pinjaman")  # the borrower sees it on their own loan too
    assert "SP-1 NKT1/SP-1/2026/0001" in tester.last(world["b"]).text
    _stranger, s_user = await make_person(Role.BORROWER, name="Orang Lain", kelurahan=OTHER_KEL)
    before = len(running.request.of("sendDocument"))
    await tester.press(s_user, f"spl:pdf:{step.id}")
    assert len(running.request.of("sendDocument")) == before  # not theirs

    card = await card_model.card(db, loan.id, date(2026, 11, 28))
    assert [w.number for w in card.letters] == ["NKT1/SP-1/2026/0001"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(card_pdf(card, "id"))).pages)
    assert "Surat peringatan" in text and "SP-1 NKT1/SP-1/2026/0001" in text

    assert (await issued_in_month(db, "53.71.05.1004", 2026, 11)).sp1 == 1
    assert (await issued_in_month(db, "53.71.05.1004", 2026, 12)).total == 0
    assert (await issued_in_month(db, OTHER_KEL, 2026, 11)).total == 0


async def test_the_steps_follow_the_settings(running, world):
    db = world["db"]
    await make_loan(db, world["borrower"])
    settings = running.app.settings
    later = replace(settings, warning_steps=(45, 75, 105))
    assert await warning_job.run(db, clock.utcnow(), later) == 0  # 31 days late: not yet at 45
    assert await warning_job.run(db, clock.utcnow() + timedelta(days=14), later) == 2  # 45 days


async def test_surat_peringatan_shows_the_open_tasks_and_a_typed_label_counts_as_the_button(running, tester, world,
                                                                                             make_person):
    db = world["db"]
    t1 = world["t1u"]
    await tester.command(t1, "surat_peringatan")
    assert "Tidak ada surat peringatan" in tester.last(t1).text
    await make_loan(db, world["borrower"])
    await run_job(running)
    [step] = await repo.open_steps(db)
    await tester.command(t1, "surat_peringatan")
    assert "SP-1 perlu diterbitkan untuk Yohanis Ndolu" in tester.last(t1).text
    assert tester.last(t1).button("Terbitkan") == f"spl:go:{step.id}"

    second, _ = await make_person(Role.BORROWER, name="Maria Bria")
    await make_loan(db, second)
    await run_job(running)
    running.request.clear()
    await tester.send(t1, "terbitkan")  # two tasks open: which one must be chosen
    assert len([c for c in running.request.sent(t1.chat_id) if "perlu diterbitkan" in c.text]) == 2
    assert await audit.recent(db, action="warning.issued") == []

    await tester.press(t1, f"spl:go:{step.id}")
    await tester.send(t1, "Tunda 7 hari")  # one left: the label is its button
    assert "Mengapa SP-1 untuk Maria Bria ditunda 7 hari?" in tester.last(t1).text
    await tester.send(t1, "Sedang ke Atambua")
    assert "ditunda sampai" in tester.last(t1).text
    await tester.command(t1, "surat_peringatan")  # postponed: not listed until its week is over
    assert "Tidak ada surat peringatan" in tester.last(t1).text
    await tester.command(world["b"], "surat_peringatan")  # a borrower may not
    assert "SP-" not in tester.last(world["b"]).text
