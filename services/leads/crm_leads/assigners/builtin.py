"""The shipped assigners: `round_robin` (skips staff who left) and `least_loaded`."""

from __future__ import annotations

from pymongo import ReturnDocument

from crm_shared.plugins import ServiceContext

from crm_leads.assigners.base import Assigner
from crm_leads.context import OPEN_STATUSES
from crm_leads.staff.service import active_consultants


class RoundRobin(Assigner):
    """Active consultants in id order, one after another; a leaver simply drops out of the ring."""

    name = "round_robin"

    async def choose(self, ctx: ServiceContext, branch_id: str) -> str | None:
        ring = await active_consultants(ctx, branch_id)
        if not ring:
            return None
        turn = await ctx.db.assigner_state.find_one_and_update(
            {"_id": f"rr:{branch_id}"}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        return ring[(turn["n"] - 1) % len(ring)]["_id"]


class LeastLoaded(Assigner):
    """The active consultant with the fewest open leads; ties go to the earliest joined."""

    name = "least_loaded"

    async def choose(self, ctx: ServiceContext, branch_id: str) -> str | None:
        ring = await active_consultants(ctx, branch_id)
        if not ring:
            return None
        load = {d["_id"]: 0 for d in ring}
        match = {"branch_id": branch_id, "status": {"$in": list(OPEN_STATUSES)}, "owner_id": {"$in": list(load)}}
        counts = await ctx.db.leads.aggregate([{"$match": match}, {"$group": {"_id": "$owner_id", "n": {"$sum": 1}}}])
        async for row in counts:
            load[row["_id"]] += row["n"]
        return min(load, key=lambda staff_id: (load[staff_id], staff_id))
