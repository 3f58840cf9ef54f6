"""Latency under load: people answered in a tenth of a second, not fifteen (issue 12).

Run from the repository root::

    .venv/bin/python bench/latency.py [--latency 0.1] [--think 1.0] [--only 1|2|3|4|5|instant] [--max-concurrent 256]

What it measures. Every Bot API call takes L seconds (``--latency``, default 100 ms, as calls to Telegram do from a
server) on a recording request, with the production rate limiter (:func:`bot.runtime.app.rate_limiter`) and the
production update processor (:class:`bot.runtime.processor.PerChatProcessor`, ``PEM_MAX_CONCURRENT_UPDATES``).
Updates go in through ``application.update_queue`` and the real ``Application.start()`` consumes them. Simulated
borrowers each run the common ``/bayar`` (``/bayar`` → *Angsuran bulan ini* → *Lewati* → *Konfirmasi*): a
borrower sends the next update ``--think`` seconds (1 s) after the bot's message to them has *arrived* (a person
reads the question before tapping; Telegram's 1 message/s per chat, which the limiter keeps, means a faster
"person" would be held there by design). Per update: the time from being queued to the reply being *issued*
(the first message call to that chat reaching the server), and for a button press the time to its
``answerCallbackQuery``; p50, p95, p99 and max, updates/s and messages/s (every counted call, notices included,
from the first update queued to the last reply issued). Each run checks that every conversation completed
(its last message says "menunggu verifikasi") and that no repayment was stored twice (one per conversation).

The figures do not depend on the hour: quiet hours are off and the runtime's clock is pinned to a fixed
Saturday 10:00 WITA (07:00 for run 4) that then runs at the real pace.

Runs; each compared in the same script with **bare PTB** making the same calls (the texts and keyboards PEM Bot
sent in its first conversation, the treasurer's notice awaited in the update as a typical bot does), through the
same processor and limiter, with no database and no templates:

1. N = 10 borrowers at once (a busy hour in a city): target p99 ≤ 3 × L.
2. N = 50 and N = 200 at once (a burst): targets PEM Bot's messages/s ≥ 90% of 30/s while replies are queued,
   PEM Bot's updates/s ≥ 90% of bare PTB's, ``answerCallbackQuery`` p99 ≤ 2 × L.
3. One borrower tapping every 2 s while a 5,000-message reminder fan-out is being sent (the bot's own tick,
   :func:`bot.runtime.tick.run_due`; for bare PTB a pool of 16 sending through the same limiter as bulk): target
   p99 ≤ 3 × L.
   The fan-out's rate meanwhile is printed.
4. N = 50 during the 07:00 digest tick of the synthetic city (``bench/common.py``, 51 kelurahan × 300 borrowers;
   built once and cached): the daily digest job and its sending start with the borrowers. Target: p99 ≤ 1.5 ×
   the p99 of the same run without the tick.
5. **Long work** on the synthetic city, pinned to Monday 30 November 2026 10:00 WITA: crowds of N = 10 borrowers
   (each their own), one crowd every ``--gap`` s (5 s), while a city user and a kelurahan admin request, one
   after the other and again, the city digest on demand (``/ringkasan``), the city's monthly report (XLSX), a
   kelurahan's (PDF and XLSX), the XLSX export of the busiest event's participants, and the Monday job's weekly
   charts (matplotlib); the crowds go on until each kind has run once (at least ``--waves``, 6). The same
   number of crowds then runs without the long work. Target: p99 ≤ 1.5 × the p99 without. The peak memory
   (VmRSS) during each PEM Bot run is printed too (``--max-concurrent`` compares bounds).
6. **instant** (regression guard): with no network wait, PEM Bot's updates/s ≥ 1.5 × a typical PTB bot's
   (``PicklePersistence``, plain aiosqlite), measured side by side by ``bench/handlers.py``'s code.

Borrowers are spread over the 51 kelurahan, one treasurer each (200 reports to one treasurer would take 200 s at
1 message/s to that chat, for any bot). Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bench import common  # noqa: E402
from bot.domain.kota_kupang import all_kelurahan  # noqa: E402
from bot.domain.loans import LoanTerms  # noqa: E402
from bot.domain.roles import Role  # noqa: E402
from bot.jobs import digest as digest_job  # noqa: E402
from bot.jobs.reminders import reminder_buttons  # noqa: E402
from bot.runtime import clock, limiter  # noqa: E402
from bot.runtime.app import PemApplication, build_application, rate_limiter  # noqa: E402
from bot.runtime.config import DEFAULTS, load_settings  # noqa: E402
from bot.runtime.processor import PerChatProcessor  # noqa: E402
from bot.runtime.tick import run_due  # noqa: E402
from storage import loans, outbox, people  # noqa: E402
from storage.db import Database, start_worker_pool  # noqa: E402
from storage.migrate import migrate  # noqa: E402
from tests.harness import Call, RecordingRequest  # noqa: E402

TOKEN = "123456:BENCH-token"
FIRST_USER = 7_100_001
TREASURER_BASE = 7_000_001
FANOUT_BASE = 8_000_001
#: Telegram's overall budget, the figure the issue's targets are stated against.
BUDGET = 30
MESSAGE_CALLS = ("sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup")
TZ = common.TZ
PIN_DAY = datetime(2026, 11, 28, 10, 0, tzinfo=TZ)
PIN_DIGEST = datetime(2026, 11, 28, 7, 0, tzinfo=TZ)
#: run 5's Monday (the weekly chart's day), 10:00 WITA
PIN_MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=TZ)
LONG_BASE = 7_200_001
KELURAHAN = [k.code for k in all_kelurahan()]


def pin_clock(moment: datetime) -> None:
    """The runtime's clock starts at ``moment`` and runs at the real pace (leases and retries still work)."""
    start = time.monotonic()
    utc = moment.astimezone(UTC)
    clock.utcnow = lambda: utc + timedelta(seconds=time.monotonic() - start)  # type: ignore[assignment]


