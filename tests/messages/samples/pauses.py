"""Samples for the pause templates (issue 16, part 4)."""

from datetime import date

NAMES = ["Naikoten Satu", "Lai Lai Bisi Kopan", "Tuak Daun Merah", "Oesapa Selatan"] * 12
FORM = {"names": NAMES, "reason": "Siklon Seroja " + "x" * 180, "starts_on": "2026-11-28", "ends_on": "2027-05-26"}
LIMITS = {"max_days": 180, "past_days": 60, "reason_min": 3, "reason_max": 200}
DATES = {"starts_on": date(2026, 11, 28), "ends_on": date(2027, 5, 26), "days": 180}

SAMPLES = {
    "pauses/ask_kelurahan": {"form": {}, "city": True, **LIMITS},
    "pauses/ask_start": {"form": FORM, "city": False, **LIMITS},
    "pauses/ask_end": {"form": FORM, "city": False, **LIMITS},
    "pauses/ask_reason": {"form": FORM, "city": False, **LIMITS},
    "pauses/invalid": {"code": "end_before_start", "starts_on": date(2026, 12, 2), "ends_on": date(2026, 12, 1)},
    "pauses/summary": {"form": FORM, **DATES},
    "pauses/declared": {"names": NAMES, "moved": 1234, "told": 567, "reason": FORM["reason"], **DATES},
    "pauses/overlap": {"name": "Lai Lai Bisi Kopan", "other_start": date(2026, 11, 1),
                       "other_end": date(2026, 12, 10)},
    "pauses/notice": {"reason": FORM["reason"], **DATES},
    "plain/labels/pauses": {"key": "today"},
}
