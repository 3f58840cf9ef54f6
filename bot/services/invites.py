"""Use cases: invite a person (``/undang`` in the bot and ``pem-bot invite`` on the command line).

The one rule, for both callers
------------------------------
* **Name**: :func:`clean_name`. Spaces are collapsed; a name is 2–80 characters of letters (any script),
  spaces and ``. , ' -``. No digits: "Admin 2" is refused (people are told apart by their phone, not by a
  number in their name).
* **Phone** (optional, already normalised to E.164 by the caller with :func:`bot.domain.parsing.phone.normalize_phone`):

  - it belongs to a person of the **same kelurahan** → the invite is for **that person** (outcome
    ``REUSED``): no second person with one phone. The role is added when the link is opened, as for every
    invite. The person keeps the name stored for them even when another name was typed ("Maria B." for
    "Maria Bria"): the caller shows the stored name, so the admin sees whose link it is. Renaming from an
    invite would let a typo in a phone number rename somebody else; creating a second person would split one
    person's loans and notices over two rows. Reuse without renaming is the safe choice.
  - it belongs to a person of **another kelurahan** (or of none, a city account, when inviting to a
    kelurahan, and the other way round) → refused (``PHONE_ELSEWHERE``). People are never moved between
    kelurahan silently; the caller asks for another number (or none).
  - nobody has it → a new person with that phone.
* Without a phone a new person is always created (names are not unique).
* **Kelurahan**: every role except ``city`` needs one (``NEEDS_KELURAHAN`` otherwise).

:func:`invite_existing` is the other intent: a new invite (another role, or a lost link) for a person chosen by
id (``pem-bot invite --person-id``). :func:`redeem_invite` is the invitee's side (``/start <token>``).

Each call is one transaction: the person (when new), the invite and one ``invite.created`` audit row
(``details``: person id, role, whether the person is new, and ``via``: ``bot`` or ``cli``) commit together.
The plain token is returned once and never stored (only its hash, :mod:`bot.domain.invite_tokens`). ``now`` (the
invite's creation, and its expiry a week later) comes from the caller: a use case does not read the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.invite_tokens import looks_like_token
from bot.domain.names import NAME_MAX as NAME_MAX
from bot.domain.names import clean_name
from bot.domain.roles import Role
from bot.services import disbursements as disbursement_service
from storage import audit, drafts, invites, people
from storage.db import Database, Queryable
from storage.invites import Invite, RedeemResult, RedeemStatus
from storage.people import Person


class InviteOutcome(StrEnum):
    CREATED = "created"  # a new person and their invite
    REUSED = "reused"  # the phone belonged to a person of the kelurahan: the invite is theirs
    EXISTING = "existing"  # invite_existing: a new invite for the person chosen by id
    BAD_NAME = "bad_name"  # clean_name refused the name; nothing stored
    PHONE_ELSEWHERE = "phone_elsewhere"  # the phone belongs to a person of another kelurahan; nothing stored
    NO_PERSON = "no_person"  # invite_existing: no such person
    NEEDS_KELURAHAN = "needs_kelurahan"  # a kelurahan role for someone without a kelurahan


@dataclass(frozen=True)
class InviteResult:
    outcome: InviteOutcome
    #: the person the invite is for (also set for PHONE_ELSEWHERE: the person who has that phone)
    person: Person | None = None
    invite: Invite | None = None
    #: the plain token, returned once (only its hash is stored)
    token: str | None = None

    @property
    def ok(self) -> bool:
        return self.invite is not None


async def create_invite(
    db: Database,
    *,
    role: Role,
    name: str,
    kelurahan_code: str | None,
    now: datetime,
    phone: str | None = None,
    created_by: int | None = None,
    language: str = "id",
    via: str = "bot",
    draft_of: int | None = None,
) -> InviteResult:
    """Invite a person by name (and phone) to ``kelurahan_code`` by the rule of the module docstring.
    ``draft_of``: the Telegram user whose form draft (``/undang``) this finishes, deleted in the transaction that
    stores the invite (a refused invite keeps it: the form asks again)."""
    cleaned = clean_name(name)
    if cleaned is None:
        return InviteResult(InviteOutcome.BAD_NAME)
    if role.needs_kelurahan and kelurahan_code is None:
        return InviteResult(InviteOutcome.NEEDS_KELURAHAN)
    async with db.transaction() as tx:
        existing = None
        if phone is not None:
            holders = await people.all_by_phone(tx, phone)
            existing = next((p for p in holders if p.kelurahan_code == kelurahan_code), None)
            if existing is None and holders:
                return InviteResult(InviteOutcome.PHONE_ELSEWHERE, person=holders[0])
        person = existing or await people.create(tx, name=cleaned, kelurahan_code=kelurahan_code, phone=phone,
                                                 language=language)
        invite, token = await issue_invite(tx, person, role, now=now, created_by=created_by,
                                           new_person=existing is None, via=via)
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    outcome = InviteOutcome.CREATED if existing is None else InviteOutcome.REUSED
    return InviteResult(outcome, person, invite, token)


async def invite_existing(
    db: Database, *, person_id: int, role: Role, now: datetime, created_by: int | None = None, via: str = "bot"
) -> InviteResult:
    """A new invite for the person with ``person_id`` (another role, or a new link after a lost one)."""
    async with db.transaction() as tx:
        person = await people.get(tx, person_id)
        if person is None:
            return InviteResult(InviteOutcome.NO_PERSON)
        if role.needs_kelurahan and person.kelurahan_code is None:
            return InviteResult(InviteOutcome.NEEDS_KELURAHAN, person=person)
        invite, token = await issue_invite(tx, person, role, now=now, created_by=created_by, new_person=False, via=via)
    return InviteResult(InviteOutcome.EXISTING, person, invite, token)


async def redeem_invite(db: Database, token: str, *, telegram_user_id: int, chat_id: int, now: datetime
                        ) -> RedeemResult:
    """``/start <token>``: link the Telegram account and grant the invite's role (:func:`storage.invites.redeem`),
    with an ``invite.redeemed`` audit row, or an ``invite.refused`` one saying why (never the token)."""
    async with db.transaction() as tx:
        if looks_like_token(token):
            result = await invites.redeem(tx, token, now=now, telegram_user_id=telegram_user_id,
                                          chat_id=chat_id)
        else:
            result = RedeemResult(RedeemStatus.UNKNOWN)
        ok = result.status is RedeemStatus.OK
        await audit.record(
            tx, "invite.redeemed" if ok else "invite.refused",
            actor_person_id=result.person.id if ok and result.person is not None else None,
            actor_telegram_id=telegram_user_id, entity="invite",
            entity_id=None if result.invite is None else result.invite.id,
            details={"status": str(result.status), **({"role": str(result.invite.role)} if result.invite else {})},
        )
        if ok and result.person is not None:  # issue 15: now linked, they confirm their loans' disbursement
            linked = await people.get(tx, result.person.id)
            if linked is not None:
                await disbursement_service.ask_in(tx, linked, now=now)
    return result


async def issue_invite(
    tx: Queryable, person: Person, role: Role, *, now: datetime, created_by: int | None, new_person: bool, via: str
) -> tuple[Invite, str]:
    """Inside another use case's transaction (the borrowers of a file import, the demo data's staff): the invite
    and its ``invite.created`` audit row, written here only. Returns the invite and the plain token."""
    invite, token = await invites.create(tx, person_id=person.id, role=role, now=now, created_by=created_by)
    await audit.record(
        tx, "invite.created", actor_person_id=created_by, entity="invite", entity_id=invite.id,
        kelurahan_code=person.kelurahan_code,
        details={"person_id": person.id, "role": str(role), "new_person": new_person, "via": via},
    )
    return invite, token