# --- the fake Telegram ------------------------------------------------------------------------------------------
@dataclass
class Stamp:
    method: str
    chat_id: int | None
    at: float
    query_id: str | None = None


class Telegram(RecordingRequest):
    """Every call takes ``delay``; stamps when each reached the "server"; hands each message to the simulated
    person whose chat it went to, once it has arrived (after the delay)."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay=0.0)
        self.latency = delay
        self.stamps: list[Stamp] = []
        self.inbox: dict[int, asyncio.Queue[Call]] = defaultdict(asyncio.Queue)
        self.watch: set[int] = set()

    async def do_request(self, url: str, method: str, request_data: Any = None, read_timeout: Any = None,
                         write_timeout: Any = None, connect_timeout: Any = None,
                         pool_timeout: Any = None) -> tuple[int, bytes]:
        api = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        chat = params.get("chat_id")
        chat_id = None if chat is None else int(chat)
        self.stamps.append(Stamp(api, chat_id, time.monotonic(), params.get("callback_query_id")))
        if self.latency:
            await asyncio.sleep(self.latency)
        result = await super().do_request(url, method, request_data, read_timeout, write_timeout,
                                          connect_timeout, pool_timeout)
        if api in MESSAGE_CALLS and chat_id in self.watch:
            self.inbox[chat_id].put_nowait(self.calls[-1])
        if len(self.calls) > 1000:  # keep memory flat over 5,000 sends
            del self.calls[:-100]
        return result


# --- simulated people -------------------------------------------------------------------------------------------
@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)  # queued → reply issued, per update
    answers: list[float] = field(default_factory=list)  # queued → answerCallbackQuery issued, per press
    updates: int = 0
    completed: int = 0
    first_queued: float = float("inf")
    last_reply: float = 0.0
    messages: int = 0  # counted calls between first_queued and last_reply
    max_in_1s: int = 0  # the most counted calls that reached the server in any 1-second window


class People:
    """Feeds updates to ``app.update_queue`` for simulated borrowers and times the bot's replies."""

    def __init__(self, app: Application, telegram: Telegram) -> None:
        self.app = app
        self.telegram = telegram
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self.figures = Figures()

    def _user(self, uid: int) -> dict[str, Any]:
        return {"id": uid, "is_bot": False, "first_name": f"P{uid}", "language_code": "id"}

    def _queue(self, payload: dict[str, Any]) -> float:
        update = Update.de_json({"update_id": next(self._update_ids), **payload}, self.app.bot)
        at = time.monotonic()
        self.figures.first_queued = min(self.figures.first_queued, at)
        self.app.update_queue.put_nowait(update)
        return at

    async def _step(self, uid: int, payload: dict[str, Any], query_id: str | None) -> Call:
        inbox = self.telegram.inbox[uid]
        queued = self._queue(payload)
        reply = await asyncio.wait_for(inbox.get(), timeout=600)
        issued = next(s.at for s in reversed(self.telegram.stamps)
                      if s.chat_id == uid and s.method in MESSAGE_CALLS and s.at >= queued)
        self.figures.latencies.append(issued - queued)
        self.figures.last_reply = max(self.figures.last_reply, issued)
        self.figures.updates += 1
        if query_id is not None:
            for _ in range(100):  # PEM Bot sends it alongside the reply: it may still be on its way
                answered = [s.at for s in reversed(self.telegram.stamps) if s.query_id == query_id]
                if answered:
                    self.figures.answers.append(answered[-1] - queued)
                    break
                await asyncio.sleep(0.01)
        return reply

    async def bayar(self, uid: int, think: float) -> None:
        """One /bayar conversation, a person reading each message for ``think`` seconds before answering."""
        self.telegram.watch.add(uid)
        message = {"message_id": next(self._message_ids), "date": 1_764_000_000, "text": "/bayar",
                   "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                   "chat": {"id": uid, "type": "private", "first_name": "P"}, "from": self._user(uid)}
        reply = await self._step(uid, {"message": message}, None)
        replies = [reply]
        for label in ("Angsuran bulan ini", "Lewati", "Konfirmasi"):
            await asyncio.sleep(think)
            data = reply.button(label) if reply.buttons and any(label.lower() in t.lower()
                                                                 for t in reply.button_texts) \
                else reply.buttons[0][0][1]
            qid = f"q{next(self._update_ids)}"
            query = {"id": qid, "from": self._user(uid), "chat_instance": "ci", "data": data,
                     "message": {"message_id": 1, "date": 1_764_000_000,
                                 "chat": {"id": uid, "type": "private", "first_name": "P"},
                                 "from": {"id": 1, "is_bot": True, "first_name": "PEM Bot"}, "text": "…"}}
            reply = await self._step(uid, {"callback_query": query}, qid)
            replies.append(reply)
        if "menunggu verifikasi" in reply.text:
            self.figures.completed += 1
            if not RECORDED and isinstance(self.app, PemApplication):
                for step, call in enumerate(replies):
                    RECORDED[step] = [("sendMessage", call.text, [[t for t, _ in row] for row in call.buttons])]
        else:
            raise AssertionError(f"/bayar did not finish for {uid}: {reply.text[:80]!r}")
        await asyncio.sleep(0)

    def close_window(self) -> None:
        f = self.figures
        f.messages = sum(1 for s in self.telegram.stamps
                         if s.method in MESSAGE_CALLS and f.first_queued <= s.at <= f.last_reply)
        times = sorted(s.at for s in self.telegram.stamps if s.method in MESSAGE_CALLS)
        f.max_in_1s = max((bisect.bisect_left(times, t + 1.0, lo=i) - i for i, t in enumerate(times)), default=0)


# --- the two bots -----------------------------------------------------------------------------------------------
#: ``PEM_MAX_CONCURRENT_UPDATES`` for both bots (``--max-concurrent``; default: the bot's default).
MAX_CONCURRENT = int(DEFAULTS["PEM_MAX_CONCURRENT_UPDATES"])


def _settings(db_file: Path) -> Any:
    return load_settings(environ={"TELEGRAM_BOT_TOKEN": TOKEN, "PEM_DATABASE": str(db_file),
                                  "PEM_QUIET_HOURS": "off", "PEM_BACKUP_DIR": str(db_file.parent / "b"),
                                  "PEM_LOG_LEVEL": "WARNING", "PEM_MAX_CONCURRENT_UPDATES": str(MAX_CONCURRENT)},
                         env_file=None)


async def _people(db: Database, n: int, *, first: int = FIRST_USER, today: Any = None) -> list[int]:
    """``n`` borrowers with a loan each, spread over the kelurahan, and one treasurer per kelurahan."""
    today = today or clock.local_today(TZ)
    disbursed = today - timedelta(days=100)
    uids = []
    async with db.transaction() as tx:
        if not await people.by_telegram_user(tx, TREASURER_BASE):
            for i, code in enumerate(KELURAHAN):
                t = await people.create(tx, name=f"Bendahara {i}", kelurahan_code=code, roles=(Role.TREASURER,),
                                        language="id")
                await people.link_telegram(tx, t.id, TREASURER_BASE + i, TREASURER_BASE + i)
        for i in range(n):
            uid = first + i
            code = KELURAHAN[i % len(KELURAHAN)]
            person = await people.create(tx, name=f"Peminjam {uid}", kelurahan_code=code, roles=(Role.BORROWER,),
                                         language="id")
            await people.link_telegram(tx, person.id, uid, uid)
            await loans.create(tx, borrower_id=person.id, kelurahan_code=code,
                               terms=LoanTerms(principal=6_000_000, disbursed_on=disbursed, tenor_months=12),
                               business="Warung", created_by=None, now=clock.utcnow())
            uids.append(uid)
    return uids


#: (steps, seconds) of each app's template warm-up; only a process's first one compiles (or loads) anything.
WARM_UPS: list[tuple[int, float]] = []


async def pem_app(db_file: Path, telegram: Telegram) -> PemApplication:
    app = build_application(_settings(db_file), request=telegram, with_updater=False, rate_limit=True,
                            scheduler=False)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    start_worker_pool()  # as `pem-bot run` does at start-up (the bench's app has no scheduler)
    # As `pem-bot run` does too: compile the templates in the background. The bench waits for it, so it measures
    # a running deployment, which is warm a few tenths of a second after its start (docs/performance.md).
    started = time.perf_counter()
    app.start_warm_up()
    steps = await app.warmed()
    WARM_UPS.append((steps, time.perf_counter() - started))
    await app.start()
    return app


async def stop_pem(app: PemApplication) -> None:
    await app.stop()
    await app.shutdown()
    assert app.post_shutdown is not None
    await app.post_shutdown(app)


#: What PEM Bot sent in its first conversation, per step: the bare bot replays it.
RECORDED: dict[int, list[tuple[str, str, list[list[str]]]]] = {}


def bare_app(telegram: Telegram, treasurer_of: Callable[[int], int]) -> Application:
    """Bare PTB, same processor and limiter, making PEM Bot's calls: the answer first, awaited, then the reply;
    at the last step the treasurer's notice, awaited in the update."""

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        step = 0 if query is None else int(query.data or "0")
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        if query is not None:
            await query.answer()
        for _method, text, rows in RECORDED.get(step, [("sendMessage", "…", [])]):
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=str(step + 1)) for t in row]
                                           for row in rows]) if rows else None
            await context.bot.send_message(chat_id, text, parse_mode="HTML", reply_markup=markup)
        if step == 3:
            await context.bot.send_message(treasurer_of(chat_id), "Laporan pembayaran baru", parse_mode="HTML")

    app = (ApplicationBuilder().token(TOKEN).request(telegram).get_updates_request(telegram).updater(None)
           .rate_limiter(rate_limiter()).concurrent_updates(PerChatProcessor(MAX_CONCURRENT)).build())
    app.add_handler(CommandHandler("bayar", handle))
    app.add_handler(CallbackQueryHandler(handle))
    return app


