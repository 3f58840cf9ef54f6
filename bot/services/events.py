"""Use cases of Karang Taruna events: creating one (``/acara_baru``), its attendance, export, closing and cancelling."""

from __future__ import annotations

from datetime import datetime

from bot.domain.events import EventStatus
from storage import audit, drafts, events, registrations
from storage.db import Database
from storage.events import Event


async def create_event(
    db: Database, *, kelurahan_code: str, title: str, kind: str, organiser: str, starts_at: datetime, place: str,
    capacity: int, registration_deadline: datetime, min_age: int | None, max_age: int | None,
    created_by: int | None, draft_of: int | None = None,
) -> Event:
    """Create an event and audit it. ``draft_of``: the Telegram user whose form draft this finishes, deleted in
    the same transaction."""
    async with db.transaction() as tx:
        event = await events.create_event(
            tx, kelurahan_code=kelurahan_code, title=title, kind=kind, organiser=organiser, starts_at=starts_at,
            place=place, capacity=capacity, registration_deadline=registration_deadline, min_age=min_age,
            max_age=max_age, created_by=created_by)
        await audit.record(tx, "event.created", actor_person_id=created_by, entity="event", entity_id=event.id,
                           kelurahan_code=event.kelurahan_code,
                           details={"capacity": event.capacity, "kind": event.kind})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return event


async def save_attendance(
    db: Database, *, event_id: int, present: set[int], shown: set[int], by: int | None, now: datetime,
    draft_of: int | None = None,
) -> tuple[registrations.AttendanceResult, Event]:
    """Save the attendance check-list: of the registrations ``shown``, those in ``present`` attended, the others
    did not; audited. ``draft_of``: the Telegram user whose form draft this finishes (deleted in the same
    transaction)."""
    async with db.transaction() as tx:
        event = await events.get_event(tx, event_id)
        assert event is not None
        saved = await registrations.save_attendance(tx, event.id, present & shown, now, shown=shown)
        await audit.record(tx, "event.attendance", actor_person_id=by, entity="event", entity_id=event.id,
                           kelurahan_code=event.kelurahan_code,
                           details={"attended": saved.attended, "no_show": saved.no_show,
                                    "unchecked": saved.unchecked, "changed_from": len(shown)})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return saved, event


async def record_export(db: Database, event: Event, *, by: int | None, fmt: str, rows: int, masked: bool,
                        participants: list[int] | None = None) -> None:
    """An export of an event's registrations (names, and NIK and phone unless masked) is audited, with the
    participants the file holds (who saw what, UU 27/2022)."""
    async with db.transaction() as tx:
        await audit.record(tx, "event.exported", actor_person_id=by, entity="event", entity_id=event.id,
                           kelurahan_code=event.kelurahan_code,
                           details={"format": fmt, "rows": rows, "masked": masked,
                                    "participants": participants or []})


async def close_event(db: Database, event: Event, *, by: int | None) -> None:
    """Close an open event's registration; audited."""
    async with db.transaction() as tx:
        await events.set_event_status(tx, event.id, EventStatus.CLOSED)
        await audit.record(tx, "event.closed", actor_person_id=by, entity="event", entity_id=event.id,
                           kelurahan_code=event.kelurahan_code, details={"seated": event.seated})


async def cancel_event(db: Database, event: Event, *, by: int | None) -> list[registrations.Registration]:
    """Cancel an open or closed event; audited. Returns the registrations (registered or waiting) it cancels,
    read in the same transaction, for the caller to tell those people."""
    async with db.transaction() as tx:
        regs = await registrations.event_registrations(tx, event.id, statuses=["registered", "waitlisted"])
        await events.set_event_status(tx, event.id, EventStatus.CANCELLED)
        await audit.record(tx, "event.cancelled", actor_person_id=by, entity="event",
                           entity_id=event.id, kelurahan_code=event.kelurahan_code,
                           details={"registrations": len(regs), "status_before": event.status})
    return regs
