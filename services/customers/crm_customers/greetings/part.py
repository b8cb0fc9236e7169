"""What the customers plugin takes from greetings: its router, outbox collections, timers, retention and indexes."""

from __future__ import annotations

from datetime import timedelta

from crm_shared.plugins import ServiceContext
from crm_shared.timers import Retention, Timer
from crm_customers.greetings import service
from crm_customers.greetings.views import router

__all__ = ["OUTBOX", "retention", "router", "startup", "timers"]

OUTBOX: tuple[str, ...] = (service.GREETINGS,)
KEEP = timedelta(days=90)
"""A greeting id holds its date, so a repeat can only come the same day: three months of records is plenty."""


def timers(ctx: ServiceContext) -> list[Timer]:
    return [Timer("greetings-daily", ctx.config.timer_seconds, service.send_greetings)]


def retention(ctx: ServiceContext) -> list[Retention]:
    return [Retention(service.GREETINGS, "created_at", KEEP), Retention(service.DAYS, "at", KEEP)]


async def startup(ctx: ServiceContext) -> None:
    """Indexes of greetings's collections (greetings are keyed by their greeting id; the day markers by branch:day)."""
    await ctx.db[service.GREETINGS].create_index([("archive_id", 1)])
