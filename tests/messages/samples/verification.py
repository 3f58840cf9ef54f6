"""Samples for the treasurer's verification templates (handlers/verification.py)."""

from datetime import date
from types import SimpleNamespace

_REP = SimpleNamespace(id=12, loan_id=3, amount=1_250_000, paid_on=date(2026, 11, 27), method="transfer",
                       receipt_file_id="photo", status="rejected", reason="Uang belum diterima di rekening",
                       reference="PB-00012")
_VIEW = SimpleNamespace(repayment=_REP, borrower_id=7, borrower_name="Yohanis Benyamin Ndolu Haning",
                        kelurahan_code="53.71.05.1004", loan_principal=25_000_000,
                        reporter_name="Maria Goreti Bria Seran", decided_by_name="Fransiska Lerik Manafe")

SAMPLES = {
    "verify/pending": {"view": _VIEW, "twins": ["PB-00013", "PB-00014"], "fallback": True},
    "verify/list": {"items": [_VIEW] * 5, "total": 23, "page": 2, "pages": 5, "first": 6,
                    "twins": {_VIEW.repayment.id: ["PB-00013", "PB-00014"]}},
    "verify/empty": {},
    "verify/approved": {"view": _VIEW},
    "verify/rejected": {"view": _VIEW, "reason": "x" * 200},
    "verify/already_decided": {"view": _VIEW},
    "verify/not_found": {},
    "verify/own_payment": {},
    "verify/not_checker": {},
    "verify/overpayment": {"view": _VIEW, "outstanding": 750_000},
    "verify/ask_reason": {"reference": "PB-00012", "name": "Yohanis Benyamin Ndolu Haning"},
    "verify/reason_invalid": {"min": 3, "max": 200},
    "verify/borrower_approved": {"view": _VIEW, "outstanding": 18_750_000, "next_amount": 1_389_000,
                                 "next_date": date(2026, 12, 28)},
    "verify/borrower_rejected": {"view": _VIEW, "reason": "Uang belum diterima",
                                 "preset": "reason_not_received"},
    "plain/labels/verify": {"key": "approve"},
}
