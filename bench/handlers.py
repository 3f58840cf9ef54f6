"""Handler overhead: complete ``/bayar`` conversations through the real bot against a bare PTB echo bot.

Run from the repository root::

    .venv/bin/python bench/handlers.py [--borrowers 300]

What it does, in one run:

1. **PEM Bot**: a fresh SQLite database on a *file* (in a temporary directory), the real application from
   :func:`bot.app.build_application` (real :class:`storage.persistence.SQLitePersistence`, written through after
   every update, the real ``forms`` ConversationHandler), one treasurer and ``--borrowers`` linked borrowers, each
   with a loan made by :func:`storage.loans.create`. Every borrower then goes through the common ``/bayar`` path
   of ``tests/handlers/test_repayment.py``: ``/bayar`` → *Angsuran bulan ini* → *Lewati* → *Konfirmasi* — four
   updates, each fed to ``Application.process_update`` by :class:`tests.harness.BotTester` over a
   :class:`tests.harness.RecordingRequest` (no network). Every confirmation also notifies the treasurer, as in
   production. The run checks that one pending repayment row per borrower exists afterwards.
2. **Bare PTB**: an ``Application`` with one echo ``MessageHandler`` (replies with the text), the same
   RecordingRequest class, no persistence, the same number of updates.

3. **Bare PTB, PEM's calls**: a PTB ``CommandHandler``/``CallbackQueryHandler`` that makes, for each step, exactly
   the Telegram calls PEM Bot made in the first conversation (same texts and keyboards, callback answers, the
   treasurer's message), with no database and no templates: the ceiling for this conversation on PTB.

It prints updates/s for all three and the ratios (target: PEM Bot ≥ 40% of bare PTB). ``--profile`` runs the PEM part
under pyinstrument (``.venv/bin/pip install pyinstrument`` first: it is a tool, not a dependency) and prints
the profile.

Setup (creating people and loans) is not timed; only ``process_update`` calls are.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters  # noqa: E402

from bot import clock  # noqa: E402
from bot.app import build_application  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.loans import LoanTerms  # noqa: E402
from bot.roles import Role  # noqa: E402
from storage import loans, people  # noqa: E402
from tests.harness import BotTester, Call, RecordingRequest, User  # noqa: E402

KELURAHAN = "53.71.05.1004"  # Naikoten Satu
TOKEN = "123456:BENCH-token"
FIRST_USER = 5_000_001


async def _setup_pem(db_file: Path, borrowers: int) -> tuple[Application, RecordingRequest, list[User]]:
    settings = load_settings(environ={"TELEGRAM_BOT_TOKEN": TOKEN, "PEM_DATABASE": str(db_file),
                                      "PEM_BACKUP_DIR": str(db_file.parent / "backups")}, env_file=None)
    request = RecordingRequest()
    app = build_application(settings, request=request, with_updater=False, rate_limit=False)
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
                               business="Warung", created_by=None)
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
STEPS = ("/bayar", "Angsuran bulan ini", "Lewati", "Konfirmasi")


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


async def run_pem(borrowers: int, profile: bool = False,
                  timings: list[list[float]] | None = None) -> tuple[int, float]:
    with tempfile.TemporaryDirectory(prefix="pem-bench-") as tmp:
        app, request, users = await _setup_pem(Path(tmp) / "pem.sqlite3", borrowers)
        try:
            tester = BotTester(app, request)
            profiler = None
            if profile:
                from pyinstrument import Profiler

                profiler = Profiler(async_mode="enabled")
                profiler.start()
            updates = 0
            started = time.perf_counter()
            for user in users:
                updates += await _bayar(tester, user, timings)
            elapsed = time.perf_counter() - started
            if profiler is not None:
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False, show_all=False))
            pending = await app.db.fetchval("SELECT count(*) FROM repayments WHERE status = 'pending'")  # type: ignore[attr-defined]
            if pending != borrowers:
                raise AssertionError(f"expected {borrowers} pending repayments, found {pending}")
        finally:
            await _stop(app)
    return updates, elapsed


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


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borrowers", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="profile the PEM part with pyinstrument")
    args = parser.parse_args(argv)

    pem_steps: list[list[float]] = [[] for _ in STEPS]
    pem_updates, pem_time = await run_pem(args.borrowers, args.profile, pem_steps)
    bare_updates, bare_time = await run_bare(pem_updates)
    pem_rate = pem_updates / pem_time
    bare_rate = bare_updates / bare_time
    ratio = pem_rate / bare_rate
    same_steps: list[list[float]] = [[] for _ in STEPS]
    same_updates, same_time = await run_same_calls(pem_updates, _RECORDED, same_steps)
    same_rate = same_updates / same_time
    print(f"PEM Bot /bayar conversations: {args.borrowers} borrowers, {pem_updates} updates in {pem_time:.2f} s "
          f"= {pem_rate:.0f} updates/s ({1000 * pem_time / pem_updates:.2f} ms/update)")
    print(f"bare PTB echo:                {bare_updates} updates in {bare_time:.2f} s = {bare_rate:.0f} updates/s "
          f"({1000 * bare_time / bare_updates:.2f} ms/update)")
    print(f"bare PTB, PEM's calls:        {same_updates} updates in {same_time:.2f} s = {same_rate:.0f} updates/s "
          f"({1000 * same_time / same_updates:.2f} ms/update; the same Telegram calls per update as PEM Bot, "
          f"{sum(len(s) for s in _RECORDED) / len(_RECORDED):.2f} calls/update, no database, no templates)")
    print(f"ratio bare PTB with PEM's calls / bare echo: {100 * same_rate / bare_rate:.0f}% (the ceiling for PEM Bot)")
    print("per step, median ms (PEM Bot | bare PTB with PEM's calls | PEM Bot's own share):")
    for name, pem, same, step_calls in zip(STEPS, pem_steps, same_steps, _RECORDED, strict=True):
        own = _median_ms(pem) - _median_ms(same)
        print(f"  {name:<20} {_median_ms(pem):6.3f} | {_median_ms(same):6.3f} | {own:6.3f}  "
              f"({len(step_calls)} Telegram call(s): {', '.join(c.method for c in step_calls)})")
    print(f"ratio PEM / bare: {100 * ratio:.0f}% (target >= 40%) -> {'OK' if ratio >= 0.40 else 'MISSED'}")
    return 0 if ratio >= 0.40 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
