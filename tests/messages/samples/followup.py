"""Samples for the follow-up templates (issue 5)."""

from datetime import UTC, datetime

from storage.outcomes import FollowupItem

ITEM = FollowupItem(registration_id=1, event_id=2, event_title="Pelatihan Servis AC dan Kulkas",
                    starts_at=datetime(2026, 10, 1, 1, 0, tzinfo=UTC), participant_id=3,
                    participant_name="Yohanes Maria Fernandez Bria Seran", last_status="own_business",
                    last_recorded_at="2026-11-01 02:00:00")

SAMPLES = {
    "followup/list": {"items": [ITEM] * 20},
    "followup/ask_status": {"name": ITEM.participant_name, "title": ITEM.event_title},
    "followup/ask_business": {"name": ITEM.participant_name, "status": "own_business"},
    "followup/business_invalid": {"max": 80},
    "followup/none": {},
    "followup/saved": {"name": ITEM.participant_name, "status": "own_business", "business": "Servis AC"},
    "plain/labels/followup": {"key": "status_employed"},
}
