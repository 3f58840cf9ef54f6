"""Samples for receipts (handlers/receipts.py)."""

from datetime import date
from types import SimpleNamespace

_RECEIPT = SimpleNamespace(
    id=5, number="NKT1-2026-000123", amount=25_000_000, paid_on=date(2026, 11, 27), code="ABCD-EFGH",
    issued_at="2026-11-28 02:00:00", voided_at="2026-11-29 03:00:00", void=True, void_reason="r" * 200,
    kelurahan_name="Lai Lai Bisi Kopan", voided_by_name="Fransiska", borrower_name="Yohanis Benyamin Ndolu Haning " * 3,
)

SAMPLES = {
    "receipts/caption": {"receipt": _RECEIPT},
    "receipts/issued": {"receipt": _RECEIPT, "told": False},
    "receipts/voided": {"receipt": _RECEIPT},
    "receipts/voided_staff": {"receipt": _RECEIPT, "told": True},
    "receipts/send_failed": {},
    "receipts/check_usage": {},
    "plain/labels/doc": {"key": "receipt_title"},
    "plain/labels/receipt": {"key": "get"},
    "plain/cli/check_receipt": {"outcome": "void", "receipt": _RECEIPT, "number": "N", "pdf": "/tmp/k.pdf"},
    "receipts/check_result": {"outcome": "valid", "receipt": _RECEIPT, "number": "N" * 40},
}

_CARD = SimpleNamespace(borrower_name="Yohanis Benyamin Ndolu Haning " * 3, principal=25_000_000,
                        disbursed_on=date(2025, 1, 31), outstanding=12_500_000, days_in_arrears=183,
                        today=date(2026, 11, 28))
SAMPLES.update({
    "card/caption": {"card": _CARD},
    "card/none": {},
    "card/pick_loan": {},
    "card/ask_who": {"count": 8},
    "card/ask_loan": {"form": {"name": "Yohanis Benyamin Ndolu Haning"}},
    "card/invalid": {"code": "not_found", "text": "x" * 60},
})
