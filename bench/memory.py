"""Memory: peak RSS of the real ``pem-bot run`` on the synthetic city, idle and during a fan-out.

Run from the repository root::

    .venv/bin/python bench/memory.py [--fanout-seconds 75] [--queue 5000]

The bot is the real ``python -m bot.cli run`` subprocess, long polling the embedded Bot API
over real HTTP (see ``bench/startup.py``), on a copy of the cached synthetic city (``bench/common.py``:
51 kelurahan × 300 borrowers, about 15,000 loans and 500,000 repayments). Memory is read from
``/proc/<pid>/status``: ``VmHWM`` (peak resident set) and ``VmRSS``.

1. **idle**: today's scheduled jobs already run (so the start-up catch-up has nothing to do); the bot starts,
   answers a few updates (``/start`` and ``/bantuan`` from unknown users), and then sits polling for
   ``--idle-seconds``. Target: VmHWM ≤ 150 MB.
2. **fan-out**: today's jobs already run, and ``--queue`` messages (a reminder each to that many linked
   borrowers) queued in the outbox before start. The start-up catch-up sends the first 500 (at 30/s through the
   BotApiEmulator), the minute tick the next 500, and so on. Sampled every 0.5 s for ``--fanout-seconds``.
   Target: VmHWM ≤ 150 MB.
3. **catch-up**: today's jobs NOT yet run (the bot was down all day): the start-up catch-up runs the backup,
   plans the whole city's reminders and builds the digests. Sampled for ``--catch-up-seconds``.

Also printed: whether matplotlib was loaded in the process (it must only be imported when a chart is drawn) and
the RSS of a bare ``python -c "import telegram.ext"`` for scale.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import print_machine  # noqa: E402
from bench.startup import CATCH_UP_LOG, BotProcess, TimedApi, city_copy  # noqa: E402

TOKEN = "123456:BENCH-memory-token"
TARGET_MB = 150


def status_mb(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0]) / 1024
    return out


def has_matplotlib(pid: int) -> bool:
    return "matplotlib" in Path(f"/proc/{pid}/maps").read_text()


async def queue_reminders(database: Path, count: int) -> int:
    """Queue one reminder to each of ``count`` linked borrowers (their active loan's next instalment)."""
    from bench.common import BENCH_DATA_KEY
    from bot.jobs.reminders import reminder_buttons
    from bot.runtime import clock
    from storage import outbox
    from storage.crypto import DataKey
    from storage.db import Database

    db = await Database(database, data_key=DataKey(BENCH_DATA_KEY)).open()
    try:
        rows = await db.fetchall(
            """
            SELECT p.id AS person_id, l.id AS loan_id, min(i.id) AS installment_id
            FROM people AS p JOIN loans AS l ON l.borrower_id = p.id JOIN installments AS i ON i.loan_id = l.id
            WHERE p.telegram_chat_id IS NOT NULL AND l.status = 'active'
            GROUP BY p.id LIMIT :n
            """, {"n": count})
        now = clock.utcnow()
        async with db.transaction() as tx:
            for r in rows:
                await outbox.enqueue(
                    tx, kind="reminder", recipient_id=r["person_id"], dedupe_key=f"bench-mem:{r['installment_id']}",
                    template="reminders/reminder",
                    context={"installment_id": r["installment_id"], "loan_id": r["loan_id"], "number": 1,
                             "due_date": now.date().isoformat(), "offset": 0, "remaining": 500_000,
                             "outstanding": 4_500_000},
                    not_before=now, buttons=reminder_buttons(r["installment_id"]))
        return len(rows)
    finally:
        await db.close()


def idle_run(idle_seconds: float) -> dict[str, object]:
    database = city_copy(300, "memory-idle", idle=True)
    api = TimedApi(TOKEN).start()
    with tempfile.TemporaryDirectory(prefix="pem-memory-") as tmp:
        bot = BotProcess(api, database, Path(tmp))
        try:
            bot.wait_for(lambda: api.first("getUpdates") is not None, 120)
            for n in range(5):
                api.user_sends(41_000 + n, "/start")
                api.user_sends(41_000 + n, "/bantuan")
            bot.wait_for(lambda: api.count("sendMessage") >= 10, 30)
            time.sleep(idle_seconds)
            mem = status_mb(bot.pid)
            mpl = has_matplotlib(bot.pid)
        finally:
            bot.stop()
            api.stop()
    return {**mem, "matplotlib": mpl, "replies": api.count("sendMessage")}


def fanout_run(seconds: float, queue: int, jobs_pending: bool = False) -> dict[str, object]:
    database = city_copy(300, "memory-fanout", idle=not jobs_pending)
    queued = asyncio.run(queue_reminders(database, queue)) if queue else 0
    api = TimedApi(TOKEN).start()
    peak_rss = 0.0
    with tempfile.TemporaryDirectory(prefix="pem-memory-") as tmp:
        bot = BotProcess(api, database, Path(tmp))
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and bot.process.poll() is None:
                peak_rss = max(peak_rss, status_mb(bot.pid)["VmRSS"])
                time.sleep(0.5)
            mem = status_mb(bot.pid)
            mpl = has_matplotlib(bot.pid)
            caught_up = bot.logged(CATCH_UP_LOG)
        finally:
            bot.stop()
            api.stop()
    return {**mem, "max_sampled_rss": peak_rss, "matplotlib": mpl, "queued_before_start": queued,
            "sent": api.count("send"), "catch_up_done_s": None if caught_up is None else caught_up - bot.started}


def bare_rss() -> float:
    code = ("import telegram.ext, pathlib; print([l for l in pathlib.Path('/proc/self/status').read_text()"
            ".splitlines() if l.startswith('VmHWM')][0].split()[1])")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return int(out) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=10)
    parser.add_argument("--fanout-seconds", type=float, default=75)
    parser.add_argument("--queue", type=int, default=5000, help="messages queued before the fan-out run")
    parser.add_argument("--catch-up-seconds", type=float, default=45)
    args = parser.parse_args(argv)
    print_machine()
    print(f"bare python + telegram.ext: VmHWM {bare_rss():.1f} MB")
    idle = idle_run(args.idle_seconds)
    print(f"idle:    VmHWM {idle['VmHWM']:.1f} MB, VmRSS {idle['VmRSS']:.1f} MB after {idle['replies']} replies; "
          f"matplotlib loaded: {idle['matplotlib']} -> {'OK' if idle['VmHWM'] <= TARGET_MB else 'MISSED'}",
          flush=True)
    fan = fanout_run(args.fanout_seconds, args.queue)
    catch = "not finished" if fan["catch_up_done_s"] is None else f"done at {fan['catch_up_done_s']:.1f} s"
    print(f"fan-out: VmHWM {fan['VmHWM']:.1f} MB (max sampled VmRSS {fan['max_sampled_rss']:.1f} MB) over "
          f"{args.fanout_seconds:.0f} s; {fan['queued_before_start']} queued before start, {fan['sent']} sent; "
          f"catch-up {catch}; matplotlib loaded: {fan['matplotlib']} -> "
          f"{'OK' if fan['VmHWM'] <= TARGET_MB else 'MISSED'}", flush=True)
    cu = fanout_run(args.catch_up_seconds, 0, jobs_pending=True)
    catch = "not finished" if cu["catch_up_done_s"] is None else f"done at {cu['catch_up_done_s']:.1f} s"
    print(f"catch-up (today's jobs pending): VmHWM {cu['VmHWM']:.1f} MB over {args.catch_up_seconds:.0f} s; "
          f"{cu['sent']} sent; catch-up {catch} -> {'OK' if cu['VmHWM'] <= TARGET_MB else 'MISSED'}")
    return 1 if max(idle["VmHWM"], fan["VmHWM"], cu["VmHWM"]) > TARGET_MB else 0


if __name__ == "__main__":
    sys.exit(main())
