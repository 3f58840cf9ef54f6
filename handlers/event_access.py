"""Who may see and manage events, shared by the event features (/acara, /daftar, the participant link,
/tindak_lanjut), kept apart so that they import it rather than each other."""

from __future__ import annotations

from bot.domain.roles import Role
from handlers.common import Context, Who, app_of
from storage import events
from storage.events import Event

STAFF = frozenset({Role.COORDINATOR, Role.ADMIN})
VIEWERS = STAFF | {Role.LURAH}


async def visible_event(context: Context, who: Who, event_id: int) -> Event | None:
    """The event when it belongs to the user's kelurahan, else None (never reveal another kelurahan's)."""
    event = await events.get_event(app_of(context).db, event_id)
    if event is None or who.person is None or event.kelurahan_code != who.person.kelurahan_code:
        return None
    return event


def can_manage(who: Who) -> bool:
    return who.person is not None and who.person.active and who.person.has_any(STAFF)


def can_view(who: Who) -> bool:
    return who.person is not None and who.person.active and who.person.has_any(VIEWERS)


def int_or_none(text: str) -> int | None:
    return int(text) if text.isdigit() else None
