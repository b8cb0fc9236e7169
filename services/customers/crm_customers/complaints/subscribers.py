"""What complaints keep of other services' facts: each lead's branch and customer (sealed), so a complaint may
name the customer by `lead_id` and another branch's lead is refused."""

from __future__ import annotations

from crm_shared.directory import newer_wins
from crm_shared.events import Envelope
from crm_shared.events.leads import LeadRegistered
from crm_shared.plugins import ServiceContext

LEAD_COPIES = "lead_copies"


async def on_lead_registered(ctx: ServiceContext, env: Envelope, data: LeadRegistered) -> None:
    c = data.customer
    await newer_wins(ctx.db[LEAD_COPIES], data.lead_id, env.time, {
        "branch_id": env.branch_id, "customer": {"name": c.name, "phone_masked": c.phone_masked,
                                                 "phone_hash": c.phone_hash,
                                                 "phone_sealed": getattr(c, "phone_sealed", None)}})
