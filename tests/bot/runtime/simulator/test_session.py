"""The simulator's session in-process: the demo personas (created once, reused, never PEM_DATABASE) and the
clock control's targets."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.runtime import clock
from bot.runtime.simulator.session import TrySession, prepare, try_settings
from tests.conftest import make_settings


@pytest.fixture
def frozen(monkeypatch):
    instant = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)  # Wednesday 10:30 WITA
    monkeypatch.setattr(clock, "utcnow", lambda: instant)
    return instant


async def test_prepare_creates_the_personas_once_and_reuses_them(tmp_path, frozen):
    settings = try_settings(make_settings(tmp_path / "production.sqlite3"), tmp_path / "data")
    assert settings.database == tmp_path / "data" / "try.sqlite3"
    assert settings.backup_dir == tmp_path / "data" / "try-backups"
    personas, created = await prepare(settings, tmp_path / "data", fresh=False)
    assert created
    assert [p.key for p in personas] == ["yohanes", "maria", "treasurer", "lurah", "coordinator", "admin", "city"]
    assert [p.name.split()[0] for p in personas[:2]] == ["Yohanes", "Maria"]
    assert all(p.token for p in personas)  # nobody linked yet: each will send /start <token>
    assert len({p.user_id for p in personas}) == 7
    stored = json.loads((tmp_path / "data" / "try.personas.json").read_text())
    assert [p["person_id"] for p in stored] == [p.person_id for p in personas]

    again, created = await prepare(settings, tmp_path / "data", fresh=False)
    assert not created
    assert [p.person_id for p in again] == [p.person_id for p in personas]
    fresh, created = await prepare(settings, tmp_path / "data", fresh=True)
    assert created
    assert all(p.token for p in fresh)
    assert not (tmp_path / "production.sqlite3").exists()


def test_the_clock_targets(tmp_path, frozen):
    settings = make_settings(tmp_path / "x.sqlite3")
    session = TrySession(settings, [], port=0)
    tz = settings.timezone
    assert session.target("tomorrow-0700", None, None) == datetime(2026, 12, 3, 7, 0, tzinfo=tz)
    assert session.target(None, "2026-12-07", None) == datetime(2026, 12, 7, 7, 0, tzinfo=tz)
    assert session.target(None, "2026-12-07", "08:15") == datetime(2026, 12, 7, 8, 15, tzinfo=tz)
    with pytest.raises(ValueError, match="does not match format"):
        session.target(None, "07-12-2026", None)
    with pytest.raises(ValueError, match="no date"):
        session.target(None, None, None)
    # not started: the jump is refused with the bot's not-ready line, the clock does not move
    refused = session.jump(datetime(2026, 12, 3, 7, 0, tzinfo=tz))
    assert refused["ok"] is False
    assert "belum siap" in refused["error"]


def test_travel_to_shifts_the_real_clock(monkeypatch):
    monkeypatch.setattr(clock, "_offset", clock.offset())
    target = datetime(2030, 1, 1, tzinfo=UTC)
    clock.travel_to(target)
    assert abs((clock.utcnow() - target).total_seconds()) < 1