# --- runs -------------------------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(f: Figures) -> dict[str, Any]:
    span = max(f.last_reply - f.first_queued, 1e-9)
    return {"updates": f.updates, "completed": f.completed,
            "p50_ms": round(1000 * pct(f.latencies, 0.5), 1), "p95_ms": round(1000 * pct(f.latencies, 0.95), 1),
            "p99_ms": round(1000 * pct(f.latencies, 0.99), 1), "max_ms": round(1000 * max(f.latencies), 1),
            "answer_p99_ms": round(1000 * pct(f.answers, 0.99), 1) if f.answers else None,
            "updates_per_s": round(f.updates / span, 2), "messages_per_s": round(f.messages / span, 2),
            "mean_ms": round(1000 * statistics.mean(f.latencies), 1), "max_in_1s": f.max_in_1s,
            "span_s": round(span, 2)}


def _rss_mb() -> float:
    """This process's resident memory (VmRSS), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _RssSampler:
    """The resident memory at the start and its peak while the crowd is answered (every 20 ms): what the
    updates admitted at once (``PEM_MAX_CONCURRENT_UPDATES``) cost."""

    def __init__(self) -> None:
        self.start = self.peak = _rss_mb()
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, _rss_mb())
            await asyncio.sleep(0.02)

    def stop(self) -> dict[str, float]:
        self._task.cancel()
        self.peak = max(self.peak, _rss_mb())
        return {"rss_start_mb": round(self.start, 1), "rss_peak_mb": round(self.peak, 1),
                "rss_growth_mb": round(self.peak - self.start, 1)}


async def _stored(db: Database) -> int:
    """Repayments reported by the bench's conversations (each form has its own idempotency key ``pay:<form>``:
    a conversation stored twice would show as more rows than conversations)."""
    return int(await db.fetchval("SELECT COUNT(*) FROM repayments WHERE idempotency_key LIKE 'pay:%'"))


async def run_pem(n: int, latency: float, think: float, *, db_file: Path | None = None,
                  background: Callable[[PemApplication], Any] | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pem-latency-") as tmp:
        path = db_file or Path(tmp) / "pem.sqlite3"
        if db_file is None:
            db = await Database(path).open()
            await migrate(db)
            await db.close()
        telegram = Telegram(latency)
        app = await pem_app(path, telegram)
        try:
            uids = await _people(app.db, n)
            crowd = People(app, telegram)
            extra = background(app) if background is not None else None
            sampler = _RssSampler()
            await asyncio.gather(*(crowd.bayar(uid, think) for uid in uids))
            rss = sampler.stop()
            crowd.close_window()
            if extra is not None:
                extra.cancel()
                await asyncio.gather(extra, return_exceptions=True)
            await app.settle()
            stored = await _stored(app.db)
        finally:
            await stop_pem(app)
    out = summary(crowd.figures)
    out.update(stored=stored, duplicates=max(0, stored - n), conversations=n, **rss)
    return out


async def run_bare(n: int, latency: float, think: float, *,
                   background: Callable[[Application], Any] | None = None) -> dict[str, Any]:
    telegram = Telegram(latency)
    app = bare_app(telegram, lambda chat: TREASURER_BASE + (chat - FIRST_USER) % len(KELURAHAN))
    await app.initialize()
    await app.start()
    try:
        crowd = People(app, telegram)
        extra = background(app) if background is not None else None
        await asyncio.gather(*(crowd.bayar(FIRST_USER + i, think) for i in range(n)))
        crowd.close_window()
        if extra is not None:
            extra.cancel()
            await asyncio.gather(extra, return_exceptions=True)
    finally:
        await app.stop()
        await app.shutdown()
    out = summary(crowd.figures)
    out.update(stored=None, duplicates=0, conversations=n)
    return out


# run 3: one person during a fan-out -------------------------------------------------------------------------------
async def _queue_fanout(db: Database, count: int) -> None:
    now = clock.utcnow()
    async with db.transaction() as tx:
        for i in range(count):
            person = await people.create(tx, name=f"Penerima {i}", kelurahan_code=KELURAHAN[i % 51],
                                         roles=(Role.BORROWER,), language="id")
            await people.link_telegram(tx, person.id, FANOUT_BASE + i, FANOUT_BASE + i)
            await outbox.enqueue(tx, kind="reminder", recipient_id=person.id, dedupe_key=f"fan:{i}",
                                 template="reminders/reminder",
                                 context={"installment_id": 900_000 + i, "loan_id": i + 1, "number": 4,
                                          "due_date": now.date().isoformat(), "offset": -3, "remaining": 500_000,
                                          "outstanding": 4_500_000},
                                 not_before=now, buttons=reminder_buttons(900_000 + i))


def _rate_of(telegram: Telegram, lo: int, hi: int, start: float, end: float) -> float:
    n = sum(1 for s in telegram.stamps if s.chat_id is not None and lo <= s.chat_id < hi and start <= s.at <= end)
    return n / max(end - start, 1e-9)


async def run_fanout_user(latency: float, fanout: int, conversations: int) -> tuple[dict, dict]:
    """PEM: the bot's own tick drains ``fanout`` reminders while one borrower taps every 2 s."""
    with tempfile.TemporaryDirectory(prefix="pem-latency-") as tmp:
        path = Path(tmp) / "pem.sqlite3"
        db = await Database(path).open()
        await migrate(db)
        await _queue_fanout(db, fanout)
        await db.close()
        telegram = Telegram(latency)
        app = await pem_app(path, telegram)
        try:
            uids = await _people(app.db, conversations)  # one conversation each, one after the other
            crowd = People(app, telegram)
            tick = asyncio.ensure_future(run_due(app.db, app.bot, app.settings, clock.utcnow(), catch_up=False,
                                                 jobs=[]))
            await asyncio.sleep(3)  # the fan-out is at full speed
            started = time.monotonic()
            for uid in uids:
                await crowd.bayar(uid, 2.0)
                await asyncio.sleep(2.0)
            ended = time.monotonic()
            crowd.close_window()
            fan_rate = _rate_of(telegram, FANOUT_BASE, FANOUT_BASE + fanout, started, ended)
            tick.cancel()
            await asyncio.gather(tick, return_exceptions=True)
            await app.settle()
            stored = await _stored(app.db)
        finally:
            await stop_pem(app)
    pem = summary(crowd.figures)
    pem.update(stored=stored, duplicates=max(0, stored - conversations), conversations=conversations,
               fanout_per_s=round(fan_rate, 2))

    telegram = Telegram(latency)
    app = bare_app(telegram, lambda chat: TREASURER_BASE)
    await app.initialize()
    await app.start()

    async def bulk() -> None:
        pool = asyncio.Semaphore(16)

        async def one(i: int) -> None:
            try:
                with limiter.priority(limiter.Priority.BULK):
                    await app.bot.send_message(FANOUT_BASE + i, "Pengingat angsuran")
            finally:
                pool.release()

        tasks = []
        for i in range(fanout):
            await pool.acquire()
            tasks.append(asyncio.ensure_future(one(i)))
        await asyncio.gather(*tasks)

    try:
        crowd = People(app, telegram)
        fan = asyncio.ensure_future(bulk())
        await asyncio.sleep(3)
        started = time.monotonic()
        for i in range(conversations):
            await crowd.bayar(FIRST_USER + i, 2.0)
            await asyncio.sleep(2.0)
        ended = time.monotonic()
        crowd.close_window()
        fan_rate = _rate_of(telegram, FANOUT_BASE, FANOUT_BASE + fanout, started, ended)
        fan.cancel()
        await asyncio.gather(fan, return_exceptions=True)
    finally:
        await app.stop()
        await app.shutdown()
    bare = summary(crowd.figures)
    bare.update(stored=None, duplicates=0, conversations=conversations, fanout_per_s=round(fan_rate, 2))
    return pem, bare


