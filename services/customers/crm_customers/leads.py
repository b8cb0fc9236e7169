"""What the customers service keeps of leads: each lead's branch and customer (sealed), so an archive or a
complaint may name the customer's lead by `lead_id`, and another branch's lead is refused."""

from __future__ import annotations

from crm_shared.directory import newer_wins
from crm_shared.events import Envelope
from crm_shared.events.leads import LeadRegistered
from crm_shared.errors import Invalid
from crm_shared.plugins import ServiceContext

LEAD_COPIES = "lead_copies"


async def on_lead_registered(ctx: ServiceContext, env: Envelope, data: LeadRegistered) -> None:
    c = data.customer
    await newer_wins(ctx.db[LEAD_COPIES], data.lead_id, env.time, {
        "branch_id": env.branch_id, "customer": {"name": c.name, "phone_masked": c.phone_masked,
                                                 "phone_hash": c.phone_hash,
                                                 "phone_sealed": getattr(c, "phone_sealed", None)}})


async def known_lead(ctx: ServiceContext, branch_id: str, lead_id: str | None) -> dict | None:
    """The lead a body names: one of the branch's (a copy kept from `lead.registered`), else 422 `unknown-lead`."""
    if lead_id is None:
        return None
    doc = await ctx.db[LEAD_COPIES].find_one({"_id": lead_id, "branch_id": branch_id})
    if doc is None:
        raise Invalid("lead_id names no lead of this branch", kind="unknown-lead", loc=["body", "lead_id"])
    return doc
