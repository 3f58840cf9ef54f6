"""Repository: registrations of participants to events: seats, the waiting list and attendance.

Concurrency: :func:`register` and :func:`cancel_registration` count seats and write in the same statements
sequence and MUST run inside one ``db.transaction()`` (``BEGIN IMMEDIATE``), so two coordinators taking the
last seat at once never overfill an event: the second one sees the first one's seat and is waitlisted.
Cancelling moves the first waiting registration up into the freed seat.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.events import ACTIVE, SEATED, EventStatus, RegStatus, seat_status
from storage.crypto import Cipher
from storage.db import Queryable, utc_text
from storage.events import SEATED_SQL, set_event_status


@dataclass(frozen=True)
class Registration:
    id: int
    event_id: int
    participant_id: int
    status: str
    waitlist_position: int | None
    registered_by: int | None
    created_at: str
    updated_at: str
    participant_name: str = ""
    nik: str | None = None
    phone: str | None = None
    address: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    education: str | None = None
    work_status: str | None = None
    person_id: int | None = None
    registered_by_name: str | None = None
    #: rank on the waiting list (1 = next to move up), None when not waitlisted
    rank: int | None = None
    #: the participant's ``people`` row is linked to a Telegram account (an invite was redeemed)
    linked: bool = False


_REG_SELECT = """
SELECT r.*, p.name AS participant_name, p.nik, p.phone, p.address, p.sex, p.birth_date, p.education,
       p.work_status, p.person_id, b.name AS registered_by_name,
       (SELECT lp.telegram_user_id IS NOT NULL FROM people AS lp WHERE lp.id = p.person_id) AS linked,
       CASE WHEN r.status = 'waitlisted' THEN
            (SELECT count(*) FROM registrations AS w WHERE w.event_id = r.event_id AND w.status = 'waitlisted'
               AND w.waitlist_position <= r.waitlist_position) END AS rank
