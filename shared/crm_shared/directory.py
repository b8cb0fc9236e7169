"""The branch and staff directory every service other than leads keeps from leads' events.

Leads owns branches and staff; reception, notify, reports (and later services) need their
facts -- a branch's time zone and settings, a staff member's name, role, contacts (phone, email,
WeCom userid) and whether they are still active -- and keep a copy fed by `branch.configured`,
`staff.joined` and `staff.left`. One rule for all of them: **the newer event wins**. Each copy carries `as_of`,
the time of the event that wrote it; a write applies only if its event is not older, so a
late redelivery never rolls a newer fact back, in any order of arrival.

    table.on(BranchConfigured, StaffJoined, StaffLeft)(directory.record)   # subscriptions.py
    facts = await Directory(ctx.db, ctx.config.default_timezone).branch("sz-bay")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_shared.branches import DEFAULT_TIMEZONE, BranchSettings
from crm_shared.events import Envelope
from crm_shared.events.leads import BranchConfigured, StaffJoined, StaffLeft

BRANCHES, STAFF = "branches", "staff"
STAMP = "as_of"


@dataclass(frozen=True)
class BranchFacts:
    """A branch as last configured; the default settings until `branch.configured` arrives."""

    id: str
    name: str
    timezone: str = DEFAULT_TIMEZONE
    settings: BranchSettings = field(default_factory=BranchSettings)
    configured: bool = False
    raw_settings: dict[str, Any] = field(default_factory=dict)


async def newer_wins(col: Any, _id: str, at: datetime, fields: dict[str, Any]) -> bool:
    """Write `fields` unless the stored copy reflects a newer event; True if written."""
    for _ in range(3):
        res = await col.update_one({"_id": _id, "$or": [{STAMP: None}, {STAMP: {"$lte": at}}]},
                                   {"$set": {**fields, STAMP: at}})
        if res.matched_count:
            return True
        try:
            await col.insert_one({"_id": _id, **fields, STAMP: at})
            return True
        except DuplicateKeyError:
            if await col.find_one({"_id": _id, STAMP: {"$gt": at}}, projection={"_id": 1}):
                return False
    return False


class Directory:
    """Reads and writes of the directory in one database (`branches` and `staff` by default)."""

    def __init__(self, db: AsyncDatabase, default_timezone: str = DEFAULT_TIMEZONE,
                 branches: str = BRANCHES, staff: str = STAFF) -> None:
        self.db, self.default_timezone = db, default_timezone
        self.branches, self.staff = db[branches], db[staff]

    async def ensure_indexes(self) -> None:
        await self.staff.create_index([("branch_id", 1), ("role", 1)])

    async def record(self, env: Envelope, data: BranchConfigured | StaffJoined | StaffLeft) -> bool:
        """Apply one directory event (newer wins); a bad branch payload raises before anything is stored."""
        if isinstance(data, BranchConfigured):
            BranchSettings.from_event(data.settings)
            return await newer_wins(self.branches, data.branch_id, env.time, {
                "name": data.name, "timezone": data.timezone, "settings": data.settings, "configured": True})
        return await newer_wins(self.staff, data.staff_id, env.time, {
            "branch_id": env.branch_id, "role": data.role, "name": data.name,
            "email": data.email.lower() if data.email else None, "phone": getattr(data, "phone", None),
            "wecom_user_id": data.wecom_user_id, "active": isinstance(data, StaffJoined)})

    async def branch(self, branch_id: str) -> BranchFacts:
        return self.facts(branch_id, await self.branches.find_one({"_id": branch_id}))

    def facts(self, branch_id: str, doc: dict | None) -> BranchFacts:
        """A stored branch copy (or None) as facts: for callers that read many copies at once."""
        doc = doc or {}
        raw = doc.get("settings") or {}
        try:
            settings = BranchSettings.from_event(raw)
        except ValueError:
            settings = BranchSettings()
        return BranchFacts(branch_id, doc.get("name") or branch_id, doc.get("timezone") or self.default_timezone,
                           settings, bool(doc.get("configured")), raw)

    async def member(self, staff_id: str | None, active_only: bool = True) -> dict | None:
        """A staff member's copy (`name`, `role`, `branch_id`, `email`, `phone`, `wecom_user_id`, `active`)."""
        if not staff_id:
            return None
        doc = await self.staff.find_one({"_id": staff_id})
        return doc if doc and (doc.get("active") or not active_only) else None

    async def is_active(self, branch_id: str, staff_id: str, role: str | None = None) -> bool:
        doc = await self.member(staff_id)
        return bool(doc and doc.get("branch_id") == branch_id and (role is None or doc.get("role") == role))

    async def members(self, branch_id: str, role: str | None = None) -> list[dict]:
        """Active staff of a branch, optionally of one role (e.g. its managers)."""
        query: dict[str, Any] = {"branch_id": branch_id, "active": True}
        if role:
            query["role"] = role
        return await self.staff.find(query).to_list()


async def record(ctx: Any, env: Envelope, data: BranchConfigured | StaffJoined | StaffLeft) -> None:
    """Subscription handler: `table.on(BranchConfigured, StaffJoined, StaffLeft)(directory.record)`."""
    await Directory(ctx.db, ctx.settings.default_timezone).record(env, data)
