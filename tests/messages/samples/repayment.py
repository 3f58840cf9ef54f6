"""Samples for /bayar (handlers/repayment.py)."""

from datetime import date

_LOAN = {
    "principal": 25_000_000,
    "business": "Warung sembako dan pulsa Mama Yosefina",
    "still_owed": 24_999_000,
}

SAMPLES = {
    "plain/labels/pay": {"key": "loan"},
    "pay/no_loans": {},
    "pay/nothing_owed": {"principal": 5_000_000, "pending_total": 417_000},
    "pay/choose_loan": {
        "loans": [
            {
                "principal": 25_000_000,
                "business": "Bengkel motor dan cuci motor Oebobo",
                "disbursed_on": date(2025, 1, 31),
                "outstanding": 12_345_000,
            },
            {
                "principal": 1_000_000,
                "business": None,
                "disbursed_on": date(2026, 2, 28),
                "outstanding": 1_000_000,
            },
        ]
    },
    "pay/ask_amount": {
        **_LOAN,
        "installment": {"number": 12, "remaining": 1_389_000, "due_date": date(2026, 11, 28), "partly": True},
        "overdue": 4_167_000,
        "pending": [{"reference": f"PB-{n:05d}", "amount": 1_389_000, "paid_on": "2026-11-20"} for n in range(5)],
    },
    "pay/ask_again": {"dup": {"reference": "PB-00006", "amount": 278_000, "paid_on": "2026-11-25"}},
    "pay/not_again": {"reference": "PB-00006", "amount": 278_000, "paid_on": "2026-11-25"},
    "pay/type_amount": {},
    "pay/amount_invalid": {"code": "not_a_number", "text": "lima ratus <ribu>"},
    "pay/amount_too_much": {"amount": 30_000_000, "still_owed": 24_582_000, "pending_total": 417_000},
    "pay/confirm_tiny": {"amount": 1_500},
    "pay/ask_photo": {},
    "pay/photo_expected": {},
    "pay/ask_date": {},
    "pay/date_invalid": {"code": "unrecognized", "text": "minggu lalu"},
    "pay/date_future": {"day": date(2026, 11, 30)},
    "pay/date_before_disbursement": {"day": date(2025, 1, 1), "disbursed_on": date(2025, 6, 15)},
    "pay/ask_method": {},
    "pay/summary": {
        "principal": 25_000_000,
        "business": "Warung sembako dan pulsa Mama Yosefina",
        "amount": 1_389_000,
        "paid_on": date(2026, 11, 28),
        "method": "transfer",
        "has_photo": True,
        "remaining_after": 23_610_000,
    },
    "pay/reported": {
        "amount": 1_389_000,
        "paid_on": date(2026, 11, 28),
        "reference": "PB-00042",
        "duplicate": True,
        "checked_by": "fallback",
    },
}
