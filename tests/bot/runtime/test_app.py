"""bot/runtime/app.py: every statement of an update runs on aiosqlite's thread (storage/db.py), never on the event loop.

Which thread ran each statement is recorded with SQLite's trace callback, which runs on the executing thread."""

from __future__ import annotations

import threading
from datetime import date

from bot.domain.roles import Role
from tests.handlers.loan_fixtures import make_loan
from tests.harness import BotTester


async def _trace(running) -> list[tuple[int, str]]:
    seen: list[tuple[int, str]] = []
    await running.app.db.connection.set_trace_callback(lambda sql: seen.append((threading.get_ident(), sql)))
    return seen


async def test_a_form_step_runs_its_statements_on_aiosqlites_thread(running, tester: BotTester, make_person):
    borrower, user = await make_person(Role.BORROWER, name="Ana Seran")
    await make_loan(running.app.db, borrower, principal=1_200_000, disbursed_on=date(2026, 9, 10))
    seen = await _trace(running)
    points: list[tuple[int, str]] = []
    latest = await running.app.db.latest_connection()
    await latest.set_trace_callback(lambda sql: points.append((threading.get_ident(), sql)))

    await tester.command(user, "bayar")

    assert "Rp1.200.000" in tester.last(user).text
    statements = [sql for _, sql in seen]
    # the role check, on the point-read connection (before a button's answer: not behind others, issue 12)
    assert any("FROM people" in sql for _, sql in points)
    assert any("INSERT INTO form_drafts" in sql for sql in statements)  # the declared form's draft
    assert threading.get_ident() not in {tid for tid, _ in seen + points}
    # Written and committed: the draft is in the table.
    assert await running.app.db.fetchval("SELECT count(*) FROM form_drafts") == 1


async def test_the_digest_on_demand_queries_on_the_read_only_connection(running, tester: BotTester, make_person):
    """The role check on the shared connection, the digest's figures on the read-only one (issue 12), both on
    aiosqlite's threads."""
    _, lurah = await make_person(Role.LURAH, name="Pak Lurah")
    seen = await _trace(running)
    reads: list[tuple[int, str]] = []
    reader = await running.app.db.read_connection()
    await reader.set_trace_callback(lambda sql: reads.append((threading.get_ident(), sql)))

    await tester.command(lurah, "ringkasan")

    assert "Ringkasan PEM" in tester.last(lurah).text
    assert any("FROM people" in sql for _, sql in seen)  # the role check
    assert any("FROM loans" in sql for _, sql in reads)  # the digest figures
    assert not any("FROM loans" in sql for _, sql in seen), "the figures no longer hold the shared connection"
    assert threading.get_ident() not in {tid for tid, _ in seen + reads}


async def test_the_minute_tick_queries_on_the_worker_thread(running):
    from telegram.ext import CallbackContext

    from bot.runtime.scheduler import tick_job

    seen = await _trace(running)
    await tick_job(CallbackContext(running.app))
    assert seen, "the tick ran no SQL"
    assert threading.get_ident() not in {tid for tid, _ in seen}


def test_the_handlers_are_the_engine_then_plain_handlers_with_the_fallback_last(running):
    """No ConversationHandler and no PTB persistence: commands in groups first (group -2), the form engine in
    group -1, every form's entry points and the features' handlers in group 0, the fallback's catch-all button
    handler last (PTB runs the first match)."""
    from telegram.ext import CallbackQueryHandler, ConversationHandler

    from handlers import fallback, groups
    from handlers.forms.engine import GROUP

    app = running.app
    assert app.persistence is None
    assert sorted(app.handlers) == [groups.GROUP, GROUP, 0]
    assert not any(isinstance(h, ConversationHandler) for group in app.handlers.values() for h in group)
    last = app.handlers[0][-1]
    assert isinstance(last, CallbackQueryHandler) and last.pattern is None
    assert last.callback is fallback.stale_button


async def test_a_plain_command_in_a_form_leaves_the_form_open(running, tester: BotTester, make_person):
    _, admin = await make_person(Role.ADMIN)
    await tester.command(admin, "undang")
    await tester.press(admin, tester.last(admin).button("Peminjam"))
    await tester.command(admin, "acara")  # a plain command (it used to sit among the conversation's entry points)
    await tester.send(admin, "Maria Bria")
    assert "langkah 3 dari 3" in tester.last(admin).text


# --- the template warm-up (issue 12) ------------------------------------------------------------------------------
async def _scheduled_app(settings):
    from bot.runtime.app import build_application
    from tests.harness import RecordingRequest

    app = build_application(settings, request=RecordingRequest(), with_updater=False, rate_limit=False,
                            scheduler=True)
    await app.initialize()
    await app.post_init(app)
    return app


async def _stop(app) -> None:
    await app.shutdown()
    await app.post_shutdown(app)


async def test_a_running_bot_compiles_every_template_in_the_background(settings, frozen_clock):
    import gc

    import messages

    gc.unfreeze()
    app = await _scheduled_app(settings)
    try:
        steps = await app.warmed()
        # then what start-up made is out of the collector's reach (a full collection paused the loop ~100 ms)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # this is the test process: give its objects back to the collector
        await _stop(app)
    templates = sum(len(messages.template_names(lang)) for lang in messages.LANGUAGES)
    assert steps == templates + len(messages.LANGUAGES)  # and one Babel locale load per language


async def test_a_shutdown_during_the_warm_up_stops_it(settings, frozen_clock):
    app = await _scheduled_app(settings)
    task = app._warm_up
    assert task is not None and not task.done()  # polling did not wait for it
    await _stop(app)
    assert task.cancelled()  # first thing the shutdown does: it needs neither the bot nor the database


async def test_test_apps_do_not_warm_up(running):
    assert await running.app.warmed() == 0
