"""bot.services.warnings against a migrated database: the letter registers (per kelurahan and year, gap-free),
who may issue, the audit rows, and a step's life when nobody is reachable."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.domain.pauses import Pause
from bot.domain.roles import Role
from bot.services import warnings as svc
from bot.services.pauses import declare_pause
from bot.services.warnings import Outcome
from storage import audit, outbox
from storage import warnings as repo
from tests.conftest import NAIKOTEN_SATU, NOW
from tests.handlers.loan_fixtures import make_loan
from tests.jobs_fixtures import add_person

OTHER = "53.71.01.1001"  # Namosain, short code NMS1
STEPS = (30, 60, 90)
TODAY = date(2026, 11, 28)


async def _issue_all(db, treasurer, *, now=NOW, today=TODAY):
    results = []
    for step in await repo.open_steps(db):
        if step.kelurahan_code == treasurer.kelurahan_code:
            results.append(await svc.issue(db, step.id, by=treasurer.id, now=now, today=today, deadline_days=14))
    return results


async def test_each_kelurahan_has_its_own_register_and_a_new_year_starts_at_one(db, frozen_clock):
    t_nkt = await add_person(db, "Bendahara NKT", roles=(Role.TREASURER,))
    t_nms = await add_person(db, "Bendahara NMS", roles=(Role.TREASURER,), kelurahan=OTHER)
    for n, kel in enumerate((NAIKOTEN_SATU, NAIKOTEN_SATU, OTHER)):
        await make_loan(db, await add_person(db, f"Peminjam {n}", kelurahan=kel))
    assert await svc.open_due_steps(db, today=TODAY, now=NOW, steps=STEPS) == 3  # one task per treasurer
    assert len(await audit.recent(db, action="warning.step_opened")) == 3

    stranger = await svc.issue(db, (await repo.open_steps(db))[-1].id, by=t_nkt.id, now=NOW, today=TODAY,
                               deadline_days=14)
    assert stranger.outcome is Outcome.NOT_ALLOWED  # Namosain's step, Naikoten Satu's treasurer: no number used
    numbers = sorted(r.step.number for r in await _issue_all(db, t_nkt) + await _issue_all(db, t_nms))
    assert numbers == ["NKT1/SP-1/2026/0001", "NKT1/SP-1/2026/0002", "NMS1/SP-1/2026/0001"]

    # the next year (WITA): SP-2 of the three, numbered from 1 again in each register
    new_year = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 1 January 2027, 00:30 WITA
    day = date(2027, 1, 1)
    assert await svc.open_due_steps(db, today=day, now=new_year, steps=STEPS) == 3
    numbers = sorted(r.step.number for r in await _issue_all(db, t_nkt, now=new_year, today=day))
    assert numbers == ["NKT1/SP-2/2027/0001", "NKT1/SP-2/2027/0002"]
    latest = (await audit.recent(db, action="warning.issued", limit=1))[0]
    assert latest.details["number"].startswith("NKT1/SP-2/2027/")


async def test_no_reachable_treasurer_still_opens_the_step_and_a_paid_off_loan_closes_it(db, frozen_clock):
    await add_person(db, "Bendahara Offline", roles=(Role.TREASURER,), linked=False)
    borrower = await add_person(db, "Peminjam")
    loan = await make_loan(db, borrower)
    assert await svc.open_due_steps(db, today=TODAY, now=NOW, steps=STEPS) == 0  # nobody to tell
    [step] = await repo.open_steps(db)
    assert step.loan_id == loan.id
    await db.execute("UPDATE loans SET status = 'written_off' WHERE id = :id", {"id": loan.id})
    assert await svc.close_cleared(db, now=NOW + timedelta(minutes=1), today=TODAY) == 1
    closed = await repo.get(db, step.id)
    assert (closed.status, closed.close_reason) == ("closed", "written_off")
    assert await outbox.for_recipient(db, borrower.id) == []


async def test_no_warning_task_goes_out_while_a_pause_covers_the_kelurahan(db, frozen_clock):
    """Issue 16 part 4: during a pause after a disaster no warning-letter task goes out in those kelurahan;
    once the pause is over the step due is opened as usual."""
    treasurer = await add_person(db, "Bendahara NKT", roles=(Role.TREASURER,))
    lurah = await add_person(db, "Lurah NKT", roles=(Role.LURAH,))
    # 61 days late on TODAY (59 once the pause's two days so far are left out): an SP-1 is due but for the pause
    await make_loan(db, await add_person(db, "Peminjam NKT"), disbursed_on=date(2026, 8, 28))
    await make_loan(db, await add_person(db, "Peminjam NMS", kelurahan=OTHER))
    await add_person(db, "Bendahara NMS", roles=(Role.TREASURER,), kelurahan=OTHER)
    await declare_pause(db, pause=Pause(TODAY - timedelta(days=1), TODAY + timedelta(days=6)),
                        reason="Badai Seroja", kelurahan=[NAIKOTEN_SATU], declared_by=lurah.id, now=NOW)

    assert await svc.open_due_steps(db, today=TODAY, now=NOW, steps=STEPS) == 1  # only the other kelurahan's
    assert [s.kelurahan_code for s in await repo.open_steps(db)] == [OTHER]
    tasks = [m for m in await outbox.for_recipient(db, treasurer.id) if m.kind == "warning_task"]
    assert tasks == []

    after = TODAY + timedelta(days=7)  # the pause is over: Naikoten Satu's step opens
    assert await svc.open_due_steps(db, today=after, now=NOW + timedelta(days=7), steps=STEPS) >= 1
    assert sorted(s.kelurahan_code for s in await repo.open_steps(db)) == sorted([NAIKOTEN_SATU, OTHER])
