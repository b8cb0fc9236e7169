"""What the customers plugin takes from revisits: its router, outbox collections, timers, retention and indexes."""

from __future__ import annotations

from crm_shared.plugins import ServiceContext
from crm_shared.timers import Retention, Timer
from crm_customers.revisits import scans, service
from crm_customers.revisits.views import router

__all__ = ["OUTBOX", "retention", "router", "startup", "timers"]

OUTBOX: tuple[str, ...] = (service.TASKS,)


def timers(ctx: ServiceContext) -> list[Timer]:
    return [Timer("revisits-due", ctx.config.timer_seconds, scans.publish_due)]


def retention(ctx: ServiceContext) -> list[Retention]:
    return []


async def startup(ctx: ServiceContext) -> None:
    """Indexes of revisits's collections."""
    await service.ensure_indexes(ctx)
