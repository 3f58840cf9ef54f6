"""Repository: events, participants, registrations (seats and the waiting list) and follow-up outcomes.

Sections: events · participants · registrations · outcomes · queries for the scheduler and the lurah digest.

Concurrency: :func:`register` and :func:`cancel_registration` count seats and write in the same statements
sequence and MUST run inside one ``db.transaction()`` (``BEGIN IMMEDIATE``), so two coordinators taking the
last seat at once never overfill an event: the second one sees the first one's seat and is waitlisted.

Privacy: the NIK, phone and address are returned to the handlers, which mask them for display; the audit log
never receives them. :func:`erase_participant` anonymises a participant and keeps their registrations, so
counts stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.events import ACTIVE, SEATED, EventStatus, RegStatus, seat_status
from bot.parsing.nik import clean_nik
from bot.roles import Role
from storage import invites, outbox, people
from storage.db import Queryable, parse_utc_text, utc_text

WITA = ZoneInfo("Asia/Makassar")

_SEATED_SQL = "('registered', 'attended', 'no_show')"
_ACTIVE_SQL = "('registered', 'attended', 'no_show', 'waitlisted')"
assert set(_SEATED_SQL.replace("'", "").strip("()").split(", ")) == {str(s) for s in SEATED}
assert set(_ACTIVE_SQL.replace("'", "").strip("()").split(", ")) == {str(s) for s in ACTIVE}


def _day_start_utc(day: date, tz: ZoneInfo) -> str:
    return utc_text(datetime.combine(day, time(0, 0), tzinfo=tz))


# --- events -------------------------------------------------------------------------------------------------
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


_EVENT_SELECT = f"""
SELECT e.*,
       (SELECT count(*) FROM registrations AS r WHERE r.event_id = e.id AND r.status IN {_SEATED_SQL}) AS seated,
       (SELECT count(*) FROM registrations AS r WHERE r.event_id = e.id AND r.status = 'waitlisted') AS waitlisted
