"""Use cases of personal data under UU 27/2022 (issue 18). The bot, the CLI and the retention job call these.

- :func:`copy_of_data`: the right of access (``/dataku``): everything about a person
  (:func:`storage.reports.personal_data.person_data`, other people by role only), logged
  ``person.data_exported``.
- :func:`request_correction` / :func:`decide_correction`: the right to correction (``/koreksi``). A request is
  decided by an admin of the person's kelurahan who is **not the person** (maker-checker). The values before and
  after are kept in ``correction_requests`` (erasable), the audit lines (``correction.requested``,
  ``correction.approved`` / ``correction.rejected``) name the request and the field.
- :func:`withdraw_consent`: a linked participant withdraws consent (``/tarik_izin``); their participant record
  is anonymised at once, exactly as :func:`erase_participant` (``pem-bot erase-participant``) does.
- :func:`apply_retention`: the nightly job's work (:mod:`bot.jobs.retention`).
- :func:`record_view`: who saw what: a view of a full NIK or phone, or an export of a list of people.

Each function is one transaction (the retention job: one per person) with its audit rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from storage import audit, corrections, drafts, invites, outbox, participants, people, registrations
from storage.corrections import CorrectionRequest
from storage.db import Database, Queryable, utc_text
from storage.participants import Participant
from storage.people import Person
from storage.reports import personal_data

ADDRESS_MIN, ADDRESS_MAX = 3, 200
_ADDRESS_OK = re.compile(r"^[\w .,'’/()#:-]+$")


def clean_address(text: str) -> str | None:
    """An address (RT/RW, street): spaces collapsed, 3–200 characters of letters, digits and ``. , ' / ( ) # : -``."""
    address = " ".join(text.split())
    if not (ADDRESS_MIN <= len(address) <= ADDRESS_MAX) or not _ADDRESS_OK.match(address):
        return None
    return address


# --- access ---------------------------------------------------------------------------------------------------
async def copy_of_data(db: Database, person_id: int, *, now: datetime, via: str = "bot") -> dict[str, Any] | None:
    """Everything held about the person, JSON-ready, and the ``person.data_exported`` audit row."""
    async with db.transaction() as tx:
        data = await personal_data.person_data(tx, person_id)
        if data is None:
            return None
        participant = data["participant"]
        await audit.record(
            tx, "person.data_exported", actor_person_id=person_id, entity="person", entity_id=person_id,
            kelurahan_code=data["person"]["kelurahan_code"],
            details={"via": via, "loans": len(data["loans"]),
                     "registrations": 0 if participant is None else len(participant["registrations"]),
                     "participants": [] if participant is None else [participant["id"]]},
        )
    data["exported_at"] = utc_text(now)
    return data


# --- corrections ----------------------------------------------------------------------------------------------
class CorrectionOutcome(StrEnum):
    REQUESTED = "requested"
    SAME = "same"  # the value asked for is the one already stored
    NOT_HELD = "not_held"  # nothing of that kind is stored for the person (an address of a borrower)
    PHONE_TAKEN = "phone_taken"  # another person of the kelurahan has that phone
    APPROVED = "approved"
    REJECTED = "rejected"
    NOT_PENDING = "not_pending"  # decided meanwhile (by another admin), or the person was erased
    OWN = "own"  # nobody decides their own request
    OTHER_KELURAHAN = "other_kelurahan"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class CorrectionResult:
    outcome: CorrectionOutcome
    request: CorrectionRequest | None = None
    #: the person the request is about (to tell them the outcome)
    person: Person | None = None


def fields_held(participant: Participant | None) -> tuple[str, ...]:
    """What a person may ask to correct: name and phone always; address and birth date are stored only for
    participants."""
    return ("name", "phone", "address", "birth_date") if participant is not None else ("name", "phone")


def _current(person: Person, participant: Participant | None, field_name: str) -> str | None:
    if field_name == "name":
        return person.name if participant is None else participant.name
    if field_name == "phone":
        return person.phone if person.phone is not None or participant is None else participant.phone
    if participant is None:
        return None
    if field_name == "address":
        return participant.address
    return None if participant.birth_date is None else participant.birth_date.isoformat()


async def _phone_taken(q: Queryable, person: Person, phone: str) -> bool:
    return any(other.id != person.id and other.kelurahan_code == person.kelurahan_code
               for other in await people.all_by_phone(q, phone))


