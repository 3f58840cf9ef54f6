"""``pem-bot erase-participant ID``: anonymise a Karang Taruna participant (UU 27/2022 right to erasure).

The name becomes ``Peserta terhapus #ID``; the NIK, birth date, sex, phone, address and Telegram link are
removed and ``erased_at`` is set. Registrations and outcomes stay, so event counts do not change. The erasure
is written to the audit log (ids only). Erasing twice is harmless. An unknown id exits with status 1. The same
use case (:func:`bot.services.privacy.erase_participant`) serves a participant's consent withdrawal in the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from bot.cli.common import open_database, say
from bot.services import privacy as privacy_service


def erase_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("participant_id", type=int, metavar="ID", help="participant id")


async def _erase(settings, participant_id: int, now: datetime) -> tuple[bool, bool]:
    db = await open_database(settings)
    try:
        erased = await privacy_service.erase_participant(db, participant_id, now=now, via="cli")
        if erased is None:
            return False, False
        return True, erased.participant.erased
    finally:
        await db.close()


def cmd_erase_participant(args: argparse.Namespace) -> int:
    settings = args.process.settings()
    found, already = asyncio.run(_erase(settings, args.participant_id, args.process.now()))
    if not found:
        say(settings, "erase_participant", file=sys.stderr, id=args.participant_id, found=False, already=False)
        return 1
    say(settings, "erase_participant", id=args.participant_id, found=True, already=already)
    return 0
