"""The reception service as a plugin of group `crm.services`."""

from __future__ import annotations

from fastapi import APIRouter

from crm_shared.events import registry
from crm_shared.plugins import ServiceContext, ServicePlugin


class ReceptionService(ServicePlugin):
    name = "reception"
    title = "Reception"
    produces = tuple(cls for cls in registry().values() if cls.event_source == "reception")

    def http_router(self) -> APIRouter:
        return APIRouter(prefix="/v1", tags=["reception"])

    async def startup(self, ctx: ServiceContext) -> None:
        await ctx.db.command("ping")


service = ReceptionService()
