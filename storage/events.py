"""Repository: the Event aggregate (a Karang Taruna event or training, its capacity and its status).

Seats are counted here (:data:`SEATED_SQL`) for the ``seated`` / ``waitlisted`` figures of :class:`Event`; the
registrations themselves (seats and the waiting list) are :mod:`storage.registrations`, the people who sign up
:mod:`storage.participants`, the follow-up answers :mod:`storage.outcomes`, and what the digest and the jobs read
:mod:`storage.reports.events`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.events import ACTIVE, SEATED, EventStatus
from storage.db import Queryable, parse_utc_text, utc_text

WITA = ZoneInfo("Asia/Makassar")

#: the registration statuses that hold a seat / that are live, as SQL lists (checked against bot.domain.events)
SEATED_SQL = "('registered', 'attended', 'no_show')"
ACTIVE_SQL = "('registered', 'attended', 'no_show', 'waitlisted')"
assert set(SEATED_SQL.replace("'", "").strip("()").split(", ")) == {str(s) for s in SEATED}
assert set(ACTIVE_SQL.replace("'", "").strip("()").split(", ")) == {str(s) for s in ACTIVE}


@dataclass(frozen=True)
class Event:
    id: int
    kelurahan_code: str
    title: str
    kind: str
    organiser: str
    starts_at: datetime
    place: str
    capacity: int
    registration_deadline: datetime
    min_age: int | None
    max_age: int | None
    status: str
    created_by: int | None
    created_at: str
    seated: int = 0
    waitlisted: int = 0

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seated, 0)

    def registration_open(self, now: datetime) -> bool:
        return self.status == EventStatus.OPEN and now < self.registration_deadline

    def started(self, now: datetime) -> bool:
        return now >= self.starts_at

    def day(self, tz: ZoneInfo = WITA) -> date:
        return self.starts_at.astimezone(tz).date()


EVENT_SELECT = f"""
SELECT e.*,
       (SELECT count(*) FROM registrations AS r WHERE r.event_id = e.id AND r.status IN {SEATED_SQL}) AS seated,
       (SELECT count(*) FROM registrations AS r WHERE r.event_id = e.id AND r.status = 'waitlisted') AS waitlisted
FROM events AS e
"""


def event_from_row(row) -> Event:
    return Event(
        id=row["id"], kelurahan_code=row["kelurahan_code"], title=row["title"], kind=row["kind"],
        organiser=row["organiser"], starts_at=parse_utc_text(row["starts_at"]), place=row["place"],
        capacity=row["capacity"], registration_deadline=parse_utc_text(row["registration_deadline"]),
        min_age=row["min_age"], max_age=row["max_age"], status=row["status"], created_by=row["created_by"],
        created_at=row["created_at"], seated=row["seated"], waitlisted=row["waitlisted"],
    )


async def create_event(
    q: Queryable, *, kelurahan_code: str, title: str, kind: str, organiser: str, starts_at: datetime, place: str,
    capacity: int, registration_deadline: datetime, min_age: int | None, max_age: int | None,
    created_by: int | None,
) -> Event:
    result = await q.execute(
        """
        INSERT INTO events (kelurahan_code, title, kind, organiser, starts_at, place, capacity,
                            registration_deadline, min_age, max_age, created_by)
        VALUES (:kel, :title, :kind, :organiser, :starts_at, :place, :capacity, :deadline, :min_age, :max_age,
                :created_by)
        """,
        {"kel": kelurahan_code, "title": title, "kind": kind, "organiser": organiser,
         "starts_at": utc_text(starts_at), "place": place, "capacity": capacity,
         "deadline": utc_text(registration_deadline), "min_age": min_age, "max_age": max_age,
         "created_by": created_by},
    )
    assert result.lastrowid is not None
    event = await get_event(q, result.lastrowid)
    assert event is not None
    return event


async def get_event(q: Queryable, event_id: int) -> Event | None:
    row = await q.fetchone(EVENT_SELECT + " WHERE e.id = :id", {"id": event_id})
    return None if row is None else event_from_row(row)


async def listed_events(q: Queryable, kelurahan_code: str, now: datetime, *, recent_days: int = 14,
                        limit: int = 20) -> list[Event]:
    """Open and closed events of a kelurahan from ``recent_days`` ago on (recent ones still need attendance)."""
    rows = await q.fetchall(
        EVENT_SELECT
        + """
        WHERE e.kelurahan_code = :kel AND e.status IN ('open', 'closed') AND e.starts_at >= :since
        ORDER BY e.starts_at, e.id LIMIT :limit
        """,
        {"kel": kelurahan_code, "since": utc_text(now - timedelta(days=recent_days)), "limit": limit},
    )
    return [event_from_row(r) for r in rows]


async def past_events(q: Queryable, kelurahan_code: str, now: datetime, *, days: int = 90,
                      limit: int = 20) -> list[Event]:
    """Events of a kelurahan that started in the last ``days`` days (not cancelled), latest first: their
    participants, exports and attendance stay reachable once they are done."""
    rows = await q.fetchall(
        EVENT_SELECT
        + """
        WHERE e.kelurahan_code = :kel AND e.status IN ('open', 'closed', 'done')
          AND e.starts_at < :now AND e.starts_at >= :since
        ORDER BY e.starts_at DESC, e.id DESC LIMIT :limit
        """,
        {"kel": kelurahan_code, "now": utc_text(now), "since": utc_text(now - timedelta(days=days)),
         "limit": limit},
    )
    return [event_from_row(r) for r in rows]


async def registrable_events(q: Queryable, kelurahan_code: str, now: datetime) -> list[Event]:
    """Open events of a kelurahan whose registration deadline has not passed."""
    rows = await q.fetchall(
        EVENT_SELECT
        + """
        WHERE e.kelurahan_code = :kel AND e.status = 'open' AND e.registration_deadline > :now
        ORDER BY e.starts_at, e.id LIMIT 20
        """,
        {"kel": kelurahan_code, "now": utc_text(now)},
    )
    return [event_from_row(r) for r in rows]


async def set_event_status(q: Queryable, event_id: int, status: EventStatus) -> None:
    await q.execute(
        "UPDATE events SET status = :status, updated_at = datetime('now') WHERE id = :id",
        {"status": str(status), "id": event_id},
    )

