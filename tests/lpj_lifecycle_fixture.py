"""The hand-computed kelurahan of the monthly report's issue-16 lines: a loan's life (reschedule, write-off,
recovery), pauses and warning letters. Naikoten Satu, November 2026 (and October, for a month before the
reschedule and the November write-off). Every figure below was worked out by hand from these rows (the working is
in the comments), not by running the code. Rows go in with plain SQL, as the services write them; loans through
``storage.loans.create`` for their schedules. No service fee (jasa) anywhere, so principal = amount.

Loans (ids in creation order; all confirmed the day after disbursement):
  1 Ana    1.200.000 cair 10-07-2026, 12 × 100.000 due the 10th from 10-08; paid 10-08 and 10-09 (cash)
  2 Budi   2.400.000 cair 05-06-2026, 6 × 400.000 due the 5th from 05-07; paid 05-07 (cash). RESCHEDULED, approved
           06-11-2026 (10:00 WITA): instalment 1 kept, 2–6 replaced by 4 × 500.000 due 05-12-2026 … 05-03-2027
  3 Citra  1.500.000 cair 15-03-2026, 3 × 500.000 due 15-04, 15-05, 15-06; paid 15-04 (cash). WRITTEN OFF
           20-11-2026 for 1.000.000. Recoveries: 200.000 25-11 cash; 300.000 26-11 transfer, REVERSED 28-11
  4 Dedi   1.000.000 cair 01-02-2026, 2 × 500.000 due 01-03, 01-04; never paid. WRITTEN OFF 10-09-2026 for
           1.000.000. Recoveries: 100.000 05-10 transfer; 150.000 03-11 cash; 50.000 02-12 cash (after November)
  5 Eka    1.200.000 cair 25-10-2026, 3 × 400.000 due 25-11, 25-12, 25-01; paid 400.000 24-11 (cash, on time)
  6 (Oebobo, another kelurahan) with a letter and a pause of its own: never counted here

Pauses of Naikoten Satu (none holds a due date, so rule 1 moves nothing):
  P3 25-10-2026 … 02-11-2026 "Angin kencang" (7 days in October, 2 in November)
  P1 12-11-2026 … 23-11-2026 "Banjir November" (12 days)
  P4 05-12-2026 … 08-12-2026 "Sesudah November" (starts after November: neither listed nor counted)

Warning letters of Naikoten Satu (issued_on): SP-1 Citra 05-10 · SP-2 Citra 03-11 · SP-1 Ana 09-11; an open step
(not issued) of Eka's in November; Oebobo's SP-1 of 10-11.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from bot.domain.loans import LoanTerms
from bot.domain.roles import Role
from bot.runtime import clock
from storage import loans, people

KEL = "53.71.05.1004"
OTHER = "53.71.04.1001"

LOANS = [  # name, principal, disbursed, tenor, answered at (UTC)
    ("Ana", 1_200_000, date(2026, 7, 10), 12),
    ("Budi", 2_400_000, date(2026, 6, 5), 6),
    ("Citra", 1_500_000, date(2026, 3, 15), 3),
    ("Dedi", 1_000_000, date(2026, 2, 1), 2),
    ("Eka", 1_200_000, date(2026, 10, 25), 3),
]

# id, loan, amount, paid_on, method, status, kind, verified_at (UTC), reversed_at (UTC), reason
REPAYMENTS = [
    (1, 1, 100_000, "2026-08-10", "cash", "verified", "repayment", "2026-08-10 03:00:00", None, None),
    (2, 1, 100_000, "2026-09-10", "cash", "verified", "repayment", "2026-09-10 03:00:00", None, None),
    (3, 2, 400_000, "2026-07-05", "cash", "verified", "repayment", "2026-07-05 03:00:00", None, None),
    (4, 3, 500_000, "2026-04-15", "cash", "verified", "repayment", "2026-04-15 03:00:00", None, None),
    (5, 3, 200_000, "2026-11-25", "cash", "verified", "recovery", "2026-11-25 03:00:00", None, None),
    (6, 3, 300_000, "2026-11-26", "transfer", "reversed", "recovery", "2026-11-26 03:00:00",
     "2026-11-28 03:00:00", "transfer tidak masuk"),
    (7, 4, 100_000, "2026-10-05", "transfer", "verified", "recovery", "2026-10-05 03:00:00", None, None),
    (8, 4, 150_000, "2026-11-03", "cash", "verified", "recovery", "2026-11-03 03:00:00", None, None),
    (9, 4, 50_000, "2026-12-02", "cash", "verified", "recovery", "2026-12-02 03:00:00", None, None),
    (10, 5, 400_000, "2026-11-24", "cash", "verified", "repayment", "2026-11-24 03:00:00", None, None),
]

PAUSES = [  # id, starts, ends, reason, kelurahan
    (1, "2026-11-12", "2026-11-23", "Banjir November", KEL),
    (3, "2026-10-25", "2026-11-02", "Angin kencang", KEL),
    (4, "2026-12-05", "2026-12-08", "Sesudah November", KEL),
    (5, "2026-11-01", "2026-11-30", "Pause Oebobo", OTHER),
]

# loan, level, status, issued_on
LETTERS = [(3, 1, "issued", "2026-10-05"), (3, 2, "issued", "2026-11-03"), (1, 1, "issued", "2026-11-09"),
           (5, 1, "open", None), (6, 1, "issued", "2026-11-10")]

# The working, November 2026 (E = 30-11):
# Written off by E: Citra (20-11, this month) and Dedi (10-09): 2 loans, 1.000.000 + 1.000.000 = 2.000.000; this
#   month 1 for 1.000.000. Recoveries paid by E and standing: Citra 200.000 (R5; R6 reversed) + Dedi 100.000 (R7)
#   + 150.000 (R8) = 450.000 (R9 is December's) → still owed 2.000.000 − 450.000 = 1.550.000. In November: R5, R8
#   = 2 recoveries, 350.000.
# Portfolio (Ana, Budi, Eka): Ana 1.200.000 − 200.000 = 1.000.000; Budi (new schedule: 400.000 kept and paid +
#   4 × 500.000) 2.000.000; Eka 1.200.000 − 400.000 = 800.000 → 3.800.000 (principal, no fee).
# Ana's days late: oldest unpaid is instalment 3, due 10-10 → 51 days to 30-11, minus the paused days after 10-10
#   (P3 25-10…02-11 = 9, P1 12-11…23-11 = 12) = 30: Kol-2, and NOT in PAR30 (more than 30 days). Without the
#   pauses she would be 51 days late, in PAR30.
# Budi: new instalment 2 due 05-12, nothing overdue → 0 days, Kol-1; rescheduled, still running: 1 loan, 2.000.000;
#   one reschedule approved in November.
# Eka: Kol-1. Buckets: Kol-1 Budi + Eka = 2 · 2.800.000; Kol-2 Ana 1 · 1.000.000.
# Repaid to date (repayments only, never recoveries): Ana 200.000 + Budi 400.000 + Citra 500.000 + Eka 400.000
#   = 1.500.000. Due in November: Ana instalment 4 (10-11) 100.000 + Eka instalment 1 (25-11) 400.000 = 500.000
#   (the written-off loans are out of the collection); on time: Eka's 400.000 (24-11); late 0. Received in
#   November (repayments): 400.000.
# Borrowers: active Ana, Budi, Eka = 3; paid off 0 (Citra and Dedi are written off, not paid off); in arrears Ana.
# Cash book before November: bank 10.000.000 (grant) − 1.000.000 (Dedi) − 1.500.000 (Citra) − 2.400.000 (Budi)
#   − 1.200.000 (Ana) − 1.200.000 (Eka) + 100.000 (R7, recovery) = 2.800.000; cash 500.000 (R4) + 400.000 (R3)
#   + 100.000 + 100.000 (R1, R2) = 1.100.000.
# November: cash +150.000 (R8 recovery) +400.000 (R10 repayment) +200.000 (R5 recovery) = 1.850.000; bank
#   +300.000 (R6 recovery) −300.000 (its reversal, 28-11) = 2.800.000. Recoveries in the book: 350.000.
# Letters issued in November: SP-1 1 (Ana), SP-2 1 (Citra), SP-3 0 (Eka's step is open; Oebobo's is not ours).
# Pauses in November: P3 (2 days in it), P1 (12 days).
NOVEMBER = {
    "loans_to_date": 5,
    "disbursed_to_date": 7_300_000,
    "repaid_to_date": 1_500_000,
    "repaid_fee": 0,
    "outstanding": 3_800_000,
    "outstanding_principal": 3_800_000,
    "cash": 1_850_000,
    "bank": 2_800_000,
    "borrowers_active": 3,
    "borrowers_paid_off": 0,
    "borrowers_in_arrears": 1,
    "due_month": 500_000,
    "collected_on_time": 400_000,
    "collected_late": 0,
    "received_month": 400_000,
    "par30_amount": 0,
    "par30": Fraction(0),
    "rescheduled_loans": 1,
    "rescheduled_outstanding": 2_000_000,
    "rescheduled_month": 1,
    "written_off_loans": 2,
    "written_off_amount": 2_000_000,
    "written_off_month": 1,
    "written_off_month_amount": 1_000_000,
    "recovered_to_date": 450_000,
    "written_off_outstanding": 1_550_000,
    "recoveries_month": 2,
    "recoveries_month_amount": 350_000,
    "letters_sp1": 1,
    "letters_sp2": 1,
    "letters_sp3": 0,
    "letters_total": 2,
}
NOVEMBER_BUCKETS = [(2, 2_800_000), (1, 1_000_000), (0, 0), (0, 0), (0, 0)]
#: name, target, paid in the month, paid to date, outstanding, days late, kol, status, recovered in the month
NOVEMBER_REKAP = [
    ("Ana", 100_000, 0, 200_000, 1_000_000, 30, 2, "active", 0),
    ("Budi", 0, 0, 400_000, 2_000_000, 0, 1, "rescheduled", 0),
    ("Citra", 0, 0, 500_000, 800_000, 0, None, "written_off", 200_000),
    ("Dedi", 0, 0, 0, 750_000, 0, None, "written_off", 150_000),
    ("Eka", 400_000, 400_000, 400_000, 800_000, 0, 1, "active", 0),
]
#: the month's cash-book lines: (day, ref, kind, cash effect, bank effect)
NOVEMBER_BOOK = [
    (date(2026, 11, 3), "PB-00008", "recovery", 150_000, 0),
    (date(2026, 11, 24), "PB-00010", "repayment", 400_000, 0),
    (date(2026, 11, 25), "PB-00005", "recovery", 200_000, 0),
    (date(2026, 11, 26), "PB-00006", "recovery", 0, 300_000),
    (date(2026, 11, 28), "PB-00006", "recovery_reversal", 0, -300_000),
]
NOVEMBER_PAUSES = [(date(2026, 10, 25), date(2026, 11, 2), "Angin kencang", 2),
                   (date(2026, 11, 12), date(2026, 11, 23), "Banjir November", 12)]

# October 2026 (E = 31-10): before the reschedule and Citra's write-off.
# Budi on the schedule as it was then (the archived version): instalment 2 due 05-08 unpaid → 87 days, minus P3's
#   7 days (25-10…31-10) = 80: Kol-2, in PAR30; not rescheduled yet.
# Citra active: instalment 2 due 15-05 unpaid → 169 days − 7 = 162: Kol-4, in PAR30, outstanding 1.000.000.
# Ana: instalment 3 due 10-10 → 21 − 7 = 14 days, Kol-2. Eka: 1.200.000, Kol-1.
# Portfolio principal: Ana 1.000.000 + Budi 2.000.000 + Citra 1.000.000 + Eka 1.200.000 = 5.200.000; PAR30 Budi +
#   Citra = 3.000.000. Written off: Dedi only, 1.000.000, none this month; recovered 100.000 (R7, October's only).
OCTOBER = {
    "outstanding_principal": 5_200_000,
    "par30_amount": 3_000_000,
    "rescheduled_loans": 0,
    "rescheduled_month": 0,
    "written_off_loans": 1,
    "written_off_amount": 1_000_000,
    "written_off_month": 0,
    "recovered_to_date": 100_000,
    "recoveries_month": 1,
    "recoveries_month_amount": 100_000,
    "letters_sp1": 1,
    "letters_sp2": 0,
    "borrowers_in_arrears": 3,
}
OCTOBER_DAYS = {"Ana": (14, 2, "active"), "Budi": (80, 2, "active"), "Citra": (162, 4, "active"),
                "Dedi": (0, None, "written_off"), "Eka": (0, 1, "active")}


async def build(db) -> dict[str, int]:
    """Write the fixture into a migrated database; returns the person ids (``treasurer``, ``lurah``, names)."""
    ids: dict[str, int] = {}
    async with db.transaction() as tx:
        treasurer = await people.create(tx, name="Bendahara Naikoten", kelurahan_code=KEL, roles=[Role.TREASURER])
        lurah = await people.create(tx, name="Lurah Naikoten", kelurahan_code=KEL, roles=[Role.LURAH])
        ids["treasurer"], ids["lurah"] = treasurer.id, lurah.id
        loan_ids = {}
        for name, principal, disbursed, tenor in LOANS:
            person = await people.create(tx, name=name, kelurahan_code=KEL, roles=[Role.BORROWER])
            loan = await loans.create(tx, borrower_id=person.id, kelurahan_code=KEL,
                                      terms=LoanTerms(principal, disbursed, tenor), business=None,
                                      created_by=treasurer.id, now=clock.utcnow())
            await tx.execute("UPDATE loans SET disbursement_status = 'confirmed',"
                             " disbursement_answered_at = :a WHERE id = :id",
                             {"a": f"{disbursed.isoformat()} 23:00:00", "id": loan.id})
            ids[name] = person.id
            loan_ids[name] = loan.id
        other = await people.create(tx, name="Orang Oebobo", kelurahan_code=OTHER, roles=[Role.BORROWER])
        await loans.create(tx, borrower_id=other.id, kelurahan_code=OTHER,
                           terms=LoanTerms(5_000_000, date(2026, 6, 1), 10), business=None, created_by=None,
                           now=clock.utcnow())
        for rid, loan_id, amount, paid_on, method, status, kind, verified, reversed_at, reason in REPAYMENTS:
            await tx.execute(
                """
                INSERT INTO repayments (id, loan_id, amount, paid_on, method, status, kind, reported_by, reported_at,
                                        verified_by, verified_at, reversed_by, reversed_at, reversal_reason,
                                        idempotency_key)
                VALUES (:id, :loan, :amount, :paid_on, :method, :status, :kind, :by, :paid_on, :by, :verified,
                        CASE WHEN :reversed IS NULL THEN NULL ELSE :by END, :reversed, :reason, :key)
                """,
                {"id": rid, "loan": loan_id, "amount": amount, "paid_on": paid_on, "method": method,
                 "status": status, "kind": kind, "by": treasurer.id, "verified": verified, "reversed": reversed_at,
                 "reason": reason, "key": f"lc-fixture-{rid}"},
            )
        await tx.execute(
            "INSERT INTO cash_entries (kelurahan_code, kind, account, amount, entry_date, description, recorded_by,"
            " recorded_at, idempotency_key) VALUES (:kel, 'grant', 'bank', 10000000, '2026-01-05', 'Hibah Pemkot',"
            " :by, '2026-01-05 02:00:00', 'lc-cash-1')", {"kel": KEL, "by": treasurer.id})

        # Budi's reschedule, as bot.services.lifecycle approves one (storage.lifecycle.apply_reschedule)
        budi = loan_ids["Budi"]
        prop = await tx.execute(
            """
            INSERT INTO loan_proposals (loan_id, kelurahan_code, kind, status, proposed_by, proposed_at, tenor_months,
                                        grace_months, first_due_on, outstanding_before, decided_by, decided_at)
            VALUES (:loan, :kel, 'reschedule', 'approved', :t, '2026-11-05 02:00:00', 4, 0, '2026-12-05', 2000000,
                    :l, '2026-11-06 02:00:00')
            """, {"loan": budi, "kel": KEL, "t": treasurer.id, "l": lurah.id})
        version = await tx.execute(
            "INSERT INTO schedule_versions (loan_id, version, proposal_id, replaced_at)"
            " VALUES (:loan, 1, :p, '2026-11-06 02:00:00')", {"loan": budi, "p": prop.lastrowid})
        await tx.execute(
            """
            INSERT INTO archived_installments (version_id, installment_id, number, due_date, principal_due, fee_due,
                                               principal_paid, fee_paid, paid_on)
            SELECT :v, id, number, due_date, principal_due, fee_due,
                   CASE WHEN number = 1 THEN 400000 ELSE 0 END, 0, CASE WHEN number = 1 THEN '2026-07-05' END
            FROM installments WHERE loan_id = :loan
            """, {"v": version.lastrowid, "loan": budi})
        await tx.execute("DELETE FROM installments WHERE loan_id = :loan AND number > 1", {"loan": budi})
        for number, due in ((2, "2026-12-05"), (3, "2027-01-05"), (4, "2027-02-05"), (5, "2027-03-05")):
            await tx.execute("INSERT INTO installments (loan_id, number, due_date, principal_due, fee_due)"
                             " VALUES (:loan, :n, :due, 500000, 0)", {"loan": budi, "n": number, "due": due})
        await tx.execute("UPDATE loans SET rescheduled_on = '2026-11-06', rescheduled_at = '2026-11-06 02:00:00',"
                         " rescheduled_after_repayment = 4 WHERE id = :loan", {"loan": budi})

        for name, at in (("Citra", "2026-11-20 02:00:00"), ("Dedi", "2026-09-10 02:00:00")):
            await tx.execute(
                "UPDATE loans SET status = 'written_off', written_off_at = :at, written_off_amount = 1000000"
                " WHERE id = :loan", {"at": at, "loan": loan_ids[name]})

        for pid, starts, ends, reason, kel in PAUSES:
            await tx.execute("INSERT INTO pauses (id, starts_on, ends_on, reason, declared_by, declared_at)"
                             " VALUES (:id, :s, :e, :r, :by, :s)",
                             {"id": pid, "s": starts, "e": ends, "r": reason, "by": lurah.id})
            await tx.execute("INSERT INTO pause_kelurahan (pause_id, kelurahan_code) VALUES (:id, :kel)",
                             {"id": pid, "kel": kel})

        numbers = {}
        for n, (loan_id, level, status, issued_on) in enumerate(LETTERS, start=1):
            kel = OTHER if loan_id == 6 else KEL
            numbers[n] = f"L{n}" if status == "issued" else None
            await tx.execute(
                """
                INSERT INTO warning_steps (loan_id, kelurahan_code, level, status, opened_on, opened_at,
                                           days_late_at_open, number, year, seq, issued_at, issued_on, deadline)
                VALUES (:loan, :kel, :level, :status, COALESCE(:on, '2026-11-20'), '2026-11-01 00:00:00', 30,
                        :number, CASE WHEN :on IS NULL THEN NULL ELSE 2026 END,
                        CASE WHEN :on IS NULL THEN NULL ELSE :n END,
                        CASE WHEN :on IS NULL THEN NULL ELSE :on || ' 02:00:00' END, :on,
                        CASE WHEN :on IS NULL THEN NULL ELSE date(:on, '+14 days') END)
                """,
                {"loan": loan_id, "kel": kel, "level": level, "status": status, "on": issued_on,
                 "number": numbers[n], "n": n},
            )
    return ids
