"""``pem-bot report --month 2026-11 [--kelurahan CODE_OR_NAME | --city] [--format xlsx|pdf] --out FILE``: the
monthly report (LPJ) written to a file, the same file ``/laporan`` sends. The kelurahan defaults to
``PEM_DEFAULT_KELURAHAN``; the city report is XLSX only. Labels are in ``PEM_LANGUAGE``. The download is audited
(``report.downloaded``, via ``cli``).

The configuration comes from :func:`bot.cli.main.cmd_report` (this module does not read the runtime's
configuration itself).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, open_database, say
from bot.domain.lpj import parse_month
from bot.services import reports as report_service
from messages.reports.pdf import kelurahan_pdf
from messages.reports.xlsx import city_xlsx, kelurahan_xlsx
from storage import kelurahan


def report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--month", required=True, help="YYYY-MM, e.g. 2026-11")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--kelurahan", help="code or name (default: PEM_DEFAULT_KELURAHAN)")
    scope.add_argument("--city", action="store_true", help="the city report for Bappeda (XLSX)")
    parser.add_argument("--format", choices=("xlsx", "pdf"), default="xlsx", help="default xlsx")
    parser.add_argument("--out", required=True, metavar="FILE", help="where to write the report")


async def _report(settings: Any, args: argparse.Namespace, year: int, month: int) -> tuple[bytes, dict[str, Any]]:
    db = await open_database(settings)
    try:
        tz, lang = settings.timezone, settings.language
        if args.city:
            reports = await report_service.city_report(db, year, month, tz)
            content = city_xlsx(reports, year, month, lang)
            info = {"city": True, "name": None, "arrears": sum(r.summary.arrears for r in reports),
                    "kelurahan": len(reports), "later": sum(len(r.later) for r in reports)}
            scope = "city"
        else:
            found = await kelurahan.find(db, args.kelurahan or settings.default_kelurahan or "")
            if found is None:
                raise CliError("no_kelurahan", value=args.kelurahan or settings.default_kelurahan or "")
            report = await report_service.kelurahan_report(db, found.code, year, month, tz)
            content = kelurahan_xlsx(report, lang) if args.format == "xlsx" else kelurahan_pdf(report, lang)
            s = report.summary
            info = {"city": False, "name": report.name, "due": s.due_month, "collected": s.collected,
                    "outstanding": s.outstanding, "balance": s.total_balance, "later": len(report.later)}
            scope = found.code
        await report_service.record_download(db, person_id=None, scope=scope, month=f"{year:04d}-{month:02d}",
                                             fmt="xlsx" if args.city else args.format, via="cli")
        return content, info
    finally:
        await db.close()


def cmd_report(args: argparse.Namespace, settings: Any) -> int:
    try:
        year, month = parse_month(args.month)
    except ValueError as exc:
        raise CliError("bad_month", value=args.month) from exc
    if args.city and args.format == "pdf":
        raise CliError("city_pdf")
    content, info = asyncio.run(_report(settings, args, year, month))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    say(settings, "report", path=str(out), size=len(content), month=f"{year:04d}-{month:02d}",
        fmt="xlsx" if args.city else args.format, **info)
    return 0
