"""Time-driven lead work, each a function of `now`: overdue follow-ups, reclaim warnings, reclaim.

Each change is a version-guarded write carrying its event, so two replicas (or a restart
mid-scan) never fire the same missed date or reclaim twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_shared.aggregates import event
from crm_shared.errors import Stale
from crm_shared.events.leads import LeadFollowUpOverdue, LeadReclaimWarning
from crm_shared.plugins import ServiceContext

from crm_leads.context import OPEN_STATUSES, Branch
from crm_leads.leads import rules
from crm_leads.pool.service import release

SLIM = {"follow_ups": 0, "visits": 0}


async def branches(ctx: ServiceContext) -> list[Branch]:
    return [Branch(d, ctx.config.default_timezone) for d in await ctx.aggregate("branches").find({}).to_list()]


def _owned_open(branch_id: str) -> dict:
    return {"branch_id": branch_id, "status": {"$in": list(OPEN_STATUSES)}, "owner_id": {"$ne": None}}


async def overdue(ctx: ServiceContext, now: datetime) -> int:
    """`lead.follow_up_overdue` once per missed date, with how many dates are missed so far."""
    fired = 0
    for branch in await branches(ctx):
        query = _owned_open(branch.id) | {"next_follow_up_at": {"$lt": now}}
        async for doc in ctx.aggregate("leads").find(query, SLIM):
            days = rules.cadence_days(doc.get("grade"), branch.settings)
            missed = rules.missed_dates(doc["next_follow_up_at"], days, now)
            if missed <= (doc.get("missed_count") or 0):
                continue
            due = rules.latest_missed_date(doc["next_follow_up_at"], days, missed)
            env = event(LeadFollowUpOverdue(lead_id=doc["_id"], owner_id=doc["owner_id"], due_at=due, missed_count=missed,
                                            customer_name=doc["customer"].get("name")),
                        branch.id, doc["_id"])
            done = await ctx.aggregate("leads").update({"_id": doc["_id"], "version": doc["version"]},
                                                       {"$set": {"missed_count": missed}}, env)
            fired += done is not None
    return fired


async def reclaim(ctx: ServiceContext, now: datetime) -> tuple[int, int]:
    """Warn owners before reclaim, then release leads without a follow-up for `reclaim_after_days`."""
    warned = released = 0
    for branch in await branches(ctx):
        s = branch.settings
        released += await _orphans(ctx, branch, now)
        stale_before = now - timedelta(days=s.reclaim_after_days)
        query = _owned_open(branch.id) | {"in_pool": False, "last_activity_at": {"$lt": stale_before}}
        for doc in await ctx.aggregate("leads").find(query, SLIM).to_list():
            try:
                await release(ctx, branch, doc, "no_follow_up", now=now)
                released += 1
            except Stale:
                continue  # changed meanwhile: the next scan judges it afresh
        if s.reclaim_warning_days <= 0:
            continue
        warn_before = stale_before + timedelta(days=s.reclaim_warning_days)
        query = _owned_open(branch.id) | {"in_pool": False, "last_activity_at": {"$lt": warn_before, "$gte": stale_before}}
        async for doc in ctx.aggregate("leads").find(query, SLIM):
            if doc.get("reclaim_warned_for") == doc["last_activity_at"]:
                continue
            env = event(LeadReclaimWarning(lead_id=doc["_id"], owner_id=doc["owner_id"],
                                           reclaim_at=rules.reclaim_at(doc["last_activity_at"], s),
                                           customer_name=doc["customer"].get("name")), branch.id, doc["_id"])
            done = await ctx.aggregate("leads").update({"_id": doc["_id"], "version": doc["version"]},
                                                       {"$set": {"reclaim_warned_for": doc["last_activity_at"]}}, env)
            warned += done is not None
    return warned, released


async def _orphans(ctx: ServiceContext, branch: Branch, now: datetime) -> int:
    """Safety net for the orphan rule: open leads still owned by someone who left go to the pool."""
    left = [d["_id"] for d in await ctx.db.staff.find({"branch_id": branch.id, "active": False}, projection={"_id": 1}).to_list()]
    if not left:
        return 0
    count = 0
    query = _owned_open(branch.id) | {"owner_id": {"$in": left}, "in_pool": False}
    for doc in await ctx.aggregate("leads").find(query, SLIM).to_list():
        try:
            await release(ctx, branch, doc, "staff_left", now=now)
            count += 1
        except Stale:
            continue  # changed meanwhile: the next scan judges it afresh
    return count
