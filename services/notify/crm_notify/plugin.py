"""The notify service as a plugin of group `crm.services`."""

from __future__ import annotations

from fastapi import APIRouter

from crm_shared.events import registry
from crm_shared.plugins import ServiceContext, ServicePlugin


class NotifyService(ServicePlugin):
    name = "notify"
    title = "Notify"
    produces = tuple(cls for cls in registry().values() if cls.event_source == "notify")

    def http_router(self) -> APIRouter:
        return APIRouter(prefix="/v1", tags=["notify"])

    async def startup(self, ctx: ServiceContext) -> None:
        await ctx.db.command("ping")


service = NotifyService()