# run 4: during the digest tick of the synthetic city ------------------------------------------------------------
async def run_digest(latency: float, think: float, n: int, with_tick: bool) -> dict[str, Any]:
    city = await common.city_db(common.SIZES["1x"])
    with tempfile.TemporaryDirectory(prefix="pem-latency-city-") as tmp:
        path = Path(tmp) / "city.sqlite3"
        shutil.copyfile(city, path)

        done: dict[str, float] = {}

        def tick(app: PemApplication) -> asyncio.Future:
            async def digest_then_send() -> None:
                now = clock.utcnow()
                started = time.monotonic()
                done["queued"] = await digest_job.run_daily(app.db, now, app.settings)  # the aggregates
                done["digest_s"] = round(time.monotonic() - started, 2)
                report = await run_due(app.db, app.bot, app.settings, now, catch_up=False, jobs=[])  # the sending
                done["sent"] = report.send.sent
                done["tick_s"] = round(time.monotonic() - started, 2)
            return asyncio.ensure_future(digest_then_send())

        out = await run_pem(n, latency, think, db_file=path, background=tick if with_tick else None)
    out["tick"] = done
    return out


# run 5: long work (a city digest on demand, reports, exports, the chart) -----------------------------------------
async def _long_workers(db: Database) -> tuple[int, int, int]:
    """A city user, an admin of the kelurahan with the most registrations (for its reports and its busiest
    event's export); returns (city uid, admin uid, that event's id)."""
    row = await db.fetchone(
        "SELECT e.kelurahan_code, e.id FROM events AS e JOIN registrations AS r ON r.event_id = e.id"
        " GROUP BY e.id ORDER BY COUNT(*) DESC LIMIT 1")
    code, event_id = row[0], int(row[1])
    async with db.transaction() as tx:
        city = await people.create(tx, name="Staf Kota", kelurahan_code=None, roles=(Role.CITY,), language="id")
        await people.link_telegram(tx, city.id, LONG_BASE, LONG_BASE)
        admin = await people.create(tx, name="Admin Kelurahan", kelurahan_code=code, roles=(Role.ADMIN,),
                                    language="id")
        await people.link_telegram(tx, admin.id, LONG_BASE + 1, LONG_BASE + 1)
    return LONG_BASE, LONG_BASE + 1, event_id


