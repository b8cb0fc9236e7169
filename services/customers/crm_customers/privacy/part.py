"""What the customers plugin takes from privacy: its router, outbox collections, timers, retention and indexes;
its subscription table (the service's own erasure, and the other services' answers) is `table`."""

from __future__ import annotations

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events.privacy import CustomerErased, ErasureProgress
from crm_shared.plugins import ServiceContext
from crm_shared.timers import Retention, Timer

from crm_customers.privacy import records, service
from crm_customers.privacy.views import router

__all__ = ["OUTBOX", "retention", "router", "startup", "table", "timers"]

OUTBOX: tuple[str, ...] = (service.ERASURES,)

table = SubscriptionTable(consumer="privacy")
table.on(CustomerErased)(records.on_customer_erased)  # the customers service's own records
table.on(ErasureProgress)(service.on_progress)  # every service's answer, into the erasure request


def timers(ctx: ServiceContext) -> list[Timer]:
    return []


def retention(ctx: ServiceContext) -> list[Retention]:
    return []


async def startup(ctx: ServiceContext) -> None:
    await service.ensure_indexes(ctx)
