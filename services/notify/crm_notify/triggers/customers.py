"""Who a lead's customer is, so a staff notice names them: notify's memory of lead names.

Fed by `lead.registered` (name, masked phone) and `lead.updated` (a changed `customer.name`),
the newer event winning (`crm_shared.directory.newer_wins`). An event that carries
`customer_name` itself is believed first; a lead notify never heard of is "a customer".
"""

from __future__ import annotations

from typing import Any

from crm_shared.directory import newer_wins
from crm_shared.events import Envelope
from crm_shared.events.leads import LeadRegistered, LeadUpdated
from crm_shared.plugins import ServiceContext
from crm_notify.templates.words import customer_phrase

LEAD_NAMES = "lead_names"


async def on_registered(ctx: ServiceContext, env: Envelope, data: LeadRegistered) -> None:
    col = ctx.db[LEAD_NAMES]
    await newer_wins(col, data.lead_id, env.time, {"branch_id": env.branch_id, "name": data.customer.name})
    await col.update_one({"_id": data.lead_id}, {"$set": {"phone_masked": data.customer.phone_masked}})


async def on_updated(ctx: ServiceContext, env: Envelope, data: LeadUpdated) -> None:
    """Only a renamed customer matters here; every other change is ignored."""
    name = data.changes.get("customer.name")
    if isinstance(name, str) and name.strip():
        await newer_wins(ctx.db[LEAD_NAMES], data.lead_id, env.time, {"branch_id": env.branch_id, "name": name})


async def customer(ctx: ServiceContext, branch_id: str, lead_id: str | None, given: str | None = None,
                   locale: str = "zh-CN") -> dict[str, Any]:
    """Template variables naming a lead's customer: `customer_name`, `customer_phone_masked`, `customer` (the phrase)."""
    doc = await ctx.db[LEAD_NAMES].find_one({"_id": lead_id, "branch_id": branch_id}) if lead_id else None
    doc = doc or {}
    name = (given or doc.get("name") or "").strip()
    phone = doc.get("phone_masked") or ""
    return {"customer_name": name, "customer_phone_masked": phone, "customer": customer_phrase(name, phone, locale)}