FROM events AS e
"""


def _event(row) -> Event:
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
    row = await q.fetchone(_EVENT_SELECT + " WHERE e.id = :id", {"id": event_id})
    return None if row is None else _event(row)


async def listed_events(q: Queryable, kelurahan_code: str, now: datetime, *, recent_days: int = 14,
                        limit: int = 20) -> list[Event]:
    """Open and closed events of a kelurahan from ``recent_days`` ago on (recent ones still need attendance)."""
    rows = await q.fetchall(
        _EVENT_SELECT
        + """
        WHERE e.kelurahan_code = :kel AND e.status IN ('open', 'closed') AND e.starts_at >= :since
        ORDER BY e.starts_at, e.id LIMIT :limit
        """,
        {"kel": kelurahan_code, "since": utc_text(now - timedelta(days=recent_days)), "limit": limit},
    )
    return [_event(r) for r in rows]


async def registrable_events(q: Queryable, kelurahan_code: str, now: datetime) -> list[Event]:
    """Open events of a kelurahan whose registration deadline has not passed."""
    rows = await q.fetchall(
        _EVENT_SELECT
        + """
        WHERE e.kelurahan_code = :kel AND e.status = 'open' AND e.registration_deadline > :now
        ORDER BY e.starts_at, e.id LIMIT 20
        """,
        {"kel": kelurahan_code, "now": utc_text(now)},
    )
    return [_event(r) for r in rows]


async def set_event_status(q: Queryable, event_id: int, status: EventStatus) -> None:
    await q.execute(
        "UPDATE events SET status = :status, updated_at = datetime('now') WHERE id = :id",
        {"status": str(status), "id": event_id},
    )


# --- participants -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Participant:
    id: int
    kelurahan_code: str
    name: str
    nik: str | None
    birth_date: date | None
    sex: str | None
    phone: str | None
    address: str | None
    education: str | None
    work_status: str | None
    consent_at: str
    person_id: int | None
    created_by: int | None
    created_at: str
    erased_at: str | None

    @property
    def erased(self) -> bool:
        return self.erased_at is not None


def _participant(row) -> Participant:
    return Participant(
        id=row["id"], kelurahan_code=row["kelurahan_code"], name=row["name"], nik=row["nik"],
        birth_date=None if row["birth_date"] is None else date.fromisoformat(row["birth_date"]), sex=row["sex"],
        phone=row["phone"], address=row["address"], education=row["education"], work_status=row["work_status"],
        consent_at=row["consent_at"], person_id=row["person_id"], created_by=row["created_by"],
        created_at=row["created_at"], erased_at=row["erased_at"],
    )


async def get_participant(q: Queryable, participant_id: int) -> Participant | None:
    row = await q.fetchone("SELECT * FROM participants WHERE id = :id", {"id": participant_id})
    return None if row is None else _participant(row)


async def participant_by_nik(q: Queryable, nik: str) -> Participant | None:
    row = await q.fetchone("SELECT * FROM participants WHERE nik = :nik", {"nik": nik})
    return None if row is None else _participant(row)


async def participant_for_person(q: Queryable, person_id: int) -> Participant | None:
    row = await q.fetchone("SELECT * FROM participants WHERE person_id = :p AND erased_at IS NULL",
                           {"p": person_id})
    return None if row is None else _participant(row)


async def search_participants(q: Queryable, kelurahan_code: str, text: str, *, limit: int = 8) -> list[Participant]:
    """Participants of a kelurahan by exact NIK (16 digits) or by a part of the name; erased ones never."""
    digits = clean_nik(text)
    if len(digits) == 16 and digits.isdigit():
        rows = await q.fetchall(
            "SELECT * FROM participants WHERE kelurahan_code = :kel AND nik = :nik AND erased_at IS NULL",
            {"kel": kelurahan_code, "nik": digits},
        )
    else:
        needle = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await q.fetchall(
            """
            SELECT * FROM participants
            WHERE kelurahan_code = :kel AND erased_at IS NULL AND name LIKE :like ESCAPE '\\'
            ORDER BY (lower(name) LIKE lower(:prefix) ESCAPE '\\') DESC, name, id LIMIT :limit
            """,
            {"kel": kelurahan_code, "like": f"%{needle}%", "prefix": f"{needle}%", "limit": limit},
        )
    return [_participant(r) for r in rows]


async def create_participant(
    q: Queryable, *, kelurahan_code: str, name: str, nik: str | None, birth_date: date | None, sex: str | None,
    phone: str | None, address: str | None, education: str | None, work_status: str | None, consent_at: datetime,
    created_by: int | None,
) -> Participant:
    result = await q.execute(
        """
        INSERT INTO participants (kelurahan_code, name, nik, birth_date, sex, phone, address, education,
                                  work_status, consent_at, created_by)
        VALUES (:kel, :name, :nik, :birth_date, :sex, :phone, :address, :education, :work_status, :consent_at,
                :created_by)
        """,
        {"kel": kelurahan_code, "name": name, "nik": nik,
         "birth_date": None if birth_date is None else birth_date.isoformat(), "sex": sex, "phone": phone,
         "address": address, "education": education, "work_status": work_status,
         "consent_at": utc_text(consent_at), "created_by": created_by},
    )
    assert result.lastrowid is not None
    participant = await get_participant(q, result.lastrowid)
    assert participant is not None
    return participant


async def update_contact(q: Queryable, participant_id: int, *, phone: str | None, address: str | None) -> None:
    await q.execute(
        "UPDATE participants SET phone = :phone, address = :address, updated_at = datetime('now') WHERE id = :id",
        {"phone": phone, "address": address, "id": participant_id},
    )


async def link_person(q: Queryable, participant_id: int, person_id: int) -> None:
    """Link a participant to a ``people`` row (their Telegram account; the person holds no role)."""
    await q.execute(
        "UPDATE participants SET person_id = :person, updated_at = datetime('now') WHERE id = :id",
        {"person": person_id, "id": participant_id},
    )


async def erase_participant(q: Queryable, participant_id: int, now: datetime) -> Participant | None:
    """Anonymise: name → ``Peserta terhapus #ID``; NIK, birth date, sex, phone and address NULL; unlinked, and the
    linked person loses the participant role (and is anonymised when it was their only role, see
    :func:`storage.people.erase_if_roleless`). Registrations and outcomes stay (counts). Returns the participant
    as it was, or None when unknown."""
    before = await get_participant(q, participant_id)
    if before is None:
        return None
    if before.person_id is not None:
        # The Telegram link made for this participant goes too: drop the participant role and, when that was the
        # person's only reason to be here, anonymise the people row (name, phone, Telegram ids) and what was
        # queued for them; an unused invite can't re-link the row.
        await people.remove_role(q, before.person_id, Role.PARTICIPANT)
        if await people.erase_if_roleless(q, before.person_id):
            await outbox.scrub(q, recipient_id=before.person_id)
        await invites.expire_unused(q, before.person_id, now)
    # Messages about them: their event reminders, the coordinators' follow-up prompts, notices about them.
    registration_ids = [r["id"] for r in await q.fetchall(
        "SELECT id FROM registrations WHERE participant_id = :id", {"id": participant_id})]
    await outbox.scrub(
        q,
        keys=[f"{REMINDER_KEY_PREFIX}{r}" for r in registration_ids],
        key_prefixes=[f"{FOLLOWUP_KEY_PREFIX}{r}:" for r in registration_ids],
        key_contains=[f":reg:{r}:" for r in registration_ids],
    )
    await q.execute(
        """
        UPDATE participants
        SET name = 'Peserta terhapus #' || id, nik = NULL, birth_date = NULL, sex = NULL, phone = NULL,
            address = NULL, person_id = NULL, erased_at = coalesce(erased_at, :now), updated_at = datetime('now')
        WHERE id = :id
        """,
        {"id": participant_id, "now": utc_text(now)},
    )
    await q.execute("UPDATE outcomes SET business_type = NULL WHERE participant_id = :id", {"id": participant_id})
    return before


# --- registrations ------------------------------------------------------------------------------------------
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


def _registration(row) -> Registration:
    return Registration(
        id=row["id"], event_id=row["event_id"], participant_id=row["participant_id"], status=row["status"],
        waitlist_position=row["waitlist_position"], registered_by=row["registered_by"],
        created_at=row["created_at"], updated_at=row["updated_at"], participant_name=row["participant_name"],
        nik=row["nik"], phone=row["phone"], address=row["address"], sex=row["sex"],
        birth_date=None if row["birth_date"] is None else date.fromisoformat(row["birth_date"]),
        education=row["education"], work_status=row["work_status"], person_id=row["person_id"],
        registered_by_name=row["registered_by_name"], rank=row["rank"], linked=bool(row["linked"]),
    )


async def get_registration(q: Queryable, registration_id: int) -> Registration | None:
    row = await q.fetchone(_REG_SELECT + " WHERE r.id = :id", {"id": registration_id})
    return None if row is None else _registration(row)


async def registration_for(q: Queryable, event_id: int, participant_id: int) -> Registration | None:
    row = await q.fetchone(_REG_SELECT + " WHERE r.event_id = :e AND r.participant_id = :p",
                           {"e": event_id, "p": participant_id})
    return None if row is None else _registration(row)


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
        f"SELECT count(*) FROM registrations WHERE event_id = :e AND status IN {_SEATED_SQL}", {"e": event_id})
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
               (SELECT count(*) FROM registrations WHERE event_id = e.id AND status IN {_SEATED_SQL}) AS seated,
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
    return [_registration(r) for r in rows]


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
    return [_registration(r) for r in rows]


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
        f"SELECT status, count(*) AS n FROM registrations WHERE event_id = :e AND status IN {_SEATED_SQL} "
        "GROUP BY status", {"e": event_id})}
    result = AttendanceResult(counts.get("attended", 0), counts.get("no_show", 0), counts.get("registered", 0))
    if result.unchecked == 0:
        await set_event_status(q, event_id, EventStatus.DONE)
    return result


# --- outcomes -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FollowupItem:
    registration_id: int
    event_id: int
    event_title: str
    starts_at: datetime
    participant_id: int
    participant_name: str
    last_status: str | None
    last_recorded_at: str | None


async def followup_candidates(q: Queryable, kelurahan_code: str, now: datetime, *, limit: int = 20
                              ) -> list[FollowupItem]:
    """Attended trainees of the kelurahan's past trainings, those without an answer first."""
    rows = await q.fetchall(
        """
        SELECT r.id AS registration_id, e.id AS event_id, e.title, e.starts_at, p.id AS participant_id,
               p.name AS participant_name,
               (SELECT o.status FROM outcomes AS o WHERE o.event_id = e.id AND o.participant_id = p.id
                ORDER BY o.recorded_at DESC, o.id DESC LIMIT 1) AS last_status,
               (SELECT max(o.recorded_at) FROM outcomes AS o WHERE o.event_id = e.id AND o.participant_id = p.id)
                   AS last_recorded_at
        FROM registrations AS r
        JOIN events AS e ON e.id = r.event_id
        JOIN participants AS p ON p.id = r.participant_id
        WHERE e.kelurahan_code = :kel AND e.kind = 'training' AND e.starts_at < :now AND r.status = 'attended'
          AND p.erased_at IS NULL
        ORDER BY last_status IS NOT NULL, e.starts_at DESC, p.name
        LIMIT :limit
        """,
        {"kel": kelurahan_code, "now": utc_text(now), "limit": limit},
    )
    return [
        FollowupItem(r["registration_id"], r["event_id"], r["title"], parse_utc_text(r["starts_at"]),
                     r["participant_id"], r["participant_name"], r["last_status"], r["last_recorded_at"])
        for r in rows
    ]


