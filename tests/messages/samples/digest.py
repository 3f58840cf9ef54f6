"""Samples for the digest templates (worst case: full lists, long names, 51 kelurahan in the city view)."""

from bot.domain.kota_kupang import all_kelurahan

_LONG = "Maria Goreti Theresia Bria Seran Nenobais"

_DAILY = {
    "kelurahan": "Lai Lai Bisi Kopan", "day": "2026-11-28", "yesterday": "2026-11-27",
    "verified_count": 123, "verified_total": 123_456_789, "pending_count": 45, "pending_oldest_hours": 170,
    "period_start": "2026-11-01", "period_end": "2026-11-27", "due": 999_999_999,
    "collected_on_time": 555_555_555, "collected_late": 111_111_111, "rate": 0.6667, "rate_on_time": 0.5556,
    "rate_late": 0.1111, "loans": 1234, "outstanding": 9_999_999_999, "outstanding_principal": 9_000_000_000,
    "par30": 0.1234, "par1": 0.2345, "buckets": [1000, 150, 40, 30, 14],
    "overdue": [{"name": f"{_LONG} {n}", "days": 1000 + n, "amount": 25_000_000} for n in range(10)],
    "overdue_more": 190, "overdue_total": 200,
    "unreachable": [{"name": f"{_LONG} {n}", "linked": n % 2 == 0} for n in range(10)],
    "unreachable_more": 190, "unreachable_total": 200, "scheduled": True,
    "promises_due_week": 12, "promises_broken": 3,
    # Karang Taruna (issue 5): 10 upcoming events with titles at the cut length, and more beyond
    "signups": 1234,
    "upcoming": [{"title": "Pelatihan Servis AC dan Kelistrikan Rumah Tangga untuk Pemu…", "day": "2026-12-0" + str(n),
                  "time": "09.00", "registered": 1000, "capacity": 1000, "waitlisted": 999} for n in range(1, 10)]
    + [{"title": "x" * 60, "day": "2026-12-05", "time": "23.59", "registered": 5, "capacity": 1000, "waitlisted": 0}],
    "upcoming_more": 25,
    "outcomes": {"own_business": 1234, "employed": 1234, "still_looking": 1234, "other": 1234},
    "outcomes_total": 4936,
    # issue 15: disputed and unconfirmed disbursements, lists full, notes at the cut length
    "dsb_disputed": [{"name": f"{_LONG} {n}", "principal": 25_000_000, "disbursed_on": "2026-05-15",
                      "note": "n" * 49 + "…"} for n in range(2)],
    "dsb_disputed_total": 120,
    "dsb_unconfirmed": [{"name": f"{_LONG} {n}", "principal": 25_000_000, "disbursed_on": "2026-05-15", "note": ""}
                        for n in range(2)],
    "dsb_unconfirmed_total": 1234, "dsb_unconfirmed_principal": 9_999_999_999,
}

SAMPLES = {
    "digest/daily": _DAILY,
    "digest/city": {
        "day": "2026-11-28", "period_start": "2026-11-01", "period_end": "2026-11-27",
        "outstanding": 99_999_999_999, "par30": 0.1234, "rate": 0.8765,
        "lines": [{"name": k.name, "rate": 0.8765, "par30": 0.1234, "outstanding": 9_999_999_999}
                  for k in all_kelurahan()],
        "signups": 12345,
    },
    "digest/nudge": {"count": 12, "oldest_hours": 170},
    "digest/weekly_chart": {"first": "2026-09-07", "last": "2026-11-29", "weeks": 12},
    "digest/optin_changed": {"opt_in": True},
    "plain/labels/digest": {"key": "optin_on"},
}
