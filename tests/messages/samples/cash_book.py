"""Samples for /kas (handlers/cash_book.py)."""

from datetime import date
from types import SimpleNamespace

_ENTRY = SimpleNamespace(id=12, reference="KAS-00012", kind="bank_charge", amount=1_250_000,
                         entry_date=date(2026, 11, 27), description="d" * 200)
_STATEMENT = SimpleNamespace(month="2026-10", closing_balance=187_990_000)
_FORM = {"kind": "grant", "account": "bank", "round": "r" * 40, "amount": 125_000_000, "entry_date": "2026-11-02",
         "description": "d" * 200, "photo": "file-id", "reason": "r" * 200}
_BALANCES = {"cash": 12_500_000, "bank": 187_990_000, "total": 200_490_000, "difference": -10_000}

SAMPLES = {
    "kas/ask_kind": {**_BALANCES, "statement": _STATEMENT, "statement_month": "Oktober 2026",
                     "today": date(2026, 11, 28)},
    "kas/ask_account": {"form": _FORM, "month_label": None},
    "kas/ask_round": {"form": _FORM, "month_label": None},
    "kas/ask_entry": {"entries": [_ENTRY] * 8},
    "kas/none": {},
    "kas/ask_reason": {"form": _FORM, "month_label": None},
    "kas/ask_month": {"form": {"kind": "statement"}, "month_label": None},
    "kas/ask_amount": {"form": _FORM, "month_label": None},
    "kas/ask_date": {"form": _FORM, "month_label": None},
    "kas/ask_description": {"form": _FORM, "month_label": None},
    "kas/ask_photo": {"form": _FORM, "month_label": None},
    "kas/invalid": {"code": "amount_too_large", "max": 10_000_000_000},
    "kas/summary": {"form": _FORM, "month_label": None, "entry": None, "entry_date": date(2026, 11, 2)},
    "kas/done": {**_BALANCES, "kind": "statement", "entry": None, "statement": _STATEMENT, "form": _FORM,
                 "month_label": "Oktober 2026"},
    "plain/labels/kas": {"key": "kind_grant"},
    "plain/lpj/month": {"day": date(2026, 11, 1)},
}
