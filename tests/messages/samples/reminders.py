"""Samples for the reminder templates (worst case: long names, a full escalation list)."""

_LONG = "Maria Goreti Theresia Bria Seran Nenobais"

SAMPLES = {
    "reminders/reminder": {"installment_id": 812, "loan_id": 40, "number": 18, "due_date": "2026-12-10",
                           "offset": 7, "remaining": 1_388_889, "outstanding": 24_999_999},
    "reminders/escalation": {
        "day": "2026-12-17",
        "borrowers": [{"name": f"{_LONG} {n}", "days": 30, "amount": 1_388_889, "due_date": "2026-11-17",
                       "outstanding": 24_999_999, "linked": n % 2 == 0} for n in range(30)],
        "more": 170,
    },
    "plain/labels/reminders": {"key": "paid"},
}
