"""The reports service as a plugin of group `crm.services`."""

from __future__ import annotations

from fastapi import APIRouter

from crm_shared.events import registry
from crm_shared.plugins import ServiceContext, ServicePlugin


class ReportsService(ServicePlugin):
    name = "reports"
    title = "Reports"
    produces = tuple(cls for cls in registry().values() if cls.event_source == "reports")

    def http_router(self) -> APIRouter:
        return APIRouter(prefix="/v1", tags=["reports"])

    async def startup(self, ctx: ServiceContext) -> None:
        await ctx.db.command("ping")


service = ReportsService()
