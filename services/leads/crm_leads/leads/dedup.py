"""One open lead per (branch, E.164 phone), without partial indexes or transactions.

A claim document whose `_id` is `<branch>:<phone hash>` is taken before the lead is written;
its unique `_id` makes concurrent registrations of one phone produce exactly one lead. A claim
whose lead is closed, or was never written (the writer died), is taken over conditionally.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from crm_shared.plugins import ServiceContext

from crm_leads.context import OPEN_STATUSES, conflict

CLAIMS = "phone_claims"
IN_FLIGHT = timedelta(seconds=30)  # a claim this young without its lead is a registration in progress


def claim_key(branch_id: str, phone_hash: str) -> str:
    return f"{branch_id}:{phone_hash}"


async def holder(ctx: ServiceContext, branch_id: str, phone_hash: str) -> dict | None:
    """The open lead holding this phone in the branch, if any."""
    claim = await ctx.db[CLAIMS].find_one({"_id": claim_key(branch_id, phone_hash)})
    if claim is None:
        return None
    lead = await ctx.db.leads.find_one({"_id": claim["lead_id"]}, projection={"follow_ups": 0, "pending_events": 0})
    return lead if lead is not None and lead["status"] in OPEN_STATUSES else None


async def take(ctx: ServiceContext, branch_id: str, phone_hash: str, lead_id: str, now: datetime) -> dict | None:
    """Reserve the phone for `lead_id`; returns the open lead (or in-flight claim) that already holds it."""
    key = claim_key(branch_id, phone_hash)
    for _ in range(5):
        try:
            await ctx.db[CLAIMS].insert_one({"_id": key, "lead_id": lead_id, "at": now})
            return None
        except DuplicateKeyError:
            claim = await ctx.db[CLAIMS].find_one({"_id": key})
        if claim is None:
            continue
        if claim["lead_id"] == lead_id:
            return None
        lead = await ctx.db.leads.find_one({"_id": claim["lead_id"]}, projection={"follow_ups": 0, "pending_events": 0})
        if lead is not None and lead["status"] in OPEN_STATUSES:
            return lead
        if lead is None and claim["at"] > now - IN_FLIGHT:
            return {"_id": claim["lead_id"], "branch_id": branch_id, "in_flight": True}
        taken = await ctx.db[CLAIMS].find_one_and_update(
            {"_id": key, "lead_id": claim["lead_id"]}, {"$set": {"lead_id": lead_id, "at": now}}
        )
        if taken is not None:
            return None
    raise conflict("busy-phone", "the phone is being registered concurrently; retry")


async def give_back(ctx: ServiceContext, branch_id: str, phone_hash: str, lead_id: str) -> None:
    """Free the phone when its lead closes or was never written."""
    await ctx.db[CLAIMS].delete_one({"_id": claim_key(branch_id, phone_hash), "lead_id": lead_id})
