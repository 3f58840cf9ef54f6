"""Samples for the linked-participant templates, the day-before reminder and the follow-up prompt (issue 5)."""

from datetime import UTC, date, datetime

_LONG = "Maria Goreti Theresia Bria Seran Nenobais Lakapu Manafe Tefa"
_TITLE = "Pelatihan Servis AC dan Kelistrikan Rumah Tangga untuk Pemuda Kelurahan Naikoten Satu Angkatan Kedua"

SAMPLES = {
    "participant/invite_created": {
        "name": _LONG, "reused": True, "link": "https://t.me/PemKupangBot?start=" + "A" * 43,
        "expires_at": datetime(2026, 12, 5, 2, 0, tzinfo=UTC),
    },
    "participant/already_linked": {"name": _LONG, "added": True},
    "participant/linked_notice": {},
    "plain/labels/participant": {"key": "cancel_registration"},
    "events/reminder": {
        "title": _TITLE, "starts_at": datetime(2026, 12, 15, 1, 0, tzinfo=UTC),
        "place": "Aula Kantor Kelurahan Naikoten Satu, Jl. Soeharto No. 1, Kecamatan Kota Raja, Kota Kupang",
        "registration_id": 123456, "event_day": "2026-12-15", "sent_on": date(2026, 12, 14),
    },
    "followup/prompt": {"name": _LONG, "title": _TITLE, "milestone": 90},
}
