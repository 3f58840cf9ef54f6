"""Linking a Karang Taruna participant to Telegram (the coordinator's "Undang ke Telegram" button): one
transaction that finds or creates the participant's person, links them, and either adds the participant role
(they already use the bot) or issues an invite; audited ``participant.linked`` / ``participant.invited``
(ids and the role, never the phone, NIK or token). The rules are in :mod:`handlers.participant_link`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.roles import Role
from storage import audit, invites, participants, people
from storage.db import Database
from storage.invites import Invite
from storage.participants import Participant
from storage.people import Person


@dataclass(frozen=True)
class LinkResult:
    person: Person
    #: the participant role was added now (the person already uses the bot)
    added: bool = False
    #: the person was found by phone rather than created
    reused: bool = False
    #: the invite issued, with its plain token (shown once), when the person has no Telegram yet
    invite: Invite | None = None
    token: str | None = None


async def link_participant(db: Database, participant: Participant, *, actor: Person, now: datetime,
                           language: str) -> LinkResult:
    async with db.transaction() as tx:
        person = None if participant.person_id is None else await people.get(tx, participant.person_id)
        reused = False
        if person is None and participant.phone:
            person = await people.by_phone(tx, participant.phone, participant.kelurahan_code)
            # one person is one participant (participants.person_id is UNIQUE): a phone shared with another,
            # already linked participant (siblings sharing a phone) gets a people row of its own
            if person is not None and await participants.participant_for_person(tx, person.id) is not None:
                person = None
            reused = person is not None
        if person is None:
            person = await people.create(tx, name=participant.name, kelurahan_code=participant.kelurahan_code,
                                         phone=participant.phone, language=language)
        if participant.person_id != person.id:
            await participants.link_person(tx, participant.id, person.id)
        if person.linked:
            added = Role.PARTICIPANT not in person.roles
            if added:
                await people.add_role(tx, person.id, Role.PARTICIPANT)
            await audit.record(tx, "participant.linked", actor_person_id=actor.id, entity="participant",
                               entity_id=participant.id, kelurahan_code=participant.kelurahan_code,
                               details={"person_id": person.id, "role": str(Role.PARTICIPANT), "added": added})
            return LinkResult(person, added=added, reused=reused)
        invite, token = await invites.create(tx, person_id=person.id, role=Role.PARTICIPANT, now=now,
                                             created_by=actor.id)
        await audit.record(tx, "participant.invited", actor_person_id=actor.id, entity="participant",
                           entity_id=participant.id, kelurahan_code=participant.kelurahan_code,
                           details={"person_id": person.id, "invite_id": invite.id,
                                    "role": str(Role.PARTICIPANT), "reused_person": reused})
    return LinkResult(person, reused=reused, invite=invite, token=token)
