"""SQLite's write lock held by another process (issue 13, item 5): readers are answered meanwhile; the user whose
write gave up is told plainly that nothing was saved and can press again, and the form stays at its step.

The two users' updates are handled concurrently here, by calling ``process_update`` for both at once, as a
concurrent update processor does (PTB's ``concurrent_updates``; issue 12 adds the bot's own per-user one). With
one update at a time, the reader would wait behind the writer whatever the database layer did.
"""

from __future__ import annotations

import asyncio
import sqlite3

from bot.domain.roles import Role
from tests.handlers.loan_fixtures import make_loan


async def _at_the_summary(tester, user) -> str:
    await tester.command(user, "bayar")
    await tester.press(user, tester.last(user).button("Angsuran ke-"))
    await tester.press(user, tester.last(user).button("Lewati"))
    return tester.last(user).button("Konfirmasi")


async def test_a_lock_held_elsewhere_leaves_readers_answered_and_the_writer_told_nothing_was_saved(
        running, tester, make_person):
    db = running.app.db
    db.busy_timeout_ms = 1500  # the writer's patience, 10 s in production
    borrower, user = await make_person(Role.BORROWER, name="Yosefina Lero")
    await make_person(Role.TREASURER, name="Bendahara Naikoten")
    _, reader = await make_person(Role.BORROWER, name="Maria Fanggi", language="en")
    await make_loan(db, borrower)
    confirm = await _at_the_summary(tester, user)

    other = sqlite3.connect(db.path, isolation_level=None)  # another process (a backup, an import, a shell)
    other.execute("BEGIN IMMEDIATE")
    try:
        pressing = asyncio.create_task(tester.press(user, confirm))
        await asyncio.sleep(0.2)  # Konfirmasi is now waiting for the lock
        helping = asyncio.create_task(tester.command(reader, "help"))
        done, _ = await asyncio.wait({pressing, helping}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        assert done == {helping}, "the reader waited behind the write"
        assert tester.last(reader).text  # /help answered while the lock is still held
        await asyncio.wait_for(pressing, timeout=10)  # the write gives up after its patience
    finally:
        other.execute("ROLLBACK")
        other.close()

    told = tester.last(user).text
    assert "tidak ada yang tersimpan" in told and "tekan tombol yang sama" in told
    assert "formulir itu masih di langkah yang sama" in told
    assert await db.fetchval("SELECT count(*) FROM repayments") == 0

    # The form is still at its summary: pressing Konfirmasi again stores the payment once.
    await tester.press(user, confirm)
    assert "menunggu verifikasi" in tester.last(user).text
    assert await db.fetchval("SELECT count(*) FROM repayments") == 1


async def test_the_busy_message_exists_in_both_languages():
    from messages import render

    assert "nothing was saved" in render("errors/database_busy", "en")
    assert "tidak ada yang tersimpan" in render("errors/database_busy", "id")