FROM registrations AS r
JOIN participants AS p ON p.id = r.participant_id
LEFT JOIN people AS b ON b.id = r.registered_by
"""


def _registration(row, key: Cipher) -> Registration:
    return Registration(
        id=row["id"], event_id=row["event_id"], participant_id=row["participant_id"], status=row["status"],
        waitlist_position=row["waitlist_position"], registered_by=row["registered_by"],
        created_at=row["created_at"], updated_at=row["updated_at"], participant_name=row["participant_name"],
        nik=key.reveal(row["nik"]), phone=key.reveal(row["phone"]), address=row["address"], sex=row["sex"],
        birth_date=None if row["birth_date"] is None else date.fromisoformat(row["birth_date"]),
        education=row["education"], work_status=row["work_status"], person_id=row["person_id"],
        registered_by_name=row["registered_by_name"], rank=row["rank"], linked=bool(row["linked"]),
    )


async def get_registration(q: Queryable, registration_id: int) -> Registration | None:
    row = await q.fetchone(_REG_SELECT + " WHERE r.id = :id", {"id": registration_id})
    return None if row is None else _registration(row, q.key)


async def registration_for(q: Queryable, event_id: int, participant_id: int) -> Registration | None:
    row = await q.fetchone(_REG_SELECT + " WHERE r.event_id = :e AND r.participant_id = :p",
                           {"e": event_id, "p": participant_id})
    return None if row is None else _registration(row, q.key)


@dataclass(frozen=True)
class RegisterResult:
    registration: Registration
    #: False when the participant already had a live registration for this event (nothing was written)
    created: bool


async def register(q: Queryable, *, event_id: int, participant_id: int, registered_by: int | None,
                   now: datetime) -> RegisterResult:
    """Give the participant a seat, or a place on the waiting list. Run inside ``db.transaction()``.

    A live registration (registered, waitlisted, attended, no_show) is returned unchanged with
    ``created=False``; a cancelled one is revived.
    """
    existing = await registration_for(q, event_id, participant_id)
    if existing is not None and existing.status in {str(s) for s in ACTIVE}:
        return RegisterResult(existing, created=False)
    event = await q.fetchone("SELECT capacity FROM events WHERE id = :id", {"id": event_id})
    assert event is not None
    seated = await q.fetchval(
        f"SELECT count(*) FROM registrations WHERE event_id = :e AND status IN {SEATED_SQL}", {"e": event_id})
    status = seat_status(int(seated), int(event["capacity"]))
    position = None
    if status is RegStatus.WAITLISTED:
        position = int(await q.fetchval(
            "SELECT coalesce(max(waitlist_position), 0) + 1 FROM registrations WHERE event_id = :e",
            {"e": event_id}))
    params = {"e": event_id, "p": participant_id, "status": str(status), "pos": position, "by": registered_by,
              "now": utc_text(now)}
    if existing is None:
        result = await q.execute(
            """
            INSERT INTO registrations (event_id, participant_id, status, waitlist_position, registered_by,
                                       created_at, updated_at)
            VALUES (:e, :p, :status, :pos, :by, :now, :now)
            """,
            params,
        )
        reg_id = result.lastrowid
    else:
        await q.execute(
            """
            UPDATE registrations SET status = :status, waitlist_position = :pos, registered_by = :by,
                                     created_at = :now, updated_at = :now
            WHERE id = :id
            """,
            {**params, "id": existing.id},
        )
        reg_id = existing.id
    assert reg_id is not None
    registration = await get_registration(q, reg_id)
    assert registration is not None
    return RegisterResult(registration, created=True)


@dataclass(frozen=True)
class CancelResult:
    cancelled: Registration
    #: the first waiting registration, moved up into the freed seat
    promoted: Registration | None = None


async def cancel_registration(q: Queryable, registration_id: int, now: datetime) -> CancelResult | None:
    """Cancel a registered or waitlisted registration and move the first waiting person up when a seat is
    free. Run inside ``db.transaction()``. None when it is not cancellable (already cancelled, attended…)."""
    before = await get_registration(q, registration_id)
    if before is None or before.status not in (RegStatus.REGISTERED, RegStatus.WAITLISTED):
        return None
    await q.execute(
        """
        UPDATE registrations SET status = 'cancelled', waitlist_position = NULL, updated_at = :now
        WHERE id = :id
        """,
        {"id": registration_id, "now": utc_text(now)},
    )
    promoted = await _promote(q, before.event_id, now)
    cancelled = await get_registration(q, registration_id)
    assert cancelled is not None
    return CancelResult(cancelled, promoted)


async def _promote(q: Queryable, event_id: int, now: datetime) -> Registration | None:
    row = await q.fetchone(
        f"""
        SELECT e.capacity,
               (SELECT count(*) FROM registrations WHERE event_id = e.id AND status IN {SEATED_SQL}) AS seated,
               (SELECT id FROM registrations WHERE event_id = e.id AND status = 'waitlisted'
                ORDER BY waitlist_position LIMIT 1) AS first_waiting
        FROM events AS e WHERE e.id = :e
        """,
        {"e": event_id},
    )
    if row is None or row["first_waiting"] is None or row["seated"] >= row["capacity"]:
        return None
    await q.execute(
        """
        UPDATE registrations SET status = 'registered', waitlist_position = NULL, updated_at = :now
        WHERE id = :id
        """,
        {"id": row["first_waiting"], "now": utc_text(now)},
    )
    return await get_registration(q, row["first_waiting"])


async def event_registrations(
    q: Queryable, event_id: int, *, statuses: Iterable[str] = tuple(ACTIVE), limit: int = 1000, offset: int = 0
) -> list[Registration]:
    """Registrations of an event: seated first (by sign-up time), then the waiting list in order."""
    wanted = list(statuses)
    marks = ", ".join(f":s{i}" for i in range(len(wanted)))
    rows = await q.fetchall(
        _REG_SELECT
        + f"""
        WHERE r.event_id = :e AND r.status IN ({marks})
        ORDER BY r.status = 'waitlisted', coalesce(r.waitlist_position, 0), r.created_at, r.id
        LIMIT :limit OFFSET :offset
        """,
        {"e": event_id, "limit": limit, "offset": offset, **{f"s{i}": s for i, s in enumerate(wanted)}},
    )
    return [_registration(r, q.key) for r in rows]


async def count_registrations(q: Queryable, event_id: int, statuses: Iterable[str] = tuple(ACTIVE)) -> int:
    wanted = list(statuses)
    marks = ", ".join(f":s{i}" for i in range(len(wanted)))
    return int(await q.fetchval(
        f"SELECT count(*) FROM registrations WHERE event_id = :e AND status IN ({marks})",
        {"e": event_id, **{f"s{i}": s for i, s in enumerate(wanted)}},
    ))


async def registrations_of_participant(q: Queryable, participant_id: int, now: datetime) -> list[Registration]:
    """Live registrations (registered or waitlisted) of a participant for events that have not started."""
    rows = await q.fetchall(
        _REG_SELECT
        + """
        JOIN events AS e ON e.id = r.event_id
        WHERE r.participant_id = :p AND r.status IN ('registered', 'waitlisted') AND e.starts_at > :now
          AND e.status IN ('open', 'closed')
        ORDER BY e.starts_at
        """,
        {"p": participant_id, "now": utc_text(now)},
    )
    return [_registration(r, q.key) for r in rows]


@dataclass(frozen=True)
class AttendanceResult:
    """Counts over ALL seated registrations of the event after saving."""
    attended: int
    no_show: int
    #: seated registrations still ``registered``: never shown in the check-list, so left as they were
    unchecked: int


async def save_attendance(q: Queryable, event_id: int, present: set[int], now: datetime,
                          shown: Iterable[int] | None = None) -> AttendanceResult:
    """The seated registrations in ``shown`` (the ids the coordinator saw in the check-list; None = every seated
    one) become attended (ids in ``present``) or no_show; the others are not touched. The event becomes done
    once no seated registration is left unchecked. Run inside ``db.transaction()``."""
    seated = await event_registrations(q, event_id, statuses=[str(s) for s in SEATED], limit=1_000_000)
    wanted = None if shown is None else set(shown)
    for reg in seated:
        if wanted is not None and reg.id not in wanted:
            continue
        status = RegStatus.ATTENDED if reg.id in present else RegStatus.NO_SHOW
        await q.execute(
            "UPDATE registrations SET status = :s, updated_at = :now WHERE id = :id AND status <> :s",
            {"s": str(status), "now": utc_text(now), "id": reg.id},
        )
    counts = {r["status"]: r["n"] for r in await q.fetchall(
        f"SELECT status, count(*) AS n FROM registrations WHERE event_id = :e AND status IN {SEATED_SQL} "
        "GROUP BY status", {"e": event_id})}
    result = AttendanceResult(counts.get("attended", 0), counts.get("no_show", 0), counts.get("registered", 0))
    if result.unchecked == 0:
        await set_event_status(q, event_id, EventStatus.DONE)
    return result



async def upcoming_titles(q: Queryable, participant_id: int, now: datetime) -> list[str]:
    """Titles of the events not started yet for which the participant is registered or waiting, soonest first
    (what their coordinator is told when they withdraw consent)."""
    rows = await q.fetchall(
        """
        SELECT e.title FROM registrations AS r JOIN events AS e ON e.id = r.event_id
        WHERE r.participant_id = :p AND r.status IN ('registered', 'waitlisted') AND e.starts_at > :now
        ORDER BY e.starts_at
        """,
        {"p": participant_id, "now": utc_text(now)},
    )
    return [r["title"] for r in rows]
