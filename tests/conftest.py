"""Shared fixtures: a migrated temporary database, settings, an Application around the recording request, and
a frozen clock. Every fixture is function-scoped, so each test gets a fresh database and event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.roles import Role
from bot.runtime import clock
from bot.runtime.app import PemApplication, build_application
from bot.runtime.config import Settings, load_settings
from storage import people
from storage.crypto import DataKey
from storage.db import Database
from storage.migrate import migrate
from storage.people import Person
from tests.harness import BotTester, RecordingRequest, User
from tests.jobs_fixtures import recording_bot

NAIKOTEN_SATU = "53.71.05.1004"
#: The test suite's fixed data key (PEM_DATA_KEY; storage/crypto.py): every database of the tests is sealed.
TEST_DATA_KEY = "pem-test-data-key-0000000000000000000000000"
TEST_KEY = DataKey(TEST_DATA_KEY)
#: A fixed "now": Saturday 28 November 2026, 10:00 WITA.
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


class FrozenClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture(autouse=True)
def _data_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI commands and the subprocesses the tests start (``pem-bot try``) read PEM_DATA_KEY from the
    environment: the same fixed key (a test of the first-run rule removes it)."""
    monkeypatch.setenv("PEM_DATA_KEY", TEST_DATA_KEY)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock(NOW)
    monkeypatch.setattr(clock, "utcnow", frozen)
    return frozen


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "pem.sqlite3"


def make_settings(db_path: Path, **overrides: str) -> Settings:
    environ = {"TELEGRAM_BOT_TOKEN": "123456:TEST-token", "PEM_DATABASE": str(db_path),
               "PEM_BACKUP_DIR": str(db_path.parent / "backups"), "PEM_DATA_KEY": TEST_DATA_KEY, **overrides}
    return load_settings(environ=environ, env_file=None)


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return make_settings(db_path)


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = await Database(db_path, data_key=TEST_KEY).open()
    await migrate(database)
    try:
        yield database
    finally:
        await database.close()


class Running:
    """An initialised application, its recording request and a tester; restartable on the same database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.request = RecordingRequest()
        self.app: PemApplication
        self.tester: BotTester

    async def start(self) -> Running:
        self.app = build_application(self.settings, request=self.request, with_updater=False, rate_limit=False)
        try:
            await self.app.initialize()
            assert self.app.post_init is not None
            await self.app.post_init(self.app)
        except BaseException:
            await self.app.db.close()  # an unclosed aiosqlite connection would hang the test process
            raise
        self.tester = BotTester(self.app, self.request)
        return self

    async def stop(self) -> None:
        await self.app.shutdown()
        assert self.app.post_shutdown is not None
        await self.app.post_shutdown(self.app)

    async def restart(self) -> None:
        """A new Application on the same database file, as after a restart of the bot."""
        await self.stop()
        await self.start()


@pytest.fixture
async def running(settings: Settings, frozen_clock: FrozenClock) -> AsyncIterator[Running]:
    run = await Running(settings).start()
    try:
        yield run
    finally:
        await run.stop()


@pytest.fixture
def tester(running: Running) -> BotTester:
    return running.tester


_next_user = iter(range(100_001, 10_000_000))


@pytest.fixture
def make_person(running: Running) -> Callable:
    """Create a person with roles, linked to a fresh Telegram user; returns ``(person, user)``."""

    async def factory(*roles: Role, name: str = "Tester", kelurahan: str | None = NAIKOTEN_SATU,
                      language: str = "id", linked: bool = True, phone: str | None = None
                      ) -> tuple[Person, User]:
        user = User(next(_next_user), first_name=name.split()[0])
        db = running.app.db
        async with db.transaction() as tx:
            person = await people.create(tx, name=name, kelurahan_code=kelurahan, roles=roles, phone=phone,
                                         language=language)
            if linked:
                await people.link_telegram(tx, person.id, user.id, user.chat_id)
        fresh = await people.get(db, person.id)
        assert fresh is not None
        return fresh, user

    return factory


@pytest.fixture
def rec() -> RecordingRequest:
    """A fresh recording request for a bare bot (outbox, sender and job tests)."""
    return RecordingRequest()


@pytest.fixture
async def bot(rec: RecordingRequest) -> AsyncIterator:
    """An ExtBot over ``rec``, initialised, with its getMe forgotten."""
    b = await recording_bot(rec)
    rec.clear()
    try:
        yield b
    finally:
        await b.shutdown()


@pytest.fixture
def no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """No 1 s per-chat spacing in the sender, so tests that send several messages to one chat don't wait."""
    from bot.runtime import sender

    monkeypatch.setattr(sender, "DEFAULT_PACER", sender.ChatPacer(0))
