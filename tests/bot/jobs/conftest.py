"""Every job test runs with the clock pinned (tests/conftest.py's ``frozen_clock``, 28 November 2026, 10:00
WITA): the jobs take their instant as an argument, but the sender also judges quiet hours and leases by the
clock, so an unpinned test would depend on the hour it runs at (.ci/run's shifted-clock run catches that)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _pinned_clock(frozen_clock):
    return frozen_clock
