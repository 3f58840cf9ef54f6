"""Samples for the monthly report's files and /laporan (messages/reports/, handlers/report.py)."""

from datetime import date

SAMPLES = {
    "plain/labels/lpj": {"key": "title"},
    "plain/lpj/notes": {"last": date(2026, 11, 30), "later": 4},
}

SAMPLES.update({
    "lpj/ask_month": {"city": True},
    "lpj/ask_format": {"month_label": "November 2026"},
    "lpj/caption": {"city": False, "name": "Lai Lai Bisi Kopan", "month_label": "November 2026", "fmt": "pdf",
                    "later": 4},
    "lpj/no_scope": {},
    "lpj/monthly": {"month_first": date(2026, 11, 1), "name": "Lai Lai Bisi Kopan", "due": 12_530_000,
                    "collected": 10_070_000, "rate": 0.8037, "par30": 0.0912, "balance": 126_612_500,
                    "difference": 17_500},
})

SAMPLES["plain/cli/report"] = {"path": "/tmp/lpj.xlsx", "size": 12345, "month": "2026-11", "fmt": "xlsx",
                               "city": False, "name": "Naikoten Satu", "due": 1, "collected": 1, "outstanding": 1,
                               "balance": 1, "later": 2, "kelurahan": 51, "arrears": 1}
