"""The ``pem-bot`` commands that work on the database through the services (the entry point and ``run``,
``tick``, ``backup`` are in :mod:`bot.cli.run`, which hands each command ``args.process``: the configuration and
the clock).

Every subcommand is documented in the README's "Command line" section; a test fails when one is not.
Operator-facing output is rendered from ``messages/templates/<lang>/plain/cli/`` in ``PEM_LANGUAGE``.
A configuration mistake prints one line and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from telegram import Bot

from bot.cli import events as events_cli
from bot.cli import keys as keys_cli
from bot.cli import privacy as privacy_cli
from bot.cli import receipts as receipts_cli
from bot.cli import report as report_cli
from bot.cli import seed_synthetic
from bot.cli.common import EXIT_CONFIG, CliError, Process, database, open_database, require_data_key, say
from bot.cli.loan_file import read_table
from bot.domain.applications import SHARE_MAX, SHARE_MIN
from bot.domain.demo import generate
from bot.domain.invite_tokens import deep_link
from bot.domain.loan_import import ImportFileError, check_rows
from bot.domain.parsing.errors import PhoneError
from bot.domain.parsing.phone import format_phone_national, normalize_phone
from bot.domain.roles import Role
from bot.domain.settings import ConfigError, Settings
from bot.services import applications as application_service
from bot.services import disbursements as disbursement_service
from bot.services import invites as invite_service
from bot.services import privacy as privacy_service
from bot.services.demo import write_demo
from bot.services.invites import InviteOutcome, InviteResult
from bot.services.updates import SkippedUpdate, skipped_count, skipped_updates
from storage import invites, kelurahan, loans, people
from storage.crypto import DataKeyError
from storage.db import check_database_writable
from storage.migrate import migrate


# --- migrate --------------------------------------------------------------------------------------------------
async def _migrate(settings: Settings) -> list[str]:
    check_database_writable(settings.database)
    require_data_key(settings)
    db = await database(settings).open()
    try:
        return await migrate(db)
    finally:
        await db.close()


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = args.process.settings()
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
            result = await invite_service.invite_existing(db, person_id=args.person_id, role=role,
                                                          now=args.process.now(), via="cli")
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
                                                        now=args.process.now(), phone=phone, language=settings.language,
                                                        via="cli")
    finally:
        await db.close()
    person = result.person
    if result.outcome is InviteOutcome.NO_PERSON:
        raise CliError("no_person", id=args.person_id)
    if result.outcome is InviteOutcome.NEEDS_KELURAHAN:
        raise CliError("role_needs_kelurahan", role=str(role), id=None if person is None else person.id)
    if result.outcome is InviteOutcome.BAD_NAME:
        shown = args.name if len(args.name) <= 40 else args.name[:40] + "…"  # not 5,000 characters back
        raise CliError("bad_name", value=shown, max=invite_service.NAME_MAX)
    if result.outcome is InviteOutcome.PHONE_ELSEWHERE:
        assert person is not None
        raise CliError("phone_elsewhere", value=args.phone, id=person.id, kelurahan=person.kelurahan_code or "-")
    assert result.token is not None
    return result, deep_link(username, result.token)


def cmd_invite(args: argparse.Namespace) -> int:
    settings = args.process.settings()
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
async def _people(settings: Settings, args: argparse.Namespace) -> tuple[list[people.Person], dict[int, list[str]]]:
    """The people (a ``--role`` filter counts held roles only) and the roles of their unopened invites."""
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
        return found, await invites.open_roles(db, args.process.now())
    finally:
        await db.close()


def cmd_people(args: argparse.Namespace) -> int:
    settings = args.process.settings()
    found, invited = asyncio.run(_people(settings, args))
    say(settings, "people", people=found, invited=invited)
    return 0


# --- skipped-updates ------------------------------------------------------------------------------------------
def _skipped_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=20, help="how many of the latest to list (default 20)")


async def _skipped(settings: Settings, limit: int) -> tuple[int, list[SkippedUpdate]]:
    db = await open_database(settings)
    try:
        return await skipped_count(db), await skipped_updates(db, limit=limit)
    finally:
        await db.close()


def cmd_skipped_updates(args: argparse.Namespace) -> int:
    """``pem-bot skipped-updates``: the updates the bot skipped because it could not read them
    (bot/runtime/updates.py): how many, and the latest with their id, type and field names (never their content)."""
    settings = args.process.settings()
    total, latest = asyncio.run(_skipped(settings, max(args.limit, 0)))
    say(settings, "skipped_updates", total=total, latest=latest, tz=settings.timezone)
    return 0


# --- import-loans ---------------------------------------------------------------------------------------------
class _Rollback(Exception):
    """Raised inside the transaction of a ``--dry-run`` so that nothing is written."""


async def _import_loans(
    settings: Settings, process: Process, rows: list, *, dry_run: bool
) -> tuple[Any, list[dict[str, Any]]]:

    username = None if dry_run else await _bot_username(settings)
    db = await open_database(settings)
    links: list[dict[str, Any]] = []
    try:
        try:
            async with db.transaction() as tx:
                result = await loans.import_rows(tx, rows, language=settings.language, now=process.now())
                if dry_run:
                    raise _Rollback(result)
                assert username is not None
                for person in result.new_borrowers:
                    _, token = await invite_service.issue_invite(tx, person, Role.BORROWER, now=process.now(),
                                                                 created_by=None, new_person=True, via="import")
                    links.append({"name": person.name, "phone": person.phone, "link": deep_link(username, token)})
                await disbursement_service.ask_imported(tx, result.created_loans, now=process.now())
        except _Rollback as rollback:
            result = rollback.args[0]
        return result, links
    finally:
        await db.close()


def _write_invites_csv(path: str, links: list[dict[str, Any]]) -> None:
    """The invite links as CSV for a spreadsheet: UTF-8 with a BOM (Excel reads the names' accents right) and
    the phone written nationally, ``0812-3456-7890``, which Excel and LibreOffice keep as text (``+62…``
    became a number without its plus)."""
    import csv

    with open(path, "w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "phone", "link"])
        for link in links:
            writer.writerow([link["name"], format_phone_national(link["phone"]) if link["phone"] else "",
                             link["link"]])


def cmd_import_loans(args: argparse.Namespace) -> int:


    settings = args.process.settings()
    path = Path(args.file)
    try:
        table = read_table(path)
    except ImportFileError as exc:
        say(settings, "import_errors", file=sys.stderr, file_error=exc.code, path=str(path),
            reason=exc.params.get("reason", ""), errors=[])
        return 1
    rows, errors = check_rows(table, today=args.process.today(settings),
                              default_kelurahan=settings.default_kelurahan)
    if errors:
        say(settings, "import_errors", file=sys.stderr, file_error=None, path=str(path), reason="", errors=errors)
        return 1
    result, links = asyncio.run(_import_loans(settings, args.process, rows, dry_run=args.dry_run))
    if args.invites_out and not args.dry_run:
        _write_invites_csv(args.invites_out, links)
    say(settings, "import_summary", dry_run=args.dry_run, rows=len(rows), created=len(result.created_loans),
        total_principal=result.total_principal, new_borrowers=len(result.new_borrowers),
        matched=result.matched_borrowers, skipped=result.skipped_rows, invites=links,
        invites_out=None if args.dry_run else args.invites_out, ignored=list(table.unknown_columns),
        header_row=table.header_row)
    return 0


# --- demo-data ------------------------------------------------------------------------------------------------
async def _demo_data(settings: Settings, process: Process, seed: int) -> dict[str, Any] | None:
    """Generate the demo kelurahan and write it (:func:`bot.services.demo.write_demo`); the staff's invite
    links for the summary. None when the database is not empty."""
    data = generate(seed, process.today(settings), settings.default_kelurahan)
    username = await _bot_username(settings)
    db = await open_database(settings)
    try:
        written = await write_demo(db, data, language=settings.language, timezone=settings.timezone,
                                   now=process.now(), receipt_key=settings.receipt_key)
    finally:
        await db.close()
    if written is None:
        return None
    links = [{"name": i.person.name, "role": str(i.role), "link": deep_link(username, i.token)} for i in written.staff]
    return {"data": data, "links": links}


def cmd_demo_data(args: argparse.Namespace) -> int:
    settings = args.process.settings()
    outcome = asyncio.run(_demo_data(settings, args.process, args.seed))
    if outcome is None:
        say(settings, "demo_data", file=sys.stderr, refused=True, path=str(settings.database))
        return 1
    data = outcome["data"]
    say(settings, "demo_data", refused=False, path=str(settings.database), borrowers=len(data.borrowers),
        loans=len(data.loans), total_principal=data.total_principal, verified_total=data.verified_total,
        pending=data.pending_count, kelurahan_code=data.kelurahan_code, invites=outcome["links"])
    return 0


# --- report ---------------------------------------------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    return report_cli.cmd_report(args, args.process.settings())


# --- audit (bot/cli/privacy.py) -------------------------------------------------------------------------------
def cmd_audit(args: argparse.Namespace) -> int:
    settings = args.process.settings()
    say(settings, "audit", **asyncio.run(privacy_cli.history(settings, args.person, args.participant)))
    return 0


# --- repaid-share ---------------------------------------------------------------------------------------------
def _repaid_share_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kelurahan", help="code or name (default: PEM_DEFAULT_KELURAHAN)")
    value = parser.add_mutually_exclusive_group()
    value.add_argument("--percent", type=int, help="the kelurahan's own minimum repaid share, 0-100 (0 = none)")
    value.add_argument("--city-default", action="store_true",
                       help="follow the city's PEM_RELENDING_MIN_REPAID_PERCENT again")


async def _repaid_share(settings: Settings, args: argparse.Namespace) -> tuple[application_service.ShareRule, bool]:
    db = await open_database(settings)
    try:
        kel = await kelurahan.find(db, args.kelurahan or settings.default_kelurahan)
        if kel is None:
            raise CliError("no_kelurahan", value=args.kelurahan or settings.default_kelurahan)
        default = settings.relending_min_repaid_percent
        if args.percent is None and not args.city_default:
            rule = await application_service.share_rule_of(db, kel.code, default)
            assert rule is not None
            return rule, False
        if args.percent is not None and not SHARE_MIN <= args.percent <= SHARE_MAX:
            raise CliError("share_range", value=args.percent, min=SHARE_MIN, max=SHARE_MAX)
        rule = await application_service.set_share_rule(db, kel.code, None if args.city_default else args.percent,
                                                        by=None, city_default=default, now=args.process.now(),
                                                        via="cli")
        return rule, True
    finally:
        await db.close()


def cmd_repaid_share(args: argparse.Namespace) -> int:
    """Show, set or clear a kelurahan's minimum repaid share (the re-lending rule)."""
    settings = args.process.settings()
    rule, changed = asyncio.run(_repaid_share(settings, args))
    say(settings, "repaid_share", rule=rule, changed=changed, percent=rule.check.repaid_percent)
    return 0


# --- wiring ---------------------------------------------------------------------------------------------------
Subcommand = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def no_args(parser: argparse.ArgumentParser) -> None:
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


#: name → (help, (argument setup, handler)) of the commands that work on the database and the services; the
#: process edge (:mod:`bot.cli.run`) adds ``run``, ``tick`` and ``backup``. The README documents each one.
COMMANDS: dict[str, tuple[str, Subcommand]] = {
    "migrate": ("create or upgrade the database", (no_args, cmd_migrate)),
    "invite": ("create a one-time invite link", (_invite_args, cmd_invite)),
    "people": ("list people and whether their Telegram is linked", (_people_args, cmd_people)),
    "skipped-updates": ("the updates the bot could not read and skipped", (_skipped_args, cmd_skipped_updates)),
    "import-loans": ("import loans and borrowers from a .csv or .xlsx file", (_import_loans_args, cmd_import_loans)),
    "demo-data": ("fill an empty database with a demo kelurahan", (_demo_data_args, cmd_demo_data)),
    "seed-synthetic": ("fill an empty database with a synthetic city (benchmarks)",
                       (seed_synthetic.seed_args, seed_synthetic.cmd_seed_synthetic)),
    "report": ("write the monthly report (LPJ) of a kelurahan or the city to a file",
               (report_cli.report_args, cmd_report)),
    "erase-participant": ("anonymise a training participant (keeps the counts)",
                          (events_cli.erase_args, events_cli.cmd_erase_participant)),
    "check-receipt": ("check that a receipt (kuitansi) is genuine and still valid",
                      (receipts_cli.check_args, receipts_cli.cmd_check_receipt)),
    "audit": ("a person's audit history: what they did, what was done to their data, who saw it",
              (privacy_cli.audit_args, cmd_audit)),
    "repaid-share": ("show or set a kelurahan's minimum repaid share before new loans (the re-lending rule)",
                     (_repaid_share_args, cmd_repaid_share)),
    "init-key": ("print a new data key (PEM_DATA_KEY) for the encryption of NIKs and phone numbers",
                 (keys_cli.init_key_args, keys_cli.cmd_init_key)),
    "rotate-key": ("re-encrypt every NIK and phone number with a new data key",
                   (keys_cli.rotate_key_args, keys_cli.cmd_rotate_key)),
}


def build_parser(subcommands: dict[str, tuple[str, Subcommand]]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pem-bot", description="PEM Bot for the kelurahan of Kota Kupang")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, (setup, _)) in subcommands.items():
        setup(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def dispatch(argv: Sequence[str] | None, process: Process, subcommands: dict[str, tuple[str, Subcommand]]) -> int:
    """Parse ``argv``, run the chosen command with ``args.process`` set, and map its errors to exit codes."""
    args = build_parser(subcommands).parse_args(argv)
    args.process = process
    handler = subcommands[args.command][1][1]
    try:
        return handler(args)
    except ConfigError as exc:
        say(None, "config_error", file=sys.stderr, code=exc.code, **exc.params)
        return EXIT_CONFIG
    except CliError as exc:
        say(None, "error", file=sys.stderr, code=exc.code, **exc.params)
        return EXIT_CONFIG
    except DataKeyError as exc:
        say(None, "data_key", file=sys.stderr, code=exc.code)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
