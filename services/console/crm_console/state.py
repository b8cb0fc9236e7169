"""The console's per-process objects (`ctx.state`, made in the plugin's `startup`)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from crm_console.settings import SERVICE

CACHE_MAX = 4096


@dataclass
class ConsoleState:
    """A small TTL cache of what every page needs but rarely changes (the branch, the header's name)."""

    cache: dict[tuple, tuple[float, Any]] = field(default_factory=dict)

    async def cached(self, key: tuple, seconds: float, load: Callable[[], Awaitable[Any]]) -> Any:
        """One API call per key per `seconds` in this process, not one per page."""
        hit = self.cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        value = await load()
        if len(self.cache) >= CACHE_MAX:
            self.cache.clear()
        self.cache[key] = (time.monotonic() + seconds, value)
        return value


def state_of(request: Request) -> ConsoleState:
    """The running console's state (its context's `state`)."""
    return request.app.state.contexts[SERVICE].state