@dataclass(frozen=True)
class Outcome:
    id: int
    participant_id: int
    event_id: int
    status: str
    business_type: str | None
    recorded_by: int | None
    recorded_at: str


async def record_outcome(q: Queryable, *, participant_id: int, event_id: int, status: str,
                         business_type: str | None, recorded_by: int | None, now: datetime) -> Outcome:
    result = await q.execute(
        """
        INSERT INTO outcomes (participant_id, event_id, status, business_type, recorded_by, recorded_at)
        VALUES (:p, :e, :status, :business, :by, :now)
        """,
        {"p": participant_id, "e": event_id, "status": status, "business": business_type, "by": recorded_by,
         "now": utc_text(now)},
    )
    row = await q.fetchone("SELECT * FROM outcomes WHERE id = :id", {"id": result.lastrowid})
    return Outcome(row["id"], row["participant_id"], row["event_id"], row["status"], row["business_type"],
                   row["recorded_by"], row["recorded_at"])


# --- for the scheduler (issue 4) and the lurah digest -------------------------------------------------------
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


async def digest_section(q: Queryable, kelurahan_code: str, today: date, tz: ZoneInfo = WITA) -> EventDigest:
    since = _day_start_utc(today - timedelta(days=1), tz)
    signups = await q.fetchval(
        """
        SELECT count(*) FROM registrations AS r JOIN events AS e ON e.id = r.event_id
        WHERE e.kelurahan_code = :kel AND r.created_at >= :since
        """,
        {"kel": kelurahan_code, "since": since},
    )
    rows = await q.fetchall(
        _EVENT_SELECT
        + """
        WHERE e.kelurahan_code = :kel AND e.status <> 'cancelled' AND e.starts_at >= :start AND e.starts_at < :end
        ORDER BY e.starts_at, e.id
        """,
        {"kel": kelurahan_code, "start": _day_start_utc(today, tz),
         "end": _day_start_utc(today + timedelta(days=7), tz)},
    )
    upcoming = [UpcomingLine(e.title, e.starts_at, e.seated, e.capacity, e.waitlisted) for e in map(_event, rows)]
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
#: dedupe-key prefixes of the Karang Taruna outbox messages: ``evrem:<registration_id>`` (day-before reminder)
#: and ``fu:<registration_id>:<milestone>:<coordinator_id>`` (follow-up prompt)
REMINDER_KEY_PREFIX = "evrem:"
FOLLOWUP_KEY_PREFIX = "fu:"


