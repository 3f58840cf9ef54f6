"""The hand-computed kelurahan of the monthly report (LPJ) tests: Naikoten Satu, November 2026.

Every figure in :data:`EXPECTED` was worked out by hand from the rows below (the working is in the comments), not
by running the code. Rows go in with plain SQL (receipts and disbursement answers as the other half of issue 15
writes them), loans through ``storage.loans.create`` for their schedules.

Loans (kelurahan Naikoten Satu; ids in creation order):
  1 Ana    6.000.000 cair 15-09-2026, 12 × 500.000 (due the 15th), fee 0, confirmed 16-09
  2 Budi   3.000.000 cair 10-08-2026, 6 × (500.000 + fee 1% = 30.000) = 530.000 (due the 10th), confirmed 11-08
  3 Citra  2.000.000 cair 05-10-2026, 4 × 500.000 (due the 5th), confirmed only on 01-12 (so unconfirmed in Nov)
  4 Dedi   1.200.000 cair 01-03-2026, 3 × 400.000, paid off 01-06 by transfer
  5 Eka    1.000.000 cair 20-04-2026, 2 × 500.000 (20-05, 20-06), never paid, disputed 01-05
  6 Fani   1.500.000 cair 20-11-2026, 3 × 500.000 from 20-12, unconfirmed
  7 Gita   2.000.000 cair 01-12-2026: after November, in no figure
  8 (Oebobo, another kelurahan) 5.000.000 cair 01-10-2026 with a payment and a cash entry: never counted here

Repayments (id: loan, amount, paid, method, status):
  1: Ana 500.000 15-10 cash · 2: Ana 500.000 14-11 transfer (on time) · 3: Budi 530.000 10-09 cash
  4: Budi 300.000 12-10 cash (partial, late) · 5: Budi 200.000 20-11 cash (late)
  6: Citra 500.000 10-11 cash (5 days late) · 7: Citra 500.000 25-11 transfer, REVERSED 03-12 (a later reversal)
  8: Citra 300.000 02-12 cash (a later payment) · 9: Dedi 1.200.000 01-06 transfer
  10: Ana 500.000 29-11 pending · 11: Budi 100.000 29-11 cash, verified 01-12 (late verification)
  12: Ana 500.000 16-11 cash, reversed 17-11 (inside the month) · 13: Budi 50.000 28-11 rejected
  14: loan 8 (Oebobo) 500.000 05-11 cash
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from bot.domain.loans import LoanTerms
from bot.domain.roles import Role
from bot.runtime import clock
from storage import loans, people

KEL = "53.71.05.1004"
OTHER = "53.71.04.1001"
YEAR, MONTH = 2026, 11

LOANS = [  # name, principal, disbursed, tenor, fee %, disbursement status, answered at (UTC)
    ("Ana", 6_000_000, date(2026, 9, 15), 12, "0", "confirmed", "2026-09-16 02:00:00"),
    ("Budi", 3_000_000, date(2026, 8, 10), 6, "1", "confirmed", "2026-08-11 02:00:00"),
    ("Citra", 2_000_000, date(2026, 10, 5), 4, "0", "confirmed", "2026-12-01 02:00:00"),
    ("Dedi", 1_200_000, date(2026, 3, 1), 3, "0", "confirmed", "2026-03-02 02:00:00"),
    ("Eka", 1_000_000, date(2026, 4, 20), 2, "0", "disputed", "2026-05-01 02:00:00"),
    ("Fani", 1_500_000, date(2026, 11, 20), 3, "0", "unconfirmed", None),
    ("Gita", 2_000_000, date(2026, 12, 1), 3, "0", "unconfirmed", None),
]

# id, loan, amount, paid_on, method, status, verified_at (UTC), reversed_at (UTC), reason
REPAYMENTS = [
    (1, 1, 500_000, "2026-10-15", "cash", "verified", "2026-10-15 03:00:00", None, None),
    (2, 1, 500_000, "2026-11-14", "transfer", "verified", "2026-11-14 03:00:00", None, None),
    (3, 2, 530_000, "2026-09-10", "cash", "verified", "2026-09-10 03:00:00", None, None),
    (4, 2, 300_000, "2026-10-12", "cash", "verified", "2026-10-12 03:00:00", None, None),
    (5, 2, 200_000, "2026-11-20", "cash", "verified", "2026-11-20 03:00:00", None, None),
    (6, 3, 500_000, "2026-11-10", "cash", "verified", "2026-11-10 03:00:00", None, None),
    (7, 3, 500_000, "2026-11-25", "transfer", "reversed", "2026-11-25 03:00:00", "2026-12-03 03:00:00",
     "transfer tidak masuk"),
    (8, 3, 300_000, "2026-12-02", "cash", "verified", "2026-12-02 03:00:00", None, None),
    (9, 4, 1_200_000, "2026-06-01", "transfer", "verified", "2026-06-01 03:00:00", None, None),
    (10, 1, 500_000, "2026-11-29", "cash", "pending", None, None, None),
    (11, 2, 100_000, "2026-11-29", "cash", "verified", "2026-11-30 16:30:00", None, None),  # 01-12 00:30 WITA
    (12, 1, 500_000, "2026-11-16", "cash", "reversed", "2026-11-16 03:00:00", "2026-11-17 03:00:00",
     "salah input"),
    (13, 2, 50_000, "2026-11-28", "cash", "rejected", "2026-11-28 03:00:00", None, None),
    (14, 8, 500_000, "2026-11-05", "cash", "verified", "2026-11-05 03:00:00", None, None),
]

# number, repayment, issued_at (UTC), voided_at (UTC), reason
RECEIPTS = [
    ("NKT1-2026-000009", 4, "2026-10-12 03:00:00", None, None),  # October: not listed
    ("NKT1-2026-000010", 2, "2026-11-14 03:00:00", None, None),
    ("NKT1-2026-000011", 6, "2026-11-10 03:00:00", None, None),
    ("NKT1-2026-000012", 5, "2026-11-30 15:30:00", None, None),  # 30-11 23:30 WITA: still November
    ("NKT1-2026-000013", 7, "2026-11-25 03:00:00", "2026-12-03 03:00:00", "transfer tidak masuk"),
    ("NKT1-2026-000014", 12, "2026-11-16 03:00:00", "2026-11-17 03:00:00", "salah input"),
    ("NKT1-2026-000015", 11, "2026-11-30 16:30:00", None, None),  # 01-12 00:30 WITA: December
]

# id, kelurahan, kind, account, amount, entry_date, description, round, reverses, reason, recorded_at (UTC)
ENTRIES = [
    (1, KEL, "opening", "bank", 5_000_000, "2026-01-01", "Saldo awal rekening", None, None, None,
     "2026-01-02 02:00:00"),
    (2, KEL, "grant", "bank", 20_000_000, "2026-02-10", "Hibah Pemkot", "Tahap 1", None, None, "2026-02-10 02:00:00"),
    (3, KEL, "bank_charge", None, 15_000, "2026-10-31", "Biaya admin Oktober", None, None, None,
     "2026-11-01 02:00:00"),
    (4, KEL, "grant", "bank", 10_000_000, "2026-11-05", "Hibah Pemkot", "Tahap 2", None, None, "2026-11-05 02:00:00"),
    (5, KEL, "bank_interest", None, 12_500, "2026-11-30", "Bunga November", None, None, None, "2026-11-30 09:00:00"),
    (6, KEL, "bank_charge", None, 15_000, "2026-11-30", "Biaya admin November", None, None, None,
     "2026-11-30 09:00:00"),
    (7, KEL, "to_bank", None, 400_000, "2026-11-26", "Setor angsuran tunai", None, None, None, "2026-11-26 02:00:00"),
    (8, KEL, "bank_charge", None, 150_000, "2026-11-12", "Biaya admin", None, None, None, "2026-11-12 02:00:00"),
    (9, KEL, "reversal", None, 150_000, "2026-11-13", "Biaya admin", None, 8, "jumlah salah ketik",
     "2026-11-13 02:00:00"),
    (10, KEL, "grant", "bank", 2_000_000, "2026-11-28", "Hibah susulan", "Tahap 2b", None, None,
     "2026-12-02 02:00:00"),  # recorded after the month's end
    (11, KEL, "bank_charge", None, 20_000, "2026-12-01", "Biaya admin Desember", None, None, None,
     "2026-12-01 02:00:00"),
    (12, OTHER, "grant", "bank", 99_000_000, "2026-11-05", "Hibah kelurahan lain", "Tahap 1", None, None,
     "2026-11-05 02:00:00"),
]

STATEMENT = 24_900_000

# The working, November 2026 (E = 30-11):
# counted payments: 1, 2 (Ana 1.000.000) · 3, 4, 5, 11 (Budi 1.130.000) · 6 (Citra 500.000) · 9 (Dedi 1.200.000)
#   = 3.830.000; fee paid: Budi 3 × 30.000 = 90.000 (R3 inst 1, R4 inst 2, R11 inst 3).
# Budi: R3 → inst 1 full; R4 → inst 2 fee 30.000 + principal 270.000; R5 → inst 2 principal 200.000;
#   R11 → inst 2 principal 30.000 (complete), inst 3 fee 30.000 + principal 40.000.
#   Oldest unpaid: inst 3 due 10-11 → 20 days late (Kol-2, not in PAR30). Outstanding 3.180.000 − 1.130.000
#   = 2.050.000; principal 3.000.000 − 1.040.000 = 1.960.000.
# Eka: due 20-05 unpaid → 194 days (Kol-5, PAR30 1.000.000).
# Due in November: Ana inst 2 500.000 (15-11) + Budi inst 3 530.000 (10-11) + Citra inst 1 500.000 (05-11)
#   = 1.530.000. On time: R2 (14-11 ≤ 15-11) 500.000. Late: R11 on Budi inst 3 70.000 + R6 on Citra inst 1
#   500.000 = 570.000.
# Received in November: R2 500.000 + R5 200.000 + R11 100.000 + R6 500.000 = 1.300.000.
# Cash book before November: cash R3 530.000 + R4 300.000 + R1 500.000 = 1.330.000; bank 5.000.000 + 20.000.000
#   − 1.200.000 (Dedi) − 1.000.000 (Eka) + 1.200.000 (R9) − 3.000.000 (Budi) − 6.000.000 (Ana) − 2.000.000
#   (Citra) − 15.000 = 12.985.000.
# November: cash +500.000 (R6) +500.000 (R12) −500.000 (R12 reversed) +200.000 (R5) −400.000 (to bank)
#   +100.000 (R11) = 1.730.000; bank +10.000.000 −150.000 +150.000 +500.000 (R2) −1.500.000 (Fani)
#   +500.000 (R7; its reversal is in December) +400.000 +2.000.000 +12.500 −15.000 = 24.882.500.
#   Statement 24.900.000 − 24.882.500 = 17.500.
EXPECTED = {
    "opening_balance": 5_000_000,
    "grants": 32_000_000,
    "disbursed_to_date": 14_700_000,
    "loans_to_date": 6,
    "repaid_to_date": 3_830_000,
    "repaid_principal": 3_740_000,
    "repaid_fee": 90_000,
    "outstanding": 11_050_000,
    "outstanding_principal": 10_960_000,
    "cash": 1_730_000,
    "bank": 24_882_500,
    "total_balance": 26_612_500,
    "statement_balance": 24_900_000,
    "reconciliation": 17_500,
    "borrowers_active": 5,
    "borrowers_paid_off": 1,
    "borrowers_in_arrears": 2,
    "due_month": 1_530_000,
    "collected_on_time": 500_000,
    "collected_late": 570_000,
    "collected": 1_070_000,
    "rate_on_time": Fraction(500_000, 1_530_000),
    "rate_with_late": Fraction(1_070_000, 1_530_000),
    "received_month": 1_300_000,
    "par30_amount": 1_000_000,
    "par30": Fraction(1_000_000, 10_960_000),
    "receipts_issued": 5,
    "receipts_void": 1,
    "receipts_amount": 1_700_000,
}
#: (loans, outstanding principal) per kolektibilitas 1–5
BUCKETS = [(3, 8_000_000), (1, 1_960_000), (0, 0), (0, 0), (1, 1_000_000)]
DISBURSEMENTS = {"unconfirmed": (2, 3_500_000), "disputed": (1, 1_000_000)}
#: name, principal, target, paid in Nov, paid to date, outstanding, days late, kol (None: paid off), status
REKAP = [
    ("Ana", 6_000_000, 500_000, 500_000, 1_000_000, 5_000_000, 0, 1, "confirmed"),
    ("Budi", 3_000_000, 530_000, 300_000, 1_130_000, 2_050_000, 20, 2, "confirmed"),
    ("Citra", 2_000_000, 500_000, 500_000, 500_000, 1_500_000, 0, 1, "unconfirmed"),
    ("Dedi", 1_200_000, 0, 0, 1_200_000, 0, 0, None, "confirmed"),
    ("Eka", 1_000_000, 0, 0, 0, 1_000_000, 194, 5, "disputed"),
    ("Fani", 1_500_000, 0, 0, 0, 1_500_000, 0, 1, "unconfirmed"),
]
#: (kind, recorded on, ref, day changed, amount), sorted by recorded on, then ref
LATER = [
    ("late_verification", date(2026, 12, 1), "PB-00011", date(2026, 11, 29), 100_000),
    ("late_entry", date(2026, 12, 2), "KAS-00010", date(2026, 11, 28), 2_000_000),
    ("late_void", date(2026, 12, 3), "NKT1-2026-000013", date(2026, 11, 25), 500_000),
    ("reversal", date(2026, 12, 3), "PB-00007", date(2026, 11, 25), 500_000),
]
BOOK_OPENING = (1_330_000, 12_985_000)
BOOK_CLOSING = (1_730_000, 24_882_500)
BOOK_IN = (1_300_000, 13_562_500)
BOOK_OUT = (900_000, 1_665_000)
#: the month's cash-book lines: (day, ref, cash effect, bank effect)
BOOK_LINES = [
    (date(2026, 11, 5), "KAS-00004", 0, 10_000_000),
    (date(2026, 11, 10), "PB-00006", 500_000, 0),
    (date(2026, 11, 12), "KAS-00008", 0, -150_000),
    (date(2026, 11, 13), "KAS-00009", 0, 150_000),
    (date(2026, 11, 14), "PB-00002", 0, 500_000),
    (date(2026, 11, 16), "PB-00012", 500_000, 0),
    (date(2026, 11, 17), "PB-00012", -500_000, 0),
    (date(2026, 11, 20), "PJ-00006", 0, -1_500_000),
    (date(2026, 11, 20), "PB-00005", 200_000, 0),
    (date(2026, 11, 25), "PB-00007", 0, 500_000),
    (date(2026, 11, 26), "KAS-00007", -400_000, 400_000),
    (date(2026, 11, 28), "KAS-00010", 0, 2_000_000),
    (date(2026, 11, 29), "PB-00011", 100_000, 0),
    (date(2026, 11, 30), "KAS-00005", 0, 12_500),
    (date(2026, 11, 30), "KAS-00006", 0, -15_000),
]


async def build(db) -> dict[str, int]:
    """Write the fixture into a migrated database; returns the person ids (``treasurer``, ``lurah``, …)."""
    ids: dict[str, int] = {}
    async with db.transaction() as tx:
        treasurer = await people.create(tx, name="Bendahara Naikoten", kelurahan_code=KEL, roles=[Role.TREASURER])
        ids["treasurer"] = treasurer.id
        for name, principal, disbursed, tenor, fee, status, answered in LOANS:
            person = await people.create(tx, name=name, kelurahan_code=KEL, roles=[Role.BORROWER])
            loan = await loans.create(tx, borrower_id=person.id, kelurahan_code=KEL,
                                      terms=LoanTerms(principal, disbursed, tenor, 0, Decimal(fee)), business=None,
                                      created_by=treasurer.id, now=clock.utcnow())
            await tx.execute("UPDATE loans SET disbursement_status = :s, disbursement_answered_at = :a WHERE id = :id",
                             {"s": status, "a": answered, "id": loan.id})
            ids[name] = person.id
        other = await people.create(tx, name="Orang Oebobo", kelurahan_code=OTHER, roles=[Role.BORROWER])
        await loans.create(tx, borrower_id=other.id, kelurahan_code=OTHER,
                           terms=LoanTerms(5_000_000, date(2026, 10, 1), 10), business=None, created_by=None,
                           now=clock.utcnow())
        for rid, loan_id, amount, paid_on, method, status, verified, reversed_at, reason in REPAYMENTS:
            await tx.execute(
                """
                INSERT INTO repayments (id, loan_id, amount, paid_on, method, status, reported_by, reported_at,
                                        verified_by, verified_at, reversed_by, reversed_at, reversal_reason,
                                        reason, idempotency_key)
                VALUES (:id, :loan, :amount, :paid_on, :method, :status, :by, :paid_on, :by, :verified,
                        CASE WHEN :reversed IS NULL THEN NULL ELSE :by END, :reversed, :reason,
                        CASE WHEN :status = 'rejected' THEN 'tidak jelas' END, :key)
                """,
                {"id": rid, "loan": loan_id, "amount": amount, "paid_on": paid_on, "method": method,
                 "status": status, "by": treasurer.id, "verified": verified, "reversed": reversed_at,
                 "reason": reason, "key": f"fixture-{rid}"},
            )
        for seq, (number, rid, issued, voided, reason) in enumerate(RECEIPTS, start=9):
            loan_id, amount, paid_on = next((r[1], r[2], r[3]) for r in REPAYMENTS if r[0] == rid)
            await tx.execute(
                """
                INSERT INTO receipts (number, kelurahan_code, year, seq, repayment_id, loan_id, amount, paid_on,
                                      issued_at, issued_by, code, voided_at, voided_by, void_reason)
                VALUES (:number, :kel, 2026, :seq, :rid, :loan, :amount, :paid_on, :issued, :by, 'ABC123', :voided,
                        CASE WHEN :voided IS NULL THEN NULL ELSE :by END, :reason)
                """,
                {"number": number, "kel": KEL, "seq": seq, "rid": rid, "loan": loan_id, "amount": amount,
                 "paid_on": paid_on, "issued": issued, "by": treasurer.id, "voided": voided, "reason": reason},
            )
        for (eid, kel, kind, account, amount, day, description, round_label, reverses, reason,
             recorded) in ENTRIES:
            await tx.execute(
                """
                INSERT INTO cash_entries (id, kelurahan_code, kind, account, amount, entry_date, description,
                                          round_label, reverses_id, reason, recorded_by, recorded_at,
                                          idempotency_key)
                VALUES (:id, :kel, :kind, :account, :amount, :day, :description, :round, :reverses, :reason, :by,
                        :recorded, :key)
                """,
                {"id": eid, "kel": kel, "kind": kind, "account": account, "amount": amount, "day": day,
                 "description": description, "round": round_label, "reverses": reverses, "reason": reason,
                 "by": treasurer.id, "recorded": recorded, "key": f"fixture-cash-{eid}"},
            )
        for month, balance, key in (("2026-11", 25_000_000, "a"), ("2026-11", STATEMENT, "b"),
                                    ("2026-10", 1, "c")):
            await tx.execute(
                "INSERT INTO bank_statements (kelurahan_code, month, closing_balance, recorded_by, recorded_at,"
                " idempotency_key) VALUES (:kel, :month, :balance, :by, '2026-12-01 02:00:00', :key)",
                {"kel": KEL, "month": month, "balance": balance, "by": treasurer.id, "key": f"fixture-st-{key}"},
            )
    return ids
