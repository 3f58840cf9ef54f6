"""`pem-bot try` in a real browser: headless Debian Chromium driven by Selenium (chromedriver), against the real
`pem-bot try` subprocess on a free port. The borrower runs /bayar by tapping (the command menu, the amount
button), uploads a receipt photo, confirms; the treasurer taps Setujui; the borrower sees the verification.
A screenshot is kept in artifacts/browser/ (gitignored; CI leaves it in its clone).

Skipped, with the reason, when chromium, chromedriver or selenium is missing (``.ci/run`` installs them)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - the dev extra installs it
    webdriver = None

if webdriver is None or not CHROMIUM or not CHROMEDRIVER:
    pytest.skip("needs Chromium and ChromeDriver (Debian: apt-get install chromium chromium-driver) and selenium "
                "(the dev extra); .ci/run installs them", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def receipt_png(path: Path) -> Path:
    """A small real PNG (a light 'receipt' with a darker band)."""
    width, height = 240, 160
    rows = b"".join(b"\x00" + (bytes([90, 90, 90]) if 60 < y < 80 else bytes([245, 240, 220])) * width
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


@pytest.fixture
def try_page(tmp_path: Path) -> Iterator[tuple[str, float]]:
    """The address of a running `pem-bot try`, and when it was launched (the 60 s budget counts from there)."""
    launched = time.monotonic()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PEM_"))}
    env.update({"PYTHONPATH": str(ROOT), "PEM_TIMEZONE": "Asia/Makassar", "PEM_QUIET_HOURS": "off", "TZ": "UTC",
                "PEM_LOG_LEVEL": "WARNING"})
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "try", "--port", str(port), "--no-browser",
                                "--data-dir", str(tmp_path / "data")], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 40
        lines = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if f"http://127.0.0.1:{port}/" in line:
                break
        else:
            pytest.fail("pem-bot try did not print its address:\n" + "".join(lines))
        assert any(f"http://127.0.0.1:{port}/" in line for line in lines), "".join(lines)
        yield f"http://127.0.0.1:{port}/", launched
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1280,860"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_borrower_reports_with_a_receipt_and_the_treasurer_approves_in_the_browser(try_page, browser, tmp_path):
    url, launched = try_page
    wait = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))

    def person(key: str) -> None:
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f'.person[data-persona="{key}"]'))).click()
        wait.until(lambda d: "active" in d.find_element(By.CSS_SELECTOR, f'.person[data-persona="{key}"]')
                   .get_attribute("class"))

    def tap(label: str) -> None:
        """Tap the newest inline button whose label contains ``label``."""
        def newest(driver):
            buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "#messages .kb-btn") if label in b.text]
            if not buttons:
                return False
            buttons[-1].click()
            return True
        wait.until(newest)

    def shows(text: str) -> None:
        wait.until(lambda d: any(text in m.text for m in d.find_elements(By.CSS_SELECTOR, "#messages .msg.bot")))

    browser.get(url)
    person("yohanes")
    shows("Selamat datang, Yohanes")  # the invite was redeemed by a real /start
    # the borrower's own command menu (setMyCommands for this chat), then /bayar from it
    browser.find_element(By.ID, "menu-btn").click()
    wait.until(ec.element_to_be_clickable((By.XPATH, '//div[@id="menu"]//button[.//span[text()="/bayar"]]'))).click()
    shows("Berapa yang Anda bayar?")
    tap("Angsuran ke-")
    shows("foto bukti bayar")
    browser.find_element(By.ID, "photo-input").send_keys(str(receipt_png(tmp_path / "kuitansi.png")))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .msg.user img"))
    shows("Foto bukti: ada")
    tap("Konfirmasi")
    shows("menunggu verifikasi bendahara")

    person("treasurer")
    shows("Pembayaran menunggu verifikasi")
    assert browser.find_elements(By.CSS_SELECTOR, "#messages .msg.bot img"), "the receipt photo reaches the treasurer"
    tap("Setujui")

    person("yohanes")
    shows("sudah diverifikasi bendahara")
    errors = [n.text for n in browser.find_elements(By.CSS_SELECTOR, "#messages .notice.error")]
    assert errors == [], errors
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "try-borrower-verified.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    assert time.monotonic() - launched < 60  # pem-bot try's start, Chromium's, and the whole conversation
