"""Staff contacts and branch settings, kept from staff.* and branch.configured events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared.branches import DEFAULT_TIMEZONE, BranchSettings, zone

STAFF = "staff"
BRANCHES = "branches"


@dataclass(frozen=True)
class BranchInfo:
    branch_id: str
    name: str
    timezone: str = DEFAULT_TIMEZONE
    settings: BranchSettings = field(default_factory=BranchSettings)
    managers: tuple[str, ...] = ()


async def branch(db: Any, branch_id: str) -> BranchInfo:
    doc = await db[BRANCHES].find_one({"_id": branch_id})
    if doc is None:
        return BranchInfo(branch_id, branch_id)
    return BranchInfo(branch_id, doc.get("name") or branch_id, doc.get("timezone") or DEFAULT_TIMEZONE,
                      BranchSettings.from_event(doc.get("settings") or {}), tuple(doc.get("managers") or ()))


async def configure_branch(db: Any, branch_id: str, name: str | None, timezone: str, settings: dict, at: datetime) -> None:
    """Newest configuration wins, so a late redelivery never rolls settings back."""
    BranchSettings.from_event(settings)  # a bad payload fails here, before anything is stored
    await db[BRANCHES].update_one({"_id": branch_id}, {"$setOnInsert": {"managers": []}}, upsert=True)
    await db[BRANCHES].update_one(
        {"_id": branch_id, "$or": [{"configured_at": None}, {"configured_at": {"$lte": at}}]},
        {"$set": {"name": name, "timezone": timezone, "settings": settings, "configured_at": at}},
    )


async def staff_joined(db: Any, staff: dict, at: datetime) -> None:
    try:
        await db[STAFF].update_one(
            {"_id": staff["staff_id"], "$or": [{"changed_at": None}, {"changed_at": {"$lte": at}}]},
            {"$set": {**{k: v for k, v in staff.items() if k != "staff_id"}, "active": True, "changed_at": at}},
            upsert=True,
        )
    except DuplicateKeyError:  # a newer change is already stored
        return
    if staff["role"] == "manager":
        await db[BRANCHES].update_one({"_id": staff["branch_id"]}, {"$addToSet": {"managers": staff["staff_id"]}}, upsert=True)


async def staff_left(db: Any, staff: dict, at: datetime) -> None:
    try:
        await db[STAFF].update_one(
            {"_id": staff["staff_id"], "$or": [{"changed_at": None}, {"changed_at": {"$lte": at}}]},
            {"$set": {"active": False, "changed_at": at, "branch_id": staff["branch_id"], "role": staff["role"]}},
            upsert=True,
        )
    except DuplicateKeyError:
        return
    await db[BRANCHES].update_one({"_id": staff["branch_id"]}, {"$pullAll": {"managers": [staff["staff_id"]]}})


async def staff_member(db: Any, staff_id: str | None) -> dict | None:
    if not staff_id:
        return None
    doc = await db[STAFF].find_one({"_id": staff_id})
    return doc if doc and doc.get("active", True) else None


async def managers(db: Any, info: BranchInfo) -> list[dict]:
    found = [await staff_member(db, m) for m in info.managers]
    return [m for m in found if m]


def local_text(moment: datetime, tz: str, locale: str) -> str:
    local = moment.astimezone(zone(tz))
    if locale == "en":
        return local.strftime("%Y-%m-%d %H:%M")
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