async def request_correction(
    db: Database, *, person_id: int, field_name: str, value: str, now: datetime, draft_of: int | None = None,
) -> CorrectionResult:
    """Store a pending correction of ``field_name`` to ``value`` (already cleaned by the caller: a name from
    :func:`bot.services.invites.clean_name`, an E.164 phone, :func:`clean_address`, an ISO date)."""
    async with db.transaction() as tx:
        person = await people.get(tx, person_id)
        assert person is not None
        participant = await participants.participant_for_person(tx, person_id)
        if field_name not in fields_held(participant):
            return CorrectionResult(CorrectionOutcome.NOT_HELD, person=person)
        current = _current(person, participant, field_name)
        if current == value:
            return CorrectionResult(CorrectionOutcome.SAME, person=person)
        if field_name == "phone" and await _phone_taken(tx, person, value):
            return CorrectionResult(CorrectionOutcome.PHONE_TAKEN, person=person)
        request = await corrections.create(
            tx, person_id=person_id, participant_id=None if participant is None else participant.id,
            kelurahan_code=person.kelurahan_code, field=field_name, old_value=current, new_value=value, now=now)
        await audit.record(tx, "correction.requested", actor_person_id=person_id, entity="person",
                           entity_id=person_id, kelurahan_code=person.kelurahan_code,
                           details={"request": request.id, "field": field_name})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return CorrectionResult(CorrectionOutcome.REQUESTED, request, person)


async def decide_correction(
    db: Database, *, request_id: int, approve: bool, by: Person, now: datetime, reason: str | None = None,
) -> CorrectionResult:
    """An admin approves (the change is made) or rejects a pending request. Refused for the person's own request
    and for another kelurahan's. The audit line names the request, whose row holds the values before and after."""
    async with db.transaction() as tx:
        request = await corrections.get(tx, request_id)
        if request is None:
            return CorrectionResult(CorrectionOutcome.NOT_FOUND)
        person = await people.get(tx, request.person_id)
        assert person is not None
        if request.person_id == by.id:
            return CorrectionResult(CorrectionOutcome.OWN, request, person)
        if request.kelurahan_code != by.kelurahan_code:
            return CorrectionResult(CorrectionOutcome.OTHER_KELURAHAN, request, person)
        if not request.pending or request.new_value is None:
            return CorrectionResult(CorrectionOutcome.NOT_PENDING, request, person)
        participant = None
        if request.participant_id is not None:
            participant = await participants.get_participant(tx, request.participant_id)
            if participant is None or participant.erased:
                return CorrectionResult(CorrectionOutcome.NOT_PENDING, request, person)
        before = _current(person, participant, request.field)
        if approve and request.field == "phone" and await _phone_taken(tx, person, request.new_value):
            return CorrectionResult(CorrectionOutcome.PHONE_TAKEN, request, person)
        if not await corrections.decide(tx, request.id, approve=approve, by=by.id, now=now, old_value=before,
                                        reason=reason):
            return CorrectionResult(CorrectionOutcome.NOT_PENDING, request, person)
        if approve:
            await _apply(tx, person, participant, request.field, request.new_value)
        await audit.record(tx, "correction.approved" if approve else "correction.rejected", actor_person_id=by.id,
                           entity="person", entity_id=person.id, kelurahan_code=person.kelurahan_code,
                           details={"request": request.id, "field": request.field})
        decided = await corrections.get(tx, request.id)
        person = await people.get(tx, person.id)
    return CorrectionResult(CorrectionOutcome.APPROVED if approve else CorrectionOutcome.REJECTED, decided, person)


async def _apply(q: Queryable, person: Person, participant: Participant | None, field_name: str, value: str) -> None:
    if field_name == "name":
        await people.update_name(q, person.id, value)
        if participant is not None:
            await participants.update_identity(q, participant.id, name=value)
    elif field_name == "phone":
        await people.update_phone(q, person.id, value)
        if participant is not None:
            await participants.update_contact(q, participant.id, phone=value, address=participant.address)
    elif field_name == "address":
        assert participant is not None
        await participants.update_contact(q, participant.id, phone=participant.phone, address=value)
    else:
        assert participant is not None
        await participants.update_identity(q, participant.id, birth_date=date.fromisoformat(value))


async def pending_corrections(db: Database, kelurahan_code: str | None) -> list[CorrectionRequest]:
    return await corrections.pending_for_kelurahan(db, kelurahan_code)


# --- erasure and consent withdrawal ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Erased:
    participant: Participant  # as it was before
    #: the titles of the events they were registered for and that have not started (for the coordinator)
    upcoming: list[str] = field(default_factory=list)


async def _erase(q: Queryable, participant_id: int, now: datetime) -> Erased | None:
    upcoming = await registrations.upcoming_titles(q, participant_id, now)
    before = await participants.erase_participant(q, participant_id, now)
    return None if before is None else Erased(before, upcoming)


