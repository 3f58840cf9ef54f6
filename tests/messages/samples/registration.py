"""Samples for the registration templates (issue 5)."""

from datetime import date

from storage.participants import Participant
from tests.messages.samples.events import EVENT, REG

PARTICIPANT = Participant(id=4, kelurahan_code="53.71.05.1004", name="Yohanes Maria Fernandez Bria Seran",
                          nik="5371051207990003", birth_date=date(1999, 7, 12), sex="M", phone="+6281234567890",
                          address="003/002", education="sma", work_status="not_working",
                          consent_at="2026-11-28 02:00:00", person_id=None, created_by=1,
                          created_at="2026-11-28 02:00:00", erased_at=None)
FORM = {"name": PARTICIPANT.name, "nik": "5371051207990003", "sex": "F", "phone": "+6281234567890",
        "address": "003/002", "education": "s1", "work": "own_business"}

SAMPLES = {
    "registration/ask_event": {"event": EVENT, "name": "Yohanes", "max_name": 80, "updating": True},
    "registration/ask_name": {"event": EVENT, "name": "Yohanes", "max_name": 80, "updating": True},
    "registration/ask_nik": {"event": EVENT, "name": "Yohanes", "max_name": 80, "updating": True},
    "registration/ask_phone": {"event": EVENT, "name": "Yohanes", "max_name": 80, "updating": True},
    "registration/ask_address": {"event": EVENT, "name": "Yohanes", "max_name": 80, "updating": True},
    "registration/ask_education": {"event": EVENT, "name": "Yohanes", "max_name": 80, "updating": True},
    "registration/ask_work": {"event": EVENT, "name": "Yohanes", "max_name": 80, "updating": True},
    "registration/ask_consent": {"event": EVENT, "name": "Yohanes", "max_name": 80, "updating": True},
    "registration/ask_find": {"event": EVENT, "name": "Yohanes", "max_name": 80, "updating": False,
                              "query": "Yohanes", "found": [PARTICIPANT]},
    "registration/invalid": {"code": "nik_birth_date", "error": "NikError", "max_name": 80, "day": 32, "month": 13,
                             "year": 99},
    "registration/nik_check": {"nik": "5371055207990003", "birth_date": date(1999, 7, 12), "sex": "F",
                               "regency_known": False, "regency": None, "province": "Nusa Tenggara Timur",
                               "regency_code": "53.99"},
    "registration/summary": {"event": EVENT, "form": FORM, "birth_date": date(1999, 7, 12)},
    "registration/existing": {"event": EVENT, "participant": PARTICIPANT, "reused_nik": True,
                              "new_phone": "+6281299998888", "new_address": "004/001", "updating": True},
    "registration/age_refused": {"event": EVENT, "age": 45},
    "registration/duplicate": {"event": EVENT, "registration": REG},
    "registration/no_events": {},
    "registration/event_closed": {},
    "registration/no_consent": {},
    "registration/done": {"event": EVENT, "registration": REG},
    "registration/own": {"items": [(REG, EVENT)] * 10},
    "registration/unregister_pick": {"count": 3},
    "registration/not_cancellable": {},
    "registration/unregister_confirm": {"event": EVENT, "registration": REG},
    "registration/unregistered": {"event": EVENT, "registration": REG, "promoted": REG},
    "registration/unregistered_notice": {"event": EVENT, "registration": REG, "promoted": REG},
    "registration/promoted_notice": {"event": EVENT},
    "plain/labels/registration": {"key": "edu_sma"},
}
