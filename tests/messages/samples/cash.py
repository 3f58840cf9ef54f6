"""Samples for /catat_bayar and /batalkan_bayar (handlers/cash.py)."""

from datetime import date
from types import SimpleNamespace

_REP = SimpleNamespace(
    id=12,
    loan_id=3,
    amount=1_250_000,
    paid_on=date(2026, 11, 27),
    method="cash",
    receipt_file_id=None,
    status="reversed",
    reason=None,
    reference="PB-00012",
    kind="recovery",
)
_VIEW = SimpleNamespace(
    repayment=_REP,
    borrower_id=7,
    borrower_name="Yohanis Benyamin Ndolu Haning",
    kelurahan_code="53.71.05.1004",
    loan_principal=25_000_000,
    reporter_name="Maria Goreti Bria Seran",
    decided_by_name="Fransiska Lerik Manafe",
)
_FORM = {"name": "Yohanis Benyamin Ndolu Haning", "amount": 1_250_000, "note": "n" * 200}

SAMPLES = {
    "cash/ask_who": {"form": _FORM, "count": 8},
    "cash/ask_loan": {"form": _FORM},
    "cash/ask_amount": {
        "form": _FORM,
        "outstanding": 25_000_000,
        "next_amount": 1_389_000,
        "next_date": date(2026, 12, 28),
    },
    "cash/ask_tiny": {"form": {**_FORM, "amount": 999}},
    "cash/ask_date": {"form": _FORM},
    "cash/ask_note": {"form": _FORM},
    "cash/invalid": {
        "code": "date_before_disbursement",
        "day": date(2026, 1, 1),
        "disbursed_on": date(2026, 9, 28),
        "outstanding": 1,
        "text": "x",
        "name": "y",
        "max": 200,
    },
    "cash/summary": {"form": _FORM, "paid_on": date(2026, 11, 28), "outstanding": 25_000_000},
    "cash/done": {
        "repayment": _REP,
        "name": "Yohanis Benyamin Ndolu Haning",
        "outstanding": 23_750_000,
        "told": False,
        "silent": False,
    },
    "cash/borrower_recorded": {
        "repayment": _REP,
        "outstanding": 23_750_000,
        "next_amount": 1_389_000,
        "next_date": date(2026, 12, 28),
    },
    "reverse/ask_who": {"form": {}, "count": 8},
    "reverse/ask_reason": {"view": _VIEW, "min": 5, "max": 200},
    "reverse/none": {},
    "reverse/pick": {
        "name": "Yohanis Benyamin Ndolu Haning",
        "items": [_VIEW] * 5,
        "total": 14,
        "page": 2,
        "pages": 3,
    },
    "reverse/invalid": {"code": "reason_length", "min": 5, "max": 200, "text": "x", "name": "y"},
    "reverse/summary": {"view": _VIEW, "reason": "r" * 200},
    "reverse/done": {"view": _VIEW, "outstanding": 23_750_000, "told": True, "silent": True},
    "reverse/borrower_reversed": {"view": _VIEW, "reason": "r" * 200, "outstanding": 23_750_000},
    "plain/labels/cash": {"key": "loan"},
}
