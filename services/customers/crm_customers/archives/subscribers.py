"""Owner archives from signed deals (签约 → 业主档案)."""

from __future__ import annotations

import logging

from crm_shared.errors import Conflict
from crm_shared.events import Envelope
from crm_shared.events.customers import ArchiveUpdated
from crm_shared.events.deals import DealSigned
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext

from crm_customers.archives import opening, service

log = logging.getLogger("crm.customers.archives")


async def _buyer(ctx: ServiceContext, data: DealSigned) -> dict | None:
    """The buyer as an archive keeps them: unsealed to re-seal and hash with our keys, or as sent."""
    c = data.customer
    if c is None:
        return None
    e164 = await ctx.keys.unseal(c.phone_sealed)
    if e164:
        return await service.customer_fields(ctx, c.name, e164)
    if not c.phone_hash:
        return None
    return {"name": c.name, "phone_masked": c.phone_masked, "phone_hash": c.phone_hash, "phone_sealed": None,
            "birthday": None}


async def on_deal_signed(ctx: ServiceContext, env: Envelope, data: DealSigned) -> None:
    """Open the buyer's owner archive (account manager: the deal's owner), or, when the person already has one in
    the branch, make it an owner's and link the deal. Idempotent: a deal already linked changes nothing."""
    buyer = await _buyer(ctx, data)
    if buyer is None:
        log.warning("deal %s signed without a buyer's contact: no archive", data.deal_id)
        return
    link = {"deal_id": data.deal_id, "signed_at": data.signed_at or env.time, "unit_id": data.unit_id,
            "contract_no": data.contract_no}
    facts = await ctx.state.branch(env.branch_id)
    doc = service.new_doc(ctx, env.branch_id, buyer, category="owner", tier="general", by=f"deal:{data.deal_id}",
                          account_manager_id=data.owner_id, card={}, tz=facts.timezone, lead_id=data.lead_id,
                          deals=[link])
    try:
        await opening.open_one(ctx, doc)
        return
    except Conflict as exc:
        if exc.kind != "archive-exists":
            raise
        archive_id = exc.fields["existing_archive_id"]
    held = await ctx.aggregate(service.ARCHIVES).find_one({"_id": archive_id})
    if held is None or any(d.get("deal_id") == data.deal_id for d in held.get("deals") or []):
        return
    after = {**held, "category": "owner"}
    changes = ["deals"] + (["category"] if held["category"] != "owner" else [])
    await ctx.aggregate(service.ARCHIVES).update(
        {"_id": archive_id, "deals.deal_id": {"$ne": data.deal_id}},
        {"$set": {"category": "owner", "updated_at": utcnow()}, "$push": {"deals": link}},
        service.change_event(ArchiveUpdated, after, changes=changes))
