"""``pem-bot seed-synthetic``: a small synthetic city through bot.cli.main.main, checked against the storage layer."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import run as cli
from bot.domain.loans import Payment, allocate, build_schedule
from bot.domain.synthetic import generate_kelurahan
from bot.runtime import clock
from storage import loans, repayments
from storage.db import Database
from tests.conftest import TEST_KEY

ARGS = ["seed-synthetic", "--kelurahan", "2", "--borrowers-per", "20", "--years", "1", "--seed", "1"]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen_clock) -> Path:
    db_path = tmp_path / "city.sqlite3"
    monkeypatch.setenv("PEM_DATABASE", str(db_path))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    monkeypatch.setenv("PEM_LANGUAGE", "id")
    monkeypatch.chdir(tmp_path)
    return db_path


def run_db(db_path: Path, work):
    async def go():
        db = await Database(db_path, data_key=TEST_KEY).open()
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(go())


def dump(db_path: Path, sql: str) -> list[tuple]:
    async def work(db):
        return [tuple(r) for r in await db.fetchall(sql)]

    return run_db(db_path, work)


def test_seed_synthetic_builds_a_consistent_city(env: Path, capsys):
    assert cli.main(ARGS) == 0
    out = capsys.readouterr().out
    assert "Kota sintetis dibuat" in out and "2 kelurahan" in out and "40 pinjaman" in out

    assert dump(env, "SELECT COUNT(*) FROM loans") == [(40,)]
    assert dump(env, "SELECT COUNT(DISTINCT kelurahan_code) FROM loans") == [(2,)]
    staff = dump(env, "SELECT role, COUNT(*) FROM person_roles GROUP BY role ORDER BY role")
    assert staff == [("admin", 2), ("borrower", 40), ("city", 1), ("coordinator", 2), ("lurah", 2),
                     ("treasurer", 2)]
    assert dump(env, "SELECT COUNT(*) FROM repayments WHERE status = 'verified'")[0][0] > 200
    assert dump(env, "SELECT COUNT(*) FROM events")[0][0] >= 6
    assert dump(env, "SELECT COUNT(*) FROM registrations")[0][0] > 0
    assert dump(env, "SELECT action FROM audit_log") == [("synthetic.created",)]
    # every repayment is within its loan's life and today (2026-11-28, the frozen clock)
    assert dump(env, """SELECT COUNT(*) FROM repayments AS r JOIN loans AS l ON l.id = r.loan_id
                        WHERE r.paid_on < l.disbursed_on OR r.paid_on > '2026-11-28'""") == [(0,)]

    async def check(db):
        ids = [r[0] for r in await db.fetchall("SELECT id FROM loans ORDER BY id")]
        for loan_id in ids:
            summary = await loans.summary(db, loan_id)
            assert summary is not None
            rows = await db.fetchall(
                "SELECT number, principal_paid, fee_paid, paid_on FROM installments WHERE loan_id = :l ORDER BY number",
                {"l": loan_id})
            computed = sorted((s.installment.number, s.principal_paid, s.fee_paid,
                               None if s.fully_paid_on is None else s.fully_paid_on.isoformat())
                              for s in summary.state.installments)
            assert [tuple(r) for r in rows] == computed, loan_id
            assert summary.loan.status == ("paid_off" if summary.state.is_paid_off else "active")
            pending = await db.fetchval(
                "SELECT COALESCE(SUM(amount), 0) FROM repayments WHERE loan_id = :l AND status = 'pending'",
                {"l": loan_id})
            assert pending <= summary.outstanding  # a pending report never asks more than is owed

        def snapshot_sql(loan_id: int) -> list[str]:
            return [
                f"SELECT id, principal_paid, fee_paid, paid_on FROM installments WHERE loan_id = {loan_id} ORDER BY id",
                f"""SELECT a.* FROM allocations AS a JOIN repayments AS r ON r.id = a.repayment_id
                    WHERE r.loan_id = {loan_id} ORDER BY a.repayment_id, a.installment_id""",
                f"SELECT status FROM loans WHERE id = {loan_id}",
            ]

        for loan_id in ids[::3]:
            before = [[tuple(r) for r in await db.fetchall(sql)] for sql in snapshot_sql(loan_id)]
            async with db.transaction() as tx:
                await repayments.reallocate(tx, loan_id, now=clock.utcnow())
            after = [[tuple(r) for r in await db.fetchall(sql)] for sql in snapshot_sql(loan_id)]
            assert after == before, loan_id

    run_db(env, check)


def test_seed_synthetic_is_deterministic_and_refuses_a_full_database(env: Path, tmp_path, monkeypatch, capsys):
    assert cli.main(ARGS) == 0
    assert cli.main(ARGS) == 1
    assert "sudah berisi data" in capsys.readouterr().err
    assert dump(env, "SELECT COUNT(*) FROM loans") == [(40,)]
    other = tmp_path / "again.sqlite3"
    monkeypatch.setenv("PEM_DATABASE", str(other))
    assert cli.main(ARGS) == 0
    sql = "SELECT loan_id, amount, paid_on, status, reported_at, verified_at FROM repayments ORDER BY id"
    assert dump(other, sql) == dump(env, sql)
    assert dump(other, "SELECT name, phone_hash, nik_hash FROM people ORDER BY id") == dump(
        env, "SELECT name, phone_hash, nik_hash FROM people ORDER BY id")  # sealed: the same values, by hash


def test_seed_synthetic_rejects_out_of_range_arguments(env: Path, capsys):
    assert cli.main(["seed-synthetic", "--kelurahan", "52"]) == 2
    assert "--kelurahan harus antara 1 dan 51" in capsys.readouterr().err
    assert not env.exists()


def test_a_full_size_kelurahan_has_the_realistic_mix():
    """One kelurahan at the benchmark size: ~33 repayments a loan, every status, amounts that allocate."""
    today = date(2026, 11, 28)
    kel = generate_kelurahan(1, "53.71.05.1004", 300, 3, today, ZoneInfo("Asia/Makassar"), set(), set())
    assert kel == generate_kelurahan(1, "53.71.05.1004", 300, 3, today, ZoneInfo("Asia/Makassar"), set(), set())
    statuses = [p.status for loan in kel.loans for p in loan.payments]
    assert {"verified", "pending", "rejected", "reversed"} <= set(statuses)
    assert 20 <= len(statuses) / len(kel.loans) <= 45
    assert {loan.profile for loan in kel.loans} == {"on_time", "late", "partial", "stopped"}
    assert min(loan.terms.principal for loan in kel.loans) >= 1_000_000
    assert max(loan.terms.principal for loan in kel.loans) <= 25_000_000
    for loan in kel.loans:
        verified = [Payment(i, p.amount, p.paid_on) for i, p in enumerate(loan.payments) if p.status == "verified"]
        allocate(build_schedule(loan.terms), verified)  # never overpays
        assert all(loan.terms.disbursed_on <= p.paid_on <= today for p in loan.payments)
    assert any(e.kind == "training" for e in kel.events) and any(e.status == "open" for e in kel.events)
