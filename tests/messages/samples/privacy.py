"""Samples for the personal-data templates (issue 18): /privasi, /dataku, /koreksi, /tarik_izin."""

from storage.corrections import CorrectionRequest

_LONG = "Maria Goreti Theresia Bria Seran Nenobais Lakapu Manafe Tefa"
_TITLE = "Pelatihan Servis AC dan Kelistrikan Rumah Tangga untuk Pemuda Kelurahan Naikoten Satu Angkatan Kedua"
_REQUEST = CorrectionRequest(
    id=123456, person_id=7, participant_id=3, kelurahan_code="53.71.05.1004", field="name", old_value=_LONG,
    new_value=_LONG + " Ndun", status="pending", reason=None, requested_at="2026-11-28 02:00:00", decided_by=None,
    decided_at=None)

SAMPLES = {
    "privacy/notice": {"controller": "Kelurahan Naikoten Satu, Kecamatan Kota Raja, Kota Kupang " * 2,
                       "contact": "Jl. Soeharto No. 1, Kupang · 0380-821234 · naikotensatu@kupangkota.go.id " * 2,
                       "participant_years": 2, "borrower_years": 5, "draft_hours": 24, "backup_days": 14},
    "privacy/mydata_xlsx": {},
    "privacy/mydata_json": {},
    "privacy/correct_ask_field": {},
    "privacy/correct_ask_value": {"field": "birth_date"},
    "privacy/correct_invalid": {"code": "landline"},
    "privacy/_value": {"field": "phone", "value": "+6281234567890"},
    "privacy/correct_summary": {"field": "birth_date", "value": "1999-11-28"},
    "privacy/correct_sent": {"field": "phone", "admins": 0},
    "privacy/correction_notice": {"request": _REQUEST, "name": _LONG, "full": False},
    "privacy/correction_decided": {"outcome": "phone_taken", "request": _REQUEST},
    "privacy/correction_outcome": {"request": _REQUEST, "approved": True},
    "privacy/corrections_none": {},
    "privacy/withdraw_confirm": {},
    "privacy/withdraw_none": {},
    "privacy/withdraw_kept": {},
    "privacy/withdraw_done": {},
    "privacy/withdraw_notice": {"participant_id": 123456, "upcoming": [_TITLE] * 5},
    "plain/labels/privacy": {"key": "approve"},
}

SAMPLES["plain/cli/audit"] = {
    "title": "#7 " + _LONG,
    "entries": [{"id": n, "at": "2026-11-28 02:00:00", "action": "person.viewed_full", "entity": "person",
                 "entity_id": 7, "actor": 3, "actor_roles": "admin", "details": {"people": [7], "field": "phone"}}
                for n in range(30)] + [{"id": 31, "at": "2026-11-28 02:00:00", "action": "retention.run",
                                        "entity": None, "entity_id": None, "actor": None, "actor_roles": None,
                                        "details": {}}],
    "corrections": [_REQUEST],
}
