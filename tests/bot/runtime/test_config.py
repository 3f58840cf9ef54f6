"""Configuration: defaults, .env handling and every mistake as one clear ConfigError."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.runtime.config import DEFAULTS, ConfigError, check_database_writable, load_settings

ROOT = Path(__file__).resolve().parents[3]


def test_defaults():
    s = load_settings(environ={"TELEGRAM_BOT_TOKEN": "1:x"}, env_file=None)
    assert str(s.timezone) == "Asia/Makassar"
    assert s.default_kelurahan == "53.71.05.1004"
    assert s.language == "id"
    assert s.database == Path("./data/pem.sqlite3")
    assert s.api_base_url is None and s.bot_username is None


def test_env_file_is_read_and_environment_wins(tmp_path: Path):
    env_file = tmp_path / ".env"
    env_file.write_text("TELEGRAM_BOT_TOKEN=from-file\nPEM_LANGUAGE=en\nPEM_DEFAULT_KELURAHAN=Oeba\n")
    s = load_settings(environ={"TELEGRAM_BOT_TOKEN": "from-env"}, env_file=env_file)
    assert s.token == "from-env"
    assert s.language == "en"
    assert s.default_kelurahan == "53.71.06.1007"


@pytest.mark.parametrize(
    ("environ", "code"),
    [
        ({}, "missing_token"),
        ({"TELEGRAM_BOT_TOKEN": "   "}, "missing_token"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_TIMEZONE": "Mars/Olympus"}, "timezone"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_DEFAULT_KELURAHAN": "Atlantis"}, "kelurahan"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_DEFAULT_KELURAHAN": "53.71.99.9999"}, "kelurahan"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_LANGUAGE": "fr"}, "language"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_LOG_LEVEL": "LOUD"}, "log_level"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_API_BASE_URL": "localhost:8081"}, "base_url"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_QUIET_HOURS": "20-07"}, "quiet_hours"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_QUIET_HOURS": "20:00-25:00"}, "quiet_hours"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_QUIET_HOURS": "07:00-07:00"}, "quiet_hours"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_SEND_MAX_ATTEMPTS": "0"}, "number"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_BACKUP_KEEP": "two weeks"}, "number"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_BACKUP_TIME": "2am"}, "time"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_DIGEST_TIME": "24:00"}, "time"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_REMINDER_TIME": "8"}, "time"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_REMINDER_OFFSETS": "-3,besok"}, "reminder_offsets"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_REMINDER_OFFSETS": ","}, "reminder_offsets"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_WARNING_STEPS": "60,30"}, "warning_steps"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_WARNING_STEPS": "30,60,90,120"}, "warning_steps"),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "PEM_WARNING_DEADLINE_DAYS": "0"}, "number"),
    ],
)
def test_mistakes_raise_config_error(environ, code):
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=environ, env_file=None)
    assert caught.value.code == code


def test_token_is_optional_for_offline_commands():
    assert load_settings(environ={}, env_file=None, require_token=False).token == ""


def test_unwritable_database_path(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError) as caught:
        check_database_writable(blocker / "sub" / "pem.sqlite3")
    assert caught.value.code == "database"


def test_database_folder_is_created(tmp_path: Path):
    target = tmp_path / "a" / "b" / "pem.sqlite3"
    check_database_writable(target)
    assert target.parent.is_dir()


def test_every_key_is_in_env_example_and_readme():
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    keys_in_example = re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", example, flags=re.M)
    assert sorted(keys_in_example) == sorted(DEFAULTS)
    for key in DEFAULTS:
        assert f"`{key}`" in readme, f"{key} missing from the README configuration table"
    for key, default in DEFAULTS.items():
        if default:
            assert re.search(rf"^{key}={re.escape(default)}$", example, flags=re.M), key


def test_schedule_defaults_and_values():
    from datetime import time

    s = load_settings(environ={"TELEGRAM_BOT_TOKEN": "1:x"}, env_file=None)
    assert s.quiet_hours == (time(20, 0), time(7, 0))
    assert (s.send_max_attempts, s.backup_keep) == (5, 14)
    assert s.backup_dir == Path("./backups")
    assert (s.backup_time, s.reminder_time, s.digest_time) == (time(2, 0), time(8, 0), time(7, 0))
    assert s.reminder_offsets == (-3, 0, 1, 7)
    assert (s.warning_steps, s.warning_deadline_days) == ((30, 60, 90), 14)
    assert load_settings(environ={"TELEGRAM_BOT_TOKEN": "1:x", "PEM_WARNING_STEPS": "45, 90",
                                  "PEM_WARNING_DEADLINE_DAYS": "21"}, env_file=None).warning_steps == (45, 90)
    custom = load_settings(environ={"TELEGRAM_BOT_TOKEN": "1:x", "PEM_QUIET_HOURS": "21.30 - 06:00",
                                    "PEM_REMINDER_OFFSETS": "7, -1,0,-1", "PEM_DIGEST_TIME": "6.45"},
                           env_file=None)
    assert custom.quiet_hours == (time(21, 30), time(6, 0))
    assert custom.reminder_offsets == (-1, 0, 7)
    assert custom.digest_time == time(6, 45)
    assert load_settings(environ={"TELEGRAM_BOT_TOKEN": "1:x", "PEM_QUIET_HOURS": "off"},
                         env_file=None).quiet_hours is None


@pytest.mark.parametrize("code", ["quiet_hours", "time", "number", "reminder_offsets", "warning_steps"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_schedule_config_errors_have_a_message(code: str, lang: str):
    from messages import render

    text = render("plain/cli/config_error", lang, code=code, key="PEM_X", value="v", maximum=9)
    generic = render("plain/cli/config_error", lang, code=code + "_unknown")
    assert '"v"' in text
    assert text != generic.replace("_unknown", "")  # a real sentence, not the generic fallback
