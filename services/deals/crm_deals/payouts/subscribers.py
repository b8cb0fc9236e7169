"""Deals' own events drive payouts (consumer `payouts`): each keeps the part's copy of the deal and settles
its payouts; partner and referrer registrations keep the names that answers show. Idempotent: flags only
ever turn on, what can change is newer-event-wins, and settling twice changes nothing."""

from __future__ import annotations

from crm_shared.directory import newer_wins
from crm_shared.events import Envelope
from crm_shared.events.deals import (DealAttributionChanged, DealCancelled, DealPaid, DealSigned,
                                     DealUnitChanged)
from crm_shared.events.leads import PartnerRegistered, ReferrerRegistered
from crm_shared.plugins import ServiceContext

from crm_deals.payouts import service

FLAGS = {DealSigned: {"signed": True}, DealPaid: {"signed": True, "paid": True}, DealCancelled: {"cancelled": True}}

DealEvent = DealSigned | DealPaid | DealCancelled | DealUnitChanged | DealAttributionChanged


async def _product_type(ctx: ServiceContext, data: DealEvent) -> str | None:
    if data.product_type:
        return data.product_type
    unit = await ctx.db.units.find_one({"_id": data.unit_id}, projection={"product_type": 1})
    return (unit or {}).get("product_type")


async def on_deal(ctx: ServiceContext, env: Envelope, data: DealEvent) -> None:
    """Signed → pending; paid → due; cancelled → void / clawback; a new credit or unit → settled again."""
    fields = {"branch_id": env.branch_id, "lead_id": data.lead_id, "unit_id": data.unit_id,
              "agreed_price": data.agreed_price, "attribution": data.attribution.model_dump()}
    if product := await _product_type(ctx, data):
        fields["product_type"] = product
    if data.customer_name:
        fields["customer_name"] = data.customer_name
    await newer_wins(ctx.db[service.DEALS], data.deal_id, env.time, fields)
    if flags := FLAGS.get(type(data)):
        await ctx.db[service.DEALS].update_one({"_id": data.deal_id}, {"$set": flags})
    await service.settle(ctx, data.deal_id)


async def on_registered(ctx: ServiceContext, env: Envelope, data: PartnerRegistered | ReferrerRegistered) -> None:
    """The beneficiary's name (and a referrer's kind), for answers and events that name people."""
    if isinstance(data, PartnerRegistered):
        _id, fields = f"partner:{data.partner_id}", {"kind": data.kind, "agency_id": data.agency_id}
    else:
        _id, fields = f"referrer:{data.referrer_id}", {"kind": data.kind}
    await newer_wins(ctx.db[service.NAMES], _id, env.time, {"branch_id": env.branch_id, "name": data.name, **fields})
