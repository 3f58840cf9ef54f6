"""Helpers for the outbox, sender and job tests: a Bot over a RecordingRequest, people without a running app,
and WITA instants. Plain functions (fixtures stay in the test modules)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram.ext import ExtBot

from bot.domain.roles import Role
from storage import people
from storage.db import Database
from storage.people import Person
from tests.harness import RecordingRequest

WITA = ZoneInfo("Asia/Makassar")
NAIKOTEN_SATU = "53.71.05.1004"
_chat_ids = iter(range(900_001, 9_000_000))


def wita(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware WITA instant."""
    return datetime(year, month, day, hour, minute, tzinfo=WITA)


async def recording_bot(request: RecordingRequest) -> ExtBot:
    """A Bot that talks to ``request``; shut it down with ``await bot.shutdown()``."""
    bot = ExtBot("123456:TEST-token", request=request, get_updates_request=request)
    await bot.initialize()
    return bot


async def add_person(db: Database, name: str = "Yohana Bria", *, roles: tuple[Role, ...] = (Role.BORROWER,),
                     language: str = "id", linked: bool = True, kelurahan: str = NAIKOTEN_SATU) -> Person:
    """A person, linked to a fresh Telegram chat unless ``linked=False``."""
    async with db.transaction() as tx:
        person = await people.create(tx, name=name, kelurahan_code=kelurahan, roles=roles, language=language)
        if linked:
            chat = next(_chat_ids)
            await people.link_telegram(tx, person.id, chat, chat)
    fresh = await people.get(db, person.id)
    assert fresh is not None
    return fresh
