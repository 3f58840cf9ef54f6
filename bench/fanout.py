"""Fan-out: 5,000 reminders through the outbox and the real sender, within Telegram's limits.

Run from the repository root::

    .venv/bin/python bench/fanout.py [--messages 5000] [--delays 0.03,0.1,0.3] [--only clean|429]

Set-up (not timed): a fresh SQLite database on a file, ``--messages`` distinct borrowers linked to Telegram, one
``reminders/reminder`` message each queued with :func:`storage.outbox.enqueue` (with the reminder's buttons, as
the reminder job queues them). Then ONE minute tick of the running bot sends them: :func:`bot.runtime.tick.run_due`
(with no job to plan), which drains the outbox in runs of 500 (issue 13 item 6: the bot used to send 500 a tick)
through :func:`bot.runtime.sender.send_due`, with the sender's default per-chat pacer and its pool of messages in
flight, on an ``ExtBot`` with the production rate limiter (:func:`bot.runtime.app.rate_limiter`), over a
:class:`tests.harness.RecordingRequest` that takes L seconds per call (``--delays``: 30, 100 and 300 ms). A
subclass here stamps every call with the monotonic time it reached the "server".

Runs, each on its own fresh database:

1. **clean**, at each L: every call succeeds.
2. **429**, at L = 100 ms, two messages per chat: every 50th call answers ``429 Too Many Requests, retry after 1``.

Figures printed per run, computed from the recorded call times: messages/s (and as % of the sender's budget,
the limiter's overall rate when nobody is being answered, :data:`bot.runtime.limiter.OVERALL_RATE`; target
≥ 90%), the most calls in any 1-second window (target ≤ 30; 429 answers count, Telegram saw them), the
smallest gap between two calls to the same chat (target ≥ 1 s; each borrower gets one message here, so the figure
is only meaningful when ``--per-chat`` > 1; the 429 run sends two per chat), and for the 429 run: whether no
call reached the server during any 429's flood wait (``retry_after``, counted from the 429 *answer*: calls
already on their way could not know), how many outbox rows are not ``sent`` (target 0) and how many chats
received a message twice (target 0). ``--limiter burst`` measures PTB's AIORateLimiter at 30 per 1 s for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from telegram.ext import AIORateLimiter, ExtBot  # noqa: E402

from bot.domain.roles import Role  # noqa: E402
from bot.jobs.reminders import reminder_buttons  # noqa: E402
from bot.runtime import clock  # noqa: E402
from bot.runtime.app import OVERALL_RATE, rate_limiter  # noqa: E402
from bot.runtime.config import load_settings  # noqa: E402
from bot.runtime.limiter import OVERALL_RATE as SENDER_BUDGET  # noqa: E402
from bot.runtime.limiter import PemRateLimiter  # noqa: E402
from bot.runtime.tick import run_due  # noqa: E402
from storage import outbox, people  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import migrate  # noqa: E402
from tests.harness import Call, Failure, RecordingRequest  # noqa: E402

TOKEN = "123456:BENCH-token"
KELURAHAN = "53.71.05.1004"
FIRST_CHAT = 6_000_001
SENDS = ("sendMessage", "sendPhoto")


@dataclass
class Stamped:
    method: str
    chat_id: int | None
    at: float  # time.monotonic() when the call reached the server
    status: str  # "ok" | "429"


class TimedRequest(RecordingRequest):
    """RecordingRequest that stamps each call, and answers 429 to every ``fail_every``-th one (0: never)."""

    def __init__(self, delay: float, fail_every: int = 0, retry_after: int = 1) -> None:
        super().__init__(delay=delay)
        self.fail_every = fail_every
        self.retry_after = retry_after
        self.stamps: list[Stamped] = []
        self._n = 0

    async def do_request(self, url: str, method: str, request_data: Any = None, read_timeout: Any = None,
                         write_timeout: Any = None, connect_timeout: Any = None,
                         pool_timeout: Any = None) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        chat = params.get("chat_id")
        at = time.monotonic()
        chat_id = None if chat is None else int(chat)
        if api_method in SENDS:
            self._n += 1
            if self.fail_every and self._n % self.fail_every == 0:
                self.stamps.append(Stamped(api_method, chat_id, at, "429"))
                await asyncio.sleep(self.delay)
                self.calls.append(Call(f"{api_method}!429", params))
                return self._failure(Failure("429", self.retry_after))
        self.stamps.append(Stamped(api_method, chat_id, at, "ok"))
        return await super().do_request(url, method, request_data, read_timeout, write_timeout, connect_timeout,
                                        pool_timeout)


async def _setup(db_file: Path, messages: int, per_chat: int) -> Database:
    db = await Database(db_file).open()
    await migrate(db)
    now = clock.utcnow()
    recipients = messages // per_chat
    async with db.transaction() as tx:
        for i in range(recipients):
            person = await people.create(tx, name=f"Peminjam {i}", kelurahan_code=KELURAHAN,
                                         roles=(Role.BORROWER,), language="id" if i % 5 else "en")
            await people.link_telegram(tx, person.id, FIRST_CHAT + i, FIRST_CHAT + i)
            for k in range(per_chat):
                installment = 100_000 + i * per_chat + k
                await outbox.enqueue(
                    tx, kind="reminder", recipient_id=person.id, dedupe_key=f"bench:{installment}",
                    template="reminders/reminder",
                    context={"installment_id": installment, "loan_id": i + 1, "number": 4 + k,
                             "due_date": now.date().isoformat(), "offset": -3, "remaining": 500_000,
                             "outstanding": 4_500_000},
                    not_before=now, buttons=reminder_buttons(installment))
    return db


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most calls in any half-open window ``[t, t + window)``."""
    best = 0
    for i, start in enumerate(times):
        best = max(best, bisect.bisect_left(times, start + window, lo=i) - i)
    return best


