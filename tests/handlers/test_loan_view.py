"""/pinjaman (and the reminder's "Lihat pinjaman" button) and /peminjam: content, ordering, pagination,
kelurahan isolation and forged callback data.

The frozen clock is 28 November 2026, 10:00 WITA; loans are Rp6.000.000 over 12 months (Rp500.000 a month).
"""

from __future__ import annotations

from datetime import date

from bot.domain.loans import LoanTerms
from bot.domain.roles import Role
from bot.runtime import clock
from storage import loans, repayments
from tests.conftest import NAIKOTEN_SATU
from tests.harness import answers, texts

OTHER_KELURAHAN = "53.71.05.1005"  # Naikoten Dua


async def _loan(running, borrower_id: int, disbursed: date, *, kelurahan: str = NAIKOTEN_SATU,
                principal: int = 6_000_000) -> loans.Loan:
    async with running.app.db.transaction() as tx:
        return await loans.create(
            tx, borrower_id=borrower_id, kelurahan_code=kelurahan,
            terms=LoanTerms(principal=principal, disbursed_on=disbursed, tenor_months=12), business="Kios",
            created_by=None, now=clock.utcnow(),
        )


async def _verified(running, loan_id: int, amount: int, paid_on: date, by: int, key: str) -> None:
    async with running.app.db.transaction() as tx:
        await repayments.record_verified(tx, loan_id=loan_id, amount=amount, paid_on=paid_on, method="cash",
                                         recorded_by=by, idempotency_key=key, now=clock.utcnow())


async def test_pinjaman_shows_balances_next_instalment_arrears_and_recent_payments(running, tester, make_person):
    borrower, user = await make_person(Role.BORROWER, name="Yosefina Lero")
    loan = await _loan(running, borrower.id, date(2026, 8, 15))
    await _verified(running, loan.id, 500_000, date(2026, 9, 15), borrower.id, "v1")
    async with running.app.db.transaction() as tx:
        await repayments.report(tx, loan_id=loan.id, amount=200_000, paid_on=date(2026, 11, 20), method="cash",
                                reported_by=borrower.id, idempotency_key="p1", now=clock.utcnow())

    await tester.command(user, "pinjaman")

    text = tester.last(user).text
    assert "Pinjaman Rp6.000.000" in text and "(Kios)" in text
    assert "Sudah dibayar: Rp500.000" in text
    assert "Sisa: <b>Rp5.500.000</b>" in text
    assert "Menunggu verifikasi: Rp200.000" in text
    assert "Angsuran berikutnya: Rp500.000, jatuh tempo 15 Oktober 2026" in text
    assert "Terlambat 44 hari" in text and "tunggakan Rp1.000.000" in text
    assert "20 November 2026: Rp200.000 — menunggu verifikasi (PB-00002)" in text
    assert "15 September 2026: Rp500.000 — terverifikasi (PB-00001)" in text


async def test_only_the_last_five_payments_are_listed(running, tester, make_person):
    borrower, user = await make_person(Role.BORROWER)
    loan = await _loan(running, borrower.id, date(2026, 8, 15))
    for day in range(1, 8):
        await _verified(running, loan.id, 100_000, date(2026, 11, day), borrower.id, f"k{day}")
    await tester.command(user, "loan")
    text = tester.last(user).text
    assert text.count("• ") == 5
    assert "7 November 2026" in text and "3 November 2026" in text and "2 November 2026" not in text


async def test_reminder_view_button_shows_the_same(running, tester, make_person):
    borrower, user = await make_person(Role.BORROWER)
    await _loan(running, borrower.id, date(2026, 11, 1))
    await tester.command(user, "pinjaman")
    by_command = tester.last(user).text
    calls = await tester.press(user, "loanview")
    assert texts(calls) == [by_command]
    assert "Tidak ada tunggakan" in by_command and "Belum ada pembayaran" in by_command


async def test_view_button_works_while_a_form_is_open(running, tester, make_person):
    borrower, user = await make_person(Role.BORROWER)
    await _loan(running, borrower.id, date(2026, 11, 1))
    await tester.command(user, "bayar")
    form_button = tester.last(user).button("Angsuran ke-")
    await tester.press(user, "loanview")
    assert "Pinjaman Anda" in tester.last(user).text
    await tester.press(user, form_button)  # the form is still where it was
    assert "foto bukti" in tester.last(user).text.lower()


