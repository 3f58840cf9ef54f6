"""End to end over real HTTP: the real `pem-bot run` subprocess, long polling the embedded Bot API
(bot/runtime/simulator/botapi.py, the one `pem-bot try` runs) through TELEGRAM_API_BASE_URL. Proves the real
start-up and polling path, not only process_update, under Telegram's rules: every call the bot makes is checked
for length, HTML, callback data, "not modified" and flood control, and the tests assert none was refused."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.runtime import clock
from bot.runtime.simulator.botapi import BotApiEmulator, Recorded
from tests.conftest import TEST_DATA_KEY, TEST_KEY

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:E2E-test-token"


@pytest.fixture
def api() -> Iterator[BotApiEmulator]:
    server = BotApiEmulator(TOKEN, bot={"id": 7000000002, "is_bot": True, "first_name": "PEM Bot",
                                        "username": "pem_e2e_bot"}).start()
    try:
        yield server
        # Flood control (429) is handled by the bot's rate limiter, which waits and retries, as with Telegram (the
        # tests tap faster than a person can); anything else Telegram refuses is a bug.
        refused = [(c.method, c.error.description) for c in server.errors()
                   if c.error is not None and c.error.code != 429]
        assert refused == []
    finally:
        server.stop()


@pytest.fixture
def environ(tmp_path: Path, api: BotApiEmulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PEM_"))}
    env.update({
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "PEM_DATABASE": str(tmp_path / "pem.sqlite3"),
        "PEM_DATA_KEY": TEST_DATA_KEY,
        "PEM_LOG_LEVEL": "INFO",
        # The subprocess runs on the real clock: pin what its behaviour depends on, so the tests pass at any hour.
        "PEM_TIMEZONE": "Asia/Makassar",
        "PEM_QUIET_HOURS": "off",
        "TZ": "UTC",
    })
    return env


def pem_bot(environ: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=environ, cwd=cwd, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.fixture
def running_bot(environ: dict[str, str], tmp_path: Path, api: BotApiEmulator) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=environ, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        api.wait_for("getUpdates", timeout=30)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_invite_then_start_greets_over_real_polling(environ, tmp_path, api, running_bot):
    created = pem_bot(environ, tmp_path, "invite", "--role", "admin", "--name", "Admin Kupang")
    assert created.returncode == 0, created.stderr
    link, token = created.stdout.strip().splitlines()
    assert link == f"https://t.me/pem_e2e_bot?start={token}"  # the username came from getMe

    api.add_user(31337, "Admin")
    api.user_sends(31337, f"/start {token}")
    greeting = api.wait_for_reply(31337, "Selamat datang")
    assert "Admin Kupang" in greeting.params["text"]
    api.wait_for("setMyCommands", lambda p: isinstance(p.get("scope"), dict) and p["scope"].get("chat_id") == 31337)

    running_bot.send_signal(signal.SIGINT)
    assert running_bot.wait(timeout=20) == 0
    output = running_bot.stdout.read() if running_bot.stdout else ""
    assert "Traceback" not in output
    with sqlite3.connect(environ["PEM_DATABASE"]) as conn:
        row = conn.execute("SELECT telegram_user_id FROM people WHERE name = 'Admin Kupang'").fetchone()
    assert row == (31337,)


def test_rejected_token_exits_2_with_one_line(environ, tmp_path, api):
    environ = {**environ, "TELEGRAM_BOT_TOKEN": "999:wrong-token"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], env=environ, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "TELEGRAM_BOT_TOKEN" in result.stderr.strip().splitlines()[-1]


def _tap(api: BotApiEmulator, user: int, call: Recorded, text_part: str) -> None:
    """Tap the button labelled ``text_part`` under the message that ``call`` sent (or edited)."""
    markup = call.params.get("reply_markup") or {}
    message_id = call.result["message_id"]
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if text_part.lower() in button["text"].lower():
                api.user_taps(user, message_id, button["callback_data"])
                return
    raise AssertionError(f"no button {text_part!r} in {markup}")


async def _borrower_treasurer_and_loan(path: str) -> int:
    from datetime import date, timedelta

    from bot.domain.loans import LoanTerms
    from bot.domain.roles import Role
    from storage import loans, people
    from storage.db import Database

    db = await Database(path, data_key=TEST_KEY).open()
    try:
        async with db.transaction() as tx:
            borrower = await people.create(tx, name="Yosefina Lero", kelurahan_code="53.71.05.1004",
                                           roles=[Role.BORROWER])
            await people.link_telegram(tx, borrower.id, 41001, 41001)
            treasurer = await people.create(tx, name="Bendahara Naikoten", kelurahan_code="53.71.05.1004",
                                            roles=[Role.TREASURER])
            await people.link_telegram(tx, treasurer.id, 41002, 41002)
            loan = await loans.create(
                tx, borrower_id=borrower.id, kelurahan_code="53.71.05.1004", business="Warung",
                terms=LoanTerms(principal=6_000_000, disbursed_on=date.today() - timedelta(days=100),
                                tenor_months=12), created_by=treasurer.id, now=clock.utcnow())
        return loan.id
    finally:
        await db.close()


def test_report_a_repayment_and_verify_it_over_real_polling(environ, api, running_bot):
    import asyncio

    loan_id = asyncio.run(_borrower_treasurer_and_loan(environ["PEM_DATABASE"]))
    borrower, treasurer = 41001, 41002

    def step(user: int, tap: tuple[Recorded, str] | None, needle: str):
        mark = api.mark()
        if tap is None:
            api.user_sends(user, "/bayar")
        else:
            _tap(api, user, *tap)
        return api.wait_for_reply(user, needle, since=mark)

    ask = step(borrower, None, "Angsuran ke-1")
    photo_step = step(borrower, (ask, "Angsuran ke-"), "bukti")
    summary = step(borrower, (photo_step, "Lewati"), "Konfirmasi")
    mark = api.mark()
    step(borrower, (summary, "Konfirmasi"), "menunggu verifikasi bendahara")

    announcement = api.wait_for_reply(treasurer, "Rp500.000", since=mark)
    mark = api.mark()
    _tap(api, treasurer, announcement, "Setujui")
    verified = api.wait_for_reply(borrower, "sudah diverifikasi", since=mark)
    assert "Rp5.500.000" in verified.params["text"]  # sisa pinjaman

    running_bot.send_signal(signal.SIGINT)
    assert running_bot.wait(timeout=20) == 0
    with sqlite3.connect(environ["PEM_DATABASE"]) as conn:
        row = conn.execute("SELECT amount, status FROM repayments WHERE loan_id = ?", (loan_id,)).fetchone()
        paid = conn.execute("SELECT principal_paid FROM installments WHERE loan_id = ? AND number = 1",
                            (loan_id,)).fetchone()
    assert row == (500_000, "verified")
    assert paid == (500_000,)