async def erase_participant(db: Database, participant_id: int, *, now: datetime, via: str,
                            actor_person_id: int | None = None) -> Erased | None:
    """Anonymise a participant (``pem-bot erase-participant``; see :func:`storage.participants.erase_participant`)
    and audit it. None when unknown; erasing twice is harmless."""
    async with db.transaction() as tx:
        erased = await _erase(tx, participant_id, now)
        if erased is None:
            return None
        await audit.record(tx, "participant.erased", actor_person_id=actor_person_id, entity="participant",
                           entity_id=participant_id, kelurahan_code=erased.participant.kelurahan_code,
                           details={"via": via, "already_erased": erased.participant.erased})
    return erased


async def withdraw_consent(db: Database, *, person_id: int, now: datetime) -> Erased | None:
    """A linked participant withdraws their consent: their participant record is anonymised now (processing
    stops at once, well within UU 27/2022's 3×24 hours), their Telegram link with it when it was their only role.
    Audited ``participant.consent_withdrawn``. None when the person is no (longer a) participant."""
    async with db.transaction() as tx:
        participant = await participants.participant_for_person(tx, person_id)
        if participant is None:
            return None
        erased = await _erase(tx, participant.id, now)
        assert erased is not None
        await audit.record(tx, "participant.consent_withdrawn", actor_person_id=person_id, entity="participant",
                           entity_id=participant.id, kelurahan_code=participant.kelurahan_code,
                           details={"via": "bot"})
    return erased


# --- retention ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetentionReport:
    participants: tuple[int, ...] = ()
    borrowers: tuple[int, ...] = ()

    @property
    def total(self) -> int:
        return len(self.participants) + len(self.borrowers)


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


async def apply_retention(db: Database, *, now: datetime, today: date, participant_years: int,
                          borrower_years: int) -> RetentionReport:
    """Anonymise what is due (``PEM_RETENTION_*``): participants with no registration for ``participant_years``
    years, and former borrowers ``borrower_years`` years after their last loan ended (their loans, repayments and
    receipts stay: the fund's records, now anonymous). One transaction and one audit line
    (``retention.anonymised``) per person; the registrations and loans stay, so every count is unchanged."""
    participant_cutoff = datetime.combine(years_before(today, participant_years), now.timetz())
    done_participants: list[int] = []
    for participant in await participants.due_for_retention(db, participant_cutoff):
        async with db.transaction() as tx:
            if await _erase(tx, participant.id, now) is None:
                continue
            await audit.record(tx, "retention.anonymised", entity="participant", entity_id=participant.id,
                               kelurahan_code=participant.kelurahan_code,
                               details={"kind": "participant", "years": participant_years})
        done_participants.append(participant.id)

    done_borrowers: list[int] = []
    for person_id in await personal_data.borrowers_due_for_retention(db, years_before(today, borrower_years)):
        async with db.transaction() as tx:
            person = await people.get(tx, person_id)
            if person is None or not await people.anonymise_borrower(tx, person_id):
                continue
            if person.telegram_user_id is not None:
                await drafts.delete(tx, person.telegram_user_id)
            await outbox.scrub(tx, recipient_id=person_id)
            await invites.expire_unused(tx, person_id, now)
            await corrections.scrub_for_person(tx, person_id=person_id)
            linked = await participants.participant_for_person(tx, person_id)
            if linked is not None:
                await participants.erase_participant(tx, linked.id, now)
            await audit.record(tx, "retention.anonymised", entity="person", entity_id=person_id,
                               kelurahan_code=person.kelurahan_code,
                               details={"kind": "borrower", "years": borrower_years})
        done_borrowers.append(person_id)
    return RetentionReport(tuple(done_participants), tuple(done_borrowers))


# --- who saw what ---------------------------------------------------------------------------------------------
async def record_view(
    db: Database, action: str, *, actor_person_id: int | None, kelurahan_code: str | None,
    people_ids: list[int] | tuple[int, ...] = (), participant_ids: list[int] | tuple[int, ...] = (),
    entity: str | None = None, entity_id: int | None = None, details: dict[str, Any] | None = None,
) -> None:
    """One audit line for a view of full NIKs/phones or an export of a list: who (the actor), when, and which
    records (``details.people`` / ``details.participants``, ids only), found again by ``pem-bot audit --person``."""
    async with db.transaction() as tx:
        await audit.record(tx, action, actor_person_id=actor_person_id, entity=entity, entity_id=entity_id,
                           kelurahan_code=kelurahan_code,
                           details={**(details or {}), "people": sorted(set(people_ids)),
                                    "participants": sorted(set(participant_ids))})
