"""A fake monotonic clock for the limiter's tests: time moves only when every task is waiting on it."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from typing import Any

from bot.runtime.limiter import Clock


class FakeClock(Clock):
    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._seq), future))
        await future

    async def _settle(self) -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    async def run(self, *work: Awaitable[Any], limit: float = 3600.0) -> list[Any]:
        """Run ``work`` to the end, moving the clock to the next sleeper whenever everything waits."""
        tasks = [asyncio.ensure_future(w) for w in work]
        while True:
            await self._settle()
            if all(t.done() for t in tasks):
                return [t.result() for t in tasks]
            live = [(t, s, f) for t, s, f in self._sleepers if not f.done()]
            if not live:
                raise AssertionError("deadlock: tasks wait on something other than the clock")
            at, _, future = heapq.heappop(self._sleepers)
            if future.done():
                continue
            if at > limit:
                raise AssertionError(f"still running at t={at}")
            self.now = max(self.now, at)
            future.set_result(None)
