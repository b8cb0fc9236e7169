"""A running customers service for the complaints, revisits and greetings tests: two branches with staff in its
directory, archives as the archives part stores them, events as other services publish them, and callers."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from itertools import count

from crm_shared.events import new_event
from crm_shared.events.leads import BranchConfigured, StaffJoined
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import mask, normalize, phone_hash, seal
from crm_customers.plugin import CustomersService
from crm_customers.settings import CustomersSettings
from tests.support.runtime import bearer, eventually, isolated_settings, publish_event, running, stream_messages

_phones = count(40_000_000)
NORTH, SOUTH = "care-north", "care-south"
CAST = (("manager", "manager"), ("c1", "consultant"), ("c2", "consultant"), ("desk", "reception"),
        ("cashier", "finance"))


def new_phone() -> str:
    return f"135{next(_phones):08d}"


class Care:
    """One customers service; staff ids are `<key>-<branch>` (`c1-care-north`)."""

    def __init__(self, settings, app, client) -> None:
        self.settings, self.app, self.client = settings, app, client
        self.ctx = app.state.contexts["customers"]
        self.db = self.ctx.db

    @staticmethod
    def staff_id(key: str, branch: str = NORTH) -> str:
        return f"{key}-{branch}"

    def auth(self, key: str = "manager", branch: str = NORTH) -> dict:
        role = dict(CAST).get(key) or {"admin": "admin", "partner": "partner", "integrator": "integrator"}[key]
        return bearer(self.settings, role, [branch], self.staff_id(key, branch))

    async def emit(self, data, branch: str = NORTH, subject: str = "x") -> None:
        await publish_event(self.settings, new_event(data, branch_id=branch, subject=subject))

    async def populate(self) -> None:
        for branch, name in ((NORTH, "北区售楼处"), (SOUTH, "南区售楼处")):
            await self.emit(BranchConfigured(branch_id=branch, name=name, timezone="Asia/Shanghai", settings={}), branch)
            for key, role in CAST:
                await self.emit(StaffJoined(staff_id=self.staff_id(key, branch), role=role, name=f"{key}{branch[-5:]}"),
                                branch)
        for branch in (NORTH, SOUTH):
            for key, _ in CAST:
                sid = self.staff_id(key, branch)
                assert await eventually(lambda sid=sid: self.db.staff.find_one({"_id": sid, "active": True}))

    async def archive(self, branch: str = NORTH, *, tier: str = "general", manager: str | None = "c1",
                      birthday: str | None = None, dates: list[tuple[str, int, int]] = (), frozen: bool = False,
                      handover_on: str | None = None, deals: list[dict] | None = None, lead_id: str | None = None) -> dict:
        """An archive as the archives part stores it (the fields this part reads)."""
        e164 = normalize(new_phone())
        digest = phone_hash(e164, self.settings.phone_hash_key)
        _id = uuid7()
        doc = {"_id": _id, "branch_id": branch, "person_key": f"{branch}:{digest}", "phone_hash": digest,
               "number": f"{int(_id[-6:], 16) % 1000000:06d}", "lead_id": lead_id, "category": "owner", "tier": tier,
               "account_manager_id": self.staff_id(manager, branch) if manager else None, "status": "active",
               "frozen": frozen, "deals": deals or [], "version": 1, "created_at": utcnow(),
               "customer": {"name": "王先生", "phone_masked": mask(e164), "phone_hash": digest,
                            "phone_sealed": seal(e164, self.settings.phone_seal_key), "birthday": birthday},
               "card": {"important_dates": [{"name": n, "date": f"{m:02d}-{d:02d}", "year": None, "month": m, "day": d}
                                            for n, m, d in dates], "handover_on": handover_on}}
        await self.db.archives.insert_one(doc)
        doc["e164"] = e164
        return doc

    async def events(self, type_: str) -> list[dict]:
        """The payloads (`data`) of the events of one type on the stream, oldest first."""
        return [e["data"] for e in await self.envelopes(type_)]

    async def envelopes(self, type_: str) -> list[dict]:
        return [e for e in (json.loads(m.data) for m in await stream_messages(self.settings)) if e["type"] == type_]


@asynccontextmanager
async def care(urls, **config):
    settings = isolated_settings(*urls)
    async with running([CustomersService(CustomersSettings(timers=False, **config))], settings) as (app, client):
        office = Care(settings, app, client)
        await office.populate()
        yield office