def _min_gap_per_chat(stamps: list[Stamped]) -> float | None:
    by_chat: dict[int, list[float]] = defaultdict(list)
    for s in stamps:
        if s.chat_id is not None:
            by_chat[s.chat_id].append(s.at)
    gaps = [b - a for times in by_chat.values() for a, b in pairwise(times)]
    return min(gaps) if gaps else None


def _pauses_respected(stamps: list[Stamped], retry_after: float, delay: float) -> tuple[int, int, float | None]:
    """(429s, 429s during whose flood wait no call reached the server, shortest such quiet time).

    The flood wait starts when the 429 *answer* arrives (``delay`` after the call reached the server): calls
    already on their way then could not have known. Until ``retry_after`` after that, no call may arrive."""
    ordered = sorted(stamps, key=lambda s: s.at)
    n = ok = 0
    shortest: float | None = None
    for s in ordered:
        if s.status != "429":
            continue
        n += 1
        answered = s.at + delay
        later = [t.at for t in ordered if t.at >= answered]
        if not later:
            ok += 1
            continue
        pause = later[0] - answered
        shortest = pause if shortest is None else min(shortest, pause)
        ok += pause >= retry_after - 0.001
    return n, ok, shortest


async def run(name: str, messages: int, per_chat: int, delay: float, fail_every: int, limiter: str) -> dict:
    settings = load_settings(environ={"TELEGRAM_BOT_TOKEN": TOKEN, "PEM_QUIET_HOURS": "off",
                                      "PEM_DATABASE": "/nonexistent/unused.sqlite3"}, env_file=None)
    with tempfile.TemporaryDirectory(prefix="pem-fanout-") as tmp:
        db = await _setup(Path(tmp) / "pem.sqlite3", messages, per_chat)
        request = TimedRequest(delay, fail_every)
        limit = rate_limiter() if limiter == "app" else AIORateLimiter(
            overall_max_rate=30, overall_time_period=1, group_max_rate=20, group_time_period=60, max_retries=3)
        grants: list[float] = []
        pauses: list[tuple[float, float]] = []
        if isinstance(limit, PemRateLimiter):  # record the limiter's own decisions (issue 13, item 2)
            budget = limit.budget
            grant, release = budget._grant, budget.release

            def recording_grant(waiter: Any, now: float) -> None:
                grants.append(now)
                grant(waiter, now)

            def recording_release(chat_id: Any, *, delivered: bool, retry_after: float | None = None) -> None:
                if retry_after is not None:
                    now = budget.clock.monotonic()
                    pauses.append((now, now + retry_after))
                release(chat_id, delivered=delivered, retry_after=retry_after)

            budget._grant = recording_grant  # type: ignore[method-assign]
            budget.release = recording_release  # type: ignore[method-assign]
        bot = ExtBot(TOKEN, request=request, get_updates_request=request, rate_limiter=limit)
        await bot.initialize()
        request.stamps.clear()
        try:
            started = time.monotonic()
            reports = []
            while True:  # the bot's minute tick; a second tick only when flood control postponed some
                tick = await run_due(db, bot, settings, clock.utcnow(), catch_up=False, jobs=[])
                reports.append(tick.send)
                if not await outbox.due(db, clock.utcnow() + timedelta(minutes=2), 1) or len(reports) > 20:
                    break
                await asyncio.sleep(1)
            elapsed = time.monotonic() - started
            statuses = await outbox.counts(db)
        finally:
            await bot.shutdown()
            await db.close()
    sends = sorted(s.at for s in request.stamps if s.method in SENDS)
    delivered = Counter(s.chat_id for s in request.stamps if s.method in SENDS and s.status == "ok")
    sent_ok = sum(delivered.values())
    duplicates = sum(1 for n in delivered.values() if n > per_chat)
    n429, ok429, shortest = _pauses_respected([s for s in request.stamps if s.method in SENDS], 1.0, delay)
    granted_in_pause = sum(1 for g in grants for a, b in pauses if a <= g < b)
    # Calls that reached the server during a flood wait although the limiter had let them go before it knew:
    late = sorted(t.at - (s.at + delay) for s in request.stamps if s.status == "429"
                  for t in request.stamps if t.method in SENDS and s.at + delay <= t.at < s.at + delay + 1.0)
    span = (sends[-1] - sends[0]) if len(sends) > 1 else elapsed
    return {
        "run": name, "limiter": limiter, "messages": messages, "elapsed_s": round(elapsed, 1),
        "sent_per_s": round(sent_ok / elapsed, 2), "pct_of_30": round(100 * sent_ok / elapsed / OVERALL_RATE, 1),
        "pct_of_budget": round(100 * sent_ok / elapsed / SENDER_BUDGET, 1), "delay_ms": round(delay * 1000),
        "calls_per_s_span": round(len(sends) / span, 2) if span else None,
        "max_calls_in_1s": _max_in_window(sends), "min_gap_same_chat_s": _min_gap_per_chat(
            [s for s in request.stamps if s.method in SENDS]),
        "calls": len(sends), "delivered": sent_ok, "chats_with_duplicates": duplicates,
        "chats_missing": messages // per_chat - len(delivered),
        "outbox": statuses, "send_runs": len(reports),
        "429s": n429, "429s_respected": ok429,
        "shortest_pause_after_429_s": None if shortest is None else round(shortest, 3),
        "pauses": len(pauses), "granted_during_a_pause": granted_in_pause,
        "arrived_in_wait_after_answer_ms": [round(1000 * x, 1) for x in late[-5:]],
        "arrived_in_wait": len(late),
    }


