"""The customers service as a plugin of group `crm.services`: archives (顾客档案), key accounts, revisits (回访), evaluations (客户关系评估), complaints (客户投诉) and greetings.

Each part (a subpackage) declares in its `part.py` its router, its outbox collections, its timers
and its indexes; this file only lists the parts.
"""

from __future__ import annotations

from fastapi import APIRouter

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.directory import Directory
from crm_shared.events import registry
from crm_shared.plugins import ServiceContext, ServicePlugin
from crm_shared.timers import Retention, Timer
from crm_customers import subscriptions
from crm_customers.settings import CustomersSettings
from crm_customers.archives import part as archives
from crm_customers.revisits import part as revisits
from crm_customers.evaluations import part as evaluations
from crm_customers.complaints import part as complaints
from crm_customers.greetings import part as greetings

PARTS = (archives, revisits, evaluations, complaints, greetings)


class CustomersService(ServicePlugin):
    name = "customers"
    title = "Customers"
    settings_model = CustomersSettings
    produces = tuple(cls for cls in registry().values() if cls.event_source == "customers")
    outbox_collections = tuple(name for part in PARTS for name in part.OUTBOX)
    body_limits = {"/v1/archives/import": 20 * 1024 * 1024}  # the office's sheet of existing owners

    def http_router(self) -> APIRouter:
        router = APIRouter()
        for part in PARTS:
            router.include_router(part.router)
        return router

    def subscriptions(self) -> list[SubscriptionTable]:
        return [table for table in subscriptions.TABLES if table.classes]

    def timers(self, ctx: ServiceContext) -> list[Timer]:
        if not ctx.config.timers:
            return []
        return [timer for part in PARTS for timer in part.timers(ctx)]

    def retention(self, ctx: ServiceContext) -> list[Retention]:
        return [kept for part in PARTS for kept in part.retention(ctx)]

    async def startup(self, ctx: ServiceContext) -> None:
        await ctx.db.command("ping")
        directory = Directory(ctx.db, ctx.config.default_timezone)
        await directory.ensure_indexes()
        ctx.state = directory
        for part in PARTS:
            await part.startup(ctx)


service = CustomersService()
