"""End to end over real HTTP: the real `pem-bot run` subprocess, long polling a fake Bot API server through
TELEGRAM_API_BASE_URL. Proves the real start-up and polling path, not only process_update."""

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
from tests.e2e.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:E2E-test-token"


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    server = FakeBotApi(TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def environ(tmp_path: Path, api: FakeBotApi) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PEM_"))}
    env.update({
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "PEM_DATABASE": str(tmp_path / "pem.sqlite3"),
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
def running_bot(environ: dict[str, str], tmp_path: Path, api: FakeBotApi) -> Iterator[subprocess.Popen[str]]:
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

    api.push_command(31337, f"/start {token}", first_name="Admin")
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


def _button(call, text_part: str) -> str:
    markup = call.params.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if text_part.lower() in button["text"].lower():
                return button["callback_data"]
    raise AssertionError(f"no button {text_part!r} in {markup}")


async def _borrower_treasurer_and_loan(path: str) -> int:
    from datetime import date, timedelta

    from bot.domain.loans import LoanTerms
    from bot.domain.roles import Role
    from storage import loans, people
    from storage.db import Database

    db = await Database(path).open()
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

    def step(user: int, data: str | None, needle: str):
        mark = api.mark()
        if data is None:
            api.push_command(user, "/bayar")
        else:
            api.push_button(user, data)
        return api.wait_for_reply(user, needle, since=mark)

    ask = step(borrower, None, "Angsuran ke-1")
    photo_step = step(borrower, _button(ask, "Angsuran ke-"), "bukti")
    summary = step(borrower, _button(photo_step, "Lewati"), "Konfirmasi")
    mark = api.mark()
    step(borrower, _button(summary, "Konfirmasi"), "menunggu verifikasi bendahara")

    announcement = api.wait_for_reply(treasurer, "Rp500.000", since=mark)
    mark = api.mark()
    api.push_button(treasurer, _button(announcement, "Setujui"))
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
