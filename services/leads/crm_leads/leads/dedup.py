"""One open lead per (branch, E.164 phone), without partial indexes or transactions.

Every lead carries `dedup_key`, under a plain unique index: `<branch>:<phone hash>` while the
lead is open, `closed:<lead id>` once it is won or lost (set in the same write that closes it).
So the store itself admits exactly one open lead per phone, even under concurrent
registrations, on MongoDB and on the dev store alike, and a closed lead frees the phone
atomically: there is no second document to recover after a crash.
"""

from __future__ import annotations

from crm_shared.plugins import ServiceContext

from crm_leads.context import OPEN_STATUSES

FIELD = "dedup_key"
SLIM = {"follow_ups": 0}


def open_key(branch_id: str, phone_hash: str) -> str:
    return f"{branch_id}:{phone_hash}"


def closed_key(lead_id: str) -> str:
    return f"closed:{lead_id}"


async def ensure_index(ctx: ServiceContext) -> None:
    await ctx.db.leads.create_index([(FIELD, 1)], unique=True, name="one_open_lead_per_phone")


async def holder(ctx: ServiceContext, branch_id: str, phone_hash: str) -> dict | None:
    """The open lead holding this phone in the branch, if any."""
    lead = await ctx.aggregate("leads").find_one({FIELD: open_key(branch_id, phone_hash)}, SLIM)
    return lead if lead is not None and lead["status"] in OPEN_STATUSES else None

