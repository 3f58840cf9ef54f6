"""Samples for /pinjaman and /peminjam (handlers/loan_view.py): the worst realistic case, several loans with
five payments each and a full page of borrowers."""

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

_PAYMENTS = [
    {"paid_on": date(2026, 11, 28 - n), "amount": 1_389_000, "status": s, "reference": f"PB-{99990 + n}",
     "receipt": None if s in ("pending", "rejected") else f"LBS1-2026-{n:06d}", "receipt_void": s == "reversed"}
    for n, s in enumerate(["pending", "verified", "rejected", "reversed", "verified"])
]
_LOAN = {
    "principal": 25_000_000,
    "business": "Bengkel motor dan cuci motor Kelapa Lima",
    "status": "active",
    "disbursed_on": date(2025, 1, 31),
    "tenor_months": 18,
    "paid": 12_500_000,
    "outstanding": 12_500_000,
    "pending_total": 1_389_000,
    "next": {"remaining": 1_389_000, "due_date": date(2026, 11, 30)},
    "days_in_arrears": 183,
    "overdue": 8_334_000,
    "payments": _PAYMENTS,
    "fee_percent": Decimal("1.5"),
    "fee_per_month": 375_000,
    "fees_scheduled": 6_750_000,
    "principal_paid": 9_500_000,
    "fees_paid": 3_000_000,
    "outstanding_principal": 15_500_000,
    "outstanding_fee": 3_750_000,
    "fees_waived": 0,
    "payoff_today": 15_875_000,
}

SAMPLES = {
    "loans/none": {},
    "loans/detail": {
        "staff": True,
        "visits": [{"visited_on": date(2026, 11, 20), "outcome": "not_home", "note": "x" * 120,
                    "by": "Fransiska Manafe Bria Seran", "photo": True, "promise_amount": 1_500_000,
                    "promise_on": date(2026, 12, 5), "promise_status": "broken"}] * 5,
        "visits_total": 12,
        "name": "Maria Goreti Bria Seran",
        "phone": "+6281234567890",
        "loans": [
            _LOAN,
            {
                **_LOAN,
                "status": "paid_off",
                "next": None,
                "days_in_arrears": 0,
                "outstanding": 0,
                "pending_total": 0,
                "payments": [],
                "fees_waived": 2_250_000,
            },
            {  # issue 16: rescheduled twice, then written off, with recoveries among the payments
                **_LOAN,
                "status": "written_off",
                "reschedules": 2,
                "rescheduled_on": date(2026, 6, 30),
                "written_off_at": datetime(2026, 10, 31, 2, tzinfo=UTC),
                "written_off_amount": 12_500_000,
                "recovered": 1_389_000,
                "payments": [{**p, "recovery": True} for p in _PAYMENTS],
            },
        ],
    },
    "loans/borrowers": {
        "rows": [
            SimpleNamespace(
                name=f"Yohanes Paulus Nggadas Lero {n}",
                linked=n % 2 == 0,
                outstanding=24_000_000,
                days_in_arrears=200 - n,
                overdue_amount=9_000_000,
                status="written_off" if n == 7 else "active",
                rescheduled=n % 3 == 0,
            )
            for n in range(8)
        ],
        "page": 2,
        "pages": 4,
        "total": 30,
        "start": 16,
    },
    "loans/no_borrowers": {},
}
