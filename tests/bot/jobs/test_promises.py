"""The promise job during a pause: no promise reminder in a paused kelurahan, the others still get theirs."""

from __future__ import annotations

from datetime import date

from bot.domain.pauses import Pause
from bot.domain.roles import Role
from bot.jobs import promises
from bot.services.pauses import declare_pause
from bot.services.visits import record_visit
from tests.handlers.loan_fixtures import make_loan
from tests.jobs_fixtures import NAIKOTEN_SATU, add_person, wita

OEBOBO = "53.71.04.1001"


async def test_no_promise_reminder_during_a_pause(db, settings, frozen_clock):
    lurah = await add_person(db, "Lurah", roles=(Role.LURAH,))
    ids = {}
    for kel in (NAIKOTEN_SATU, OEBOBO):
        staff = await add_person(db, "Bendahara", roles=(Role.TREASURER,), kelurahan=kel)
        borrower = await add_person(db, f"Peminjam {kel}", kelurahan=kel)
        loan = await make_loan(db, borrower)
        await record_visit(db, loan_id=loan.id, visited_on=date(2026, 11, 28), outcome="met", note="Janji",
                           photo_file_id=None, promise_amount=200_000, promise_on=date(2026, 12, 3),
                           recorded_by=staff.id, kelurahan_code=kel, now=frozen_clock())
        ids[kel] = borrower.id
    await declare_pause(db, pause=Pause(date(2026, 12, 1), date(2026, 12, 10)), reason="Banjir",
                        kelurahan=[NAIKOTEN_SATU], declared_by=lurah.id, now=frozen_clock())
    await promises.run(db, wita(2026, 12, 3, 8), settings)
    rows = await db.fetchall("SELECT recipient_id FROM outbox WHERE kind = 'promise_reminder'")
    assert [r["recipient_id"] for r in rows] == [ids[OEBOBO]]
    # the verdict is still given the day after (nothing was paid: broken, in both kelurahan)
    await promises.run(db, wita(2026, 12, 4, 8), settings)
    statuses = await db.fetchall("SELECT kelurahan_code, promise_status FROM visits ORDER BY kelurahan_code")
    assert [tuple(r) for r in statuses] == [(OEBOBO, "broken"), (NAIKOTEN_SATU, "broken")]
