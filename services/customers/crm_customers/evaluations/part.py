"""What the customers plugin takes from evaluations: its router, outbox collections, timers, retention and indexes."""

from __future__ import annotations

from crm_shared.plugins import ServiceContext
from crm_shared.timers import Retention, Timer
from crm_customers.evaluations import service
from crm_customers.evaluations.views import router

__all__ = ["OUTBOX", "retention", "router", "startup", "timers"]

OUTBOX: tuple[str, ...] = (service.EVALUATIONS,)


def timers(ctx: ServiceContext) -> list[Timer]:
    return []


def retention(ctx: ServiceContext) -> list[Retention]:
    return []


async def startup(ctx: ServiceContext) -> None:
    """Indexes of the evaluations."""
    await service.ensure_indexes(ctx)
