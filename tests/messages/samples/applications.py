"""Samples for the loan-application templates (issue 16, part 5)."""

from datetime import date

from bot.domain.applications import lending_check
from bot.domain.loans import Installment
from bot.services.applications import ShareRule
from storage.applications import Application

LONG = "Yohanes Maria Fernandez Bria Seran"
APP = Application(
    id=1234, kelurahan_code="53.71.05.1004", applicant_id=7, entered_by=7, name=LONG, nik="5371054107900003",
    phone="+6281234567890", business="k" * 80, business_type="kerajinan", amount=25_000_000, purpose="p" * 300,
    photo_file_id="file", status="approved", submitted_at="2026-11-28 02:00:00", verified_by=2, decided_by=3,
    reason="r" * 200, loan_id=99)
FORM = {"for_self": False, "name": LONG, "nik": "5371054107900003", "phone": "+6281234567890",
        "business": "k" * 80, "business_type": "kuliner", "amount": 25_000_000, "purpose": "p" * 300,
        "photo": "file", "application_id": 1234, "tenor": 18, "grace": 3, "fee": "0.5",
        "disbursed_on": "2026-11-28"}
LIMITS = {"name_max": 80, "min_amount": 1_000_000, "max_amount": 25_000_000, "business_max": 80, "purpose_min": 5,
          "purpose_max": 300, "reason_min": 3, "reason_max": 200, "min_tenor": 1, "max_tenor": 36, "min_grace": 0,
          "max_grace": 12, "max_fee": 10}
FIRST = Installment(number=1, due_date=date(2027, 3, 28), principal_due=1_389_000, fee_due=125_000)
BLOCKED = lending_check(25_000_000, 3_000_000, 59_000_000, 100_000_000, 60)
SHARE = lending_check(5_000_000, 30_000_000, 59_990_000, 100_000_000, 60, "kelurahan")
RULE = ShareRule("53.71.05.1004", "Naikoten Satu", 60, "kelurahan", 70, 2_590_990_000, 4_999_999_000)

SAMPLES = {
    "applications/_card": {"application": APP, "place": 12},
    "applications/ask_whom": {"form": {}, **LIMITS},
    **{f"applications/ask_{s}": {"form": FORM, **LIMITS}
       for s in ("name", "nik", "phone", "business", "type", "amount", "purpose", "photo", "date", "tenor",
                 "grace", "fee", "reason")},
    "applications/ask_nik_ok": {"form": FORM, "nik": "5399054107900003", "regency_code": "53.99",
                                "province": "Nusa Tenggara Timur", **LIMITS},
    "applications/invalid": {"code": "amount_range", "value": 30_000_000, **LIMITS},
    "applications/summary": {"form": FORM, **LIMITS},
    "applications/submitted": {"application": APP, "for_self": True},
    "applications/for_checker": {"application": APP, "place": 3, "step": "disburse"},
    "applications/for_applicant": {"application": APP, "place": 3, "loan": {"id": 99}, "first": FIRST},
    "applications/overview": {"counts": {"submitted": 3}},
    "applications/list": {"items": [APP] * 5, "status": "approved", "total": 120, "page": 2, "pages": 24,
                          "first": 6},
    "applications/not_found": {},
    "applications/card": {"application": APP, "place": 12},
    "applications/refused": {"code": "not_first", "first": 12, "name": LONG, "status": "approved"},
    "applications/done": {"application": APP, "told": False, "place": 4},
    "applications/blocked": {"application": APP, "check": BLOCKED, "percent": BLOCKED.repaid_percent},
    "applications/disburse_summary": {"form": FORM, "disbursed_on": date(2026, 11, 28), "fee": 0.5,
                                      "first": FIRST},
    "applications/disbursed": {"application": APP, "loan": {"id": 99, "principal": 25_000_000, "tenor_months": 18},
                               "first": FIRST, "told": False, "invited": True, "balance_after": 1_000_000},
    "plain/labels/applications": {"key": "status_approved"},
    "applications/share_ask": {"rule": RULE, "percent": RULE.check.repaid_percent, "min": 0, "max": 100},
    "applications/share_set": {"rule": RULE, "percent": RULE.check.repaid_percent},
    "plain/cli/repaid_share": {"rule": RULE, "percent": RULE.check.repaid_percent, "changed": True},
}