async def test_pinjaman_refusals_and_empty(running, tester, make_person):
    _, treasurer = await make_person(Role.TREASURER)
    await tester.command(treasurer, "pinjaman")
    assert "tidak tersedia untuk Anda" in tester.last(treasurer).text
    calls = await tester.press(treasurer, "loanview")
    assert "tidak tersedia" in answers(calls)[0] and texts(calls) == []
    _, borrower = await make_person(Role.BORROWER)
    await tester.command(borrower, "pinjaman")
    assert "belum punya pinjaman" in tester.last(borrower).text


async def _borrowers(running, make_person, count: int) -> list:
    """``count`` borrowers with a loan each; borrower n is disbursed n months ago (so n-2 months late)."""
    made = []
    for n in range(count):
        person, _ = await make_person(Role.BORROWER, name=f"Peminjam {n:02d}", linked=n % 2 == 0,
                                      phone="+6281234567890")
        month = 10 - n  # October 2026 back in time
        disbursed = date(2026 if month > 0 else 2025, month if month > 0 else month + 12, 10)
        made.append((person, await _loan(running, person.id, disbursed)))
    return made


async def test_peminjam_is_sorted_by_risk_and_paginated(running, tester, make_person):
    _, treasurer = await make_person(Role.TREASURER)
    made = await _borrowers(running, make_person, 10)
    # the riskiest pays everything overdue and becomes current
    await _verified(running, made[9][1].id, 5_000_000, date(2026, 11, 27), made[9][0].id, "all")

    await tester.command(treasurer, "peminjam")

    page1 = tester.last(treasurer)
    names = [t for t in page1.button_texts if "Peminjam" in t]
    assert names == [f"{n}. Peminjam {k:02d}" for n, k in zip(range(1, 9), [8, 7, 6, 5, 4, 3, 2, 1], strict=True)]
    assert "halaman 1 dari 2, 10 pinjaman" in page1.text
    assert "belum terhubung" in page1.text
    assert "Sebelumnya" not in " ".join(page1.button_texts)

    await tester.press(treasurer, page1.button("Berikutnya"))
    page2 = tester.last(treasurer)
    assert [t for t in page2.button_texts if "Peminjam" in t] == ["9. Peminjam 00", "10. Peminjam 09"]
    assert "lancar" in page2.text and "Berikutnya" not in " ".join(page2.button_texts)
    await tester.press(treasurer, page2.button("Sebelumnya"))
    assert "halaman 1 dari 2" in tester.last(treasurer).text


async def test_peminjam_detail_masks_phone_and_stays_in_the_kelurahan(running, tester, make_person):
    _, lurah = await make_person(Role.LURAH)
    made = await _borrowers(running, make_person, 2)
    stranger, _ = await make_person(Role.BORROWER, name="Orang Lain", kelurahan=OTHER_KELURAHAN,
                                    phone="+6281399998888")
    await _loan(running, stranger.id, date(2026, 8, 1), kelurahan=OTHER_KELURAHAN, principal=9_900_000)

    await tester.command(lurah, "borrowers")
    listing = tester.last(lurah)
    assert "Orang Lain" not in listing.text and "2 pinjaman" in listing.text

    await tester.press(lurah, listing.button("Peminjam 01"))
    detail = tester.last(lurah).text
    assert "Peminjam 01" in detail and "+62812••••7890" in detail and "+6281234567890" not in detail
    assert "Pinjaman Rp6.000.000" in detail

    calls = await tester.press(lurah, f"brw:show:{stranger.id}")
    assert "tidak tersedia" in answers(calls)[0] and texts(calls) == []
    calls = await tester.press(lurah, "brw:show:999999")
    assert "tidak tersedia" in answers(calls)[0] and texts(calls) == []
    assert all("9.900.000" not in t for t in tester.texts(lurah))
    assert made


async def test_peminjam_is_refused_to_borrowers_and_forged_buttons_too(running, tester, make_person):
    borrower, user = await make_person(Role.BORROWER)
    await _loan(running, borrower.id, date(2026, 8, 1))
    other, _ = await make_person(Role.BORROWER, name="Tetangga")
    await _loan(running, other.id, date(2026, 8, 1), principal=3_300_000)

    await tester.command(user, "peminjam")
    assert "tidak tersedia untuk Anda" in tester.last(user).text
    calls = await tester.press(user, f"brw:show:{other.id}")
    assert "tidak tersedia" in answers(calls)[0] and texts(calls) == []


async def test_peminjam_empty_kelurahan(running, tester, make_person):
    _, admin = await make_person(Role.ADMIN, kelurahan=OTHER_KELURAHAN)
    await tester.command(admin, "peminjam")
    assert "Belum ada pinjaman aktif" in tester.last(admin).text