#: run 5: the most crowds of 10 while waiting for the long work to have run once of each kind
MAX_WAVES = 40


class LongWork:
    """Requests the long work, one after the other, for as long as the borrowers are being answered: the city
    digest on demand (``/ringkasan`` of a city user), the city's monthly report (XLSX), a kelurahan's (PDF and
    XLSX), the XLSX export of the busiest event's participants, and the Monday job's weekly charts (matplotlib,
    one per kelurahan and language). Times each from its update being queued to its document/message issued."""

    def __init__(self, app: PemApplication, telegram: Telegram, month: str) -> None:
        self.app, self.telegram, self.month = app, telegram, month
        self.people = People(app, telegram)
        self.done: dict[str, list[float]] = defaultdict(list)

    KINDS = ("city report XLSX", "city digest on demand", "kelurahan report PDF", "kelurahan report XLSX",
             "event export XLSX", "weekly charts (Monday job)")

    async def _ask(self, uid: int, payload: dict[str, Any]) -> float:
        self.telegram.watch.add(uid)
        inbox = self.telegram.inbox[uid]
        queued = self.people._queue(payload)
        await asyncio.wait_for(inbox.get(), timeout=600)
        return time.monotonic() - queued

    def _command(self, uid: int, text: str) -> dict[str, Any]:
        return {"message": {"message_id": next(self.people._message_ids), "date": 1_764_000_000, "text": text,
                            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
                            "chat": {"id": uid, "type": "private", "first_name": "S"},
                            "from": self.people._user(uid)}}

    def _press(self, uid: int, data: str) -> dict[str, Any]:
        return {"callback_query": {
            "id": f"lw{next(self.people._update_ids)}", "from": self.people._user(uid), "chat_instance": "ci",
            "data": data, "message": {"message_id": 1, "date": 1_764_000_000,
                                      "chat": {"id": uid, "type": "private", "first_name": "S"},
                                      "from": {"id": 1, "is_bot": True, "first_name": "PEM Bot"}, "text": "…"}}}

    async def loop(self) -> None:
        city, admin, event_id = await _long_workers(self.app.db)
        work: list[tuple[str, Callable[[], Any]]] = [
            ("city report XLSX", lambda: self._ask(city, self._press(city, f"lpjf:{self.month}:xlsx"))),
            ("city digest on demand", lambda: self._ask(city, self._command(city, "/ringkasan"))),
            ("kelurahan report PDF", lambda: self._ask(admin, self._press(admin, f"lpjf:{self.month}:pdf"))),
            ("kelurahan report XLSX", lambda: self._ask(admin, self._press(admin, f"lpjf:{self.month}:xlsx"))),
            ("event export XLSX", lambda: self._ask(admin, self._press(admin, f"ev:xlsx:{event_id}"))),
            ("weekly charts (Monday job)", self._charts),
        ]
        while True:
            for name, run in work:
                took = await run()
                self.done[name].append(round(took, 2))  # counted once done

    async def _charts(self) -> float:
        started = time.monotonic()
        await digest_job.run_weekly(self.app.db, clock.utcnow(), self.app.settings)
        return time.monotonic() - started


