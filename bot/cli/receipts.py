"""``pem-bot check-receipt NUMBER CODE [--pdf FILE]``: whether a receipt (kuitansi) is genuine and still valid,
the same check as ``/cek_kuitansi`` (:func:`bot.services.receipts.check_receipt`), for an auditor or the LPM at the
office. ``--pdf`` writes the receipt as issued (void ones stamped BATAL) when the code matched.
Exit status: 0 genuine and valid, 1 void or not genuine, 2 a configuration mistake.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bot.cli.common import open_database, say
from bot.services import receipts as receipt_service
from bot.services.receipts import Check
from messages.documents import receipt_pdf
from storage import receipts


def check_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("number", help="receipt number, e.g. NKT1-2026-000123")
    parser.add_argument("code", help="its verification code, e.g. ABCD-EFGH")
    parser.add_argument("--pdf", metavar="FILE", help="write the receipt's PDF here when it is genuine")


async def _check(settings: Any, number: str, code: str, want_pdf: bool) -> tuple[str, object, bytes | None]:
    db = await open_database(settings)
    try:
        result = await receipt_service.check_receipt(db, number, code, receipt_key=settings.receipt_key)
        pdf = None
        if want_pdf and result.receipt is not None:
            pdf = receipt_pdf(await receipts.as_issued(db, result.receipt), settings.language)
        return str(result.outcome), result.receipt, pdf
    finally:
        await db.close()


def cmd_check_receipt(args: argparse.Namespace) -> int:
    settings = args.process.settings()
    outcome, receipt, pdf = asyncio.run(_check(settings, args.number, args.code, bool(args.pdf)))
    if pdf is not None:
        Path(args.pdf).write_bytes(pdf)
    say(settings, "check_receipt", outcome=outcome, receipt=receipt, number=args.number,
        pdf=args.pdf if receipt is not None else None)
    return 0 if outcome == Check.VALID else 1
