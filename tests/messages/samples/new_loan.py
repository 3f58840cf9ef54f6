"""Samples for /pinjaman_baru (handlers/new_loan.py)."""

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

_FORM = {
    "name": "Yohanis Benyamin Ndolu Haning",
    "new_name": "Yohanis Ndolu",
    "borrower_id": 4,
    "existing": True,
    "phone": "+6281234567890",
    "principal": 25_000_000,
    "disbursed_on": "2026-11-28",
    "tenor": 18,
    "grace": 3,
    "fee": "0.25",
    "business": "b" * 80,
}
_FIRST = SimpleNamespace(
    number=1, due_date=date(2027, 3, 28), principal_due=1_389_000, fee_due=62_500, total_due=1_451_500
)

SAMPLES = {
    "new_loan/ask_who": {"form": _FORM, "min_principal": 1_000_000, "max_principal": 25_000_000, "min_tenor": 1,
                          "max_tenor": 36, "max_grace": 12, "max_fee": Decimal(10), "count": 8},
    "new_loan/ask_name": {"form": _FORM, "min_principal": 1_000_000, "max_principal": 25_000_000, "min_tenor": 1,
                          "max_tenor": 36, "max_grace": 12, "max_fee": Decimal(10), "count": 8},
    "new_loan/ask_phone": {"form": _FORM, "min_principal": 1_000_000, "max_principal": 25_000_000, "min_tenor": 1,
                          "max_tenor": 36, "max_grace": 12, "max_fee": Decimal(10), "count": 8},
    "new_loan/ask_principal": {"form": _FORM, "min_principal": 1_000_000, "max_principal": 25_000_000, "min_tenor": 1,
                          "max_tenor": 36, "max_grace": 12, "max_fee": Decimal(10), "count": 8},
    "new_loan/ask_date": {"form": _FORM, "min_principal": 1_000_000, "max_principal": 25_000_000, "min_tenor": 1,
                          "max_tenor": 36, "max_grace": 12, "max_fee": Decimal(10), "count": 8},
    "new_loan/ask_tenor": {"form": _FORM, "min_principal": 1_000_000, "max_principal": 25_000_000, "min_tenor": 1,
                          "max_tenor": 36, "max_grace": 12, "max_fee": Decimal(10), "count": 8},
    "new_loan/ask_grace": {"form": _FORM, "min_principal": 1_000_000, "max_principal": 25_000_000, "min_tenor": 1,
                          "max_tenor": 36, "max_grace": 12, "max_fee": Decimal(10), "count": 8},
    "new_loan/ask_fee": {"form": _FORM, "min_principal": 1_000_000, "max_principal": 25_000_000, "min_tenor": 1,
                          "max_tenor": 36, "max_grace": 12, "max_fee": Decimal(10), "count": 8},
    "new_loan/ask_business": {"form": _FORM, "min_principal": 1_000_000, "max_principal": 25_000_000, "min_tenor": 1,
                          "max_tenor": 36, "max_grace": 12, "max_fee": Decimal(10), "count": 8},
    "new_loan/invalid": {
        "code": "principal_range",
        "value": 30_000_000,
        "text": "x",
        "name_max": 80,
        "min_principal": 1_000_000,
        "max_principal": 25_000_000,
        "min_tenor": 1,
        "max_tenor": 36,
        "min_grace": 0,
        "max_grace": 12,
        "max_fee": Decimal(10),
        "future_days": 31,
        "past_years": 5,
        "business_max": 80,
        "day": date(2027, 1, 1),
    },
    "new_loan/summary": {
        "form": _FORM,
        "disbursed_on": date(2026, 11, 28),
        "fee": Decimal("0.25"),
        "first": _FIRST,
    },
    "new_loan/created": {
        "loan": SimpleNamespace(id=31, principal=25_000_000, tenor_months=18),
        "name": "Yohanis Benyamin Ndolu Haning",
        "first": _FIRST,
        "link": "https://t.me/pem_bot?start=" + "A" * 32,
        "expires_at": datetime(2026, 12, 5, 2, 0, tzinfo=UTC),
    },
    "plain/labels/newloan": {"key": "edit_fee"},
}
