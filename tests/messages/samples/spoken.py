"""Samples for the echo of an amount in words or an inferred date (common/read_as, issue 19)."""

from datetime import date

SAMPLES = {
    # one context renders the date branch; the amount branch is rendered by tests/handlers/test_read_as.py
    "common/read_as": {"day": date(2026, 11, 27)},
}
