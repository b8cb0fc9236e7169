"""Small builders for leads tests: a running service, tokens, branches, staff and leads."""

from __future__ import annotations

import itertools
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from crm_leads.plugin import LeadsService
from crm_leads.settings import LeadsSettings
from crm_shared.config import Settings
from crm_shared.plugins import ServiceContext
from tests.support.runtime import bearer, isolated_settings, running

_phones = itertools.count(10000000)


def new_phone() -> str:
    """A valid, unique mainland mobile number."""
    return f"138{next(_phones):08d}"


@dataclass
class Office:
    """One running leads service with a configured branch and a few staff."""

    settings: Settings
    client: httpx.AsyncClient
    ctx: ServiceContext
    branch: str = "b1"

    def as_(self, role: str, sub: str = "u1", branches: list[str] | None = None) -> dict[str, str]:
        return bearer(self.settings, role, branches or [self.branch], sub)

    @property
    def admin(self) -> dict[str, str]:
        return self.as_("admin", "admin-1", ["*"])

    @property
    def manager(self) -> dict[str, str]:
        return self.as_("manager", "mgr-1")

    async def add_staff(self, name: str, role: str = "consultant", branch: str | None = None) -> str:
        r = await self.client.post("/v1/staff", json={"branch_id": branch or self.branch, "name": name, "role": role,
                                                      "email": f"{name}@office.example"}, headers=self.admin)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    async def add_branch(self, branch_id: str, **settings) -> dict:
        r = await self.client.post("/v1/branches", json={"id": branch_id, "name": branch_id, "settings": settings},
                                   headers=self.admin)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def lead_body(self, phone: str | None = None, **over) -> dict:
        body = {"branch_id": self.branch, "customer": {"name": "王先生", "phone": phone or new_phone()},
                "source": {"channel": "walk_in"}}
        return body | over

    async def register(self, headers: dict, phone: str | None = None, **over) -> dict:
        r = await self.client.post("/v1/leads", json=self.lead_body(phone, **over), headers=headers)
        assert r.status_code == 201, r.text
        return r.json()

    async def lead(self, lead_id: str) -> dict:
        return await self.ctx.db.leads.find_one({"_id": lead_id})


@asynccontextmanager
async def office(urls, assigner: str = "round_robin", **branch_settings):
    settings = isolated_settings(*urls)
    svc = LeadsService(LeadsSettings(assigner=assigner, timers=False))
    async with running([svc], settings) as (app, client):
        o = Office(settings, client, app.state.contexts["leads"])
        await o.add_branch(o.branch, **branch_settings)
        yield o
