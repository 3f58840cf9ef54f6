"""Personal-data commands for operators (UU 27/2022, issue 18).

``pem-bot audit --person ID`` (or ``--participant ID`` for a participant never linked to Telegram) prints a
person's history from the append-only audit log, oldest first: what they did, what was done to their records
(people row, participant record, loans, repayments, registrations), every logged view of their full NIK or
phone and every export that held them (who saw what), and their correction requests with the values before and
after. It is how a data subject's or an auditor's question is answered. Reading it is itself logged
(``person.audit_read``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.cli.common import CliError, open_database
from bot.services import privacy as privacy_service
from storage import corrections, participants, people
from storage.reports import personal_data


def audit_args(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", type=int, metavar="ID", help="a person's id (pem-bot people)")
    who.add_argument("--participant", type=int, metavar="ID", help="a Karang Taruna participant's id")


async def history(settings: Any, person_id: int | None, participant_id: int | None) -> dict:
    """The history to print (``settings``: the CLI's Settings; ``cmd_audit`` in :mod:`bot.cli.main` loads them)."""
    db = await open_database(settings)
    try:
        if person_id is not None:
            person = await people.get(db, person_id)
            if person is None:
                raise CliError("no_person", id=person_id)
            ids = await personal_data.ids_of_person(db, person_id)
            title = f"#{person.id} {person.name}"
            kelurahan = person.kelurahan_code
        else:
            assert participant_id is not None
            participant = await participants.get_participant(db, participant_id)
            if participant is None:
                raise CliError("no_participant", id=participant_id)
            if participant.person_id is not None:
                person_id = participant.person_id
            ids = {"participant_id": participant_id, "loan_ids": [], "repayment_ids": [],
                   "registration_ids": [r["id"] for r in await db.fetchall(
                       "SELECT id FROM registrations WHERE participant_id = :p", {"p": participant_id})]}
            title = f"participant #{participant.id} {participant.name}"
            kelurahan = participant.kelurahan_code
        rows = await personal_data.audit_about(db, person_id=person_id, **ids)
        actors = {}
        for row in rows:
            actor = row["actor_person_id"]
            if actor is not None and actor not in actors:
                found = await people.get(db, actor)
                actors[actor] = "?" if found is None else ",".join(sorted(map(str, found.roles))) or "-"
        entries = [{"id": r["id"], "at": r["at"], "action": r["action"], "entity": r["entity"],
                    "entity_id": r["entity_id"], "actor": r["actor_person_id"],
                    "actor_roles": actors.get(r["actor_person_id"]), "details": json.loads(r["details"])}
                   for r in rows]
        requests = [] if person_id is None else await corrections.for_person(db, person_id)
        await privacy_service.record_view(
            db, "person.audit_read", actor_person_id=None, kelurahan_code=kelurahan,
            people_ids=[] if person_id is None else [person_id],
            participant_ids=[] if ids["participant_id"] is None else [ids["participant_id"]],
            details={"via": "cli", "entries": len(entries)})
        return {"title": title, "entries": entries, "corrections": requests}
    finally:
        await db.close()
