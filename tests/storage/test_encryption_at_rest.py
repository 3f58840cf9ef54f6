"""Issue 18 item 6: "A database file or backup copied without the key reveals no NIK or phone number."

A realistic database is built through the real flows (the demo kelurahan, ``pem-bot import-loans`` with NIKs, a
participant registered with a phone, an ``/ajukan`` application, a ``/koreksi`` of a phone waiting for the admin,
a half-finished ``/ajukan`` holding a typed NIK, the notices they queue), backed up with the project's backup
code, and then both files are opened with plain ``sqlite3``: every text and blob column of every table is
searched for every NIK and phone in every common spelling, and so are the files' raw bytes (free pages, the WAL).
The same scan on a database written without a key finds them (the scan can fail: it did on main)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.cli.run import main as pem_bot
from bot.domain.demo import generate
from bot.domain.parsing.phone import format_phone_national
from bot.domain.roles import Role
from bot.jobs.backup import make_backup
from bot.runtime import clock
from bot.services import events as event_service
from bot.services import registrations as registration_service
from bot.services.demo import write_demo
from storage import applications, corrections, drafts, outbox, participants, people
from storage.db import Database
from storage.migrate import migrate
from tests.conftest import NAIKOTEN_SATU

pytestmark = pytest.mark.usefixtures("no_pacing")

APPLICANT_NIK = "5371054107900003"
DRAFT_NIK = "5371056512880002"
PARTICIPANT_NIK = "5371052003050001"
IMPORTED = (("Agustinus Ndun", "+6281339001122", "5371051203750004"),
            ("Marselina Lado", "+6285239003344", "5371054407820001"))
PARTICIPANT_PHONE = "+6282147005566"
CORRECTED_PHONE = "+6281311112222"
NOTICE_PHONE = "+6281299887766"


def spellings(value: str) -> set[str]:
    """A phone as +62…, 62…, 08…, 8… and 0812-3456-7890; a NIK as its 16 digits and in groups of four."""
    if value.startswith("+62"):
        national = "0" + value[3:]
        return {value, value[1:], national, value[3:], format_phone_national(value)}
    return {value, "-".join(value[i:i + 4] for i in range(0, 16, 4)), " ".join(value[i:i + 4] for i in range(0, 16, 4))}


def scan(path: Path, values: set[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) of every value found in clear in any text or blob column, read with sqlite3."""
    needles = {s: v for v in values for s in spellings(v)}
    found = []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            for row in conn.execute(f"SELECT * FROM {table}"):
                for column, cell in zip(columns, row, strict=True):
                    if isinstance(cell, bytes | str):
                        text = cell.decode("latin-1") if isinstance(cell, bytes) else cell
                        found += [(table, column, needles[n]) for n in needles if n in text]
    finally:
        conn.close()
    return found


def raw_hits(path: Path, values: set[str]) -> list[tuple[str, str]]:
    """(file, value) of every spelling found in the raw bytes of the file and its WAL (freed pages too)."""
    hits = []
    for part in (path, path.with_name(path.name + "-wal")):
        if part.is_file():
            data = part.read_bytes()
            hits += [(part.name, v) for v in values for s in spellings(v) if s.encode() in data]
    return hits


async def _apply(tester, user, *, name: str, nik: str, phone: str) -> None:
    await tester.command(user, "ajukan")
    for answer in (name, nik, phone, "Warung makan di depan pasar", "Kuliner", "5 jt", "Tambah kompor dan meja"):
        await tester.send(user, answer)
    await tester.press(user, tester.last(user).button("Lewati"))
    await tester.press(user, tester.last(user).button("Konfirmasi"))


