"""The JSON codec of drafts and outbox contexts (moved here from the retired PTB persistence's tests)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from storage.codec import dumps, loads


def test_json_round_trip_keeps_dates_decimals_and_tuples():
    value = {"d": date(2026, 11, 28), "dt": datetime(2026, 11, 28, 7, 0, tzinfo=ZoneInfo("Asia/Makassar")),
             "t": time(8, 30), "fee": Decimal("0.5"), "pair": (1, "a"), "nested": [{"x": None, "ok": True}]}
    assert loads(dumps(value)) == value


def test_a_value_json_cannot_hold_is_refused_loudly():
    with pytest.raises(TypeError, match="cannot store a object"):
        dumps({"x": object()})
