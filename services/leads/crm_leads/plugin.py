"""The leads service as a plugin of group `crm.services`."""

from __future__ import annotations

from fastapi import APIRouter

from crm_shared.events import registry
from crm_shared.plugins import ServiceContext, ServicePlugin


class LeadsService(ServicePlugin):
    name = "leads"
    title = "Leads"
    produces = tuple(cls for cls in registry().values() if cls.event_source == "leads")

    def http_router(self) -> APIRouter:
        return APIRouter(prefix="/v1", tags=["leads"])

    async def startup(self, ctx: ServiceContext) -> None:
        await ctx.db.command("ping")


service = LeadsService()
