"""What the customers plugin takes from exports (受控文件): its router and indexes; no events, timers or retention
(export records and their download log are kept as the audit trail)."""

from __future__ import annotations

from crm_shared.plugins import ServiceContext
from crm_shared.timers import Retention, Timer
from crm_customers.exports import service
from crm_customers.exports.views import router

__all__ = ["OUTBOX", "retention", "router", "startup", "timers"]

OUTBOX: tuple[str, ...] = ()


def timers(ctx: ServiceContext) -> list[Timer]:
    return []


def retention(ctx: ServiceContext) -> list[Retention]:
    return []


async def startup(ctx: ServiceContext) -> None:
    """Indexes of the exports and their download log."""
    await service.ensure_indexes(ctx)
