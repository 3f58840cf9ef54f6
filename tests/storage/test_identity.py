"""Issue 18 item 6: migration 0018 and its data step on a database built at 0017 with rows in clear, the key
check (a missing or wrong key refused), and rotating the key."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.roles import Role
from storage import applications, corrections, drafts, outbox, participants, people
from storage.crypto import NO_KEY, DataKey, DataKeyError, is_sealed, new_key
from storage.db import Database
from storage.identity import holds_sealed_data, rotate
from storage.migrate import available, migrate
from tests.conftest import NAIKOTEN_SATU, TEST_KEY
from tests.storage.test_encryption_at_rest import raw_hits, scan

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
NIK_A, NIK_B, NIK_P = "5371054107900003", "5371051203750004", "5371052003050001"
PHONE_A, PHONE_P, PHONE_NEW = "+6281339001122", "+6282147005566", "+6281311112222"


def build_at_0017(path: Path) -> None:
    """A database at migration 0017 (before encryption) holding NIKs and phones in clear everywhere."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    for migration in available()[:17]:
        conn.executescript(f"BEGIN;\n{migration.sql}\n;PRAGMA user_version = {migration.version};\nCOMMIT;")
    kel = NAIKOTEN_SATU
    conn.executescript(f"""
        INSERT INTO people (id, name, phone, nik, kelurahan_code) VALUES
            (1, 'Agustinus Ndun', '{PHONE_A}', '{NIK_A}', '{kel}'),
            (2, 'Maria Lay', '+6281200000001', NULL, '{kel}'),
            (3, 'Rini Bessie', '{PHONE_P}', NULL, '{kel}');
        INSERT INTO person_roles (person_id, role) VALUES (1, 'borrower'), (2, 'admin'), (3, 'participant');
        INSERT INTO participants (id, kelurahan_code, name, nik, phone, consent_at, person_id)
            VALUES (1, '{kel}', 'Rini Bessie', '{NIK_P}', '{PHONE_P}', '2026-11-01 00:00:00', 3);
        INSERT INTO applications (kelurahan_code, applicant_id, entered_by, name, nik, phone, business,
                                  business_type, amount, purpose, submitted_at)
            VALUES ('{kel}', 1, 1, 'Agustinus Ndun', '{NIK_B}', '{PHONE_A}', 'Kios', 'Dagang', 5000000, 'Stok',
                    '2026-11-20 00:00:00');
        INSERT INTO correction_requests (person_id, kelurahan_code, field, old_value, new_value, requested_at)
            VALUES (1, '{kel}', 'phone', '{PHONE_A}', '{PHONE_NEW}', '2026-11-21 00:00:00');
        INSERT INTO form_drafts (telegram_user_id, kind, form_id, step, data, started_at, updated_at)
            VALUES (555, 'apply', 'ab12cd', 'phone', '{{"name":"Kornelis Tefa","nik":"5371056512880002"}}',
                    '2026-11-28 01:00:00', '2026-11-28 01:00:00');
        INSERT INTO outbox (kind, recipient_id, dedupe_key, template, context, not_before)
            VALUES ('notice', 2, 'n:1', 'common/notice', '{{"text":"Hubungi 0813-3900-1122"}}',
                    '2026-11-28 01:00:00');
    """)
    conn.close()


VALUES = {NIK_A, NIK_B, NIK_P, PHONE_A, PHONE_P, PHONE_NEW, "+6281200000001", "5371056512880002"}


