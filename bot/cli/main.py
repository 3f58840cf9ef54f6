"""The ``pem-bot`` command line.

Every subcommand is documented in the README's "Command line" section; a test fails when one is not.
Operator-facing output is rendered from ``messages/templates/<lang>/plain/cli/`` in ``PEM_LANGUAGE``.
A configuration mistake prints one line and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, time
from pathlib import Path
from typing import Any

from telegram import Bot

from bot.cli import events as events_cli
from bot.cli import privacy as privacy_cli
from bot.cli import run as run_cli
from bot.cli import seed_synthetic
from bot.cli.common import EXIT_CONFIG, CliError, open_database, say
from bot.domain.invite_tokens import deep_link
from bot.domain.loan_import import ImportFileError, check_rows, read_table
from bot.domain.parsing.errors import PhoneError
from bot.domain.parsing.phone import normalize_phone
from bot.domain.roles import Role
from bot.runtime import clock
from bot.runtime.config import ConfigError, Settings, check_database_writable, load_settings
from bot.services import invites as invite_service
from bot.services import privacy as privacy_service
from bot.services.demo import generate
from bot.services.invites import InviteOutcome, InviteResult
from storage import audit, kelurahan, loans, people, repayments
from storage.db import Database
from storage.migrate import migrate


# --- migrate --------------------------------------------------------------------------------------------------
async def _migrate(settings: Settings) -> list[str]:
    check_database_writable(settings.database)
    db = await Database(settings.database).open()
    try:
        return await migrate(db)
    finally:
        await db.close()


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    applied = asyncio.run(_migrate(settings))
    say(settings, "migrated", applied=applied, path=str(settings.database))
    return 0


# --- invite ---------------------------------------------------------------------------------------------------
async def _bot_username(settings: Settings) -> str:
    if settings.bot_username:
        return settings.bot_username
    if not settings.token:
        raise ConfigError("username_or_token")
    kwargs: dict[str, Any] = {}
    if settings.api_base_url:
        kwargs["base_url"] = settings.api_base_url.rstrip("/")
    async with Bot(settings.token, **kwargs) as bot:
        return bot.username


async def _invite(settings: Settings, args: argparse.Namespace) -> tuple[InviteResult, str]:
    """Parse the arguments (kelurahan, phone), then the one invite use case (:mod:`bot.services.invites`)."""
    role = Role(args.role)
    username = await _bot_username(settings)
    db = await open_database(settings)
    try:
        if args.person_id is not None:
            result = await invite_service.invite_existing(db, person_id=args.person_id, role=role, now=clock.utcnow(),
                                                          via="cli")
        else:
            kel_code = None
            if role.needs_kelurahan:
                kel = await kelurahan.find(db, args.kelurahan or settings.default_kelurahan)
                if kel is None:
                    raise CliError("no_kelurahan", value=args.kelurahan)
                kel_code = kel.code
            phone = None
            if args.phone:
                try:
                    phone = normalize_phone(args.phone)
                except PhoneError as exc:
                    raise CliError("bad_phone", value=args.phone, reason=exc.code) from exc
            result = await invite_service.create_invite(db, role=role, name=args.name, kelurahan_code=kel_code,
                                                        now=clock.utcnow(), phone=phone, language=settings.language,
                                                        via="cli")
    finally:
        await db.close()
    person = result.person
    if result.outcome is InviteOutcome.NO_PERSON:
        raise CliError("no_person", id=args.person_id)
    if result.outcome is InviteOutcome.NEEDS_KELURAHAN:
        raise CliError("role_needs_kelurahan", role=str(role), id=None if person is None else person.id)
    if result.outcome is InviteOutcome.BAD_NAME:
        raise CliError("bad_name", value=args.name, max=invite_service.NAME_MAX)
    if result.outcome is InviteOutcome.PHONE_ELSEWHERE:
        assert person is not None
        raise CliError("phone_elsewhere", value=args.phone, id=person.id, kelurahan=person.kelurahan_code or "-")
    assert result.token is not None
    return result, deep_link(username, result.token)


def cmd_invite(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    if args.person_id is None and not args.name:
        raise CliError("name_or_person")
    result, link = asyncio.run(_invite(settings, args))
    assert result.person is not None
    if result.outcome is InviteOutcome.REUSED:  # on stderr: stdout stays the link and the token
        say(settings, "invite_reused", file=sys.stderr, name=result.person.name, id=result.person.id)
    print(link)
    print(result.token)
    return 0


# --- people ---------------------------------------------------------------------------------------------------
async def _people(settings: Settings, args: argparse.Namespace) -> list[people.Person]:
    db = await open_database(settings)
    try:
        kel_code = None
        if args.kelurahan:
            kel = await kelurahan.find(db, args.kelurahan)
            if kel is None:
                raise CliError("no_kelurahan", value=args.kelurahan)
            kel_code = kel.code
        found = await people.list_people(db, kelurahan_code=kel_code, role=Role(args.role) if args.role else None)
        # the list shows phone numbers in full: who saw what (UU 27/2022)
        await privacy_service.record_view(db, "people.listed", actor_person_id=None, kelurahan_code=kel_code,
                                          people_ids=[p.id for p in found], details={"via": "cli"})
        return found
    finally:
        await db.close()


def cmd_people(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    found = asyncio.run(_people(settings, args))
    say(settings, "people", people=found)
    return 0


# --- import-loans ---------------------------------------------------------------------------------------------
class _Rollback(Exception):
    """Raised inside the transaction of a ``--dry-run`` so that nothing is written."""


async def _import_loans(settings: Settings, rows: list, *, dry_run: bool) -> tuple[Any, list[dict[str, Any]]]:

    username = None if dry_run else await _bot_username(settings)
    db = await open_database(settings)
    links: list[dict[str, Any]] = []
    try:
        try:
            async with db.transaction() as tx:
                result = await loans.import_rows(tx, rows, language=settings.language)
                if dry_run:
                    raise _Rollback(result)
                assert username is not None
                for person in result.new_borrowers:
                    _, token = await invite_service.issue_invite(tx, person, Role.BORROWER, now=clock.utcnow(),
                                                                 created_by=None, new_person=True, via="import")
                    links.append({"name": person.name, "phone": person.phone, "link": deep_link(username, token)})
        except _Rollback as rollback:
            result = rollback.args[0]
        return result, links
    finally:
        await db.close()


def _write_invites_csv(path: str, links: list[dict[str, Any]]) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "phone", "link"])
        for link in links:
            writer.writerow([link["name"], link["phone"] or "", link["link"]])


def cmd_import_loans(args: argparse.Namespace) -> int:


    settings = load_settings(require_token=False)
    path = Path(args.file)
    try:
        table = read_table(path)
    except ImportFileError as exc:
        say(settings, "import_errors", file=sys.stderr, file_error=exc.code, path=str(path),
            reason=exc.params.get("reason", ""), errors=[])
        return 1
    rows, errors = check_rows(table, today=clock.local_today(settings.timezone),
                              default_kelurahan=settings.default_kelurahan)
    if errors:
        say(settings, "import_errors", file=sys.stderr, file_error=None, path=str(path), reason="", errors=errors)
        return 1
    result, links = asyncio.run(_import_loans(settings, rows, dry_run=args.dry_run))
    if args.invites_out and not args.dry_run:
        _write_invites_csv(args.invites_out, links)
    say(settings, "import_summary", dry_run=args.dry_run, rows=len(rows), created=len(result.created_loans),
        total_principal=result.total_principal, new_borrowers=len(result.new_borrowers),
        matched=result.matched_borrowers, skipped=result.skipped_rows, invites=links,
        invites_out=None if args.dry_run else args.invites_out, ignored=list(table.unknown_columns))
    return 0


# --- demo-data ------------------------------------------------------------------------------------------------
async def _demo_data(settings: Settings, seed: int) -> dict[str, Any] | None:


    today = clock.local_today(settings.timezone)
    data = generate(seed, today, settings.default_kelurahan)
    username = await _bot_username(settings)
    db = await open_database(settings)
    try:
        async with db.transaction() as tx:
            if not await loans.database_is_empty(tx):
                return None
            staff: dict[str, people.Person] = {}
            links: list[dict[str, Any]] = []
            for member in data.staff:
                role = Role(member.role)
                person = await people.create(tx, name=member.name, kelurahan_code=data.kelurahan_code,
                                             roles=[role], phone=member.phone, language=settings.language)
                staff[member.role] = person
                _, token = await invite_service.issue_invite(tx, person, role, now=clock.utcnow(), created_by=None,
                                                             new_person=True, via="demo-data")
                links.append({"name": person.name, "role": str(role), "link": deep_link(username, token)})
            treasurer = staff["treasurer"]
            borrowers = [
                await people.create(tx, name=b.name, kelurahan_code=data.kelurahan_code, roles=[Role.BORROWER],
                                    phone=b.phone, language=settings.language)
                for b in data.borrowers
            ]
            for n, demo_loan in enumerate(data.loans):
                borrower = borrowers[demo_loan.borrower]
                loan = await loans.create(tx, borrower_id=borrower.id, kelurahan_code=data.kelurahan_code,
                                          terms=demo_loan.terms, business=demo_loan.business,
                                          created_by=treasurer.id)
                for k, payment in enumerate(demo_loan.payments):
                    rep, _ = await repayments.report(
                        tx, loan_id=loan.id, amount=payment.amount, paid_on=payment.paid_on,
                        method=payment.method, reported_by=borrower.id,
                        idempotency_key=f"demo:{seed}:{n}:{k}")
                    if payment.status == "verified":
                        decided = datetime.combine(payment.paid_on, time(17), settings.timezone)
                        await repayments.decide(tx, rep.id, approve=True, by=treasurer.id,
                                                now=min(decided, clock.utcnow()))
            await audit.record(tx, "demo.created", kelurahan_code=data.kelurahan_code,
                               details={"seed": seed, "loans": len(data.loans),
                                        "principal": data.total_principal})
        return {"data": data, "links": links}
    finally:
        await db.close()


def cmd_demo_data(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    outcome = asyncio.run(_demo_data(settings, args.seed))
    if outcome is None:
        say(settings, "demo_data", file=sys.stderr, refused=True, path=str(settings.database))
        return 1
    data = outcome["data"]
    say(settings, "demo_data", refused=False, path=str(settings.database), borrowers=len(data.borrowers),
        loans=len(data.loans), total_principal=data.total_principal, verified_total=data.verified_total,
        pending=data.pending_count, kelurahan_code=data.kelurahan_code, invites=outcome["links"])
    return 0


# --- audit (bot/cli/privacy.py) -------------------------------------------------------------------------------
def cmd_audit(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    say(settings, "audit", **asyncio.run(privacy_cli.history(settings, args.person, args.participant)))
    return 0


# --- wiring ---------------------------------------------------------------------------------------------------
Subcommand = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _no_args(parser: argparse.ArgumentParser) -> None:
    """This subcommand takes no arguments."""


def _invite_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", required=True, choices=[str(r) for r in Role])
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--name", help="name of a new person")
    who.add_argument("--person-id", type=int, help="an existing person")
    parser.add_argument("--kelurahan", help="code or name (default: PEM_DEFAULT_KELURAHAN)")
    parser.add_argument("--phone", help="mobile number, e.g. 0812-3456-7890")


def _people_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kelurahan", help="code or name")
    parser.add_argument("--role", choices=[str(r) for r in Role])


def _import_loans_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help=".csv or .xlsx; columns: name, phone, nik, kelurahan, business, principal, "
                                     "disbursed_on, tenor_months, grace_months, fee_percent")
    parser.add_argument("--invites-out", metavar="CSV", help="write the new borrowers' invite links here")
    parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")


def _demo_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1, help="same seed, same data (default 1)")


#: name → (argument setup, handler); the README documents each one.
SUBCOMMANDS: dict[str, tuple[str, Subcommand]] = {
    "run": ("start the bot (long polling)", (_no_args, run_cli.cmd_run)),
    "migrate": ("create or upgrade the database", (_no_args, cmd_migrate)),
    "invite": ("create a one-time invite link", (_invite_args, cmd_invite)),
    "people": ("list people and whether their Telegram is linked", (_people_args, cmd_people)),
    "tick": ("run the scheduled jobs due now (or --at) and send the outbox", (run_cli.tick_args,
                                                                             run_cli.cmd_tick)),
    "backup": ("copy the database into PEM_BACKUP_DIR now", (_no_args, run_cli.cmd_backup)),
    "import-loans": ("import loans and borrowers from a .csv or .xlsx file", (_import_loans_args, cmd_import_loans)),
    "demo-data": ("fill an empty database with a demo kelurahan", (_demo_data_args, cmd_demo_data)),
    "seed-synthetic": ("fill an empty database with a synthetic city (benchmarks)",
                       (seed_synthetic.seed_args, seed_synthetic.cmd_seed_synthetic)),
    "erase-participant": ("anonymise a training participant (keeps the counts)",
                          (events_cli.erase_args, events_cli.cmd_erase_participant)),
    "audit": ("a person's audit history: what they did, what was done to their data, who saw it",
              (privacy_cli.audit_args, cmd_audit)),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pem-bot", description="PEM Bot for the kelurahan of Kota Kupang")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, (setup, _)) in SUBCOMMANDS.items():
        setup(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = SUBCOMMANDS[args.command][1][1]
    try:
        return handler(args)
    except ConfigError as exc:
        say(None, "config_error", file=sys.stderr, code=exc.code, **exc.params)
        return EXIT_CONFIG
    except CliError as exc:
        say(None, "error", file=sys.stderr, code=exc.code, **exc.params)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
