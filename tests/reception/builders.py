"""Builders and helpers for reception tests: a running service, staff/lead events, request bodies."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from itertools import count

from crm_shared.events import new_event
from crm_shared.events.leads import BranchConfigured, LeadRegistered, LeadSource, MaskedCustomer, StaffJoined, StaffLeft
from crm_shared.ids import uuid7
from crm_shared.phones import mask, normalize, phone_hash
from crm_reception.plugin import ReceptionService
from crm_reception.settings import ReceptionSettings
from tests.support.runtime import bearer, eventually, isolated_settings, publish_event, running

_phones = count(10000000)


def new_phone() -> str:
    return f"139{next(_phones):08d}"


def future(hours: float = 24, base: datetime | None = None) -> datetime:
    b = (base or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    return b + timedelta(hours=hours)


class Clock:
    """Controlled time for the front desk (`ctx.state.clock`): a day played in minutes, not in real time."""

    def __init__(self, start: datetime | None = None) -> None:
        self.at = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, minutes: float = 0, seconds: float = 0) -> datetime:
        self.at += timedelta(minutes=minutes, seconds=seconds)
        return self.at


class Office:
    """One running reception service with helpers that speak as the leads service and as callers."""

    def __init__(self, settings, app, client, branch: str = "sz-bay") -> None:
        self.settings, self.app, self.client, self.branch = settings, app, client, branch
        self.ctx = app.state.contexts["reception"]
        self.db = self.ctx.db

    def auth(self, role: str = "reception", sub: str = "desk-1", branches: list[str] | None = None) -> dict:
        return bearer(self.settings, role, branches or [self.branch], sub)

    async def emit(self, data, branch: str | None = None, subject: str = "x", time: datetime | None = None):
        env = new_event(data, branch_id=branch or self.branch, subject=subject)
        if time is not None:
            env = env.model_copy(update={"time": time})
        await publish_event(self.settings, env)
        return env

    async def configure(self, **settings) -> None:
        await self.emit(BranchConfigured(branch_id=self.branch, timezone="Asia/Shanghai", settings=settings))
        assert await eventually(lambda: self.db.branches.find_one({"_id": self.branch}))

    async def staff(self, n: int = 1, role: str = "consultant", branch: str | None = None) -> list[str]:
        ids = [uuid7() for _ in range(n)]
        for i in ids:
            await self.emit(StaffJoined(staff_id=i, role=role, name=f"staff {i[-4:]}"), branch=branch)
        for i in ids:
            assert await eventually(lambda i=i: self.db.staff.find_one({"_id": i, "active": True}))
        return ids

    async def leave_company(self, staff_id: str) -> None:
        await self.emit(StaffLeft(staff_id=staff_id, role="consultant", name="gone"))
        assert await eventually(lambda: self.db.staff.find_one({"_id": staff_id, "active": False}))

    async def lead(self, phone: str, owner_id: str | None, branch: str | None = None) -> str:
        e164 = normalize(phone)
        lead_id = uuid7()
        await self.emit(LeadRegistered(
            lead_id=lead_id, customer=MaskedCustomer(name="王先生", phone_masked=mask(e164),
                                                     phone_hash=phone_hash(e164, self.settings.phone_hash_key)),
            source=LeadSource(channel="walk_in"), owner_id=owner_id), branch=branch, subject=lead_id)
        assert await eventually(lambda: self.db.leads.find_one({"_id": lead_id, "as_of": {"$exists": True}}))
        return lead_id

    async def join(self, *consultants: str) -> None:
        for cid in consultants:
            r = await self.client.post(f"/v1/rotation/{self.branch}/join", json={"consultant_id": cid}, headers=self.auth())
            assert r.status_code == 200, r.text

    async def check_in(self, phone: str | None = None, **extra):
        body = {"branch_id": self.branch, "visitor": {"name": "访客", "phone": phone or new_phone()}, "party_size": 1, **extra}
        return await self.client.post("/v1/visits", json=body, headers=self.auth())

    def controlled_clock(self, start: datetime | None = None) -> Clock:
        clock = Clock(start)
        self.ctx.state.clock = clock
        return clock

    async def visit(self, visit_id: str) -> dict:
        r = await self.client.get(f"/v1/visits/{visit_id}", headers=self.auth())
        assert r.status_code == 200, r.text
        return r.json()

    async def rotation(self) -> dict:
        return (await self.client.get(f"/v1/rotation/{self.branch}", headers=self.auth())).json()

    async def end(self, visit_id: str, outcome: str = "interested"):
        r = await self.client.post(f"/v1/visits/{visit_id}/end", json={"outcome": outcome}, headers=self.auth())
        assert r.status_code == 200, r.text
        return r.json()

    def appointment(self, consultant_id: str, start: datetime, minutes: int = 60, **extra) -> dict:
        return {"branch_id": self.branch, "consultant_id": consultant_id, "kind": "office_visit",
                "customer": {"name": "张女士", "phone": "13812345678", "email": "z@example.com"},
                "start": start.isoformat(), "end": (start + timedelta(minutes=minutes)).isoformat(),
                "party_size": 2, **extra}

    async def book(self, consultant_id: str, start: datetime, minutes: int = 60, **extra):
        return await self.client.post("/v1/appointments", json=self.appointment(consultant_id, start, minutes, **extra),
                                      headers=self.auth())


@asynccontextmanager
async def office(urls, branch: str = "sz-bay", config: ReceptionSettings | None = None, **overrides):
    """A running reception service; its timers are off unless `config` says otherwise (tests call the
    passes themselves with a chosen `now`)."""
    settings = isolated_settings(*urls, **overrides)
    async with running([ReceptionService(config or ReceptionSettings(timers=False))], settings) as (app, client):
        yield Office(settings, app, client, branch)