async def test_a_database_at_0017_is_encrypted_when_opened_with_the_key(tmp_path):
    path = tmp_path / "old.sqlite3"
    build_at_0017(path)
    assert {v for _, _, v in scan(path, VALUES)} == VALUES  # in clear before

    db = await Database(path, data_key=TEST_KEY).open()
    try:
        applied = await migrate(db)  # 0018 and whatever came after it
        assert applied[0] == "0018_encrypted_identity.sql" and applied == sorted(applied)
        # everything reads back, and the look-ups find it by hash
        person = await people.by_phone(db, PHONE_A, NAIKOTEN_SATU)
        assert person is not None and person.id == 1 and person.phone == PHONE_A
        assert await people.id_by_nik(db, NIK_A) == 1 and await people.nik_of(db, 1) == NIK_A
        assert [p.id for p in await people.all_by_phone(db, PHONE_P)] == [3]
        participant = await participants.participant_by_nik(db, NIK_P)
        assert participant is not None and participant.phone == PHONE_P
        application = await applications.open_for_nik(db, NIK_B)
        assert application is not None and (application.nik, application.phone) == (NIK_B, PHONE_A)
        [request] = await corrections.for_person(db, 1)
        assert (request.old_value, request.new_value) == (PHONE_A, PHONE_NEW)
        draft = await drafts.get(db, 555)
        assert draft is not None and draft.data["nik"] == "5371056512880002"
        [notice] = await outbox.due(db, NOW, limit=10)
        assert notice.context == {"text": "Hubungi 0813-3900-1122"}
        # a second open changes nothing (idempotent)
        before = await db.fetchall("SELECT phone, nik, phone_hash, nik_hash FROM people ORDER BY id")
        assert await migrate(db) == []
        after = await db.fetchall("SELECT phone, nik, phone_hash, nik_hash FROM people ORDER BY id")
        assert [tuple(r) for r in before] == [tuple(r) for r in after]
        assert all(is_sealed(r["phone"]) for r in after)
        assert await db.fetchall("PRAGMA foreign_key_check") == []
        assert int(await db.fetchval("PRAGMA foreign_keys")) == 1
        # the CHECKs on nik/phone are gone, the others stay; the unique NIK moved onto the hash
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute("INSERT INTO people (name, language) VALUES ('X', 'xx')")
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute("INSERT INTO participants (kelurahan_code, name, nik_hash, consent_at) "
                             "VALUES (:k, 'Y', :h, '2026-11-01')", {"k": NAIKOTEN_SATU,
                                                                    "h": TEST_KEY.hash("nik", NIK_P)})
        indexes = {r["name"] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"people_phone", "people_nik", "people_kelurahan", "participants_kelurahan_name",
                "applications_queue", "applications_applicant", "applications_nik"} <= indexes
    finally:
        await db.close()
    assert scan(path, VALUES) == []
    assert raw_hits(path, VALUES) == []  # the old pages are gone too (VACUUM)
    assert holds_sealed_data(path)


async def test_without_the_key_or_with_another_the_database_is_refused(tmp_path):
    path = tmp_path / "pem.sqlite3"
    db = await Database(path, data_key=TEST_KEY).open()
    await migrate(db)
    async with db.transaction() as tx:
        await people.create(tx, name="Maria Bria", kelurahan_code=NAIKOTEN_SATU, roles=(Role.BORROWER,),
                            phone=PHONE_A)
    await db.close()
    for key, code in ((NO_KEY, "missing"), (DataKey(new_key()), "wrong")):
        other = await Database(path, data_key=key).open()
        try:
            with pytest.raises(DataKeyError) as refused:
                await migrate(other)
            assert refused.value.code == code
        finally:
            await other.close()


async def test_rotating_the_key_reencrypts_everything_and_the_old_key_is_refused(tmp_path):
    path = tmp_path / "old.sqlite3"
    build_at_0017(path)
    db = await Database(path, data_key=TEST_KEY).open()
    await migrate(db)
    sealed_before = await db.fetchval("SELECT phone FROM people WHERE id = 1")
    new = DataKey(new_key())
    rows = await rotate(db, new, now=NOW)
    assert rows >= 7  # 3 people, the participant, the application, the request, the draft, the notice
    await db.close()

    old = await Database(path, data_key=TEST_KEY).open()
    try:
        with pytest.raises(DataKeyError, match="wrong"):
            await migrate(old)
        with pytest.raises(DataKeyError, match="wrong"):
            TEST_KEY.reveal(await old.fetchval("SELECT phone FROM people WHERE id = 1"))
    finally:
        await old.close()
    rotated = await Database(path, data_key=new).open()
    try:
        assert await migrate(rotated) == []
        assert await rotated.fetchval("SELECT phone FROM people WHERE id = 1") != sealed_before
        assert (await people.by_phone(rotated, PHONE_A, NAIKOTEN_SATU)).id == 1
        assert (await participants.participant_by_nik(rotated, NIK_P)).phone == PHONE_P
        assert (await applications.open_for_nik(rotated, NIK_B)).nik == NIK_B
        assert [r.new_value for r in await corrections.for_person(rotated, 1)] == [PHONE_NEW]
        assert (await drafts.get(rotated, 555)).data["nik"] == "5371056512880002"
        assert [m.context for m in await outbox.due(rotated, NOW, limit=10)] == [{"text": "Hubungi 0813-3900-1122"}]
    finally:
        await rotated.close()
    assert raw_hits(path, VALUES) == []


def test_a_new_key_never_starts_like_a_command_line_option(monkeypatch):
    """``pem-bot rotate-key --new-key KEY`` must read every key ``init-key`` prints (one in 64 began with ``-``)."""
    import secrets

    from storage import crypto

    drawn = iter(["-" + "A" * 42, "B" * 43])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: next(drawn))
    assert crypto.new_key() == "B" * 43
    monkeypatch.undo()
    assert all(not crypto.new_key().startswith("-") for _ in range(500))
