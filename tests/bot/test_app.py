"""bot/app.py: the statements of an update run on the event loop's thread (storage.db.Database.inline), except
the digest queries of /ringkasan, which stay on aiosqlite's thread.

Which thread ran each statement is recorded with SQLite's trace callback, which runs on the executing thread."""

from __future__ import annotations

import threading
from datetime import date

from bot.roles import Role
from tests.handlers.loan_fixtures import make_loan
from tests.harness import BotTester


def _trace(running) -> list[tuple[int, str]]:
    seen: list[tuple[int, str]] = []
    running.app.db.connection._conn.set_trace_callback(lambda sql: seen.append((threading.get_ident(), sql)))
    return seen


async def test_a_form_step_runs_its_statements_on_the_event_loop(running, tester: BotTester, make_person):
    borrower, user = await make_person(Role.BORROWER, name="Ana Seran")
    await make_loan(running.app.db, borrower, principal=1_200_000, disbursed_on=date(2026, 9, 10))
    seen = _trace(running)

    await tester.command(user, "bayar")

    assert "Rp1.200.000" in tester.last(user).text
    statements = [sql for _, sql in seen]
    assert any("FROM people" in sql for sql in statements)  # the role check
    assert any("INSERT INTO ptb_state" in sql for sql in statements)  # the draft, written through
    assert {tid for tid, _ in seen} == {threading.get_ident()}
    # Written and committed: the draft is in the table.
    assert await running.app.db.fetchval("SELECT count(*) FROM ptb_state WHERE kind = 'user_data'") == 1


async def test_the_digest_on_demand_queries_on_the_worker_thread(running, tester: BotTester, make_person):
    _, lurah = await make_person(Role.LURAH, name="Pak Lurah")
    seen = _trace(running)

    await tester.command(lurah, "ringkasan")

    assert "Ringkasan PEM" in tester.last(lurah).text
    loop = threading.get_ident()
    on_loop = [sql for tid, sql in seen if tid == loop]
    on_thread = [sql for tid, sql in seen if tid != loop]
    assert any("FROM people" in sql for sql in on_loop)  # the role check is inline
    assert any("FROM loans" in sql for sql in on_thread)  # the digest figures are not
    assert not any("FROM loans" in sql for sql in on_loop)
