"""Changing a lead: patch, follow-ups, close. Every write is guarded by the lead's version
(`If-Match`, else the version read): `ctx.aggregate("leads").change`."""

from __future__ import annotations

from datetime import datetime

from crm_shared.aggregates import event
from crm_shared.errors import Conflict, Forbidden
from crm_shared.events.leads import LeadFollowedUp, LeadGraded, LeadLost, LeadUpdated, LeadWon
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports.rules import credited_partner
from crm_leads.context import MANAGERS, OPEN_STATUSES, Branch
from crm_leads.deals.money import to_fen, yuan_number
from crm_leads.leads import dedup, rules
from crm_leads.leads.models import CloseIn, FollowUpIn, LeadPatch

MAX_FOLLOW_UPS = 2000


def require_editor(doc: dict, who: Principal) -> None:
    """Managers edit any lead of their branches; a consultant only the leads it owns."""
    if who.role in MANAGERS or (who.role == "consultant" and doc.get("owner_id") == who.sub):
        return
    raise Forbidden("only the lead's owner or a manager may change it")


def require_open(doc: dict) -> None:
    if doc["status"] not in OPEN_STATUSES:
        raise Conflict("lead-closed", f"the lead is {doc['status']}")


async def patch(ctx: ServiceContext, branch: Branch, doc: dict, body: LeadPatch, expected: int | None, who: Principal) -> dict:
    require_editor(doc, who)
    require_open(doc)
    now, fields = utcnow(), body.model_dump(exclude_unset=True, mode="json")
    changes: dict = {}
    for key, value in (fields.pop("customer", None) or {}).items():
        if doc["customer"].get(key) != value:
            changes[f"customer.{key}"] = value
    for key in ("status", "interest", "grade"):
        if key in fields and doc.get(key) != fields[key]:
            changes[key] = fields[key]
    envs = []
    if "grade" in changes:
        envs.append(event(LeadGraded(lead_id=doc["_id"], grade=body.grade, previous_grade=doc.get("grade"),
                                     owner_id=doc.get("owner_id")), branch.id, doc["_id"]))
        if body.next_follow_up_at is None and doc.get("owner_id"):
            changes["next_follow_up_at"] = rules.next_follow_up(now, body.grade, branch.settings, branch.timezone)
    if body.next_follow_up_at is not None:
        changes["next_follow_up_at"] = body.next_follow_up_at
    if not changes:
        return doc
    if "next_follow_up_at" in changes:
        changes["missed_count"] = 0
    shown = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in changes.items()}
    envs.append(event(LeadUpdated(lead_id=doc["_id"], changes=shown), branch.id, doc["_id"]))
    return await ctx.aggregate("leads").change(doc, expected, {"$set": changes | {"updated_at": now}}, *envs)


async def follow_up(ctx: ServiceContext, branch: Branch, doc: dict, body: FollowUpIn, expected: int | None, who: Principal) -> dict:
    """Log a contact; it moves the next follow-up date and restarts the reclaim clock."""
    require_editor(doc, who)
    require_open(doc)
    if len(doc.get("follow_ups") or []) >= MAX_FOLLOW_UPS:
        raise Conflict("too-many-follow-ups", f"a lead keeps at most {MAX_FOLLOW_UPS} follow-ups")
    now = utcnow()
    due = body.next_follow_up_at or rules.next_follow_up(now, doc.get("grade"), branch.settings, branch.timezone)
    entry = {"id": uuid7(), "kind": body.kind, "note": body.note, "outcome": body.outcome, "at": now, "by": who.sub,
             "next_follow_up_at": due}
    sets = {"next_follow_up_at": due, "last_activity_at": now, "missed_count": 0, "reclaim_warned_for": None, "updated_at": now}
    if doc["status"] == "new":
        sets["status"] = "contacted"
    env = event(LeadFollowedUp(lead_id=doc["_id"], owner_id=doc.get("owner_id"), kind=body.kind, next_follow_up_at=due),
                branch.id, doc["_id"])
    await ctx.aggregate("leads").change(doc, expected, {"$set": sets, "$push": {"follow_ups": entry}}, env)
    return entry


async def close(ctx: ServiceContext, branch: Branch, doc: dict, body: CloseIn, expected: int | None, who: Principal) -> dict:
    require_editor(doc, who)
    require_open(doc)
    now = utcnow()
    fen = to_fen(body.amount) if body.amount is not None and body.outcome == "won" else None
    sets = {"status": body.outcome, "closed_at": now, "updated_at": now, "in_pool": False, "amount_fen": fen,
            dedup.FIELD: dedup.closed_key(doc["_id"])}  # frees the phone in the same write
    if body.outcome == "won":  # by hand: offices without the deals service (a later deal.signed shows its deal)
        partner = credited_partner(doc.get("attribution"), now)
        sets["credited_partner_id"] = partner
        data = LeadWon(lead_id=doc["_id"], owner_id=doc.get("owner_id"), amount=yuan_number(fen), amount_fen=fen,
                       partner_id=partner)
    else:
        rules.require_lost_reason(branch.settings, body.reason, body.note)
        sets |= {"lost_reason": body.reason, "lost_note": body.note}
        data = LeadLost(lead_id=doc["_id"], owner_id=doc.get("owner_id"), reason=body.reason, status_before=doc["status"],
                        note=body.note)
    return await ctx.aggregate("leads").change(doc, expected, {"$set": sets}, event(data, branch.id, doc["_id"]))