def _verdict(r: dict) -> list[str]:
    rate = (f"rate {r['sent_per_s']}/s = {r['pct_of_budget']}% of the sender's budget ({SENDER_BUDGET}/s), "
            f"{r['pct_of_30']}% of Telegram's {OVERALL_RATE}/s")
    out = [f"{rate} (no target: every 429 pauses all sending for retry_after)" if r["429s"] else
           f"{rate} (target >= 90% of the budget): {'OK' if r['pct_of_budget'] >= 90 else 'MISSED'}",
           f"max calls in any 1 s window: {r['max_calls_in_1s']} (target <= {OVERALL_RATE}): "
           f"{'OK' if r['max_calls_in_1s'] <= OVERALL_RATE else 'MISSED'}"]
    gap = r["min_gap_same_chat_s"]
    out.append("min gap between two messages to one chat: "
               + ("n/a (one message per chat)" if gap is None else
                  f"{gap:.3f} s (target >= 1 s): {'OK' if gap >= 0.999 else 'MISSED'}"))
    lost = r["messages"] - r["outbox"].get("sent", 0)
    out.append(f"outbox: {r['outbox']}; not sent: {lost}; chats missing: {r['chats_missing']}; chats with a "
               f"duplicate: {r['chats_with_duplicates']}: "
               f"{'OK' if lost == 0 and r['chats_with_duplicates'] == 0 and r['chats_missing'] == 0 else 'MISSED'}")
    if r["429s"]:
        out.append(f"429 answers: {r['429s']}; the limiter paused {r['pauses']} times and let "
                   f"{r['granted_during_a_pause']} call(s) go during a pause (target 0): "
                   f"{'OK' if r['granted_during_a_pause'] == 0 and r['pauses'] == r['429s'] else 'MISSED'}")
        out.append(f"   as the server saw it: {r['429s_respected']} of the {r['429s']} flood waits had no call arrive "
                   f"(shortest quiet time {r['shortest_pause_after_429_s']} s); {r['arrived_in_wait']} call(s) "
                   f"arrived during one, the latest {r['arrived_in_wait_after_answer_ms'][-1:]} ms after the 429 "
                   "answer: let go before that answer reached the limiter (in flight), no target")
    return out


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--per-chat", type=int, default=1, help="messages per borrower (default 1)")
    parser.add_argument("--delays", default="0.03,0.1,0.3", help="seconds per API call, one clean run each")
    parser.add_argument("--only", choices=["clean", "429"])
    parser.add_argument("--limiter", choices=["app", "burst"], default="app",
                        help="app: bot.runtime.app.rate_limiter(); burst: the old 30-per-1-s bucket")
    parser.add_argument("--json", action="store_true", help="also print the raw figures as JSON")
    args = parser.parse_args(argv)
    runs = [("clean", 0, float(d), args.per_chat) for d in args.delays.split(",")] + [("429", 50, 0.1, 2)]
    missed = False
    for name, every, delay, per_chat in runs:
        if args.only and args.only != name:
            continue
        r = await run(name, args.messages, per_chat, delay, every, args.limiter)
        print(f"== {name}: {r['messages']} messages, {delay * 1000:.0f} ms per call, limiter={r['limiter']}: "
              f"{r['delivered']} delivered in {r['elapsed_s']} s ({r['calls']} calls, {r['send_runs']} send run(s))")
        for line in _verdict(r):
            print("   " + line)
            missed = missed or line.endswith("MISSED")
        if args.json:
            print(json.dumps(r))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
