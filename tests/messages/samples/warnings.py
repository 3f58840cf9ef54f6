"""Samples for the warning letters (handlers/warnings.py), issue 16 part 1."""

from datetime import date
from types import SimpleNamespace

_STEP = SimpleNamespace(id=7, level=3, status="issued", number="NKT1/SP-3/2026/0123",
                        borrower_name="Yohanis Benyamin Ndolu Haning " * 3, principal=25_000_000,
                        arrears_amount=12_345_678, deadline=date(2026, 12, 12), issued_on=date(2026, 11, 28),
                        issued_by_name="Fransiska Manafe " * 3, postponed_until=date(2026, 12, 5),
                        postpone_reason="r" * 200)

SAMPLES = {
    "plain/labels/warnings": {"key": "issue"},
    "warnings/task": {"step_id": 7, "level": 1, "roman": "I", "borrower": "Yohanis Benyamin Ndolu Haning " * 3,
                      "principal": 25_000_000, "days_late": 95, "arrears": 12_345_678, "disbursed_on": "2026-01-31"},
    "warnings/issued": {"step": _STEP, "told": False},
    "warnings/borrower_notice": {"step": _STEP, "roman": "III"},
    "warnings/caption": {"step": _STEP},
    "warnings/already": {"step": _STEP},
    "warnings/cleared": {"step": _STEP},
    "warnings/ask_reason": {"form": {"level": 2, "borrower": "Yohanis " * 10}, "min": 3, "max": 200},
    "warnings/reason_invalid": {"min": 3, "max": 200},
    "warnings/postponed": {"step": _STEP},
    "warnings/send_failed": {},
    "warnings/none": {},
}
