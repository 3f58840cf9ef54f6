"""Samples for the monthly report's files and /laporan (messages/reports/, handlers/report.py)."""

from datetime import date

SAMPLES = {
    "plain/labels/lpj": {"key": "title"},
    "plain/lpj/notes": {"last": date(2026, 11, 30), "later": 4},
}
