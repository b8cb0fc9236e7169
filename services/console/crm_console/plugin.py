"""The console as a plugin of group `crm.services`, served at /console.

It owns no data: every screen reads and writes through the other services' public HTTP
API with the signed-in user's token (see api.py), so the API's auth, branch scope,
validation and audit apply to the console exactly as to any integrator.
"""

from __future__ import annotations

from fastapi import APIRouter

from crm_shared.plugins import ServicePlugin

from crm_console.config import ConsoleSettings
from crm_console.views import SCREENS


class ConsoleService(ServicePlugin):
    name = "console"
    title = "Web console"

    def __init__(self, config: ConsoleSettings | None = None) -> None:
        self.config = config

    def http_router(self) -> APIRouter:
        router = APIRouter()
        for sub in SCREENS:
            router.include_router(sub)
        return router



service = ConsoleService()
