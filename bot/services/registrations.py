"""Use case: register a Karang Taruna participant for an event (``/daftar`` in the bot).

:func:`register_participant` writes in one transaction, under the database's write lock so that the last seat
goes to one registration only (:func:`storage.events.register`):

* the participant: a new one (``participant.created``, with the consent time), or an existing one chosen by
  id, whose phone and address are updated when asked (``participant.updated``, saying which changed);
* the registration: a seat or a place on the waiting list (``registration.created``). A participant already
  registered is answered ``DUPLICATE`` and nothing is written.

Refusals, nothing stored: ``EVENT_CLOSED`` (no such event in the registrar's kelurahan, or registration is not
open at ``now``); ``NIK_ELSEWHERE`` (the NIK of a new participant now belongs to a participant of another
kelurahan, or to an erased one: the form's NIK check, repeated under the lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from storage import audit, events
from storage.db import Database
from storage.events import Event, Participant, Registration


@dataclass(frozen=True)
class NewParticipant:
    name: str
    nik: str
    birth_date: date
    sex: str
    phone: str | None
    address: str | None
    education: str | None
    work_status: str | None


@dataclass(frozen=True)
class ContactUpdate:
    phone: str | None
    address: str | None


class RegistrationOutcome(StrEnum):
    REGISTERED = "registered"  # a seat or a waiting-list place (see ``registration.status``)
    DUPLICATE = "duplicate"  # already registered: ``registration`` is the live one
    EVENT_CLOSED = "event_closed"
    NIK_ELSEWHERE = "nik_elsewhere"


@dataclass(frozen=True)
class RegistrationResult:
    outcome: RegistrationOutcome
    event: Event | None = None
    registration: Registration | None = None
    participant: Participant | None = None


async def register_participant(
    db: Database,
    *,
    event_id: int,
    registered_by: int,
    kelurahan_code: str | None,
    now: datetime,
    new: NewParticipant | None = None,
    participant_id: int | None = None,
    contact: ContactUpdate | None = None,
) -> RegistrationResult:
    """Register ``new`` (a new participant) or ``participant_id`` (with ``contact`` to update) for the event."""
    assert (new is None) != (participant_id is None), "either a new participant or an existing one"
    async with db.transaction() as tx:
        event = await events.get_event(tx, event_id)
        if event is None or event.kelurahan_code != kelurahan_code or not event.registration_open(now):
            return RegistrationResult(RegistrationOutcome.EVENT_CLOSED)
        created_participant = False
        if new is not None:
            participant = await events.participant_by_nik(tx, new.nik)
            if participant is not None and (participant.kelurahan_code != event.kelurahan_code
                                            or participant.erased):
                return RegistrationResult(RegistrationOutcome.NIK_ELSEWHERE, event)
            if participant is None:
                participant = await events.create_participant(
                    tx, kelurahan_code=event.kelurahan_code, name=new.name, nik=new.nik, birth_date=new.birth_date,
                    sex=new.sex, phone=new.phone, address=new.address, education=new.education,
                    work_status=new.work_status, consent_at=now, created_by=registered_by)
                created_participant = True
                await audit.record(tx, "participant.created", actor_person_id=registered_by, entity="participant",
                                   entity_id=participant.id, kelurahan_code=event.kelurahan_code,
                                   details={"consent": True})
        else:
            assert participant_id is not None
            found = await events.get_participant(tx, participant_id)
            assert found is not None
            participant = found
            if contact is not None:
                await events.update_contact(tx, participant.id, phone=contact.phone, address=contact.address)
                await audit.record(tx, "participant.updated", actor_person_id=registered_by, entity="participant",
                                   entity_id=participant.id, kelurahan_code=event.kelurahan_code,
                                   details={"fields": ["phone", "address"],
                                            "phone_changed": participant.phone != contact.phone,
                                            "address_changed": participant.address != contact.address})
        result = await events.register(tx, event_id=event.id, participant_id=participant.id,
                                       registered_by=registered_by, now=now)
        if not result.created:
            return RegistrationResult(RegistrationOutcome.DUPLICATE, event, result.registration, participant)
        await audit.record(tx, "registration.created", actor_person_id=registered_by, entity="registration",
                           entity_id=result.registration.id, kelurahan_code=event.kelurahan_code,
                           details={"event_id": event.id, "participant_id": participant.id,
                                    "status": result.registration.status,
                                    "new_participant": created_participant})
    return RegistrationResult(RegistrationOutcome.REGISTERED, event, result.registration, participant)


async def cancel_registration(
    db: Database, registration_id: int, *, by: int | None, event: Event, now: datetime
) -> events.CancelResult | None:
    """Cancel a registered or waitlisted registration of ``event`` (the first on the waiting list moves up when
    a seat is freed) with its ``registration.cancelled`` audit row. None when it is not cancellable any more
    (cancelled meanwhile, attended …): nothing is written then. The caller checked that ``by`` may cancel it."""
    async with db.transaction() as tx:
        before = await events.get_registration(tx, registration_id)
        result = await events.cancel_registration(tx, registration_id, now)
        if result is None or before is None:
            return None
        await audit.record(tx, "registration.cancelled", actor_person_id=by, entity="registration",
                           entity_id=registration_id, kelurahan_code=event.kelurahan_code,
                           details={"event_id": event.id, "status_before": before.status,
                                    "promoted_registration": None if result.promoted is None
                                    else result.promoted.id})
    return result
