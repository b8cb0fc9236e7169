"""Deals' events on the lead (issue 18): `deal.signed` wins it and shows the deal, `deal.paid` records the money
arrived, `deal.cancelled` records the refund and, for the deal that won the lead, reopens it for follow-up.

`deal.unit_changed` (换房) moves the lead's deal to the new unit and price (and the lead's amount, when that deal won
it). Each deal's latest unit change is kept in `deal_units` (newer event wins), so a signing that arrives after a
later unit change still shows the new unit.

Idempotent and order-tolerant: every write is guarded by the lead's version, and per deal the later stage wins
(`rules.merged`), so a redelivery or a late event changes nothing and publishes nothing.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.events import Envelope
from crm_shared.directory import newer_wins
from crm_shared.events.deals import DealCancelled, DealPaid, DealSigned, DealUnitChanged
from crm_shared.events.leads import LeadUpdated, LeadWon
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext

from crm_leads.context import branch_or_default
from crm_leads.deals import rules
from crm_leads.deals.money import yuan_number
from crm_leads.leads import dedup
from crm_leads.leads import rules as lead_rules

SLIM = {"follow_ups": 0, "visits": 0}
TRIES = 5
DEAL_UNITS = "deal_units"
"""Per deal (`_id` = deal id) its latest unit change as leads heard of it (`rules.move_of`), newer event wins."""


async def on_deal(ctx: ServiceContext, env: Envelope, data: DealSigned | DealPaid | DealCancelled) -> None:
    """Apply one deal event to its lead (of the event's branch; a lead leads does not know is left alone)."""
    move = await ctx.db[DEAL_UNITS].find_one({"_id": data.deal_id, "branch_id": env.branch_id})
    for _ in range(TRIES):
        lead = await ctx.aggregate("leads").find_one({"_id": data.lead_id, "branch_id": env.branch_id}, SLIM)
        if lead is None:
            return
        done = rules.merged(lead.get("deals") or [], rules.entry_of(data, env.time), move)
        if done is None:
            return  # this stage of the deal is on the lead already
        deals, entry = done
        if await _apply(ctx, env, data, lead, deals, entry):
            return
    raise RuntimeError(f"lead {data.lead_id} kept changing while recording deal {data.deal_id}")


async def on_unit_changed(ctx: ServiceContext, env: Envelope, data: DealUnitChanged) -> None:
    """换房: the deal the lead shows moves to the new unit and price (`lead.updated`); a repeat, an older change or a
    deal the lead does not show yet changes nothing on the lead (its signing will show the newest unit)."""
    move = rules.move_of(data, env.time)
    await newer_wins(ctx.db[DEAL_UNITS], data.deal_id, env.time, {"branch_id": env.branch_id, "lead_id": data.lead_id,
                                                                  **move})
    for _ in range(TRIES):
        lead = await ctx.aggregate("leads").find_one({"_id": data.lead_id, "branch_id": env.branch_id}, SLIM)
        if lead is None:
            return
        done = rules.moved(lead.get("deals") or [], move)
        if done is None:
            return
        deals, entry = done
        sets = {"deals": deals, "updated_at": utcnow()} | rules.move_effect(lead, entry)
        shown = {"deal_id": entry["deal_id"], "deal_status": entry["status"], "unit_id": entry["unit_id"],
                 "unit_label": entry.get("unit_label"), "agreed_price": entry["agreed_price"],
                 "previous_unit_id": data.previous_unit_id} | {k: v for k, v in sets.items() if k == "amount_fen"}
        changed = LeadUpdated(lead_id=lead["_id"], changes=shown)
        if await ctx.aggregate("leads").update({"_id": lead["_id"], "version": lead["version"]}, {"$set": sets},
                                               event(changed, env.branch_id, lead["_id"])) is not None:
            return
    raise RuntimeError(f"lead {data.lead_id} kept changing while moving deal {data.deal_id}")


async def _apply(ctx: ServiceContext, env: Envelope, data: DealSigned | DealPaid | DealCancelled, lead: dict,
                 deals: list[dict], entry: dict) -> bool:
    """One version-guarded write of the lead with its event; False when the lead changed meanwhile."""
    now, effect = utcnow(), rules.effect(lead, entry)
    sets = {"deals": deals, "updated_at": now} | effect.sets
    guard = {"_id": lead["_id"], "version": lead["version"]}
    if effect.kind == "won":
        sets |= {"closed_at": now, "in_pool": False, dedup.FIELD: dedup.closed_key(lead["_id"]), "lost_reason": None,
                 "lost_note": None, "credited_partner_id": data.attribution.partner_id}
        # the consultant who sold (the deal's owner) and the signing date: the lead-based reports count the win
        # where and when the deal-based sales report counts the signing
        won = LeadWon(lead_id=lead["_id"], owner_id=data.owner_id or lead.get("owner_id"),
                      amount=yuan_number(entry["agreed_price"]), amount_fen=entry["agreed_price"],
                      partner_id=data.attribution.partner_id, deal_id=entry["deal_id"],
                      contract_no=entry.get("contract_no"), signed_at=entry.get("signed_at"))
        return await ctx.aggregate("leads").update(guard, {"$set": sets}, event(won, env.branch_id, lead["_id"])) is not None
    if effect.kind == "reopen":
        return await _reopen(ctx, env, lead, guard, sets, entry, effect, now)
    changed = LeadUpdated(lead_id=lead["_id"], changes=rules.changes_of(entry, effect))
    return await ctx.aggregate("leads").update(guard, {"$set": sets}, event(changed, env.branch_id, lead["_id"])) is not None


async def _reopen(ctx: ServiceContext, env: Envelope, lead: dict, guard: dict, sets: dict, entry: dict,
                  effect: rules.Effect, now: datetime) -> bool:
    """The deal that won the lead is cancelled (退房): back to follow-up with its owner, due by the grade's cadence.
    When another open lead holds the phone meanwhile, this one stays closed (won, its deal cancelled)."""
    branch = await branch_or_default(ctx, env.branch_id)
    owner = lead.get("owner_id")
    due = lead_rules.next_follow_up(now, lead.get("grade"), branch.settings, branch.timezone) if owner else None
    reopened = sets | {dedup.FIELD: dedup.open_key(branch.id, lead["phone_hash"]), "in_pool": owner is None,
                       "next_follow_up_at": due, "missed_count": 0, "last_activity_at": now, "reclaim_warned_for": None,
                       "amount": None}  # and the yuan number of a lead stored before amounts were fen
    shown = rules.changes_of(entry, effect) | {"reopened": True, "next_follow_up_at": due.isoformat() if due else None}
    try:
        done = await ctx.aggregate("leads").update(
            guard, {"$set": reopened}, event(LeadUpdated(lead_id=lead["_id"], changes=shown), env.branch_id, lead["_id"]))
        return done is not None
    except DuplicateKeyError:  # the customer has another open lead: the deal is recorded, the lead left won
        pass
    kept = {k: v for k, v in sets.items() if k not in effect.sets}  # the deal recorded, the lead left won
    holder = await dedup.holder(ctx, branch.id, lead["phone_hash"])
    shown = rules.changes_of(entry, rules.Effect("record")) | {
        "reopened": False, "open_lead_id": holder["_id"] if holder else None}
    done = await ctx.aggregate("leads").update(
        guard, {"$set": kept}, event(LeadUpdated(lead_id=lead["_id"], changes=shown), env.branch_id, lead["_id"]))
    return done is not None
