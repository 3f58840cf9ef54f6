"""Use cases about a person's own settings and reachability, each one transaction with its audit row."""

from __future__ import annotations

from storage import audit, people
from storage.db import Database
from storage.people import Person


async def mark_reachable(db: Database, person_id: int) -> None:
    """They wrote to the bot, so they have unblocked it: reminders and digests reach them again."""
    async with db.transaction() as tx:
        await people.set_reachable(tx, person_id, True)
        await audit.record(tx, "person.reachable", actor_person_id=person_id, entity="person",
                           entity_id=person_id, details={"reason": "wrote to the bot"})


async def mark_unreachable_by_chat(db: Database, chat_id: int) -> Person | None:
    """Telegram said the bot is blocked in this private chat: the person behind it is unreachable."""
    async with db.transaction() as tx:
        person = await people.mark_unreachable_by_chat(tx, chat_id)
        if person is not None:
            await audit.record(tx, "person.unreachable", entity="person", entity_id=person.id,
                               details={"reason": "forbidden"})
    return person


async def set_language(db: Database, person: Person, language: str) -> None:
    async with db.transaction() as tx:
        await people.set_language(tx, person.id, language)
        await audit.record(tx, "person.language", actor_person_id=person.id, entity="person", entity_id=person.id,
                           details={"from": person.language, "to": language})


async def set_digest_opt_in(db: Database, person: Person, wanted: bool) -> None:
    """Whether an admin gets the morning digest."""
    async with db.transaction() as tx:
        before = await people.opted_in(tx, person.id)
        await people.set_opt_in(tx, person.id, wanted)
        await audit.record(tx, "person.digest_opt_in", actor_person_id=person.id, entity="person",
                           entity_id=person.id, kelurahan_code=person.kelurahan_code,
                           details={"from": before, "to": wanted})
