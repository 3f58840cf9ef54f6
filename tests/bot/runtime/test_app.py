"""bot/runtime/app.py: every statement of an update runs on aiosqlite's thread (storage/db.py), never on the event loop,
and the persistence is written through after every update.

Which thread ran each statement is recorded with SQLite's trace callback, which runs on the executing thread."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from datetime import date

import pytest
from telegram.ext import CommandHandler, MessageHandler, filters

import handlers
from bot.domain.roles import Role
from handlers.feature import FeatureHandlers
from handlers.forms import current_form, new_form
from tests.conftest import Running
from tests.handlers.loan_fixtures import make_loan
from tests.harness import BotTester

PROBE_STEP = "probe.step"


async def _probe_begin(update, context) -> str:
    new_form(context, "probe", n=0)
    return PROBE_STEP


async def _probe_answer(update, context) -> str:
    current_form(context, "probe")["n"] += 1
    return PROBE_STEP


class _ProbeFeature:
    """A minimal hand-written form (a state of the ``forms`` ConversationHandler, its draft in ``user_data``), so
    the persistence tests below don't depend on which real forms are still hand-written."""

    COMMANDS = ()

    @staticmethod
    def handlers() -> FeatureHandlers:
        return FeatureHandlers(form_entry_points=[CommandHandler("probe", _probe_begin)],
                               form_states={PROBE_STEP: [MessageHandler(filters.TEXT & ~filters.COMMAND,
                                                                        _probe_answer)]})


@pytest.fixture
async def running(settings, frozen_clock, monkeypatch) -> AsyncIterator[Running]:
    *features, last = handlers.FEATURES  # the fallback stays last
    monkeypatch.setattr(handlers, "FEATURES", (*features, _ProbeFeature, last))
    run = await Running(settings).start()
    try:
        yield run
    finally:
        await run.stop()


async def _trace(running) -> list[tuple[int, str]]:
    seen: list[tuple[int, str]] = []
    await running.app.db.connection.set_trace_callback(lambda sql: seen.append((threading.get_ident(), sql)))
    return seen


async def test_a_form_step_runs_its_statements_on_aiosqlites_thread(running, tester: BotTester, make_person):
    borrower, user = await make_person(Role.BORROWER, name="Ana Seran")
    await make_loan(running.app.db, borrower, principal=1_200_000, disbursed_on=date(2026, 9, 10))
    seen = await _trace(running)

    await tester.command(user, "bayar")

    assert "Rp1.200.000" in tester.last(user).text
    statements = [sql for _, sql in seen]
    assert any("FROM people" in sql for sql in statements)  # the role check
    assert any("INSERT INTO form_drafts" in sql for sql in statements)  # the declared form's draft
    assert threading.get_ident() not in {tid for tid, _ in seen}
    # Written and committed: the draft is in the table.
    assert await running.app.db.fetchval("SELECT count(*) FROM form_drafts") == 1


async def test_the_digest_on_demand_queries_on_the_worker_thread(running, tester: BotTester, make_person):
    _, lurah = await make_person(Role.LURAH, name="Pak Lurah")
    seen = await _trace(running)

    await tester.command(lurah, "ringkasan")

    assert "Ringkasan PEM" in tester.last(lurah).text
    assert any("FROM people" in sql for _, sql in seen)  # the role check
    assert any("FROM loans" in sql for _, sql in seen)  # the digest figures
    assert threading.get_ident() not in {tid for tid, _ in seen}


async def _state_rows(db) -> dict[str, str]:
    rows = await db.fetchall("SELECT kind, data FROM ptb_state ORDER BY kind")
    return {r["kind"]: r["data"] for r in rows}


async def test_each_update_writes_the_draft_and_the_conversation_state_through(running, tester: BotTester,
                                                                             make_person):
    _, user = await make_person(Role.BORROWER, name="Ana Seran")
    db = running.app.db

    await tester.command(user, "probe")
    rows = await _state_rows(db)
    assert rows["conversation:forms"] == f'"{PROBE_STEP}"'
    assert '"kind":"probe"' in rows["user_data"] and '"n":0' in rows["user_data"]

    await tester.send(user, "satu")
    rows = await _state_rows(db)
    assert rows["conversation:forms"] == f'"{PROBE_STEP}"'
    assert '"n":1' in rows["user_data"]

    await tester.command(user, "batal")
    assert await _state_rows(db) == {}  # draft and state gone with the form


async def test_the_minute_tick_queries_on_the_worker_thread(running):
    from telegram.ext import CallbackContext

    from bot.runtime.scheduler import tick_job

    seen = await _trace(running)
    await tick_job(CallbackContext(running.app))
    assert seen, "the tick ran no SQL"
    assert threading.get_ident() not in {tid for tid, _ in seen}


async def test_a_value_that_cannot_be_stored_is_reported_and_the_other_writes_still_land(
        running, tester: BotTester, make_person, caplog):
    """PTB awaits process_update directly: a persistence error escaping from it would end PTB's update fetcher and
    the bot would answer nobody again. It goes to the error handler instead, and the rest is still written."""
    _, user = await make_person(Role.BORROWER, name="Ana Seran")

    async def keeps_a_set(update, context):
        if update.message.text == "rusak":
            context.chat_data["broken"] = {1, 2}  # JSON can't hold a set: TypeError when it is written

    running.app.add_handler(MessageHandler(filters.Regex("^rusak$"), keeps_a_set), group=-5)
    await tester.command(user, "probe")
    await tester.send(user, "rusak")  # does not raise out of process_update

    assert "cannot persist a set" in caplog.text
    rows = await _state_rows(running.app.db)
    assert "chat_data" not in rows
    assert '"n":1' in rows["user_data"]  # the form's draft, written in the same update

    await tester.send(user, "lagi")  # the next update is handled
    assert '"n":2' in (await _state_rows(running.app.db))["user_data"]
