"""What the deals plugin takes from payouts: its router, outbox collections, timers, retention and indexes."""

from __future__ import annotations

from crm_shared.plugins import ServiceContext
from crm_shared.timers import Retention, Timer
from crm_deals.payouts import service
from crm_deals.payouts.rewards import RULES
from crm_deals.payouts.views import router

__all__ = ["OUTBOX", "retention", "router", "startup", "timers"]

OUTBOX: tuple[str, ...] = (service.PAYOUTS, RULES)


def timers(ctx: ServiceContext) -> list[Timer]:
    return []


def retention(ctx: ServiceContext) -> list[Retention]:
    return []


async def startup(ctx: ServiceContext) -> None:
    """Indexes of payouts's collections."""
    await service.ensure_indexes(ctx)