async def run_long_work(latency: float, think: float, n: int, waves: int, gap: float, with_work: bool
                        ) -> dict[str, Any]:
    """``waves`` crowds of ``n`` borrowers (each their own), one every ``gap`` seconds, on the synthetic city;
    with ``with_work``, :class:`LongWork` runs meanwhile."""
    city = await common.city_db(common.SIZES["1x"])
    with tempfile.TemporaryDirectory(prefix="pem-latency-long-") as tmp:
        path = Path(tmp) / "city.sqlite3"
        shutil.copyfile(city, path)
        telegram = Telegram(latency)
        app = await pem_app(path, telegram)
        work = LongWork(app, telegram, "2026-10")
        try:
            uids = await _people(app.db, n * (waves if not with_work else MAX_WAVES))
            crowd = People(app, telegram)
            extra = asyncio.ensure_future(work.loop()) if with_work else None
            if extra is not None:
                await asyncio.sleep(0.5)  # the first long request is under way
            runs = []
            w = 0
            # with the long work: crowds until every kind of long work has run at least once (and ``waves``)
            while w < waves or (extra is not None and len(work.done) < len(LongWork.KINDS) and w < MAX_WAVES):
                runs += [asyncio.ensure_future(crowd.bayar(uid, think)) for uid in uids[w * n:(w + 1) * n]]
                w += 1
                await asyncio.sleep(gap)
            await asyncio.gather(*runs)
            crowd.close_window()
            if extra is not None:
                extra.cancel()
                await asyncio.gather(extra, return_exceptions=True)
            await app.settle()
            stored = await _stored(app.db)
        finally:
            await stop_pem(app)
    out = summary(crowd.figures)
    out.update(stored=stored, duplicates=max(0, stored - n * w), conversations=n * w, waves=w,
               long_work={k: v for k, v in work.done.items()})
    return out


