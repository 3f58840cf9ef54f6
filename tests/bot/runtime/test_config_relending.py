"""PEM_RELENDING_MIN_REPAID_PERCENT: default off, 0–100 with an optional %, a clear error otherwise."""

from __future__ import annotations

import pytest

from bot.domain.settings import ConfigError
from bot.runtime.config import load_settings
from messages import render


def _load(value: str | None):
    environ = {"TELEGRAM_BOT_TOKEN": "1:x"}
    if value is not None:
        environ["PEM_RELENDING_MIN_REPAID_PERCENT"] = value
    return load_settings(environ=environ, env_file=None)


def test_default_off_and_values():
    assert _load(None).relending_min_repaid_percent == 0
    assert _load("60").relending_min_repaid_percent == 60
    assert _load(" 75 % ").relending_min_repaid_percent == 75
    assert _load("100").relending_min_repaid_percent == 100


@pytest.mark.parametrize("value", ["101", "-5", "enam puluh", "60.5"])
def test_bad_values(value):
    with pytest.raises(ConfigError) as caught:
        _load(value)
    assert caught.value.code == "percent"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_error_has_a_message(lang):
    text = render("plain/cli/config_error", lang, code="percent", key="PEM_RELENDING_MIN_REPAID_PERCENT", value="v")
    assert '"v"' in text and "100" in text
