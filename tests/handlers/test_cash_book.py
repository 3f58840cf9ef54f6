"""/kas: the treasurer's cash book entries, corrections and bank statements, through the real update path."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.roles import Role
from storage import audit
from tests.handlers.loan_fixtures import make_loan, record

OTHER_KEL = "53.71.01.1001"


@pytest.fixture
async def world(running, make_person):
    db = running.app.db
    treasurer, tu = await make_person(Role.TREASURER, name="Fransiska Manafe")
    borrower, _ = await make_person(Role.BORROWER, name="Yohanis Ndolu", linked=False)
    other, ou = await make_person(Role.TREASURER, name="Bendahara Lain", kelurahan=OTHER_KEL)
    return {"db": db, "t": treasurer, "tu": tu, "borrower": borrower, "other": other, "ou": ou}


async def _entries(db):
    return [dict(r) for r in await db.fetchall("SELECT * FROM cash_entries ORDER BY id")]


async def test_grant_with_bad_inputs_then_balances(running, tester, world):
    tu, db = world["tu"], world["db"]
    await tester.command(tu, "kas")
    first = tester.last(tu)
    assert "Buku kas" in first.text and "Kas tunai: <b>Rp0</b>" in first.text
    await tester.send(tu, "hibah")  # not a button label
    assert "tombol" in tester.texts(tu)[-2]
    await tester.send(tu, "dana hibah kota")  # a button's label counts as tapping it
    await tester.press(tu, tester.last(tu).button("Bank"))
    await tester.send(tu, "x" * 41)
    assert "paling banyak 40" in tester.texts(tu)[-2]
    await tester.send(tu, "2")
    for bad, expected in [("banyak", "bukan jumlah uang"), ("0", "tidak boleh nol"),
                          ("20000 jt", "terlalu besar")]:
        await tester.send(tu, bad)
        assert expected in tester.texts(tu)[-2], bad
    await tester.send(tu, "50 jt")
    await tester.send(tu, "30/11/2026")
    assert "belum terjadi" in tester.texts(tu)[-2]
    await tester.send(tu, "1/1/2009")
    assert "terlalu lama" in tester.texts(tu)[-2]
    await tester.send(tu, "2/11/2026")
    await tester.send(tu, "ok")
    assert "3–200 karakter" in tester.texts(tu)[-2]
    await tester.send(tu, "Hibah Pemkot tahap 2")
    await tester.send(tu, "bukan foto")
    assert "sebagai foto" in tester.texts(tu)[-2]
    await tester.photo(tu, "proof-1")
    summary = tester.last(tu)
    assert "Dana hibah kota" in summary.text and "Tahap 2" in summary.text and "Rp50.000.000" in summary.text
    assert "2 November 2026" in summary.text and "Foto bukti: ada" in summary.text
    confirm = summary.button("Konfirmasi")
    await tester.press(tu, confirm)
    await tester.press(tu, confirm)  # a double tap stores it once
    done = tester.texts(tu)
    assert any("KAS-00001" in t and "Rp50.000.000" in t for t in done)
    rows = await _entries(db)
    assert len(rows) == 1
    row = rows[0]
    assert (row["kind"], row["account"], row["amount"], row["entry_date"], row["round_label"],
            row["photo_file_id"], row["description"]) == (
        "grant", "bank", 50_000_000, "2026-11-02", "Tahap 2", "proof-1", "Hibah Pemkot tahap 2")
    assert row["recorded_by"] == world["t"].id
    assert len(await audit.recent(db, action="cash.recorded")) == 1
    assert await db.fetchval("SELECT COUNT(*) FROM form_drafts") == 0

    # a disbursement (out of the bank) and a cash repayment show in the balances without being typed
    loan = await make_loan(db, world["borrower"], principal=6_000_000, disbursed_on=date(2026, 11, 3))
    await record(db, loan, world["t"], 500_000, paid_on=date(2026, 11, 20))
    await tester.command(tu, "kas")
    text = tester.last(tu).text
    assert "Kas tunai: <b>Rp500.000</b>" in text and "Bank: <b>Rp44.000.000</b>" in text
    assert "Jumlah: <b>Rp44.500.000</b>" in text


async def _bank_charge(tester, tu, amount="15rb"):
    await tester.command(tu, "kas")
    await tester.press(tu, tester.last(tu).button("Biaya bank"))
    await tester.send(tu, amount)
    await tester.press(tu, tester.last(tu).button("Hari ini"))
    await tester.send(tu, "Biaya administrasi November")
    await tester.press(tu, tester.last(tu).button("Lewati"))
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))


async def test_correction_is_a_reversing_entry_and_only_once(running, tester, world):
    tu, db = world["tu"], world["db"]
    await _bank_charge(tester, tu, "150rb")  # should have been 15rb
    await tester.command(tu, "kas")
    await tester.press(tu, tester.last(tu).button("Koreksi entri"))
    pick = tester.last(tu)
    assert "KAS-00001" in pick.text and "Biaya bank" in pick.text
    await tester.press(tu, pick.button("KAS-00001"))
    await tester.send(tu, "typo")
    assert "5–200 karakter" in tester.texts(tu)[-2]
    await tester.send(tu, "jumlah salah ketik")
    summary = tester.last(tu)
    assert "Koreksi untuk" in summary.text and "Rp150.000" in summary.text
    await tester.press(tu, summary.button("Konfirmasi"))
    assert "Koreksi tercatat (KAS-00002)" in tester.last(tu).text
    assert "bank Rp0" in tester.last(tu).text
    rows = await _entries(db)
    assert [(r["kind"], r["amount"], r["reverses_id"], r["reason"], r["entry_date"]) for r in rows] == [
        ("bank_charge", 150_000, None, None, "2026-11-28"),
        ("reversal", 150_000, 1, "jumlah salah ketik", "2026-11-28")]
    assert len(await audit.recent(db, action="cash.reversed")) == 1
    # nothing left to correct: the reversed entry and the reversal are not offered
    await tester.command(tu, "kas")
    await tester.press(tu, tester.last(tu).button("Koreksi entri"))
    assert "Belum ada entri buku kas yang bisa dikoreksi" in tester.last(tu).text
    # append-only in the database too
    with pytest.raises(Exception, match="append-only"):
        await db.execute("UPDATE cash_entries SET amount = 1 WHERE id = 1")
    with pytest.raises(Exception, match="append-only"):
        await db.execute("DELETE FROM cash_entries")


async def test_statement_and_reconciliation(running, tester, world):
    tu, db = world["tu"], world["db"]
    await tester.command(tu, "kas")
    await tester.press(tu, tester.last(tu).button("Saldo awal"))
    await tester.press(tu, tester.last(tu).button("Bank"))
    await tester.send(tu, "2 jt")
    await tester.send(tu, "1/10/2026")
    await tester.send(tu, "Saldo awal rekening LPM")
    await tester.press(tu, tester.last(tu).button("Lewati"))
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))
    await tester.command(tu, "kas")
    await tester.press(tu, tester.last(tu).button("rekening koran"))
    months = tester.last(tu)
    assert months.button_texts == ["Oktober 2026", "September 2026", "Agustus 2026"]
    await tester.send(tu, "12/2026")
    assert "belum terjadi" in tester.texts(tu)[-2]
    await tester.send(tu, "13/2026")
    assert "tidak terbaca" in tester.texts(tu)[-2]
    await tester.send(tu, "10/2026")
    await tester.send(tu, "1.990.000")
    await tester.press(tu, tester.last(tu).button("Lewati"))
    summary = tester.last(tu)
    assert "Oktober 2026" in summary.text and "Rp1.990.000" in summary.text
    await tester.press(tu, summary.button("Konfirmasi"))
    done = tester.last(tu).text
    assert "Selisih dengan buku: <b>-Rp10.000</b>" in done
    row = await db.fetchone("SELECT * FROM bank_statements")
    assert (row["month"], row["closing_balance"], row["recorded_by"]) == ("2026-10", 1_990_000, world["t"].id)
    await tester.command(tu, "kas")
    assert "selisih -Rp10.000" in tester.last(tu).text


async def test_only_treasurers_and_english(running, tester, world, make_person):
    _, lurah = await make_person(Role.LURAH)
    await tester.command(lurah, "kas")
    assert "tidak" in tester.last(lurah).text.lower()
    assert await db_count(world["db"]) == 0
    _, en = await make_person(Role.TREASURER, name="English Treasurer", language="en")
    await tester.command(en, "cashbook")
    assert "Cash book" in tester.last(en).text
    assert "Bank charge" in tester.last(en).button_texts


async def test_other_kelurahan_entry_cannot_be_corrected(running, tester, world):
    await _bank_charge(tester, world["ou"])
    await tester.command(world["tu"], "kas")
    await tester.press(world["tu"], tester.last(world["tu"]).button("Koreksi entri"))
    assert "Belum ada entri" in tester.last(world["tu"]).text
    assert await world["db"].fetchval("SELECT COUNT(*) FROM cash_entries WHERE kind = 'reversal'") == 0

async def db_count(db) -> int:
    return await db.fetchval("SELECT COUNT(*) FROM cash_entries")
