"""What the deals plugin takes from units: its router, outbox collections, timers, retention and indexes."""

from __future__ import annotations

from crm_shared.plugins import ServiceContext
from crm_shared.timers import Retention, Timer
from crm_deals.units import service
from crm_deals.units.views import router

__all__ = ["OUTBOX", "retention", "router", "startup", "timers"]

OUTBOX: tuple[str, ...] = (service.UNITS,)


def timers(ctx: ServiceContext) -> list[Timer]:
    return []


def retention(ctx: ServiceContext) -> list[Retention]:
    return []


async def startup(ctx: ServiceContext) -> None:
    """Indexes of units's collections."""
    await service.ensure_indexes(ctx)
