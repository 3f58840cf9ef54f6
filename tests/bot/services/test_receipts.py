"""Receipts (issue 15 part 1) against a migrated database: issued in the verifying transaction, gap-free numbers,
voided by a reversal, genuine/forged checks, and the PDF read back with pypdf."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from bot.domain.loans import LoanTerms
from bot.domain.receipts import verification_code
from bot.domain.roles import Role
from bot.runtime import clock
from bot.services import receipts as receipt_service
from bot.services import repayments as svc
from bot.services.receipts import Check
from messages.documents import receipt_pdf
from storage import audit, loans, people, receipts
from storage.db import Database
from tests.conftest import NAIKOTEN_SATU, NOW

KEL = NAIKOTEN_SATU


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
async def world(db: Database, frozen_clock):
    async with db.transaction() as tx:
        maria = await people.create(tx, name="Maria Bria", kelurahan_code=KEL, roles=[Role.BORROWER])
        jose = await people.create(tx, name="José Ngữ Ştefan", kelurahan_code=KEL, roles=[Role.BORROWER])
        t1 = await people.create(tx, name="Bendahara Satu", kelurahan_code=KEL, roles=[Role.TREASURER])
        loan = await loans.create(tx, borrower_id=maria.id, kelurahan_code=KEL, business="warung",
                                  terms=LoanTerms(6_000_000, date(2026, 5, 15), 12, 0, Decimal(1)),
                                  created_by=t1.id, now=clock.utcnow())
        loan2 = await loans.create(tx, borrower_id=jose.id, kelurahan_code=KEL, business="bengkel",
                                   terms=LoanTerms(1_200_000, date(2026, 5, 15), 12, 0, Decimal(0)),
                                   created_by=t1.id, now=clock.utcnow())
    return {"db": db, "maria": maria, "jose": jose, "t1": t1, "loan": loan, "loan2": loan2}


async def _verified(w, amount: int, key: str, loan=None, reporter=None, paid_on=date(2026, 6, 15), now=NOW):
    rep = await svc.report_repayment(w["db"], loan_id=(loan or w["loan"]).id, reported_by=(reporter or w["maria"]).id,
                                     amount=amount, paid_on=paid_on, method="transfer", idempotency_key=key, now=now)
    return await svc.verify_repayment(w["db"], rep.repayment.id, now=now, by=w["t1"].id, kelurahan_code=KEL)


async def test_verification_issues_a_numbered_receipt_in_the_same_transaction(world):
    db = world["db"]
    result = await _verified(world, 560_000, "a")
    receipt = result.receipt
    assert receipt is not None and receipt.number == "NKT1-2026-000001"
    row = await db.fetchone("SELECT * FROM receipts WHERE repayment_id = :r", {"r": result.repayment.id})
    assert (row["kelurahan_code"], row["year"], row["seq"], row["amount"], row["paid_on"]) == (
        KEL, 2026, 1, 560_000, "2026-06-15")
    assert row["issued_by"] == world["t1"].id and row["voided_at"] is None
    assert row["issued_at"] == "2026-11-28 02:00:00"
    assert await db.fetchval("SELECT last_number FROM receipt_counters WHERE kelurahan_code = :k", {"k": KEL}) == 1
    [entry] = await audit.recent(db, action="receipt.issued")
    assert entry.details["number"] == "NKT1-2026-000001" and entry.details["balance_after"] == 6_720_000 - 560_000


async def test_numbers_are_gap_free_and_a_refused_verification_takes_no_number(world):
    db = world["db"]
    first = await _verified(world, 560_000, "a")
    # an overpaying report: its verification is refused, and no number is used up
    big = await svc.report_repayment(db, loan_id=world["loan2"].id, reported_by=world["jose"].id, amount=1_200_000,
                                     paid_on=date(2026, 6, 15), method="cash", idempotency_key="big",
                                     now=clock.utcnow())
    await svc.record_cash_payment(db, loan_id=world["loan2"].id, recorded_by=world["t1"].id, kelurahan_code=KEL,
                                  amount=100_000, paid_on=date(2026, 6, 16), idempotency_key="cash-1",
                                  now=clock.utcnow())
    refused = await svc.verify_repayment(db, big.repayment.id, now=NOW, by=world["t1"].id, kelurahan_code=KEL)
    assert refused.outcome is svc.Outcome.OVERPAYMENT and refused.receipt is None
    second = await _verified(world, 560_000, "b")
    numbers = [r["number"] for r in await db.fetchall("SELECT number FROM receipts ORDER BY id")]
    assert numbers == ["NKT1-2026-000001", "NKT1-2026-000002", "NKT1-2026-000003"]
    assert first.receipt.number == numbers[0] and second.receipt.number == numbers[2]
    # issuing again for the same repayment gives the same receipt, no new number
    async with db.transaction() as tx:
        again = await receipt_service.issue_in(tx, db, repayment_id=first.repayment.id, by=world["t1"].id,
                                               now=NOW, receipt_key=None, kelurahan_code=KEL)
    assert again.number == numbers[0]
    assert await db.fetchval("SELECT COUNT(*) FROM receipts") == 3


async def test_a_cash_record_gets_its_receipt_and_a_duplicate_the_same_one(world):
    db = world["db"]
    kwargs = dict(loan_id=world["loan"].id, recorded_by=world["t1"].id, kelurahan_code=KEL, amount=300_000,
                  paid_on=date(2026, 6, 16), idempotency_key="cash-x")
    stored = await svc.record_cash_payment(db, **kwargs, now=clock.utcnow())
    dup = await svc.record_cash_payment(db, **kwargs, now=clock.utcnow())
    assert stored.receipt.number == "NKT1-2026-000001" and dup.receipt.number == stored.receipt.number
    assert stored.receipt.recorded_by_treasurer


async def test_reversal_voids_the_receipt_and_never_reuses_its_number(world):
    db = world["db"]
    first = await _verified(world, 560_000, "a")
    reversed_ = await svc.reverse_repayment(db, first.repayment.id, now=NOW, by=world["t1"].id, kelurahan_code=KEL,
                                            reason="transfer gagal")
    assert reversed_.receipt.void and reversed_.receipt.void_reason == "transfer gagal"
    row = await db.fetchone("SELECT voided_at, voided_by, void_reason FROM receipts WHERE id = :i",
                            {"i": first.receipt.id})
    assert (row["voided_at"], row["voided_by"]) == ("2026-11-28 02:00:00", world["t1"].id)
    second = await _verified(world, 560_000, "b")
    assert second.receipt.number == "NKT1-2026-000002"
    assert await db.fetchval("SELECT COUNT(*) FROM receipts") == 2  # never deleted
    assert [e.details["number"] for e in await audit.recent(db, action="receipt.voided")] == ["NKT1-2026-000001"]


async def test_check_receipt_genuine_void_and_forged(world):
    db = world["db"]
    result = await _verified(world, 560_000, "a")
    r = result.receipt
    assert (await receipt_service.check_receipt(db, r.number, r.code, receipt_key=None)).outcome is Check.VALID
    # typed loosely: lower case, spaces, no dash
    loose = await receipt_service.check_receipt(db, r.number.lower(), r.code.replace("-", " ").lower(),
                                                receipt_key=None)
    assert loose.outcome is Check.VALID
    # a made-up code, another number's code, an unknown number, not a number at all
    assert (await receipt_service.check_receipt(db, r.number, "AAAA-AAAA", receipt_key=None)).outcome \
        is Check.NOT_GENUINE
    forged = verification_code(b"some other key, not ours", r.number, r.amount, r.paid_on)
    assert (await receipt_service.check_receipt(db, r.number, forged, receipt_key=None)).receipt is None
    assert (await receipt_service.check_receipt(db, "NKT1-2026-000099", r.code, receipt_key=None)).outcome \
        is Check.NOT_GENUINE
    assert (await receipt_service.check_receipt(db, "kuitansi", r.code, receipt_key=None)).outcome \
        is Check.BAD_NUMBER
    # a receipt whose amount was changed in the database no longer matches its code
    await db.execute("UPDATE receipts SET amount = 5600000 WHERE id = :i", {"i": r.id})
    assert (await receipt_service.check_receipt(db, r.number, r.code, receipt_key=None)).outcome \
        is Check.NOT_GENUINE
    await db.execute("UPDATE receipts SET amount = 560000 WHERE id = :i", {"i": r.id})
    await svc.reverse_repayment(db, result.repayment.id, now=NOW, by=world["t1"].id, kelurahan_code=KEL,
                                reason="salah catat")
    void = await receipt_service.check_receipt(db, r.number, r.code, receipt_key=None)
    assert void.outcome is Check.VOID and void.receipt.void_reason == "salah catat"


async def test_an_environment_key_signs_and_older_codes_stay_valid(world):
    db = world["db"]
    old = (await _verified(world, 560_000, "a")).receipt
    env_key = b"0123456789abcdef-production"
    rep = await svc.report_repayment(db, loan_id=world["loan"].id, reported_by=world["maria"].id, amount=560_000,
                                     paid_on=date(2026, 7, 15), method="cash", idempotency_key="b", now=clock.utcnow())
    new = (await svc.verify_repayment(db, rep.repayment.id, now=NOW, by=world["t1"].id, kelurahan_code=KEL,
                                      receipt_key=env_key)).receipt
    assert new.code == verification_code(env_key, new.number, new.amount, new.paid_on)
    for r in (old, new):
        assert (await receipt_service.check_receipt(db, r.number, r.code, receipt_key=env_key)).outcome is Check.VALID
    # without the environment key, a code signed with it is not accepted
    assert (await receipt_service.check_receipt(db, new.number, new.code, receipt_key=None)).outcome \
        is Check.NOT_GENUINE


async def test_the_pdf_shows_number_amounts_allocation_and_balance(world):
    db = world["db"]
    result = await _verified(world, 1_120_000, "a")  # two instalments of 500.000 + 60.000 fee each
    issued = await receipts.as_issued(db, result.receipt)
    assert [(a.installment_number, a.fee_paid, a.principal_paid) for a in issued.allocation] == [
        (1, 60_000, 500_000), (2, 60_000, 500_000)]
    assert issued.balance_after == 6_720_000 - 1_120_000
    text = pdf_text(receipt_pdf(issued, "id"))
    for part in ("KUITANSI", "NKT1-2026-000001", "Naikoten Satu", "Maria Bria", "Rp1.120.000",
                 "Satu juta seratus dua puluh ribu rupiah", "Transfer bank", "15 Juni 2026", "15 Juli 2026",
                 "Rp60.000", "Rp500.000", "Rp5.600.000", result.receipt.code, "Bendahara Satu", "28 November 2026"):
        assert part in text, part
    assert "BATAL" not in text
    english = pdf_text(receipt_pdf(issued, "en"))
    assert "One million one hundred and twenty thousand rupiah" in english
    assert "Satu juta seratus dua puluh ribu rupiah" in english  # terbilang stays Indonesian too


async def test_the_receipt_as_issued_survives_a_later_reversal_of_an_earlier_payment(world):
    db = world["db"]
    first = await _verified(world, 560_000, "a")
    second = await _verified(world, 560_000, "b", paid_on=date(2026, 7, 15), now=NOW + timedelta(minutes=5))
    await svc.reverse_repayment(db, first.repayment.id, now=NOW + timedelta(days=1), by=world["t1"].id,
                                kelurahan_code=KEL, reason="salah")
    issued = await receipts.as_issued(db, await receipts.get(db, second.receipt.id))
    # it paid instalment 2 when it was issued, and the balance after was 6.720.000 - 2 x 560.000
    assert [a.installment_number for a in issued.allocation] == [2]
    assert issued.balance_after == 6_720_000 - 1_120_000
    void = await receipts.as_issued(db, await receipts.get(db, first.receipt.id))
    text = pdf_text(receipt_pdf(void, "id"))
    assert "BATAL" in text and "salah" in text and "NKT1-2026-000001" in text


async def test_a_name_outside_latin1_is_printed(world):
    db = world["db"]
    result = await _verified(world, 100_000, "j", loan=world["loan2"], reporter=world["jose"])
    text = pdf_text(receipt_pdf(await receipts.as_issued(db, result.receipt), "id"))
    assert "José Ngữ Ştefan" in text
    assert "Seratus ribu rupiah" in text


async def test_two_verifications_at_once_get_consecutive_numbers(world):
    import asyncio

    db = world["db"]
    reps = [await svc.report_repayment(db, loan_id=world["loan"].id, reported_by=world["maria"].id, amount=100_000,
                                       paid_on=date(2026, 6, 15), method="cash", idempotency_key=f"c{n}",
                                       now=clock.utcnow())
            for n in range(4)]
    results = await asyncio.gather(*(svc.verify_repayment(db, r.repayment.id, now=NOW, by=world["t1"].id,
                                                          kelurahan_code=KEL) for r in reps))
    assert sorted(r.receipt.seq for r in results) == [1, 2, 3, 4]
    assert len({r.receipt.number for r in results}) == 4


async def test_the_sequence_starts_again_in_a_new_wita_year(world):
    db = world["db"]
    late = await _verified(world, 100_000, "y1", now=datetime(2026, 12, 31, 15, 59, tzinfo=UTC))
    new_year = await _verified(world, 100_000, "y2", now=datetime(2026, 12, 31, 16, 0, tzinfo=UTC))
    assert (late.receipt.number, new_year.receipt.number) == ("NKT1-2026-000001", "NKT1-2027-000001")
    assert await db.fetchval("SELECT COUNT(*) FROM receipt_counters") == 2


async def test_without_the_unicode_font_names_are_transliterated(world, monkeypatch):
    from messages import documents

    monkeypatch.setattr(documents, "_fonts", lambda: None)
    result = await _verified(world, 100_000, "j", loan=world["loan2"], reporter=world["jose"])
    text = pdf_text(receipt_pdf(await receipts.as_issued(world["db"], result.receipt), "id"))
    assert "José Ngu Stefan" in text and "Seratus ribu rupiah" in text


async def test_with_an_environment_key_no_key_file_is_made(world):
    db = world["db"]
    env_key = b"0123456789abcdef-production"
    rep = await svc.report_repayment(db, loan_id=world["loan"].id, reported_by=world["maria"].id, amount=560_000,
                                     paid_on=date(2026, 7, 15), method="cash", idempotency_key="e", now=clock.utcnow())
    r = (await svc.verify_repayment(db, rep.repayment.id, now=NOW, by=world["t1"].id, kelurahan_code=KEL,
                                    receipt_key=env_key)).receipt
    assert (await receipt_service.check_receipt(db, r.number, r.code, receipt_key=env_key)).outcome is Check.VALID
    assert not db.path.with_name(db.path.name + ".receipt-key").exists()
