"""``pem-bot check-receipt NUMBER CODE [--pdf FILE]``: the same check as /cek_kuitansi, with the same key."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime
from decimal import Decimal

from pypdf import PdfReader

from bot.cli import run as cli
from bot.domain.loans import LoanTerms
from bot.domain.roles import Role
from bot.runtime import clock
from bot.services import repayments as svc
from storage import loans, people
from storage.db import Database
from storage.migrate import migrate
from tests.conftest import TEST_KEY

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
KEY = b"cli-test-key-0123456789"


async def _seed(path, key: bytes | None):
    db = await Database(path, data_key=TEST_KEY).open()
    try:
        await migrate(db)
        async with db.transaction() as tx:
            b = await people.create(tx, name="Ana Seran", kelurahan_code="53.71.05.1004", roles=[Role.BORROWER])
            t = await people.create(tx, name="Bendahara", kelurahan_code="53.71.05.1004", roles=[Role.TREASURER])
            loan = await loans.create(tx, borrower_id=b.id, kelurahan_code="53.71.05.1004", business=None,
                                      terms=LoanTerms(1_200_000, date(2026, 5, 15), 12, 0, Decimal(0)),
                                      created_by=t.id, now=clock.utcnow())
        result = await svc.record_cash_payment(db, loan_id=loan.id, recorded_by=t.id, kelurahan_code="53.71.05.1004",
                                               amount=100_000, paid_on=date(2026, 6, 15), idempotency_key="k",
                                               now=NOW, receipt_key=key)
        return result.receipt, result.repayment.id, t.id
    finally:
        await db.close()


async def _reverse(path, repayment_id, by):
    db = await Database(path, data_key=TEST_KEY).open()
    try:
        await svc.reverse_repayment(db, repayment_id, by=by, kelurahan_code="53.71.05.1004", reason="salah ketik",
                                    now=NOW)
    finally:
        await db.close()


def test_check_receipt(tmp_path, monkeypatch, capsys):
    path = tmp_path / "pem.sqlite3"
    monkeypatch.setenv("PEM_DATABASE", str(path))
    monkeypatch.setenv("PEM_RECEIPT_KEY", KEY.decode())
    monkeypatch.chdir(tmp_path)
    receipt, repayment_id, treasurer = asyncio.run(_seed(path, KEY))
    out = tmp_path / "k.pdf"
    assert cli.main(["check-receipt", receipt.number, receipt.code, "--pdf", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "ASLI DAN BERLAKU" in printed and "Rp100.000" in printed and "Ana Seran" in printed
    text = PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text()
    assert receipt.number in text and "Seratus ribu rupiah" in text

    assert cli.main(["check-receipt", receipt.number, "AAAA-BBBB"]) == 1
    printed = capsys.readouterr().out
    assert "TIDAK SAH" in printed and "Ana Seran" not in printed
    monkeypatch.setenv("PEM_RECEIPT_KEY", "another-key-0123456789")  # a receipt signed with the old key fails
    assert cli.main(["check-receipt", receipt.number, receipt.code]) == 1
    monkeypatch.setenv("PEM_RECEIPT_KEY", KEY.decode())

    asyncio.run(_reverse(path, repayment_id, treasurer))
    assert cli.main(["check-receipt", receipt.number, receipt.code]) == 1
    printed = capsys.readouterr().out
    assert "BATAL" in printed and "salah ketik" in printed


def test_a_short_receipt_key_is_a_configuration_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PEM_DATABASE", str(tmp_path / "pem.sqlite3"))
    monkeypatch.setenv("PEM_RECEIPT_KEY", "short")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check-receipt", "NKT1-2026-000001", "AAAA-BBBB"]) == 2
    assert "PEM_RECEIPT_KEY" in capsys.readouterr().err
