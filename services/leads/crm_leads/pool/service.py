"""Ownership moves: assign, release to the public pool (公海), claim from it, orphans of leavers."""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.errors import Conflict, Stale
from crm_shared.events import EventData
from crm_shared.events.leads import LeadAssigned, LeadClaimed, LeadReleased
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext

from crm_leads.context import OPEN_STATUSES, Branch, branch_or_default
from crm_leads.leads import rules
from crm_leads.leads.changes import require_open
from crm_leads.staff.service import active_consultant

SLIM = {"follow_ups": 0}
CLAIM_COUNTERS = "pool_claims"
COUNTER_KEPT = timedelta(days=2)
"""A claim counter counts one branch-local day; it is deleted this long after its last claim (Retention)."""


async def release(ctx: ServiceContext, branch: Branch, doc: dict, reason: str, expected: int | None = None,
                  now: datetime | None = None) -> dict:
    require_open(doc)
    if doc.get("in_pool"):
        raise Conflict("already-in-pool", "the lead is already in the public pool")
    now = now or utcnow()
    sets = {"in_pool": True, "owner_id": None, "next_follow_up_at": None, "missed_count": 0, "released_at": now,
            "updated_at": now}
    if doc.get("owner_id"):
        sets[f"pool_history.{doc['owner_id']}"] = now
    env = event(LeadReleased(lead_id=doc["_id"], owner_id=None, previous_owner_id=doc.get("owner_id"), reason=reason,
                             customer_name=doc["customer"].get("name")),
                branch.id, doc["_id"])
    return await ctx.aggregate("leads").change(doc, expected, {"$set": sets}, env)


async def assign(ctx: ServiceContext, branch: Branch, doc: dict, owner_id: str, reason: str,
                 expected: int | None = None, now: datetime | None = None,
                 announce: type[EventData] = LeadAssigned, note: str | None = None) -> dict:
    require_open(doc)
    now = now or utcnow()
    sets = {"owner_id": owner_id, "in_pool": False, "last_activity_at": now, "missed_count": 0, "reclaim_warned_for": None,
            "next_follow_up_at": rules.next_follow_up(now, doc.get("grade"), branch.settings, branch.timezone),
            "updated_at": now}
    env = event(announce(lead_id=doc["_id"], owner_id=owner_id, previous_owner_id=doc.get("owner_id"), reason=reason,
                         customer_name=doc["customer"].get("name"),
                         note=note), branch.id, doc["_id"])
    return await ctx.aggregate("leads").change(doc, expected, {"$set": sets}, env)


async def assign_many(ctx: ServiceContext, branch: Branch, lead_ids: list[str], owner_id: str,
                      note: str | None) -> list[dict]:
    """A manager's bulk assignment: each lead its own versioned write and `lead.assigned`, so one
    lead changed meanwhile is judged again as it is now and never blocks the others."""
    outcomes = []
    found = {d["_id"]: d for d in await ctx.aggregate("leads").find({"_id": {"$in": lead_ids}, "branch_id": branch.id},
                                                                    SLIM).to_list()}
    for lead_id in lead_ids:
        outcomes.append(await _assign_one(ctx, branch, found.get(lead_id), lead_id, owner_id, note))
    return outcomes


async def _assign_one(ctx: ServiceContext, branch: Branch, doc: dict | None, lead_id: str, owner_id: str,
                      note: str | None) -> dict:
    for _ in range(3):
        if doc is None:
            return {"lead_id": lead_id, "outcome": "not_found"}
        if doc["status"] not in OPEN_STATUSES:
            return {"lead_id": lead_id, "outcome": "closed", "owner_id": doc.get("owner_id"), "version": doc["version"]}
        if doc.get("owner_id") == owner_id:
            return {"lead_id": lead_id, "outcome": "unchanged", "owner_id": owner_id, "version": doc["version"]}
        try:
            done = await assign(ctx, branch, doc, owner_id, "manual", note=note)
            return {"lead_id": lead_id, "outcome": "assigned", "owner_id": owner_id, "version": done["version"]}
        except Stale:  # changed since read: judge it again as it is now
            doc = await ctx.aggregate("leads").find_one({"_id": lead_id, "branch_id": branch.id}, SLIM)
    return {"lead_id": lead_id, "outcome": "busy"}


async def _take_quota(ctx: ServiceContext, branch: Branch, staff_id: str, now: datetime) -> str:
    limit = branch.settings.pool_claims_per_day
    key = f"{branch.id}:{staff_id}:{rules.claim_day(now, branch.timezone)}"
    try:
        got = await ctx.db[CLAIM_COUNTERS].find_one_and_update(
            {"_id": key, "n": {"$lt": limit}}, {"$inc": {"n": 1}, "$set": {"at": now}}, upsert=True,
            return_document=ReturnDocument.AFTER,
        ) if limit > 0 else None
    except DuplicateKeyError:
        got = None
    if got is None or got["n"] > limit:
        if got is not None:
            await ctx.db[CLAIM_COUNTERS].update_one({"_id": key}, {"$inc": {"n": -1}})
        raise Conflict("claim-limit", f"at most {limit} pool claims per day", limit=limit)
    return key


async def claim(ctx: ServiceContext, branch: Branch, doc: dict, staff_id: str, now: datetime | None = None) -> dict:
    """Take a lead from the pool within the daily limit, never one this consultant lost recently;
    only the branch's own active consultants claim (422 `invalid-owner`)."""
    now = now or utcnow()
    if doc["status"] not in OPEN_STATUSES or not doc.get("in_pool"):
        raise Conflict("not-claimable", "the lead is not in the public pool")
    await active_consultant(ctx, staff_id, branch.id)
    if not rules.may_claim((doc.get("pool_history") or {}).get(staff_id), now, branch.settings):
        raise Conflict("not-claimable", "you lost this lead to the pool too recently to claim it back")
    key = await _take_quota(ctx, branch, staff_id, now)
    try:
        return await assign(ctx, branch, doc, staff_id, "pool_claim", now=now, announce=LeadClaimed)
    except Stale:
        await ctx.db[CLAIM_COUNTERS].update_one({"_id": key}, {"$inc": {"n": -1}})
        raise Conflict("not-claimable", "the lead was claimed or changed concurrently") from None


async def settle_orphans(ctx: ServiceContext, branch_id: str, staff_id: str, heir: str | None, by: str) -> tuple[int, int]:
    """A leaver's open leads go to the pool, or all to the manager's chosen heir (认养孤儿)."""
    branch = await branch_or_default(ctx, branch_id)
    released = reassigned = 0
    query = {"branch_id": branch_id, "owner_id": staff_id, "status": {"$in": list(OPEN_STATUSES)}}
    for doc in await ctx.aggregate("leads").find(query, SLIM).to_list():
        for _ in range(3):
            try:
                if heir:
                    await assign(ctx, branch, doc, heir, "staff_left")
                    reassigned += 1
                else:
                    await release(ctx, branch, doc, "staff_left")
                    released += 1
                break
            except Stale:  # changed meanwhile: judge it again as it is now
                doc = await ctx.aggregate("leads").find_one({**query, "_id": doc["_id"]}, SLIM)
                if doc is None:
                    break
    return released, reassigned
