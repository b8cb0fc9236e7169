"""What the deals plugin takes from deals: its router, outbox collections, timers, retention and indexes."""

from __future__ import annotations

from crm_shared.plugins import ServiceContext
from crm_shared.timers import Retention, Timer
from crm_deals.deals import service
from crm_deals.deals.views import router

__all__ = ["OUTBOX", "retention", "router", "startup", "timers"]

OUTBOX: tuple[str, ...] = (service.DEALS,)


def timers(ctx: ServiceContext) -> list[Timer]:
    return [Timer("deals-reconcile", ctx.config.timer_seconds, service.reconcile)]


def retention(ctx: ServiceContext) -> list[Retention]:
    return []


async def startup(ctx: ServiceContext) -> None:
    """Indexes of deals's collections (and of its copy of leads)."""
    await service.ensure_indexes(ctx)
