"""Samples for the events templates (issue 5)."""

from datetime import UTC, datetime

from storage.events import Event
from storage.registrations import Registration

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
EVENT = Event(id=7, kelurahan_code="53.71.05.1004", title="Pelatihan Servis AC dan Kulkas untuk Pemuda Naikoten Satu",
              kind="training", organiser="karang_taruna", starts_at=datetime(2026, 12, 15, 1, 0, tzinfo=UTC),
              place="Aula Kantor Lurah Naikoten Satu, Jl. Soeharto No. 12", capacity=25,
              registration_deadline=datetime(2026, 12, 13, 15, 59, 59, tzinfo=UTC), min_age=17, max_age=40,
              status="open", created_by=1, created_at="2026-11-28 02:00:00", seated=25, waitlisted=3)
REG = Registration(id=3, event_id=7, participant_id=4, status="waitlisted", waitlist_position=2, registered_by=1,
                   created_at="2026-11-28 02:00:00", updated_at="2026-11-28 02:00:00",
                   participant_name="Yohanes Maria Fernandez Bria Seran", nik="5371051207990003",
                   phone="+6281234567890", address="003/002", sex="M", registered_by_name="Maria Goreti", rank=2)

SAMPLES = {
    "events/ask_title": {"title": "Pelatihan", "max_title": 100, "max_place": 100, "max_capacity": 500},
    "events/ask_type": {"title": "Pelatihan", "max_title": 100, "max_place": 100, "max_capacity": 500},
    "events/ask_organiser": {"title": "Pelatihan", "max_title": 100, "max_place": 100, "max_capacity": 500},
    "events/ask_date": {"title": "Pelatihan", "max_title": 100, "max_place": 100, "max_capacity": 500},
    "events/ask_time": {"title": "Pelatihan", "max_title": 100, "max_place": 100, "max_capacity": 500},
    "events/ask_place": {"title": "Pelatihan", "max_title": 100, "max_place": 100, "max_capacity": 500},
    "events/ask_capacity": {"title": "Pelatihan", "max_title": 100, "max_place": 100, "max_capacity": 500},
    "events/ask_deadline": {"title": "Pelatihan", "max_title": 100, "max_place": 100, "max_capacity": 500},
    "events/ask_ages": {"title": "Pelatihan", "max_title": 100, "max_place": 100, "max_capacity": 500},
    "events/invalid": {"code": "ages_order", "error": "EventFormError", "max_title": 100, "max_place": 100,
                       "max_capacity": 1000, "low": 40, "high": 17},
    "events/summary": {"title": EVENT.title, "kind": "training", "organiser": "disnaker", "starts_at": EVENT.starts_at,
                       "place": EVENT.place, "capacity": 25, "deadline": EVENT.registration_deadline,
                       "min_age": 17, "max_age": 40},
    "events/created": {"event": EVENT},
    "events/detail": {"event": EVENT, "now": NOW},
    "events/list": {"events": [EVENT] * 20, "now": NOW, "can_create": True},
    "events/past": {"events": [EVENT] * 20, "days": 90},
    "events/phase": {"e": EVENT, "now": NOW},
    "events/participants": {"event": EVENT, "registrations": [REG] * 10, "total": 28, "page": 0, "first": 1},
    "events/export_caption": {"event": EVENT, "count": 28, "masked": True},
    "events/closed": {"event": EVENT},
    "events/cancel_confirm": {"event": EVENT},
    "events/cancelled": {"event": EVENT, "registrations": 28, "told": 5},
    "events/cancelled_notice": {"event": EVENT, "participant": True},
    "events/not_found": {},
    "events/attendance": {"event": EVENT, "present": 120, "total": 250, "page": 3, "pages": 7, "unseen": 130},
    "events/attendance_saved": {"event": EVENT, "attended": 120, "no_show": 5, "unchecked": 125},
    "plain/events/day": {"moment": NOW},
    "plain/labels/events": {"key": "kind_training"},
}
SAMPLES["plain/cli/erase_participant"] = {"id": 12, "found": True, "already": False}
