"""Reception's `visit.checked_in`: walk-ins become leads, returning visitors mark their lead
visited, a matching channel report is confirmed (unless the office knew the customer before it),
and the office knows the visitor from then on. Redelivery has no second effect: the new lead's id
is seeded by the visit id, every update is guarded by the visit id, and knowing keeps the earliest time."""

from __future__ import annotations

from datetime import datetime

from crm_shared.aggregates import event
from crm_shared.events import Envelope
from crm_shared.events.leads import LeadRegistered, LeadUpdated, MaskedCustomer
from crm_shared.events.reception import VisitAssigned, VisitCheckedIn
from crm_shared.errors import Stale
from crm_shared.ids import utcnow
from crm_shared.phones import pattern_of
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports import known, matching
from crm_leads.channel_reports.service import confirm
from crm_leads.context import OPEN_STATUSES, Branch, branch_or_default, seeded_id
from crm_leads.leads import dedup, rules, search
from crm_leads.leads.service import insert_seeded
from crm_leads.partners.service import saw_visit
from crm_leads.pool.service import assign
from crm_leads.staff import service as staff
from crm_leads.staff.service import may_own_leads

SLIM = {"follow_ups": 0}
WAITING_WALK_INS = "waiting_walk_ins"  # visit id -> the lead its check-in made before a consultant took the visitor


async def on_visit_assigned(ctx: ServiceContext, env: Envelope, data: VisitAssigned) -> None:
    """A walk-in who waited gets a consultant: the lead made at check-in (owned by the assigner's pick,
    which is nobody in particular) goes to the consultant who actually serves the customer.
    Only that untouched first pick moves: a lead a manager assigned or a consultant claimed meanwhile stays."""
    waiting = await ctx.db[WAITING_WALK_INS].find_one({"_id": data.visit_id})
    if waiting is None:
        return
    branch = await branch_or_default(ctx, env.branch_id)
    serving = await staff.get(ctx, data.consultant_id, branch.id)
    for _ in range(3):
        lead = await ctx.aggregate("leads").find_one({"_id": waiting["lead_id"]}, SLIM)
        untouched = lead is not None and lead.get("owner_id") == waiting.get("owner_id")
        if not untouched or not may_own_leads(serving) or lead.get("owner_id") == data.consultant_id \
                or lead["status"] not in OPEN_STATUSES:
            break
        try:
            await assign(ctx, branch, lead, data.consultant_id, "visit")
            break
        except Stale:
            continue
    await ctx.db[WAITING_WALK_INS].delete_one({"_id": data.visit_id})


async def on_visit_checked_in(ctx: ServiceContext, env: Envelope, data: VisitCheckedIn) -> None:
    branch = await branch_or_default(ctx, env.branch_id)
    v = data.visitor
    full = await ctx.keys.unseal(v.phone_sealed)  # the digits a 4+5 mask shows are compared too
    report = await matching.live_report(ctx, branch.id, v.phone_hash, v.phone_masked, v.name, env.time,
                                        pattern=pattern_of(full) if full else None)
    lead = None
    if data.lead_id:
        lead = await ctx.aggregate("leads").find_one(
            {"_id": data.lead_id, "branch_id": branch.id, "status": {"$in": list(OPEN_STATUSES)}}, SLIM)
    lead = lead or await dedup.holder(ctx, branch.id, v.phone_hash)
    if lead is None:
        lead = await _walk_in(ctx, branch, env, data, seeded_id(f"visit:{data.visit_id}", env.time), report)
    if lead["_id"] and data.visit_id not in (lead.get("visits") or []):
        await _mark_visited(ctx, branch, lead["_id"], data.visit_id, env.time)
    if report is not None:
        await _attribute(ctx, branch, report, lead["_id"], env.time, data.visit_id)
    await known.learn(ctx, branch.id, v.phone_hash, v.phone_masked, v.name, env.time)
    await saw_visit(ctx, branch.id, data.visit_id, env.time)  # the desk may now record who brought the visitor


