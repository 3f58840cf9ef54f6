"""Linking a Karang Taruna participant to Telegram: the coordinator's "Undang ke Telegram" action.

Flow (no form, one button)::

    /acara ─► event ─► 👥 Daftar peserta ─► "📨 Undang <name>" (ev:pinv:<registration id>)
        participant not linked ─► people row created (or reused: same phone in the kelurahan) ─► participants
                                  .person_id set ─► invite with role participant ─► deep link shown, audited
        the reused person already has Telegram ─► participant role added directly, they are told, no invite
        already linked as participant ─► said so

    participant: /start <token> ─► role participant ─► /acara lists their registrations with a cancel button
    each (handlers.registration.own_registrations), /batal_daftar too; every other command refuses them.

Decisions
---------
- Only coordinators and admins of the event's kelurahan, for a live (registered or waitlisted) registration of
  an event that has not started, and never for an erased participant (it has no phone nor name to link).
- The ``people`` row holds the participant's name, phone and kelurahan and no role until the invite is
  redeemed (``storage.invites.redeem`` grants ``participant``). A person found by phone keeps their roles
  (but is not reused when already linked to another participant: one person, one participant);
  when they are already linked to Telegram the role is added at once (an invite would only ask them to press
  a link to get the same result).
- Pressing the button again while the invite is unused issues a fresh invite for the same person; older ones
  stay valid until they expire (the same as /undang).
- Audit ``participant.invited`` / ``participant.linked`` with ids and the role, never the phone, NIK or token.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.domain.events import RegStatus
from bot.domain.invite_tokens import deep_link
from bot.services.participants import link_participant
from handlers.common import Context, Who, alongside, answer_callback, app_of, guarded, notify_person, send
from handlers.event_access import STAFF, can_manage
from handlers.feature import FeatureHandlers
from storage import events, invites, participants, people, registrations

COMMANDS = ()
PREFIX = "ev:pinv:"


def invite_data(registration_id: int) -> str:
    return f"{PREFIX}{registration_id}"


@guarded(STAFF)
async def invite_pressed(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data.removeprefix(PREFIX)
    app = app_of(context)
    db = app.db
    reg = await registrations.get_registration(db, int(raw)) if raw.isdigit() else None
    event = None if reg is None else await events.get_event(db, reg.event_id)
    participant = None if reg is None else await participants.get_participant(db, reg.participant_id)
    if (reg is None or event is None or participant is None or not can_manage(who)
            or event.kelurahan_code != who.kelurahan or participant.erased):
        await answer_callback(update, who, "events/not_found", alert=True)
        return None
    now = app.now()
    if reg.status not in (RegStatus.REGISTERED, RegStatus.WAITLISTED) or event.started(now):
        await answer_callback(update, who, "registration/not_cancellable", alert=True)
        return None
    await alongside(query.answer())
    actor = who.require()
    linked = await link_participant(db, participant, actor=actor, now=now, language=app.settings.language)
    person, added, reused, invite, token = linked.person, linked.added, linked.reused, linked.invite, linked.token
    if token is None:
        fresh = await people.get(db, person.id)
        if added and fresh is not None:
            await notify_person(context, fresh, "participant/linked_notice")
        await send(update, context, who, "participant/already_linked", name=person.name, added=added)
        return None
    assert invite is not None
    username = app.settings.bot_username or context.bot.username
    await send(update, context, who, "participant/invite_created", name=person.name, reused=reused,
               link=deep_link(username, token), expires_at=invites.parse_expiry(invite))
    return None


def handlers() -> FeatureHandlers:
    # a plain button: works while a form is open, leaves it alone
    return FeatureHandlers(handlers=[CallbackQueryHandler(invite_pressed, pattern=rf"^{PREFIX}")])
