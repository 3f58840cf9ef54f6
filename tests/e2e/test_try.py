"""`pem-bot try` as a newcomer meets it: the real subprocess, its page's HTTP API (what the page's script calls),
the demo data in ./data/try.sqlite3 only, every role's menu commands answered, the clock control bringing the
Monday digest and chart, and a second start reusing the demo."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Try:
    def __init__(self, workdir: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PEM_"))}
        env.update({"PYTHONPATH": str(ROOT), "PEM_TIMEZONE": "Asia/Makassar", "PEM_QUIET_HOURS": "off", "TZ": "UTC",
                    "PEM_LOG_LEVEL": "WARNING", "PEM_DATABASE": str(workdir / "production.sqlite3")})
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "try", "--port", str(self.port),
                                         "--no-browser", *args], env=env, cwd=workdir, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout is not None
        self.output: list[str] = []
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if f"{self.url}/" in line:
                self.output.append(self.process.stdout.readline())  # the demo data's line
                return
        self.stop()
        pytest.fail("pem-bot try did not print its address:\n" + "".join(self.output))

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return json.load(response)

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        request = urllib.request.Request(self.url + path, json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc)

    def state(self) -> dict[str, Any]:
        return self.get("/sim/state?after=-1")

    def chat(self, key: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        state = self.state()
        persona = next(p for p in state["personas"] if p["key"] == key)
        return persona, state["chats"][str(persona["user_id"])]

    def wait_items(self, key: str, predicate: Any, since: int = 0, timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            items = self.chat(key)[1][since:]
            if predicate(items):
                return items
            time.sleep(0.2)
        raise AssertionError(f"{key}: not seen within {timeout}s; chat: {[i.get('text', '')[:60] for i in items]}")


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Try]:
    running = Try(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def bot_said(items: list[dict[str, Any]]) -> bool:
    return any(i.get("from") == "bot" for i in items)


def test_every_persona_is_linked_and_every_menu_command_is_answered(simulator, tmp_path):
    state = simulator.state()
    assert [p["role"] for p in state["personas"]] == ["borrower", "borrower", "treasurer", "lurah", "coordinator",
                                                      "admin", "city"]
    assert [p["name"].split()[0] for p in state["personas"][:2]] == ["Yohanes", "Maria"]
    for persona in state["personas"]:
        simulator.wait_items(persona["key"], lambda items: any("Selamat datang" in i.get("text", "")
                                                               for i in items))
    state = simulator.state()
    menus = {p["key"]: [c["command"] for c in p["menu"]] for p in state["personas"]}
    assert all("bantuan" in menu for menu in menus.values())  # each person's own menu (their chat's scope)
    commands = 0
    for n in range(max(len(menu) for menu in menus.values())):
        # one command per person per round: each chat gets a message every few seconds, like a person typing
        sent = {}
        round_started = time.monotonic()
        for persona in state["personas"]:
            if n < len(menus[persona["key"]]):
                sent[persona["key"]] = len(simulator.chat(persona["key"])[1])
                status, _ = simulator.post("/sim/send", {"user_id": persona["user_id"],
                                                         "text": f"/{menus[persona['key']][n]}"})
                assert status == 200
                commands += 1
        for key, since in sent.items():
            simulator.wait_items(key, bot_said, since)
        time.sleep(max(0.0, 1.1 - (time.monotonic() - round_started)))  # Telegram's 1 message/s per chat
    assert commands >= 40
    assert "pinjaman_baru" in [c["command"] for c in state["personas"][2]["menu"]]  # the treasurer's menu
    refused = [(p["key"], i["text"]) for p in simulator.state()["personas"]
               for i in simulator.state()["chats"][str(p["user_id"])]
               if i["kind"] == "error"]
    assert refused == []
    assert not (tmp_path / "production.sqlite3").exists()  # PEM_DATABASE is never touched
    assert (tmp_path / "data" / "try.sqlite3").exists()


def test_the_clock_jumps_to_monday_0700_for_the_digest_and_the_weekly_chart(simulator):
    now = datetime.fromisoformat(simulator.state()["now"])
    monday = now.date() + timedelta(days=(7 - now.weekday()) % 7 or 7)
    status, answer = simulator.post("/sim/clock", {"date": monday.isoformat(), "time": "07:00"})
    assert status == 200, answer
    assert "digest" in answer["report"]
    lurah = simulator.wait_items("lurah", lambda items: any(i.get("photo") for i in items))
    assert any("Ringkasan PEM" in i.get("text", "") for i in lurah)
    assert simulator.state()["now"].startswith(f"{monday.isoformat()}T07:0")
    chart = next(i for i in lurah if i.get("photo"))
    with urllib.request.urlopen(simulator.url + chart["photo"]) as response:
        assert response.read(8) == b"\x89PNG\r\n\x1a\n"
    # time only moves forward
    status, answer = simulator.post("/sim/clock", {"date": (monday - timedelta(days=1)).isoformat()})
    assert status == 409
    assert "maju" in answer["error"]
    status, answer = simulator.post("/sim/clock", {"date": "31-12-2026"})
    assert status == 400


def test_a_second_start_reuses_the_demo_and_fresh_starts_again(tmp_path):
    first = Try(tmp_path)
    try:
        first.wait_items("yohanes", lambda items: any("Selamat datang" in i.get("text", "") for i in items))
        first_chat = [(i["id"], i.get("text")) for i in first.chat("yohanes")[1]]
    finally:
        assert first.stop() == 0
    with sqlite3.connect(tmp_path / "data" / "try.sqlite3") as conn:
        people = conn.execute("SELECT COUNT(*) FROM people").fetchone()[0]
    # the first run made the data key, in .env, and said so in one line (issue 18: encrypted at rest)
    [key_line] = [line for line in first.output if "PEM_DATA_KEY" in line]
    assert str((tmp_path / ".env").resolve()) in key_line and "NIK dan nomor HP hilang" in key_line
    assert (tmp_path / ".env").read_text(encoding="utf-8").startswith("PEM_DATA_KEY=")

    again = Try(tmp_path)
    try:
        assert "baru dibuat" not in "".join(again.output)
        assert not any("PEM_DATA_KEY" in line for line in again.output)  # the key is kept, not made again
        time.sleep(1.5)
        chat = again.chat("yohanes")[1]
        # the chat is back (a scheduled message may have come in after the look above), and no new /start
        assert [(i["id"], i.get("text")) for i in chat][:len(first_chat)] == first_chat
        assert sum(1 for i in chat if i.get("text", "").startswith("/start")) == 1
        status, _ = again.post("/sim/send", {"user_id": again.chat("yohanes")[0]["user_id"], "text": "/bantuan"})
        assert status == 200
        answer = again.wait_items("yohanes", bot_said, len(chat))
        assert min(i["id"] for i in answer if i["kind"] == "message") > max(i for i, _ in first_chat)  # never reused
    finally:
        again.stop()
    with sqlite3.connect(tmp_path / "data" / "try.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM people").fetchone()[0] == people

    fresh = Try(tmp_path, "--fresh")
    try:
        assert "baru dibuat" in "".join(fresh.output)
        greeted = fresh.wait_items("yohanes", lambda items: any("Selamat datang" in i.get("text", "")
                                                                for i in items))
        assert greeted[0].get("text", "").startswith("/start ")  # a new chat, from the start
    finally:
        fresh.stop()


def test_a_port_in_use_is_one_line_and_status_2(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PEM_"))}
        env["PYTHONPATH"] = str(ROOT)
        result = subprocess.run([sys.executable, "-m", "bot.cli", "try", "--port", str(port), "--no-browser"],
                                env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"port {port}" in result.stderr.strip().splitlines()[-1]


def test_the_demo_is_dated_today_in_wita(simulator):
    assert date.fromisoformat(simulator.state()["now"][:10]) >= date(2026, 1, 1)
