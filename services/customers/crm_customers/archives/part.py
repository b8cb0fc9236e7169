"""What the customers plugin takes from archives (and key accounts): router, outbox collections, timers,
retention and indexes."""

from __future__ import annotations

from crm_shared.plugins import ServiceContext
from crm_shared.timers import Retention, Timer
from crm_customers.archives import deadlines, opening, privacy, tiers
from crm_customers.archives.views import router

__all__ = ["OUTBOX", "retention", "router", "startup", "timers"]

OUTBOX: tuple[str, ...] = (opening.ARCHIVES, tiers.REQUESTS)


def timers(ctx: ServiceContext) -> list[Timer]:
    return [Timer("archive-review-overdue", ctx.config.timer_seconds, deadlines.review_overdue),
            Timer("archive-openings", ctx.config.timer_seconds, opening.finish_abandoned)]


def retention(ctx: ServiceContext) -> list[Retention]:
    return []


async def startup(ctx: ServiceContext) -> None:
    """Indexes of the archives' collections."""
    await opening.ensure_indexes(ctx)
    await tiers.ensure_indexes(ctx)
    await privacy.ensure_indexes(ctx)
    archives = ctx.db[opening.ARCHIVES]
    await archives.create_index([("phone_hash", 1)])
    await archives.create_index([("branch_id", 1), ("phone_last4", 1)])
    await archives.create_index([("branch_id", 1), ("account_manager_id", 1)])
    await archives.create_index([("status", 1), ("review_due_at", 1)])