async def run_instant(borrowers: int) -> tuple[float, float]:
    """(PEM Bot updates/s, typical PTB bot updates/s) with no network wait, from bench/handlers.py."""
    from bench import handlers as handlers_bench

    timings: dict[str, list[list[float]]] = {c: [[] for _ in range(4)] for c in ("new", "peer")}
    result = await handlers_bench.run_pem(borrowers, timings, cores=("new", "peer"))
    (pem_n, pem_s), (peer_n, peer_s) = result["new"], result["peer"]
    return pem_n / pem_s, peer_n / peer_s


# --- report -----------------------------------------------------------------------------------------------------
def show(name: str, pem: dict, bare: dict | None) -> None:
    print(f"== {name}")
    for who, r in (("PEM Bot", pem), ("bare PTB", bare)):
        if r is None:
            continue
        print(f"   {who:8}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms; "
              f"answerCallbackQuery p99 {r['answer_p99_ms']} ms; {r['updates_per_s']} updates/s, "
              f"{r['messages_per_s']} messages/s (at most {r['max_in_1s']} in any second); "
              f"{r['completed']}/{r['conversations']} conversations"
              + (f", fan-out meanwhile {r['fanout_per_s']}/s" if "fanout_per_s" in r else "")
              + ("" if r["stored"] is None else f", {r['stored']} repayments, {r['duplicates']} twice")
              + ("" if "rss_peak_mb" not in r else f"; memory {r['rss_start_mb']} MiB → peak {r['rss_peak_mb']} MiB "
                 f"(+{r['rss_growth_mb']})"))


def check(label: str, ok: bool, missed: list[str]) -> None:
    print(f"   {label}: {'OK' if ok else 'MISSED'}")
    if not ok:
        missed.append(label)


def complete(r: dict, missed: list[str]) -> None:
    ok = r["completed"] == r["conversations"] and r["duplicates"] == 0 and (
        r["stored"] is None or r["stored"] == r["conversations"])
    check("every conversation completed, no repayment stored twice", ok, missed)


