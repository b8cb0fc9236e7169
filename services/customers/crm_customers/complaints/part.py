"""What the customers plugin takes from complaints: its router, outbox collections, timers, retention and indexes."""

from __future__ import annotations

from crm_shared.plugins import ServiceContext
from crm_shared.timers import Retention, Timer
from crm_customers.complaints import deadlines, service
from crm_customers.complaints.views import router

__all__ = ["OUTBOX", "retention", "router", "startup", "timers"]

OUTBOX: tuple[str, ...] = (service.COMPLAINTS,)


def timers(ctx: ServiceContext) -> list[Timer]:
    return [Timer("complaint-deadlines", ctx.config.timer_seconds, deadlines.raise_overdue)]


def retention(ctx: ServiceContext) -> list[Retention]:
    return []


async def startup(ctx: ServiceContext) -> None:
    """Indexes of complaints's collections."""
    await service.ensure_indexes(ctx)
