"""Spacing calls evenly to stay under the provider's rate limit: at most `per_second` starts per second."""

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._gap = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Return when the next call may start; callers are served in turn."""
        async with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._gap
            if start > now:
                await self._sleep(start - now)
