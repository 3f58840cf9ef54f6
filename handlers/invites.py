"""``/undang`` (``/invite``), for admins: create a person and a one-time invite link, ready to forward. A declared
form (:mod:`handlers.forms.engine`): three steps, one template each, and the ``create_invite`` use case.

State diagram::

    /undang ──► ROLE ──[role button]──► NAME ──[text]──► PHONE ──[text | Lewati]──► (link sent) END
                 │ text: "choose a button"  │ bad name / not text:   │ bad number / not text:
                 └──► ROLE                  └──► NAME (asked again)   └──► PHONE (asked again)
                                            │ the name is already someone's in the kelurahan:
                                            └──► SAME [that person (masked phone) … | Orang baru]
                                                   that person ──► invite_existing (link sent) END
                                                   Orang baru ──► PHONE
    /batal at any step ──► END, nothing saved

The person is created in the admin's kelurahan when the form is finished, never before, by
:func:`bot.services.invites.create_invite`, the same use case as ``pem-bot invite`` (its docstring has the rule):
a phone of a person of that kelurahan makes the invite theirs (the role is added when they open the link)
instead of a duplicate; a phone of a person of another kelurahan is refused and the phone asked again.
"""

from __future__ import annotations

from typing import Any

from bot.domain.commands import CommandSpec
from bot.domain.invite_tokens import deep_link
from bot.domain.parsing.errors import ParseError
from bot.domain.parsing.phone import mask_phone, normalize_phone
from bot.domain.roles import INVITABLE_BY_ADMIN, Role
from bot.services import invites as invite_service
from bot.services.invites import NAME_MAX, InviteOutcome, clean_name
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Form, Option, Options, Step, Turn
from messages import label
from storage import invites, people
from storage.people import Person

INVITE = CommandSpec("undang", "invite", frozenset({Role.ADMIN}))
COMMANDS = (INVITE,)
KIND = "undang"


async def _role_options(turn: Turn) -> Options:
    return [[Option(str(r), label(f"role_{r}", turn.lang))] for r in INVITABLE_BY_ADMIN]


def _parse_name(text: str, turn: Turn) -> str:
    name = clean_name(text)
    if name is None:
        raise ParseError("bad_name")
    return name


async def _name_context(turn: Turn) -> dict[str, Any]:
    return {"max": NAME_MAX}


async def _namesakes(turn: Turn, name: str) -> list[Person]:
    """Active people of the admin's kelurahan with exactly this name (case and spacing aside)."""
    kelurahan = turn.who.require().kelurahan_code
    if kelurahan is None:
        return []
    found = await people.search_by_name(turn.db, kelurahan, name, limit=20)
    return [p for p in found if " ".join(p.name.split()).casefold() == name.casefold()]


async def _accept_name(turn: Turn, name: str) -> dict[str, Any]:
    """The name, and the people of the kelurahan who already have it: then the form asks whether the invite
    is for one of them (``same``) before creating a second person of that name."""
    return {"name": name, "namesakes": [p.id for p in await _namesakes(turn, name)]}


async def _same_people(turn: Turn) -> list[Person]:
    """The namesakes found at the name step, still active in the admin's kelurahan."""
    kelurahan = turn.who.require().kelurahan_code
    found = [await people.get(turn.db, pid) for pid in turn.data.get("namesakes", [])]
    return [p for p in found if p is not None and p.active and p.kelurahan_code == kelurahan]


async def _same_options(turn: Turn) -> Options:
    rows = [[Option(str(p.id), label("invites.existing", turn.lang, name=p.name[:40],
                                     phone=mask_phone(p.phone) if p.phone else label("invites.no_phone", turn.lang)))]
            for p in await _same_people(turn)]
    return [*rows, [Option("new", label("invites.new_namesake", turn.lang))]]


async def _same_context(turn: Turn) -> dict[str, Any]:
    return {"people": await _same_people(turn)}


async def _finish(turn: Turn) -> None:
    admin = turn.who.require()
    data = turn.data
    if data.get("same", "new") != "new":  # the namesake already there: an invite for that person
        existing = await invite_service.invite_existing(
            turn.db, person_id=int(data["same"]), role=Role(data["role"]), now=turn.now(), created_by=admin.id,
            via="bot", draft_of=turn.user_id)
        assert existing.person is not None and existing.invite is not None and existing.token is not None
        await turn.say(
            "invites/created", name=existing.person.name, typed_name=data["name"], existing=False,
            role=str(existing.invite.role),
            link=deep_link(turn.settings.bot_username or turn.context.bot.username, existing.token),
            expires_at=invites.parse_expiry(existing.invite))
        return
    result = await invite_service.create_invite(
        turn.db, role=Role(data["role"]), name=data["name"], kelurahan_code=admin.kelurahan_code,
        now=turn.now(), phone=data["phone"], created_by=admin.id, language=turn.settings.language, via="bot",
        draft_of=turn.user_id,
    )
    if result.outcome is InviteOutcome.BAD_NAME:  # a draft from before the rule changed: the name again
        data.pop("name", None)
        data.pop("phone", None)
        await turn.say("invites/name_invalid", max=NAME_MAX)
        await turn.advance()
        return
    if result.outcome is InviteOutcome.PHONE_ELSEWHERE:  # another kelurahan's person: the phone again
        data.pop("phone", None)
        await turn.say("invites/phone_invalid", code="other_kelurahan")
        await turn.advance()
        return
    assert result.person is not None and result.invite is not None and result.token is not None
    username = turn.settings.bot_username or turn.context.bot.username
    await turn.say(
        "invites/created",
        name=result.person.name, typed_name=data["name"], existing=result.outcome is InviteOutcome.REUSED,
        role=str(result.invite.role), link=deep_link(username, result.token),
        expires_at=invites.parse_expiry(result.invite),
    )


FORM = Form(
    kind=KIND,
    command=INVITE,
    steps=(
        Step("role", "invites/ask_role", options=_role_options),
        Step("name", "invites/ask_name", parse=_parse_name, invalid="invites/name_invalid", context=_name_context,
             accept=_accept_name),
        Step("same", "invites/ask_same", options=_same_options, context=_same_context,
             when=lambda data: bool(data.get("namesakes"))),
        Step("phone", "invites/ask_phone", parse=lambda text, turn: normalize_phone(text),
             invalid="invites/phone_invalid", skip=True, when=lambda data: data.get("same", "new") == "new"),
    ),
    finish=_finish,
)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(forms=[FORM])