async def test_a_database_and_its_backup_reveal_no_nik_or_phone(running, tester, make_person, settings,
                                                                tmp_path, monkeypatch):
    db = running.app.db
    now = clock.utcnow()
    # 1. the demo kelurahan (what `pem-bot demo-data` and `pem-bot try` write): 30 borrowers, staff, phones
    written = await write_demo(db, generate(1, date(2026, 11, 28), NAIKOTEN_SATU), language="id",
                               timezone=settings.timezone, now=now, invite_borrowers=("Yohanes",))
    assert written is not None
    # 2. loans with NIKs through `pem-bot import-loans`
    sheet = tmp_path / "loans.csv"
    sheet.write_text("name,phone,nik,kelurahan,business,principal,disbursed_on,tenor_months,grace_months,"
                     "fee_percent\n" + "".join(
                         f"{name},{format_phone_national(phone)},{nik},Naikoten Satu,Kios,5000000,2026-06-01,12,0,0\n"
                         for name, phone, nik in IMPORTED), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PEM_DATABASE", str(settings.database))
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "pem_test_bot")
    assert await asyncio.to_thread(pem_bot, ["import-loans", str(sheet)]) == 0
    # 3. a participant registered for a training with a phone
    coordinator, _ = await make_person(Role.COORDINATOR, name="Yanti Nalle")
    event = await event_service.create_event(
        db, kelurahan_code=NAIKOTEN_SATU, title="Pelatihan Menjahit", kind="training", organiser="disnaker",
        starts_at=now + timedelta(days=10), place="Aula Kelurahan", capacity=20,
        registration_deadline=now + timedelta(days=8), min_age=None, max_age=None, created_by=coordinator.id)
    registered = await registration_service.register_participant(
        db, event_id=event.id, kelurahan_code=NAIKOTEN_SATU, by=coordinator.id, now=now,
        new=registration_service.NewParticipant(name="Rini Bessie", nik=PARTICIPANT_NIK, birth_date=date(2005, 3, 20),
                                                sex="F", phone=PARTICIPANT_PHONE, address="Jl. Kenari 3",
                                                education="sma", work_status="not_working"))
    assert registered.outcome == registration_service.Outcome.DONE
    # 4. an application through /ajukan (the applicant's NIK and phone)
    await make_person(Role.TREASURER, name="Fransiska Manafe")
    admin, _ = await make_person(Role.ADMIN, name="Maria Lay")
    _, au = await make_person(Role.PARTICIPANT, name="Yuliana Bessie", phone="+6281234567890")
    await _apply(tester, au, name="Yuliana Bessie", nik=APPLICANT_NIK, phone="081234567890")
    [application] = await applications.by_status(db, NAIKOTEN_SATU, "submitted", offset=0, limit=5)
    assert (application.nik, application.phone) == (APPLICANT_NIK, "+6281234567890")
    # 5. a phone correction waiting for the admin (/koreksi): the old and the new phone
    borrower, bu = await make_person(Role.BORROWER, name="Maria Bria", phone="+6281377001234")
    await tester.command(bu, "koreksi")
    await tester.send(bu, "nomor hp")
    await tester.send(bu, format_phone_national(CORRECTED_PHONE))
    await tester.press(bu, tester.last(bu).button("Konfirmasi"))
    [request] = await corrections.for_person(db, borrower.id)
    assert (request.status, request.new_value) == ("pending", CORRECTED_PHONE)
    # 6. a half-finished /ajukan holding a typed NIK
    _, ou = await make_person(Role.BORROWER, name="Kornelis Tefa", phone="+6281222333444")
    await tester.command(ou, "ajukan")
    await tester.send(ou, "Kornelis Tefa")
    await tester.send(ou, DRAFT_NIK)
    draft = await drafts.get(db, ou.id)
    assert draft is not None and DRAFT_NIK in str(draft.data)
    # 7. a queued notice whose text quotes a phone number (notices are rendered text)
    await outbox.enqueue_notice(db, recipient_id=admin.id, dedupe_key="test:phone-notice", not_before=now,
                                text=f"Hubungi peminjam di {format_phone_national(NOTICE_PHONE)}")
    assert (await outbox.due(db, now + timedelta(minutes=1), limit=500))  # notices are queued

    # every NIK and phone the database holds, read back through the repositories (with the key)
    everyone = await people.list_people(db)
    phones = {p.phone for p in everyone if p.phone}
    niks = {nik for p in everyone if (nik := await people.nik_of(db, p.id))}
    participant = await participants.participant_by_nik(db, PARTICIPANT_NIK)
    assert participant is not None and participant.phone == PARTICIPANT_PHONE
    values = phones | niks | {PARTICIPANT_NIK, PARTICIPANT_PHONE, APPLICANT_NIK, DRAFT_NIK, CORRECTED_PHONE,
                              NOTICE_PHONE}
    assert len(phones) >= 30 and {nik for _, _, nik in IMPORTED} <= niks

    backup = await make_backup(settings.database, settings, clock.utcnow())
    assert scan(settings.database, values) == []
    assert scan(backup, values) == []
    assert raw_hits(settings.database, values) == []
    assert raw_hits(backup, values) == []


async def test_the_scan_finds_what_is_stored_without_a_key(tmp_path):
    """The control: written without a key (as main stored everything), the same scan finds the values."""
    db = await Database(tmp_path / "clear.sqlite3").open()
    try:
        await migrate(db)
        async with db.transaction() as tx:
            person = await people.create(tx, name="Maria Bria", kelurahan_code=NAIKOTEN_SATU,
                                         roles=(Role.BORROWER,), phone="+6281377001234")
            await people.set_nik(tx, person.id, APPLICANT_NIK)
    finally:
        await db.close()
    assert {v for _, _, v in scan(tmp_path / "clear.sqlite3", {"+6281377001234", APPLICANT_NIK})} == {
        "+6281377001234", APPLICANT_NIK}
