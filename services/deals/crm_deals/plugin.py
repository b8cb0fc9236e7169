"""The deals service as a plugin of group `crm.services`: units (房源, 销控), deals (认购 → 签约 → 回款, 换房, 退房) and payouts (渠道结佣, 全民营销奖励).

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
from crm_deals import subscriptions
from crm_deals.settings import DealsSettings
from crm_deals.units import part as units
from crm_deals.deals import part as deals
from crm_deals.payouts import part as payouts
from crm_deals.sheet import part as sheet

PARTS = (units, sheet, deals, payouts)


class DealsService(ServicePlugin):
    name = "deals"
    title = "Deals"
    settings_model = DealsSettings
    produces = tuple(cls for cls in registry().values() if cls.event_source == "deals")
    outbox_collections = tuple(name for part in PARTS for name in part.OUTBOX)
    body_limits = {"/v1/units/import": 20 * 1024 * 1024}  # the office's unit sheet (销控表)

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


service = DealsService()
