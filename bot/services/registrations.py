"""Use cases of Karang Taruna registrations: signing a participant up for an event (``/daftar``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from storage import audit, drafts, events, participants, registrations
from storage.db import Database
from storage.events import Event
from storage.participants import Participant
from storage.registrations import Registration


@dataclass(frozen=True)
class NewParticipant:
    name: str
    nik: str
    birth_date: date
    sex: str
    phone: str | None
    address: str
    education: str
    work_status: str


class Outcome(StrEnum):
    DONE = "done"  # registered (or waitlisted: see the registration's status)
    DUPLICATE = "duplicate"  # already registered for this event
    CLOSED = "closed"  # the event is gone, of another kelurahan, or its registration closed meanwhile
    ELSEWHERE = "elsewhere"  # the NIK was registered in another kelurahan meanwhile: nothing stored


@dataclass(frozen=True)
class Registered:
    outcome: Outcome
    event: Event | None = None
    registration: Registration | None = None


async def register_participant(
    db: Database, *, event_id: int, kelurahan_code: str, by: int, now: datetime,
    new: NewParticipant | None = None, participant_id: int | None = None,
    contact: tuple[str | None, str | None] | None = None, draft_of: int | None = None,
) -> Registered:
    """Register a new participant (``new``, created with consent given now) or a known one (``participant_id``,
    whose phone and address become ``contact`` when given) for the event, in one transaction: seats are counted
    and taken under the database lock, so the last seat goes to one registration and the next is waitlisted.
    Every change is audited. ``draft_of``: the Telegram user whose form draft this finishes, deleted in the same
    transaction unless the outcome is ``ELSEWHERE`` (the form asks the NIK again)."""
    async with db.transaction() as tx:
        event = await events.get_event(tx, event_id)
        if event is None or event.kelurahan_code != kelurahan_code or not event.registration_open(now):
            if draft_of is not None:
                await drafts.delete(tx, draft_of)
            return Registered(Outcome.CLOSED)
        participant: Participant | None
        created = False
        if new is not None:
            participant = await participants.participant_by_nik(tx, new.nik)
            if participant is not None and (participant.kelurahan_code != event.kelurahan_code
                                            or participant.erased):
                return Registered(Outcome.ELSEWHERE, event)  # the form's NIK check, repeated under the lock
            if participant is None:
                participant = await participants.create_participant(
                    tx, kelurahan_code=event.kelurahan_code, name=new.name, nik=new.nik, birth_date=new.birth_date,
                    sex=new.sex, phone=new.phone, address=new.address, education=new.education,
                    work_status=new.work_status, consent_at=now, created_by=by)
                created = True
                await audit.record(tx, "participant.created", actor_person_id=by, entity="participant",
                                   entity_id=participant.id, kelurahan_code=event.kelurahan_code,
                                   details={"consent": True})
        else:
            assert participant_id is not None
            participant = await participants.get_participant(tx, participant_id)
            assert participant is not None
            if contact is not None:
                phone, address = contact
                await participants.update_contact(tx, participant.id, phone=phone, address=address)
                await audit.record(tx, "participant.updated", actor_person_id=by, entity="participant",
                                   entity_id=participant.id, kelurahan_code=event.kelurahan_code,
                                   details={"fields": ["phone", "address"],
                                            "phone_changed": participant.phone != phone,
                                            "address_changed": participant.address != address})
        result = await registrations.register(tx, event_id=event.id, participant_id=participant.id, registered_by=by,
                                       now=now)
        if result.created:
            await audit.record(tx, "registration.created", actor_person_id=by, entity="registration",
                               entity_id=result.registration.id, kelurahan_code=event.kelurahan_code,
                               details={"event_id": event.id, "participant_id": participant.id,
                                        "status": result.registration.status, "new_participant": created})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return Registered(Outcome.DONE if result.created else Outcome.DUPLICATE, event, result.registration)


async def cancel_registration(db: Database, registration: Registration, event: Event, *, by: int | None,
                              now: datetime) -> registrations.CancelResult | None:
    """Cancel a registered or waiting registration (by the participant, or staff), moving the first waiting
    person up when a seat frees; audited. None when it is no longer cancellable."""
    async with db.transaction() as tx:
        result = await registrations.cancel_registration(tx, registration.id, now)
        if result is not None:
            await audit.record(tx, "registration.cancelled", actor_person_id=by, entity="registration",
                               entity_id=registration.id, kelurahan_code=event.kelurahan_code,
                               details={"event_id": event.id, "status_before": registration.status,
                                        "promoted_registration": None if result.promoted is None
                                        else result.promoted.id})
    return result
