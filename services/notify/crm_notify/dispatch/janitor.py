"""Expire policy bookkeeping: neither store may use TTL indexes, so old windows are deleted here.

The pass of the leased timer "janitor" (every `janitor_interval_seconds`, one replica at a
time). Rate windows and duplicate windows older than twice their length can no longer affect
a decision.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_shared.plugins import ServiceContext
from crm_notify.dispatch.policy import DUPLICATES, RATES


async def expire(ctx: ServiceContext, now: datetime) -> dict[str, int]:
    """Delete windows that have ended; returns how many documents went per collection."""
    cfg = ctx.config
    cutoffs = {RATES: now - timedelta(seconds=2 * cfg.rate_limit_window_seconds),
               DUPLICATES: now - timedelta(seconds=2 * max(cfg.duplicate_window_seconds, 1))}
    removed = {}
    for collection, cutoff in cutoffs.items():
        result = await ctx.db[collection].delete_many({"at": {"$lt": cutoff}})
        removed[collection] = result.deleted_count
    return removed
