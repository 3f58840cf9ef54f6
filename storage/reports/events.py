"""Read model: the Karang Taruna figures of the lurah digest and the queries of the event jobs.

* the digest: :func:`digest_section` (:class:`EventDigest`) and :func:`signups_since` (the city total);
* the planning of :mod:`bot.jobs.events`: :func:`due_event_reminders` (the day-before reminders) and
  :func:`due_followups` (the 30/90-day follow-up prompts);
* the outbox clean-up run before every send: :func:`stale_event_reminder_ids` and
  :func:`answered_followup_prompt_ids`, which find the queued messages by their ``kind`` and read the
  registration back from the dedupe key. Both the kinds and the key formats come from
  :mod:`storage.outbox_keys`, which the job builds its keys with.

Read only: nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage import outbox_keys
from storage.db import Queryable, parse_utc_text, utc_text
from storage.events import EVENT_SELECT, WITA, event_from_row


def _day_start_utc(day: date, tz: ZoneInfo) -> str:
    return utc_text(datetime.combine(day, time(0, 0), tzinfo=tz))


# --- the lurah digest and the scheduler ---------------------------------------------------------------------
@dataclass(frozen=True)
class UpcomingLine:
    title: str
    starts_at: datetime
    registered: int
    capacity: int
    waitlisted: int = 0


@dataclass(frozen=True)
class EventDigest:
    #: registrations (seat or waiting list) created since 00:00 WITA yesterday
    signups_since_yesterday: int
    #: events (not cancelled) starting today or in the 6 following days (WITA): the next 7 days
    upcoming: list[UpcomingLine] = field(default_factory=list)
    #: latest outcome per trainee recorded in the last 90 days, counted by status
    outcomes_90d: dict[str, int] = field(default_factory=dict)


async def digest_section(q: Queryable, kelurahan_code: str, today: date, tz: ZoneInfo = WITA,
                         now: datetime | None = None) -> EventDigest:
    """``upcoming`` lists the events still to come: open or closed (a done one has had its attendance taken),
    starting from ``now`` (default: the start of ``today``) to the end of the 6th following day, so an event
    that took place earlier today is not under "the next 7 days"."""
    since = _day_start_utc(today - timedelta(days=1), tz)
    start = _day_start_utc(today, tz)
    if now is not None:
        start = max(start, utc_text(now))
    signups = await q.fetchval(
        """
        SELECT count(*) FROM registrations AS r JOIN events AS e ON e.id = r.event_id
        WHERE e.kelurahan_code = :kel AND r.created_at >= :since
        """,
        {"kel": kelurahan_code, "since": since},
    )
    rows = await q.fetchall(
        EVENT_SELECT
        + """
        WHERE e.kelurahan_code = :kel AND e.status IN ('open', 'closed') AND e.starts_at >= :start
          AND e.starts_at < :end
        ORDER BY e.starts_at, e.id
        """,
        {"kel": kelurahan_code, "start": start,
         "end": _day_start_utc(today + timedelta(days=7), tz)},
    )
    upcoming = [UpcomingLine(e.title, e.starts_at, e.seated, e.capacity, e.waitlisted)
                for e in map(event_from_row, rows)]
    outcome_rows = await q.fetchall(
        """
        SELECT o.status, count(*) AS n FROM outcomes AS o JOIN events AS e ON e.id = o.event_id
        WHERE e.kelurahan_code = :kel AND o.recorded_at >= :since
          AND o.id = (SELECT o2.id FROM outcomes AS o2 WHERE o2.event_id = o.event_id
                      AND o2.participant_id = o.participant_id ORDER BY o2.recorded_at DESC, o2.id DESC LIMIT 1)
        GROUP BY o.status
        """,
        {"kel": kelurahan_code, "since": _day_start_utc(today - timedelta(days=90), tz)},
    )
    return EventDigest(int(signups), upcoming, {r["status"]: r["n"] for r in outcome_rows})


@dataclass(frozen=True)
class EventReminder:
    event_id: int
    registration_id: int
    participant_id: int
    person_id: int
    title: str
    starts_at: datetime
    place: str


async def due_event_reminders(q: Queryable, day: date, tz: ZoneInfo = WITA) -> list[EventReminder]:
    """Linked participants with a seat at an open/closed event starting on the WITA date ``day``.

    The scheduler calls it with ``day`` = tomorrow for the day-before reminder; dedup by registration id."""
    rows = await q.fetchall(
        """
        SELECT e.id AS event_id, r.id AS registration_id, p.id AS participant_id, p.person_id, e.title,
               e.starts_at, e.place
        FROM registrations AS r
        JOIN events AS e ON e.id = r.event_id
        JOIN participants AS p ON p.id = r.participant_id
        WHERE r.status = 'registered' AND e.status IN ('open', 'closed') AND p.person_id IS NOT NULL
          AND p.erased_at IS NULL AND e.starts_at >= :start AND e.starts_at < :end
        ORDER BY e.starts_at, r.id
        """,
        {"start": _day_start_utc(day, tz), "end": _day_start_utc(day + timedelta(days=1), tz)},
    )
    return [EventReminder(r["event_id"], r["registration_id"], r["participant_id"], r["person_id"], r["title"],
                          parse_utc_text(r["starts_at"]), r["place"]) for r in rows]


@dataclass(frozen=True)
class FollowupDue:
    event_id: int
    kelurahan_code: str
    title: str
    participant_id: int
    participant_name: str
    registration_id: int
    #: 30 or 90
    milestone: int


FOLLOWUP_MILESTONES = (30, 90)
#: a missed day is still caught for this many days after the milestone
FOLLOWUP_WINDOW_DAYS = 7


async def due_followups(q: Queryable, today: date, tz: ZoneInfo = WITA) -> list[FollowupDue]:
    """Attended trainees whose training started 30 or 90 days ago (within a 7-day catch-up window) and who have
    no outcome recorded since that milestone. The scheduler asks the kelurahan's coordinators about each one;
    dedup by (registration id, milestone)."""
    found: list[FollowupDue] = []
    for milestone in FOLLOWUP_MILESTONES:
        latest_start = today - timedelta(days=milestone)
        earliest_start = latest_start - timedelta(days=FOLLOWUP_WINDOW_DAYS)
        rows = await q.fetchall(
            """
            SELECT e.id AS event_id, e.kelurahan_code, e.title, e.starts_at, p.id AS participant_id,
                   p.name AS participant_name, r.id AS registration_id
            FROM registrations AS r
            JOIN events AS e ON e.id = r.event_id
            JOIN participants AS p ON p.id = r.participant_id
            WHERE e.kind = 'training' AND r.status = 'attended' AND p.erased_at IS NULL
              AND e.starts_at >= :from AND e.starts_at < :to
            ORDER BY e.starts_at, r.id
            """,
            {"from": _day_start_utc(earliest_start, tz), "to": _day_start_utc(latest_start + timedelta(days=1), tz)},
        )
        for r in rows:
            start_day = parse_utc_text(r["starts_at"]).astimezone(tz).date()
            milestone_at = _day_start_utc(start_day + timedelta(days=milestone), tz)
            answered = await q.fetchval(
                "SELECT 1 FROM outcomes WHERE event_id = :e AND participant_id = :p AND recorded_at >= :at",
                {"e": r["event_id"], "p": r["participant_id"], "at": milestone_at},
            )
            if not answered:
                found.append(FollowupDue(r["event_id"], r["kelurahan_code"], r["title"], r["participant_id"],
                                         r["participant_name"], r["registration_id"], milestone))
    return found


async def signups_since(q: Queryable, day: date, tz: ZoneInfo = WITA, kelurahan_code: str | None = None) -> int:
    """Registrations (seat or waiting list) created since 00:00 WITA of ``day``, in one kelurahan or the city
    (the city digest shows this one total, no names)."""
    return int(await q.fetchval(
        """
        SELECT count(*) FROM registrations AS r JOIN events AS e ON e.id = r.event_id
        WHERE (:kel IS NULL OR e.kelurahan_code = :kel) AND r.created_at >= :since
        """,
        {"kel": kelurahan_code, "since": _day_start_utc(day, tz)},
    ))


# --- outbox clean-up (bot.jobs.events) ----------------------------------------------------------------------
async def stale_event_reminder_ids(q: Queryable, now: datetime | None = None) -> list[int]:
    """Queued day-before reminders that no longer apply: the registration is no longer ``registered``
    (cancelled, or moved), the event is cancelled/done or has already started (at ``now``), or the participant
    was unlinked or erased. Keys are :func:`storage.outbox_keys.event_reminder_key`."""
    rows = await q.fetchall(
        """
        SELECT o.id FROM outbox AS o
        LEFT JOIN registrations AS r ON r.id = CAST(substr(o.dedupe_key, length(:prefix) + 1) AS INTEGER)
        LEFT JOIN events AS e ON e.id = r.event_id
        LEFT JOIN participants AS p ON p.id = r.participant_id
        WHERE o.kind = :kind AND o.status = 'queued' AND substr(o.dedupe_key, 1, length(:prefix)) = :prefix
          AND (r.id IS NULL OR r.status <> 'registered' OR e.status NOT IN ('open', 'closed')
               OR (:now IS NOT NULL AND e.starts_at <= :now)
               OR p.person_id IS NULL OR p.person_id <> o.recipient_id OR p.erased_at IS NOT NULL)
        """,
        {"now": None if now is None else utc_text(now), "kind": outbox_keys.EVENT_REMINDER_KIND,
         "prefix": outbox_keys.EVENT_REMINDER_PREFIX},
    )
    return [r["id"] for r in rows]


async def answered_followup_prompt_ids(q: Queryable, tz: ZoneInfo = WITA) -> list[int]:
    """Queued follow-up prompts that no longer need asking: an outcome for that participant and event was
    recorded since the prompt's milestone (by any coordinator), or the participant was erased, or the
    registration is no longer ``attended``. Keys are :func:`storage.outbox_keys.followup_prompt_key`."""
    rows = await q.fetchall(
        """
        SELECT id, dedupe_key FROM outbox
        WHERE kind = :kind AND status = 'queued' AND substr(dedupe_key, 1, length(:prefix)) = :prefix
        """,
        {"kind": outbox_keys.FOLLOWUP_PROMPT_KIND, "prefix": outbox_keys.FOLLOWUP_PROMPT_PREFIX},
    )
    stale: list[int] = []
    for row in rows:
        parsed = outbox_keys.parse_followup_prompt_key(row["dedupe_key"])
        if parsed is None:
            continue
        registration_id, milestone = parsed
        reg = await q.fetchone(
            """
            SELECT r.status, r.event_id, r.participant_id, e.starts_at, p.erased_at
            FROM registrations AS r JOIN events AS e ON e.id = r.event_id
            JOIN participants AS p ON p.id = r.participant_id WHERE r.id = :id
            """,
            {"id": registration_id},
        )
        if reg is None or reg["erased_at"] is not None or reg["status"] != "attended":
            stale.append(row["id"])
            continue
        start_day = parse_utc_text(reg["starts_at"]).astimezone(tz).date()
        answered = await q.fetchval(
            "SELECT 1 FROM outcomes WHERE event_id = :e AND participant_id = :p AND recorded_at >= :at",
            {"e": reg["event_id"], "p": reg["participant_id"],
             "at": _day_start_utc(start_day + timedelta(days=milestone), tz)},
        )
        if answered:
            stale.append(row["id"])
    return stale
