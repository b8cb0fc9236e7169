"""Expire policy bookkeeping: neither store may use TTL indexes, so old windows are deleted here.

Runs hourly on one replica (a named lease). Rate windows and duplicate windows older than twice
their length can no longer affect a decision.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_shared.leases import acquire
from crm_notify.dispatch.policy import DUPLICATES, RATES
from crm_notify.runtime import NotifyRuntime

LEASE = "notify-janitor"
EVERY = timedelta(hours=1)


async def expire(rt: NotifyRuntime, now: datetime) -> dict[str, int]:
    """Delete windows that have ended; returns how many documents went per collection."""
    cfg = rt.config
    cutoffs = {RATES: now - timedelta(seconds=2 * cfg.rate_limit_window_seconds),
               DUPLICATES: now - timedelta(seconds=2 * max(cfg.duplicate_window_seconds, 1))}
    removed = {}
    for collection, cutoff in cutoffs.items():
        result = await rt.db[collection].delete_many({"at": {"$lt": cutoff}})
        removed[collection] = result.deleted_count
    return removed


async def maybe_expire(rt: NotifyRuntime, now: datetime, last: datetime | None) -> datetime | None:
    """Called from the dispatcher loop; returns when it last ran."""
    if last is not None and now - last < EVERY:
        return last
    if await acquire(rt.db, LEASE, rt.owner, EVERY.total_seconds()):
        await expire(rt, now)
    return now