async def stale_event_reminder_ids(q: Queryable, now: datetime | None = None) -> list[int]:
    """Queued day-before reminders that no longer apply: the registration is no longer ``registered``
    (cancelled, or moved), the event is cancelled/done or has already started (at ``now``), or the participant
    was unlinked or erased."""
    rows = await q.fetchall(
        """
        SELECT o.id FROM outbox AS o
        LEFT JOIN registrations AS r ON r.id = CAST(substr(o.dedupe_key, 7) AS INTEGER)
        LEFT JOIN events AS e ON e.id = r.event_id
        LEFT JOIN participants AS p ON p.id = r.participant_id
        WHERE o.status = 'queued' AND substr(o.dedupe_key, 1, 6) = 'evrem:'
          AND (r.id IS NULL OR r.status <> 'registered' OR e.status NOT IN ('open', 'closed')
               OR (:now IS NOT NULL AND e.starts_at <= :now)
               OR p.person_id IS NULL OR p.person_id <> o.recipient_id OR p.erased_at IS NOT NULL)
        """,
        {"now": None if now is None else utc_text(now)},
    )
    return [r["id"] for r in rows]


async def answered_followup_prompt_ids(q: Queryable, tz: ZoneInfo = WITA) -> list[int]:
    """Queued follow-up prompts that no longer need asking: an outcome for that participant and event was
    recorded since the prompt's milestone (by any coordinator), or the participant was erased, or the
    registration is no longer ``attended``. Keys are ``fu:<registration_id>:<milestone>:<coordinator_id>``."""
    rows = await q.fetchall(
        "SELECT id, dedupe_key FROM outbox WHERE status = 'queued' AND substr(dedupe_key, 1, 3) = 'fu:'"
    )
    stale: list[int] = []
    for row in rows:
        parts = row["dedupe_key"].split(":")
        if len(parts) < 3 or not parts[1].isdigit() or not parts[2].isdigit():
            continue
        reg = await q.fetchone(
            """
            SELECT r.status, r.event_id, r.participant_id, e.starts_at, p.erased_at
            FROM registrations AS r JOIN events AS e ON e.id = r.event_id
            JOIN participants AS p ON p.id = r.participant_id WHERE r.id = :id
            """,
            {"id": int(parts[1])},
        )
        if reg is None or reg["erased_at"] is not None or reg["status"] != "attended":
            stale.append(row["id"])
            continue
        start_day = parse_utc_text(reg["starts_at"]).astimezone(tz).date()
        answered = await q.fetchval(
            "SELECT 1 FROM outcomes WHERE event_id = :e AND participant_id = :p AND recorded_at >= :at",
            {"e": reg["event_id"], "p": reg["participant_id"],
             "at": _day_start_utc(start_day + timedelta(days=int(parts[2])), tz)},
        )
        if answered:
            stale.append(row["id"])
    return stale
