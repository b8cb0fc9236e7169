"""The console as a plugin of group `crm.services`, served at /console.

It owns no data: every screen reads and writes through the other services' public HTTP
API with the signed-in user's token (see api.py), so the API's auth, branch scope,
validation and audit apply to the console exactly as to any integrator.
"""

from __future__ import annotations

from fastapi import APIRouter

from crm_shared.plugins import ServiceContext, ServicePlugin

from crm_console.settings import SERVICE, ConsoleSettings
from crm_console.state import ConsoleState
from crm_console.views import SCREENS


class ConsoleService(ServicePlugin):
    name = SERVICE
    title = "Web console"
    settings_model = ConsoleSettings
    body_limits = {"/console/imports": 20 * 1024 * 1024,  # the customer sheet, passed on to /v1/leads/import
                   "/console/units/import": 20 * 1024 * 1024,  # the unit sheet, to /v1/units/import
                   "/console/archives/import": 20 * 1024 * 1024}  # the owners' sheet, to /v1/archives/import

    def http_router(self) -> APIRouter:
        router = APIRouter()
        for sub in SCREENS:
            router.include_router(sub)
        return router

    async def startup(self, ctx: ServiceContext) -> None:
        ctx.state = ConsoleState()


service = ConsoleService()
