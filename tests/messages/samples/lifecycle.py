"""Samples for /restrukturisasi, /hapus_buku and /persetujuan (handlers/lifecycle.py)."""

from datetime import date
from types import SimpleNamespace

from bot.domain.loans import Installment, ReschedulePlan, add_months

_NEW = tuple(Installment(4 + k, add_months(date(2026, 9, 30), k), 529_000,
                         180_000 if k == 0 else 60_000) for k in range(36))
# every new instalment moved by a pause (the longest text): README, "A pause and a reschedule"
_PLAN = ReschedulePlan(effective_on=date(2026, 9, 1), kept=(), replaced=(), new=_NEW, principal_left=19_044_000,
                       fee_carried=120_000, paused_from=tuple((i.number, date(2026, 12, 31)) for i in _NEW))
_PROPOSAL = SimpleNamespace(
    id=12, reference="RS-00012", kind="reschedule", status="approved", borrower_name="Yohanis Benyamin Ndolu Haning",
    proposer_name="Maria Goreti Bria Seran", decider_name="Fransiskus Xaverius Lerik", outstanding_before=25_000_000,
    tenor_months=36, grace_months=3, reason=None, note=None, first_due_on=date(2026, 9, 1), decision_note=None,
)
_WRITE_OFF = SimpleNamespace(**{**vars(_PROPOSAL), "id": 13, "reference": "HB-00013", "kind": "write_off",
                                "status": "rejected", "reason": "business_failed", "note": "n" * 200,
                                "decision_note": "r" * 200,
                                "tenor_months": None, "grace_months": None})
_FORM = {"name": "Yohanis Benyamin Ndolu Haning", "tenor": 36, "grace": 3, "reason": "died", "note": "n" * 200}

SAMPLES = {
    "lifecycle/ask_who": {"count": 8},
    "lifecycle/ask_loan": _FORM,
    "lifecycle/ask_tenor": {**_FORM, "outstanding": 25_000_000, "days": 187, "overdue": 9_000_000},
    "lifecycle/ask_grace": _FORM,
    "lifecycle/ask_first": {**_FORM, "suggested": date(2026, 9, 1)},
    "lifecycle/invalid": {"code": "first_before_kept", "last_kept": date(2026, 12, 28)},
    "lifecycle/rs_summary": {**_FORM, "outstanding": 25_000_000, "days": 187, "overdue": 9_000_000, "plan": _PLAN},
    "lifecycle/ask_reason": {**_FORM, "outstanding": 25_000_000, "days": 187, "overdue": 9_000_000},
    "lifecycle/ask_note": _FORM,
    "lifecycle/hb_summary": {**_FORM, "outstanding": 25_000_000, "days": 187, "overdue": 9_000_000},
    "lifecycle/proposed": {"proposal": _PROPOSAL, "checked_by": "fallback", "told": 2},
    "lifecycle/refused": {"code": "already_decided", "proposal": _PROPOSAL, "error": None},
    "lifecycle/notice": {"proposal": _PROPOSAL, "plan": _PLAN, "fallback": True},
    "lifecycle/decided": {"proposal": _WRITE_OFF, "plan": _PLAN, "outstanding": 21_324_000, "proposer_told": False},
    "lifecycle/ask_reject_reason": {"ref": "RS-00012", "name": "Yohanis Benyamin Ndolu Haning", "kind": "reschedule"},
    "lifecycle/borrower_rescheduled": {"plan": _PLAN, "outstanding": 21_324_000},
    "lifecycle/not_found": {},
    "lifecycle/empty": {},
    "plain/labels/lifecycle": {"key": "approve"},
    "lifecycle/list": {"items": [_PROPOSAL, _WRITE_OFF] * 4, "total": 140, "page": 12, "pages": 18, "first": 89},
}
