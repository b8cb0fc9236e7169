"""Reception's own copy of open leads, built only from leads events: who a returning visitor's
phone belongs to, and who owns that lead.

Order-tolerant and idempotent: the owner is written under the shared "newer event wins" rule
(`crm_shared.directory.newer_wins`, stamp `as_of`), so a late, older assignment never undoes a
newer one; a closed lead stays closed whatever arrives after. Branches and staff come from the
shared directory (`ctx.state.directory`).
"""

from __future__ import annotations

from datetime import datetime

from crm_shared.directory import newer_wins
from crm_shared.plugins import ServiceContext

LEADS, LEAD_PHONES = "leads", "lead_phones"


async def record_lead(ctx: ServiceContext, branch_id: str, lead_id: str, phone_hash: str) -> None:
    await ctx.db[LEADS].update_one({"_id": lead_id}, {"$set": {"branch_id": branch_id, "phone_hash": phone_hash}}, upsert=True)
    await ctx.db[LEAD_PHONES].update_one(
        {"_id": f"{branch_id}:{phone_hash}"}, {"$addToSet": {"lead_ids": lead_id}}, upsert=True
    )


async def record_owner(ctx: ServiceContext, lead_id: str, owner_id: str | None, at: datetime) -> None:
    await newer_wins(ctx.db[LEADS], lead_id, at, {"owner_id": owner_id})


async def close_lead(ctx: ServiceContext, lead_id: str) -> None:
    await ctx.db[LEADS].update_one({"_id": lead_id}, {"$set": {"closed": True}}, upsert=True)


async def lead_of_branch(ctx: ServiceContext, branch_id: str, lead_id: str) -> dict | None:
    """The lead if reception has seen it registered in this branch (open or closed), else None."""
    lead = await ctx.db[LEADS].find_one({"_id": lead_id})
    return lead if lead is not None and lead.get("branch_id") == branch_id else None


async def open_lead(ctx: ServiceContext, branch_id: str, phone_hash: str) -> dict | None:
    """The open lead of this phone in the branch (at most one, by the leads service's dedup)."""
    index = await ctx.db[LEAD_PHONES].find_one({"_id": f"{branch_id}:{phone_hash}"})
    for lead_id in reversed((index or {}).get("lead_ids", [])):
        lead = await ctx.db[LEADS].find_one({"_id": lead_id})
        if lead and not lead.get("closed") and lead.get("branch_id") == branch_id:
            return lead
    return None
