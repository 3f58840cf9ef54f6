"""The day-before event reminder says "besok" when sent the day before and "hari ini" when it was held (quiet
hours, a late catch-up) until the event day: ``sent_on`` (added by the sender) against ``event_day``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from messages import render

CONTEXT = {"title": "Pelatihan Servis AC", "starts_at": datetime(2026, 12, 15, 1, 0, tzinfo=UTC),
           "place": "Aula Kelurahan", "registration_id": 7, "event_day": "2026-12-15",
           "tz": ZoneInfo("Asia/Makassar")}  # the sender renders with the settings' time zone


@pytest.mark.parametrize(("lang", "sent_on", "said", "not_said"), [
    ("id", date(2026, 12, 14), "Pengingat: besok", "hari ini"),
    ("id", date(2026, 12, 15), "Pengingat: hari ini", "besok"),
    ("en", date(2026, 12, 14), "Reminder: tomorrow", "today"),
    ("en", date(2026, 12, 15), "Reminder: today", "tomorrow"),
])
def test_tomorrow_or_today_from_the_day_it_is_sent(lang, sent_on, said, not_said):
    text = render("events/reminder", lang, sent_on=sent_on, **CONTEXT)
    assert said in text and not_said not in text
    assert "15 Desember 2026, 09.00 WITA" in text or "15 December 2026, 09.00 WITA" in text


def test_a_message_queued_before_event_day_was_in_its_context_still_says_tomorrow():
    old = {k: v for k, v in CONTEXT.items() if k != "event_day"}
    assert "Pengingat: besok" in render("events/reminder", "id", sent_on=date(2026, 12, 15), **old)
    assert "Pengingat: besok" in render("events/reminder", "id", **CONTEXT)  # rendered outside the sender
