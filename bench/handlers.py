"""Handler overhead: complete ``/bayar`` conversations through the real bot, with the storage core of issue 11,
with the core it replaced, and with what a typical PTB bot uses for storage.

Run from the repository root::

    .venv/bin/python bench/handlers.py [--borrowers 300]

What it does, in one run (setup, creating people and loans, is not timed; only ``process_update`` calls are):

1. **PEM Bot, new core**: a fresh SQLite database on a *file* (in a temporary directory), the real application
   from :func:`bot.runtime.app.build_application` (no PTB persistence: the form engine writes the draft to
   ``form_drafts`` in the step's own statement), one treasurer and ``--borrowers`` linked
   borrowers, each with a loan made by :func:`storage.loans.create`. Every borrower then goes through the common
   ``/bayar`` path of ``tests/handlers/test_repayment.py``: ``/bayar`` → *Angsuran ke-N* → *Lewati* →
   *Konfirmasi* — four updates, each fed to ``Application.process_update`` by :class:`tests.harness.BotTester`
   over a :class:`tests.harness.RecordingRequest` (no network). Every confirmation also notifies the treasurer,
   as in production. The run checks that one pending repayment row per borrower exists afterwards.
2. **PEM Bot, old core**: the same, with ``main``'s storage core before issue 11 (``bench/legacy_db.py``, a copy
   of the old ``storage/db.py``: statements on the event loop, aiosqlite's private API) and ``main``'s
   ``PemApplication`` (:class:`LegacyApplication`: updates handled inside ``Database.inline()``). Since every
   form moved to the engine it has no persistence either (its hand-made ``update_persistence`` went with
   ``storage/persistence.py``), so it is the old statement path under today's handlers.
3. **Peer, a typical PTB bot**: the same handlers, templates and SQL, but with what a typical PTB bot uses for
   storage: PTB's own ``PicklePersistence`` (:class:`PeerApplication`, written after every update through PTB's
   ``update_persistence``, for the same crash safety) and plain aiosqlite calls (:class:`PlainDatabase`:
   ``async with db.execute(...) as cursor: await cursor.fetchone()``, ``await db.commit()`` after a write).
4. Two PTB baselines for context: an ``Application`` with one echo ``MessageHandler``, and a PTB
   ``CommandHandler``/``CallbackQueryHandler`` making, for each step, exactly the Telegram calls PEM Bot made in
   the first conversation (same texts and keyboards, callback answers, the treasurer's message), with no database
   and no templates: the ceiling for this conversation on PTB.

1–3 run side by side, one conversation on each in turn (a change in the machine's load weighs on each alike).
It prints the median cost of an update for 1–3 and the targets of issue 11: the new core's median at most twice
the old core's, and below the peer's. It exits 1 when one is missed. ``--profile`` runs only the new core, under
pyinstrument (``.venv/bin/pip install pyinstrument`` first: it is a tool, not a dependency), and prints the profile.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiosqlite  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    PicklePersistence,
    filters,
)

import bot.runtime.app  # noqa: E402
from bench import legacy_db  # noqa: E402
from bot.domain.loans import LoanTerms  # noqa: E402
from bot.domain.roles import Role  # noqa: E402
from bot.runtime import clock  # noqa: E402
from bot.runtime.app import PemApplication, build_application  # noqa: E402
from bot.runtime.config import load_settings  # noqa: E402
from storage import loans, people  # noqa: E402
from storage.crypto import NO_KEY, new_key  # noqa: E402
from storage.db import ExecResult  # noqa: E402

# main's old core (kept unchanged) predates the data key: its connections store values as they are
legacy_db._Runner.key = legacy_db.Database.key = NO_KEY  # type: ignore[attr-defined]
from tests.harness import BotTester, Call, RecordingRequest, User  # noqa: E402

KELURAHAN = "53.71.05.1004"  # Naikoten Satu
TOKEN = "123456:BENCH-token"
FIRST_USER = 5_000_001


#: The storage set-ups compared (see the module docstring).
CORES = ("new", "old", "peer")


class LegacyApplication(PemApplication):
    """``main``'s ``PemApplication`` before issue 11, for the old-core run: every update handled inside
    :meth:`bench.legacy_db.Database.inline` (statements on the event loop). No persistence: the forms' drafts
    are in ``form_drafts`` on both cores."""

    async def process_update(self, update: object) -> None:
        with self.db.inline():  # type: ignore[attr-defined]
            await Application.process_update(self, update)


class PeerApplication(PemApplication):
    """The peer: what a typical PTB bot does for crash safety, PTB's ``update_persistence`` after every update
    (here on a ``PicklePersistence``)."""

    async def process_update(self, update: object) -> None:
        await super().process_update(update)
        if self.persistence is not None:
            await self.update_persistence()


def _peer_builder(pickle_file: Path) -> Any:
    """``ApplicationBuilder`` with a ``PicklePersistence`` set (the bot's own builds none)."""

    def builder() -> ApplicationBuilder:
        return ApplicationBuilder().persistence(PicklePersistence(pickle_file))

    return builder


class _PlainQueries:
    """Plain aiosqlite calls, as a typical PTB bot makes them: a cursor per statement (execute, fetch, close:
    three trips to aiosqlite's thread), a commit after each write outside a transaction. A typical bot stores
    values as they are: no data key (storage/crypto.py's ``NO_KEY``)."""

    key = NO_KEY

    def __init__(self, conn: aiosqlite.Connection, in_transaction: bool) -> None:
        self.conn = conn
        self._in_transaction = in_transaction

    async def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> ExecResult:
        async with self.conn.execute(sql, params or {}) as cursor:
            result = ExecResult(cursor.rowcount, cursor.lastrowid)
        if not self._in_transaction:
            await self.conn.commit()
        return result

    async def executemany(self, sql: str, seq: Iterable[Mapping[str, Any]]) -> None:
        async with self.conn.executemany(sql, list(seq)):
            pass
        if not self._in_transaction:
            await self.conn.commit()

    async def fetchone(self, sql: str, params: Mapping[str, Any] | None = None) -> sqlite3.Row | None:
        async with self.conn.execute(sql, params or {}) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Mapping[str, Any] | None = None) -> list[sqlite3.Row]:
        async with self.conn.execute(sql, params or {}) as cursor:
            return list(await cursor.fetchall())

    async def fetchval(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


class PlainDatabase(_PlainQueries):
    """The peer's database: one aiosqlite connection in its default (implicit transactions) mode, with the same
    method names as :class:`storage.db.Database` so that PEM Bot's repositories and handlers run unchanged. No
    lock: PTB handles one update at a time by default, and nothing else runs in the bench."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._in_transaction = False

    @property
    def conn(self) -> aiosqlite.Connection:  # type: ignore[override]
        assert self._conn is not None
        return self._conn

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def connection(self) -> aiosqlite.Connection:
        return self.conn

    @property
    def latest(self) -> PlainDatabase:
        """Point reads (``storage.db.Database.latest``): a typical bot has one connection."""
        return self

    async def open(self) -> PlainDatabase:
        if self._conn is None:
            conn = await aiosqlite.connect(self.path)
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            self._conn = conn
        return self

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PlainQueries]:
        try:
            yield _PlainQueries(self.conn, in_transaction=True)
        except BaseException:
            await self.conn.rollback()
            raise
        await self.conn.commit()

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[aiosqlite.Connection]:
        yield self.conn


def _build(core: str, settings: Any, request: RecordingRequest, db_file: Path) -> Application:
    options: dict[str, Any] = {"request": request, "with_updater": False, "rate_limit": False}
    if core == "new":
        return build_application(settings, **options)
    if core == "old":
        with mock.patch.object(bot.runtime.app, "PemApplication", LegacyApplication):
            return build_application(settings, db=legacy_db.Database(db_file), **options)  # type: ignore[arg-type]
    pickle_file = db_file.with_suffix(".pickle")
    with mock.patch.object(bot.runtime.app, "ApplicationBuilder", _peer_builder(pickle_file)), \
            mock.patch.object(bot.runtime.app, "PemApplication", PeerApplication):
        return build_application(settings, db=PlainDatabase(db_file), **options)  # type: ignore[arg-type]


async def _setup_pem(db_file: Path, borrowers: int, core: str = "new") -> tuple[Application, RecordingRequest,
                                                                                 list[User]]:
    # PEM Bot runs with a data key (its drafts are sealed at every step: issue 18); the peers store in clear
    settings = load_settings(environ={"TELEGRAM_BOT_TOKEN": TOKEN, "PEM_DATABASE": str(db_file),
                                      "PEM_BACKUP_DIR": str(db_file.parent / "backups"),
                                      "PEM_QUIET_HOURS": "off",  # the same work at any hour
                                      "PEM_DATA_KEY": new_key()}, env_file=None)
    request = RecordingRequest()
    app = _build(core, settings, request, db_file)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    today = clock.local_today(settings.timezone)
    disbursed = today - timedelta(days=100)  # three instalments overdue, the next one this month
    users: list[User] = []
    async with app.db.transaction() as tx:
        treasurer = await people.create(tx, name="Bendahara Naikoten", kelurahan_code=KELURAHAN,
                                        roles=(Role.TREASURER,), language="id")
        await people.link_telegram(tx, treasurer.id, FIRST_USER - 1, FIRST_USER - 1)
        for i in range(borrowers):
            user = User(FIRST_USER + i, first_name=f"Peminjam{i}")
            person = await people.create(tx, name=f"Peminjam {i}", kelurahan_code=KELURAHAN,
                                         roles=(Role.BORROWER,), language="id")
            await people.link_telegram(tx, person.id, user.id, user.chat_id)
            await loans.create(tx, borrower_id=person.id, kelurahan_code=KELURAHAN,
                               terms=LoanTerms(principal=6_000_000, disbursed_on=disbursed, tenor_months=12),
                               business="Warung", created_by=None, now=clock.utcnow())
            users.append(user)
    return app, request, users


async def _stop(app: Application) -> None:
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


def _last_to(calls: list[Call], user: User) -> Call:
    """The last message sent to ``user`` among the calls of one update (``BotTester.last`` scans every call
    recorded so far, which would make the benchmark itself quadratic)."""
    for call in reversed(calls):
        if call.method in ("sendMessage", "editMessageText", "sendPhoto") and call.chat_id == user.chat_id:
            return call
    raise AssertionError(f"nothing sent to {user}")


#: The Telegram calls of the first conversation, per update (for the "bare PTB, same calls" baseline).
_RECORDED: list[list[Call]] = []


#: The four updates of the common path, for the per-step figures.
STEPS = ("/bayar", "Angsuran ke-", "Lewati", "Konfirmasi")


async def _bayar(tester: BotTester, user: User, timings: list[list[float]] | None = None) -> int:
    """The common path: 1 command + 3 taps = 4 updates. ``timings[i]`` gets the seconds of step ``i``."""
    started = time.perf_counter()
    calls = await tester.command(user, "bayar")
    if timings is not None:
        timings[0].append(time.perf_counter() - started)
    steps = [calls]
    for i, button in enumerate(STEPS[1:], start=1):
        data = _last_to(calls, user).button(button)
        started = time.perf_counter()
        calls = await tester.press(user, data)
        if timings is not None:
            timings[i].append(time.perf_counter() - started)
        steps.append(calls)
    if "menunggu verifikasi" not in _last_to(calls, user).text:
        raise AssertionError(f"/bayar did not finish for {user}: {_last_to(calls, user).text!r}")
    if not _RECORDED:
        _RECORDED.extend(steps)
    return 4


def _median_ms(values: list[float]) -> float:
    ordered = sorted(values)
    return 1000 * ordered[len(ordered) // 2] if ordered else float("nan")


async def run_pem(borrowers: int, timings: dict[str, list[list[float]]], cores: tuple[str, ...] = CORES,
                  profile: bool = False) -> dict[str, tuple[int, float]]:
    """All ``cores`` side by side, conversation by conversation (borrower ``i`` on each set-up in turn, the order
    rotating), so that a change in the machine's load between the start and the end of the run weighs on each
    alike. Returns the updates and the seconds of each; ``timings[core][i]`` gets the seconds of step ``i``."""
    with tempfile.TemporaryDirectory(prefix="pem-bench-") as tmp:
        setups = {}
        try:
            for core in cores:
                setups[core] = await _setup_pem(Path(tmp) / f"{core}.sqlite3", borrowers, core)
            testers = {core: BotTester(app, request) for core, (app, request, _) in setups.items()}
            profiler = None
            if profile:
                from pyinstrument import Profiler

                profiler = Profiler(async_mode="enabled")
                profiler.start()
            done = dict.fromkeys(cores, 0)
            elapsed = dict.fromkeys(cores, 0.0)
            for i in range(borrowers):
                for k in range(len(cores)):
                    core = cores[(i + k) % len(cores)]
                    started = time.perf_counter()
                    done[core] += await _bayar(testers[core], setups[core][2][i], timings[core])
                    elapsed[core] += time.perf_counter() - started
            if profiler is not None:
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False, show_all=False))
            for core, (app, _, _) in setups.items():
                pending = await app.db.fetchval("SELECT count(*) FROM repayments WHERE status = 'pending'")  # type: ignore[attr-defined]
                if pending != borrowers:
                    raise AssertionError(f"{core}: expected {borrowers} pending repayments, found {pending}")
        finally:
            for app, _, _ in setups.values():
                await _stop(app)
    return {core: (done[core], elapsed[core]) for core in cores}


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


async def run_bare(updates: int) -> tuple[int, float]:
    request = RecordingRequest()
    app = ApplicationBuilder().token(TOKEN).request(request).get_updates_request(request).updater(None).build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    await app.initialize()
    try:
        tester = BotTester(app, request)
        users = [User(FIRST_USER + i) for i in range(max(updates // 4, 1))]
        started = time.perf_counter()
        done = 0
        while done < updates:
            for user in users:
                await tester.send(user, "halo")
                done += 1
                if done >= updates:
                    break
        elapsed = time.perf_counter() - started
        if len(request.sent()) != updates:
            raise AssertionError("the echo bot did not answer every update")
    finally:
        await app.shutdown()
    return done, elapsed


def _same_calls_handler(steps: list[list[Call]]):
    """A handler that makes, for step ``i`` of the conversation, the same Telegram calls PEM Bot made (same
    texts, same keyboards, callback data pointing at the next step), with no database, no templates."""
    import json

    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        step = 0 if query is None else int(query.data or "0")
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        for call in steps[step]:
            if call.method == "answerCallbackQuery":
                assert query is not None
                await query.answer(text=call.params.get("text"))
            elif call.method == "sendMessage":
                markup = None
                if call.buttons:
                    markup = InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=str(step + 1))
                                                    for t, _ in row] for row in call.buttons])
                target = chat_id if call.chat_id == steps[0][0].chat_id else FIRST_USER - 1
                await context.bot.send_message(target, call.text, parse_mode="HTML", reply_markup=markup)
            else:
                raise AssertionError(f"unexpected call {call.method}: {json.dumps(call.params)[:80]}")

    return handle


async def run_same_calls(updates: int, steps: list[list[Call]],
                         timings: list[list[float]] | None = None) -> tuple[int, float]:
    """Bare PTB making exactly PEM Bot's Telegram calls for each update of a /bayar conversation."""
    from telegram.ext import CallbackQueryHandler, CommandHandler

    request = RecordingRequest()
    app = ApplicationBuilder().token(TOKEN).request(request).get_updates_request(request).updater(None).build()
    handle = _same_calls_handler(steps)
    app.add_handler(CommandHandler("bayar", handle))
    app.add_handler(CallbackQueryHandler(handle))
    await app.initialize()
    try:
        tester = BotTester(app, request)
        users = [User(FIRST_USER + i) for i in range(max(updates // 4, 1))]
        started = time.perf_counter()
        done = 0
        for user in users:
            step_started = time.perf_counter()
            calls = await tester.command(user, "bayar")
            if timings is not None:
                timings[0].append(time.perf_counter() - step_started)
            for i in range(1, 4):
                data = _last_to(calls, user).buttons[0][0][1]
                step_started = time.perf_counter()
                calls = await tester.press(user, data)
                if timings is not None:
                    timings[i].append(time.perf_counter() - step_started)
            done += 4
        elapsed = time.perf_counter() - started
    finally:
        await app.shutdown()
    return done, elapsed


#: Issue 11's targets: the new core's median update at most this many times the old core's, and below the peer's.
MAX_NEW_OVER_OLD = 2.0


def _pooled_median_ms(steps: list[list[float]]) -> float:
    return _median_ms([t for step in steps for t in step])


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borrowers", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="only profile the new core, with pyinstrument")
    args = parser.parse_args(argv)
    from bench.common import print_machine

    print_machine()
    steps: dict[str, list[list[float]]] = {core: [[] for _ in STEPS] for core in CORES}
    if args.profile:
        await run_pem(args.borrowers, steps, ("new",), profile=True)
        return 0
    totals = await run_pem(args.borrowers, steps)
    updates = totals["new"][0]
    bare_updates, bare_time = await run_bare(updates)
    same_steps: list[list[float]] = [[] for _ in STEPS]
    same_updates, same_time = await run_same_calls(updates, _RECORDED, same_steps)

    labels = {"new": "PEM Bot, new core (aiosqlite public API)", "old": "PEM Bot, old core (main before issue 11)",
              "peer": "peer: PicklePersistence + plain aiosqlite"}
    medians = {core: _pooled_median_ms(steps[core]) for core in CORES}
    print(f"/bayar conversations: {args.borrowers} borrowers, {updates} updates per set-up")
    for core in CORES:
        n, elapsed = totals[core]
        print(f"  {labels[core]:<44} median {medians[core]:.3f} ms/update  "
              f"(mean {1000 * elapsed / n:.3f} ms, {n / elapsed:.0f} updates/s)")
    print(f"  {'bare PTB echo':<44} mean {1000 * bare_time / bare_updates:.3f} ms/update "
          f"({bare_updates / bare_time:.0f} updates/s)")
    baseline = "bare PTB, PEM Bot's Telegram calls, no storage"
    print(f"  {baseline:<44} median {_pooled_median_ms(same_steps):.3f} ms/update "
          f"(mean {1000 * same_time / same_updates:.3f} ms; "
          f"{sum(len(c) for c in _RECORDED) / len(_RECORDED):.2f} calls/update: the ceiling on PTB)")
    print("per step, median ms (new core | old core | peer | bare PTB with PEM's calls):")
    for i, (name, step_calls) in enumerate(zip(STEPS, _RECORDED, strict=True)):
        print(f"  {name:<20} {_median_ms(steps['new'][i]):6.3f} | {_median_ms(steps['old'][i]):6.3f} | "
              f"{_median_ms(steps['peer'][i]):6.3f} | {_median_ms(same_steps[i]):6.3f}  "
              f"({', '.join(c.method for c in step_calls)})")
    new_over_old = medians["new"] / medians["old"]
    peer_over_new = medians["peer"] / medians["new"]
    slow_ok = new_over_old <= MAX_NEW_OVER_OLD
    peer_ok = peer_over_new > 1.0
    print(f"new / old median: {new_over_old:.2f}x (target <= {MAX_NEW_OVER_OLD:.1f}x) -> "
          f"{'OK' if slow_ok else 'MISSED'}")
    print(f"peer / new median: {peer_over_new:.2f}x (target: the new core faster, > 1.00x) -> "
          f"{'OK' if peer_ok else 'MISSED'}")
    print(f"(for reference: peer / old median: {medians['peer'] / medians['old']:.2f}x; load average "
          f"{os.getloadavg()[0]:.2f}: a busy machine makes the thread trips of the new core and the peer dearer)")
    return 0 if slow_ok and peer_ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