async def _walk_in(ctx: ServiceContext, branch: Branch, env: Envelope, data: VisitCheckedIn, lead_id: str, report: dict | None) -> dict:
    v, now = data.visitor, env.time
    named = await staff.get(ctx, data.consultant_id, branch.id) if data.consultant_id else None  # this branch's, active
    owner = named["_id"] if may_own_leads(named) else await ctx.state.assigner.choose(ctx, branch.id)
    source = {"channel": "partner" if report else "walk_in", "campaign": None, "referrer": None,
              "partner_id": report["partner_id"] if report else None}
    doc = {
        "_id": lead_id, "branch_id": branch.id, "phone_hash": v.phone_hash, search.LAST4: search.last4(v.phone_masked),
        dedup.FIELD: dedup.open_key(branch.id, v.phone_hash), "source": source, "grade": None,
        "customer": {"name": v.name, "phone": await ctx.keys.unseal(v.phone_sealed), "phone_masked": v.phone_masked},
        "owner_id": owner, "status": "visited", "in_pool": owner is None, "interest": None,
        "next_follow_up_at": rules.next_follow_up(now, None, branch.settings, branch.timezone) if owner else None,
        "missed_count": 0, "last_activity_at": now, "contact_count": 1, "pool_history": {}, "follow_ups": [],
        "visits": [data.visit_id], "visited_at": now, "attribution": None, "created_by": f"visit:{data.visit_id}",
        "created_at": now, "updated_at": now,
    }
    customer = MaskedCustomer(**v.model_dump(include={"name", "phone_masked", "phone_hash", "phone_sealed"}))  # as reception sealed it
    registered = event(LeadRegistered(lead_id=lead_id, customer=customer, source=source, owner_id=owner, grade=None,
                                      status="visited", registered_by=f"visit:{data.visit_id}"), branch.id, lead_id)
    if await insert_seeded(ctx, doc, registered):
        if data.consultant_id is None:  # the visitor waits: whoever serves them will own the lead (visit.assigned)
            await ctx.db[WAITING_WALK_INS].update_one({"_id": data.visit_id}, {"$set": {"lead_id": lead_id, "owner_id": owner, "at": now}},
                                                      upsert=True)
        return doc
    # a redelivery (same seeded id) or a lead registered for the phone meanwhile
    existing = await ctx.aggregate("leads").find_one({"_id": lead_id}, SLIM) or await dedup.holder(ctx, branch.id, v.phone_hash)
    if existing is None:
        raise RuntimeError("the visitor's phone changed hands concurrently; retry")
    return existing


async def _mark_visited(ctx: ServiceContext, branch: Branch, lead_id: str, visit_id: str, at: datetime) -> None:
    for _ in range(5):
        doc = await ctx.aggregate("leads").find_one({"_id": lead_id}, SLIM)
        if doc is None or visit_id in (doc.get("visits") or []):
            return
        sets = {"last_activity_at": at, "updated_at": utcnow(), "reclaim_warned_for": None}
        if doc["status"] in ("new", "contacted"):
            sets["status"] = "visited"
        if not doc.get("visited_at"):
            sets["visited_at"] = at
        env = event(LeadUpdated(lead_id=lead_id, changes={"status": sets.get("status", doc["status"]), "visit_id": visit_id}),
                    branch.id, lead_id)
        done = await ctx.aggregate("leads").update({"_id": lead_id, "version": doc["version"]},
                                                   {"$set": sets, "$addToSet": {"visits": visit_id}}, env)
        if done is not None:
            return
    raise RuntimeError(f"lead {lead_id} kept changing while recording visit {visit_id}")


async def _attribute(ctx: ServiceContext, branch: Branch, report: dict, lead_id: str, at: datetime, visit_id: str) -> None:
    confirmed = await confirm(ctx, branch, report, at, visit_id, lead_id)
    if confirmed is None or confirmed.get("lead_id") not in (None, lead_id):
        return
    attribution = {"partner_id": confirmed["partner_id"], "report_id": confirmed["_id"],
                   "protection_until": confirmed["protection_until"]}
    await ctx.db.leads.update_one({"_id": lead_id, "attribution.report_id": {"$ne": confirmed["_id"]}},
                                  {"$set": {"attribution": attribution}, "$inc": {"version": 1}})
