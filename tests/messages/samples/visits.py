"""Samples for the visit and promise templates (issue 16, part 2)."""

from datetime import date

LONG = "Yohanes Maria Fernandez Bria Seran"
FORM = {"name": LONG, "outstanding": 5_500_000, "outcome": "not_home", "note": "x" * 500, "photo": "file-id",
        "visited_on": "2026-11-28"}
LIMITS = {"note_max": 500, "past_days": 60, "promise_days": 60}

SAMPLES = {
    "visits/ask_who": {"form": {}, "count": 8, **LIMITS},
    "visits/ask_date": {"form": FORM, **LIMITS},
    "visits/ask_outcome": {"form": FORM, **LIMITS},
    "visits/ask_note": {"form": FORM, **LIMITS},
    "visits/ask_photo": {"form": FORM, **LIMITS},
    "visits/ask_promise": {"form": FORM, **LIMITS},
    "visits/ask_amount": {"form": FORM, **LIMITS},
    "visits/ask_promise_on": {"form": FORM, **LIMITS},
    "visits/invalid": {"code": "promise_too_much", "outstanding": 5_500_000, **LIMITS},
    "visits/summary": {"form": FORM, "visited_on": date(2026, 11, 28), "promise_on": date(2026, 12, 5),
                       "amount": 500_000},
    "visits/saved": {"name": LONG, "outcome": "met", "visited_on": date(2026, 11, 28),
                     "promise_on": date(2026, 12, 5), "amount": 500_000},
    "visits/promise_reminder": {"amount": 500_000, "promise_on": date(2026, 12, 5),
                                "visited_on": date(2026, 11, 28)},
    "visits/promise_result": {"name": LONG, "amount": 500_000, "paid": 300_000, "kept": False,
                              "promise_on": date(2026, 12, 5), "visited_on": date(2026, 11, 28)},
    "plain/labels/visits": {"key": "outcome_met"},
}
