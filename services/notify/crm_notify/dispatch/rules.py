"""Pure dispatch rules: retry backoff, rate-limit windows, quiet-hour deferral."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from crm_shared.branches import QuietHours, in_quiet_hours, quiet_hours_end


def backoff_seconds(
    attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Capped exponential backoff with equal jitter: half fixed, half random, never above the cap."""
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    return ceiling / 2 + rand() * ceiling / 2


def rate_window(now: datetime, window_seconds: int) -> tuple[int, datetime]:
    """The fixed window `now` falls in: (window number, when the next one starts)."""
    epoch = int(now.timestamp()) // window_seconds
    return epoch, datetime.fromtimestamp((epoch + 1) * window_seconds, UTC)


def rate_key(channel: str, to: str, now: datetime, window_seconds: int) -> str:
    return f"{channel}:{to}:{rate_window(now, window_seconds)[0]}"


def quiet_deferral(now: datetime, category: str, quiet: QuietHours, tz: str | None) -> datetime | None:
    """Marketing inside quiet hours waits for the window's end; transactional never waits."""
    if category != "marketing" or not in_quiet_hours(now, quiet, tz):
        return None
    return quiet_hours_end(now, quiet, tz).astimezone(UTC)


def retry_at(now: datetime, attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random) -> datetime:
    return now + timedelta(seconds=backoff_seconds(attempt, base, cap, rand))
