"""Reception's own copies of branches, staff and open leads, built only from leads events.

Handlers are idempotent and order-tolerant: every overwrite is guarded by the time of the
event that caused it (`as_of`), so a late, older event never undoes a newer one, and a
closed lead stays closed whatever arrives after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared.branches import DEFAULT_TIMEZONE, BranchSettings
from crm_shared.plugins import ServiceContext

BRANCHES, STAFF, LEADS, LEAD_PHONES = "branches", "staff", "leads", "lead_phones"


@dataclass
class Branch:
    id: str
    timezone: str
    settings: BranchSettings
    raw: dict[str, Any]


async def set_if_newer(col: Any, _id: str, at: datetime, fields: dict[str, Any], stamp: str = "as_of") -> bool:
    """Write `fields` unless the stored copy already reflects a newer event; True if written."""
    for _ in range(3):
        res = await col.update_one(
            {"_id": _id, "$or": [{stamp: {"$exists": False}}, {stamp: {"$lte": at}}]},
            {"$set": {**fields, stamp: at}},
        )
        if res.matched_count:
            return True
        try:
            await col.insert_one({"_id": _id, **fields, stamp: at})
            return True
        except DuplicateKeyError:
            if await col.find_one({"_id": _id, stamp: {"$gt": at}}, projection={"_id": 1}):
                return False
    return False


async def record_branch(ctx: ServiceContext, branch_id: str, timezone: str, settings: dict, at: datetime) -> None:
    await set_if_newer(ctx.db[BRANCHES], branch_id, at, {"timezone": timezone, "settings": settings})


async def branch(ctx: ServiceContext, branch_id: str) -> Branch:
    """The branch as last configured; the handbook's defaults until `branch.configured` arrives."""
    doc = await ctx.db[BRANCHES].find_one({"_id": branch_id}) or {}
    raw = doc.get("settings") or {}
    try:
        settings = BranchSettings.from_event(raw)
    except ValueError:
        settings = BranchSettings()
    return Branch(branch_id, doc.get("timezone") or ctx.settings.default_timezone or DEFAULT_TIMEZONE, settings, raw)


async def record_staff(ctx: ServiceContext, branch_id: str, staff_id: str, role: str, name: str,
                       active: bool, at: datetime) -> bool:
    return await set_if_newer(ctx.db[STAFF], staff_id, at,
                              {"branch_id": branch_id, "role": role, "name": name, "active": active})


async def is_active_consultant(ctx: ServiceContext, branch_id: str, staff_id: str) -> bool:
    doc = await ctx.db[STAFF].find_one({"_id": staff_id})
    return bool(doc and doc.get("active") and doc.get("branch_id") == branch_id and doc.get("role") == "consultant")


async def record_lead(ctx: ServiceContext, branch_id: str, lead_id: str, phone_hash: str) -> None:
    await ctx.db[LEADS].update_one({"_id": lead_id}, {"$set": {"branch_id": branch_id, "phone_hash": phone_hash}}, upsert=True)
    await ctx.db[LEAD_PHONES].update_one(
        {"_id": f"{branch_id}:{phone_hash}"}, {"$addToSet": {"lead_ids": lead_id}}, upsert=True
    )


async def record_owner(ctx: ServiceContext, lead_id: str, owner_id: str | None, at: datetime) -> None:
    await set_if_newer(ctx.db[LEADS], lead_id, at, {"owner_id": owner_id}, stamp="owner_at")


async def close_lead(ctx: ServiceContext, lead_id: str) -> None:
    await ctx.db[LEADS].update_one({"_id": lead_id}, {"$set": {"closed": True}}, upsert=True)


async def open_lead(ctx: ServiceContext, branch_id: str, phone_hash: str) -> dict | None:
    """The open lead of this phone in the branch (at most one, by the leads service's dedup)."""
    index = await ctx.db[LEAD_PHONES].find_one({"_id": f"{branch_id}:{phone_hash}"})
    for lead_id in reversed((index or {}).get("lead_ids", [])):
        lead = await ctx.db[LEADS].find_one({"_id": lead_id})
        if lead and not lead.get("closed") and lead.get("branch_id") == branch_id:
            return lead
    return None
