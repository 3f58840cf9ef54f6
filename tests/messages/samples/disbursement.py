"""Samples for the disbursement confirmation (handlers/disbursement.py)."""

from datetime import date
from types import SimpleNamespace

_D = SimpleNamespace(loan_id=3, borrower_name="Yohanis Benyamin Ndolu Haning " * 3, principal=25_000_000,
                     disbursed_on=date(2026, 5, 15), status="disputed", answered_at="2026-11-28 02:00:00",
                     note="n" * 200)

SAMPLES = {
    "plain/labels/disbursement": {"key": "yes"},
    "disbursement/ask": {"loan_id": 3, "principal": 25_000_000, "disbursed_on": date(2026, 5, 15)},
    "disbursement/confirmed": {"d": _D},
    "disbursement/already": {"d": _D},
    "disbursement/ask_note": {"form": {"principal": 25_000_000}, "min": 3, "max": 200},
    "disbursement/note_invalid": {"min": 3, "max": 200},
    "disbursement/disputed": {"d": _D, "told": 2},
    "disbursement/alert": {"d": _D},
    "disbursement/none": {},
}