async def main(argv: list[str] | None = None) -> int:
    global MAX_CONCURRENT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per Bot API call (L, default 0.1)")
    parser.add_argument("--think", type=float, default=1.0, help="seconds a person reads before answering")
    parser.add_argument("--only", choices=["1", "2", "3", "4", "5", "instant"], action="append")
    parser.add_argument("--waves", type=int, default=6, help="run 5: crowds of 10, one every --gap seconds")
    parser.add_argument("--gap", type=float, default=5.0)
    parser.add_argument("--fanout", type=int, default=5000)
    parser.add_argument("--fanout-conversations", type=int, default=4, help="run 3: conversations of the user")
    parser.add_argument("--instant-borrowers", type=int, default=100)
    parser.add_argument("--max-concurrent", type=int, default=int(DEFAULTS["PEM_MAX_CONCURRENT_UPDATES"]),
                        help="PEM_MAX_CONCURRENT_UPDATES for both bots (default: the bot's default)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    MAX_CONCURRENT = args.max_concurrent
    only = set(args.only or ["1", "2", "3", "4", "5", "instant"])
    L = args.latency
    common.print_machine()
    print(f"L = {L * 1000:.0f} ms per call, think time {args.think} s, "
          f"PEM_MAX_CONCURRENT_UPDATES = {MAX_CONCURRENT}, limiter "
          f"{limiter.OVERALL_RATE}/s (bulk {limiter.BULK_RATE_WHEN_BUSY}/s while people are answered)")
    missed: list[str] = []
    raw: dict[str, Any] = {}
    pin_clock(PIN_DAY)

    if "1" in only:
        pem = await run_pem(10, L, args.think)
        bare = await run_bare(10, L, args.think)
        raw["n10"] = {"pem": pem, "bare": bare}
        show("run 1: N = 10 at once", pem, bare)
        complete(pem, missed)
        check(f"p99 {pem['p99_ms']} ms <= 3 x L = {3000 * L:.0f} ms", pem["p99_ms"] <= 3000 * L, missed)
    if "2" in only:
        for n in (50, 200):
            pem = await run_pem(n, L, args.think)
            bare = await run_bare(n, L, args.think)
            raw[f"n{n}"] = {"pem": pem, "bare": bare}
            show(f"run 2: N = {n} at once", pem, bare)
            complete(pem, missed)
            check(f"messages/s {pem['messages_per_s']} >= 90% of {BUDGET}/s "
                  f"({100 * pem['messages_per_s'] / BUDGET:.0f}%)", pem["messages_per_s"] >= 0.9 * BUDGET, missed)
            ratio = pem["updates_per_s"] / bare["updates_per_s"]
            check(f"updates/s {pem['updates_per_s']} >= 90% of bare PTB's {bare['updates_per_s']} ({100 * ratio:.0f}%)",
                  ratio >= 0.9, missed)
            check(f"answerCallbackQuery p99 {pem['answer_p99_ms']} ms <= 2 x L = {2000 * L:.0f} ms",
                  pem["answer_p99_ms"] <= 2000 * L, missed)
    if "3" in only:
        pem, bare = await run_fanout_user(L, args.fanout, args.fanout_conversations)
        raw["fanout"] = {"pem": pem, "bare": bare}
        show(f"run 3: one user tapping every 2 s during a {args.fanout:,}-message fan-out", pem, bare)
        complete(pem, missed)
        check(f"p99 {pem['p99_ms']} ms <= 3 x L = {3000 * L:.0f} ms", pem["p99_ms"] <= 3000 * L, missed)
    if "4" in only:
        pin_clock(PIN_DIGEST)
        quiet = await run_digest(L, args.think, 50, with_tick=False)
        busy = await run_digest(L, args.think, 50, with_tick=True)
        raw["digest"] = {"without": quiet, "with": busy}
        show("run 4: N = 50, synthetic city, without the digest tick", quiet, None)
        show("run 4: N = 50, synthetic city, during the 07:00 digest tick", busy, None)
        print(f"   the tick meanwhile: {busy['tick']} (digests queued, seconds for the digest's queries and "
              f"queueing, sent before the borrowers were done, seconds in all)")
        complete(quiet, missed)
        complete(busy, missed)
        check(f"p99 with the tick {busy['p99_ms']} ms <= 1.5 x without ({quiet['p99_ms']} ms)",
              busy["p99_ms"] <= 1.5 * quiet["p99_ms"], missed)
        pin_clock(PIN_DAY)
    if "5" in only:
        pin_clock(PIN_MONDAY)
        busy = await run_long_work(L, args.think, 10, args.waves, args.gap, with_work=True)
        quiet = await run_long_work(L, args.think, 10, busy["waves"], args.gap, with_work=False)
        raw["long_work"] = {"without": quiet, "with": busy}
        show(f"run 5: {quiet['waves']} crowds of N = 10 (one every {args.gap:g} s), synthetic city, "
             "without long work", quiet, None)
        show("run 5: the same while a city user and an admin request long work", busy, None)
        print("   the long work meanwhile (seconds from request to file, each time): "
              + "; ".join(f"{k}: {v}" for k, v in busy["long_work"].items()))
        complete(quiet, missed)
        complete(busy, missed)
        check(f"p99 with the long work {busy['p99_ms']} ms <= 1.5 x without ({quiet['p99_ms']} ms)",
              busy["p99_ms"] <= 1.5 * quiet["p99_ms"], missed)
        check("every kind of long work ran during the borrowers' conversations",
              len(busy["long_work"]) == len(LongWork.KINDS), missed)
        pin_clock(PIN_DAY)
    if "instant" in only:
        pem_rate, peer_rate = await run_instant(args.instant_borrowers)
        raw["instant"] = {"pem": pem_rate, "peer": peer_rate}
        print(f"== instant request class: PEM Bot {pem_rate:.0f} updates/s, typical PTB bot (PicklePersistence, "
              f"plain aiosqlite) {peer_rate:.0f} updates/s ({pem_rate / peer_rate:.2f}x)")
        check("PEM Bot >= 1.5 x the typical PTB bot", pem_rate >= 1.5 * peer_rate, missed)
    if WARM_UPS:
        steps, seconds = WARM_UPS[0]
        print(f"== template warm-up before the first run: {steps} steps in {seconds:.2f} s "
              "(Jinja's bytecode cache, when an earlier process filled it)")
        raw["warm_up_s"] = round(seconds, 3)
    if args.json:
        print(json.dumps(raw))
    print("targets missed: " + (", ".join(missed) if missed else "none"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
