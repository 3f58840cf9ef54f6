"""Start-up: the time from launching ``pem-bot run`` to its first ``getUpdates``, on the synthetic city.

Run from the repository root::

    .venv/bin/python bench/startup.py [--runs 3] [--borrowers-per 300]

Each run copies the cached synthetic city (``bench/common.py``: 51 kelurahan × 300 borrowers, 3 years; built on
first use, which takes a few minutes once) and starts the real ``python -m bot.cli run`` subprocess with
``TELEGRAM_API_BASE_URL`` pointing at the embedded Bot API (real HTTP, real long polling),
which here stamps every call with its arrival time. The city copy has today's scheduled jobs *not yet run*, so the
start-up catch-up tick (today's reminders, digests …) has real work to do — the worst case for start-up.

Printed per run: seconds from ``Popen`` to the first ``getMe``, to the first ``getUpdates`` (target ≤ 2 s), and
until the catch-up tick was logged as done with the messages it sent by then; then the median. A bare
``python -c "import telegram.ext"`` start is printed for scale. ``--no-catch-up`` starts on a copy whose jobs
for today were already claimed (idle start).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import BENCH_DATA_KEY, city_db, fresh_copy, print_machine, seal_copy  # noqa: E402
from bot.runtime.simulator.botapi import BotApiEmulator  # noqa: E402

TOKEN = "123456:BENCH-startup-token"
CATCH_UP_LOG = "start-up catch-up:"


class TimedApi(BotApiEmulator):
    """The embedded Bot API (Telegram's rules, flood control included), stamping each call with
    ``time.monotonic()`` on arrival."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.stamps: list[tuple[str, float]] = []

    def call(self, method: str, params: dict[str, Any], files: Any = None) -> Any:
        self.stamps.append((method, time.monotonic()))
        return super().call(method, params, files)

    def first(self, method: str) -> float | None:
        return next((t for m, t in list(self.stamps) if m == method), None)

    def count(self, prefix: str) -> int:
        return sum(1 for m, _ in list(self.stamps) if m.startswith(prefix))


class BotProcess:
    """``python -m bot.cli run`` against a TimedApi; output collected by a thread (so the pipe never blocks)."""

    def __init__(self, api: TimedApi, database: Path, workdir: Path, **env: str) -> None:
        self.api = api
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PEM_"))}
        environ.update({"PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": api.token,
                        "TELEGRAM_API_BASE_URL": api.base_url, "PEM_DATABASE": str(database),
                        "PEM_BACKUP_DIR": str(workdir / "backups"), "PEM_LOG_LEVEL": "INFO",
                        "PEM_QUIET_HOURS": "off",  # the same work at any hour (issue 12)
                        "PEM_DATA_KEY": BENCH_DATA_KEY, **env})
        self.lines: list[tuple[float, str]] = []
        self.started = time.monotonic()
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=environ, cwd=workdir,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), line.rstrip()))

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_for(self, predicate: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            if self.process.poll() is not None:
                raise RuntimeError("pem-bot run exited:\n" + "\n".join(line for _, line in self.lines[-30:]))
            time.sleep(0.01)
        return False

    def logged(self, needle: str) -> float | None:
        return next((t for t, line in list(self.lines) if needle in line), None)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        if any("Traceback" in line for _, line in self.lines):
            print("\n".join(line for _, line in self.lines[-40:]), file=sys.stderr)


async def claim_todays_jobs(database: Path) -> None:
    """Run today's jobs into the outbox of ``database`` and cancel what they queued: the bot then starts idle."""
    from bench.common import settings_for
    from bot.jobs import run_jobs
    from bot.runtime import clock
    from storage.crypto import DataKey
    from storage.db import Database

    settings = settings_for(database, PEM_DATA_KEY=BENCH_DATA_KEY)
    db = await Database(database, data_key=DataKey(BENCH_DATA_KEY)).open()
    try:
        await run_jobs(db, settings, clock.utcnow(), catch_up=True)
        await db.execute("UPDATE outbox SET status = 'cancelled', last_error = 'bench' WHERE status = 'queued'")
    finally:
        await db.close()


def city_copy(borrowers_per: int, name: str, idle: bool) -> Path:
    path = asyncio.run(city_db(borrowers_per))
    copy = fresh_copy(path, name)
    asyncio.run(seal_copy(copy))  # pem-bot run needs a data key; the one-off sealing is not what is timed
    if idle:
        asyncio.run(claim_todays_jobs(copy))
    return copy


def one_run(borrowers_per: int, idle: bool, catch_up_timeout: float) -> dict[str, Any]:
    database = city_copy(borrowers_per, "startup", idle)
    api = TimedApi(TOKEN).start()
    with tempfile.TemporaryDirectory(prefix="pem-startup-") as tmp:
        bot = BotProcess(api, database, Path(tmp))
        try:
            bot.wait_for(lambda: api.first("getUpdates") is not None, catch_up_timeout)
            first_get_me = api.first("getMe")
            first_updates = api.first("getUpdates")
            if first_updates is None:
                raise RuntimeError(f"no getUpdates within {catch_up_timeout} s; last log lines:\n"
                                   + "\n".join(line for _, line in bot.lines[-15:]))
            caught_up = None
            if not idle:
                bot.wait_for(lambda: bot.logged(CATCH_UP_LOG) is not None, catch_up_timeout)
                caught_up = bot.logged(CATCH_UP_LOG)
            sent = api.count("send")
        finally:
            bot.stop()
            api.stop()
    return {
        "get_me_s": None if first_get_me is None else first_get_me - bot.started,
        "get_updates_s": first_updates - bot.started,
        "catch_up_s": None if caught_up is None else caught_up - bot.started,
        "sent_by_then": sent,
    }


def bare_import() -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "import telegram.ext"], check=True)
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--borrowers-per", type=int, default=300)
    parser.add_argument("--no-catch-up", action="store_true", help="start with today's jobs already run")
    parser.add_argument("--catch-up-timeout", type=float, default=120)
    args = parser.parse_args(argv)
    print_machine()
    results = []
    for i in range(args.runs):
        r = one_run(args.borrowers_per, args.no_catch_up, args.catch_up_timeout)
        results.append(r)
        catch = ("" if r["catch_up_s"] is None else
                 f", catch-up done at {r['catch_up_s']:.2f} s ({r['sent_by_then']} messages sent by then)")
        print(f"run {i + 1}: first getMe {r['get_me_s']:.2f} s, first getUpdates {r['get_updates_s']:.2f} s{catch}",
              flush=True)
    median = statistics.median(r["get_updates_s"] for r in results)
    print(f"python -c 'import telegram.ext' alone: {bare_import():.2f} s")
    print(f"start-up to first getUpdates, median of {len(results)}: {median:.2f} s (target <= 2 s) -> "
          f"{'OK' if median <= 2 else 'MISSED'}")
    return 0 if median <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
