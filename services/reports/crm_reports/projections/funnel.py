"""Funnel (lead -> visit -> deal) by registration cohort, robust to arrival order.

Each lead keeps its facts in `<gen>_leads` (registered: day, channel, consultant; visited;
won; lost). Whenever a fact arrives, every stage the lead has reached is counted into the
bucket of its registration day, guarded by `f:<lead>:<stage>`: a visit seen before the
registration is counted when the registration arrives, and never twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pymongo import ReturnDocument

from crm_reports.generations import Generation
from crm_reports.projections.buckets import apply, key, local_day
from crm_shared.events import Envelope
from crm_shared.events.leads import LeadLost, LeadRegistered, LeadWon
from crm_shared.events.reception import VisitCheckedIn

STAGES = ("leads", "visited", "won", "lost")
GROUPS = ("channel", "consultant")


def stages_reached(lead: dict[str, Any]) -> list[str]:
    """Stages to count for a lead whose registration is known; none before that."""
    if not lead.get("registered_day"):
        return []
    return ["leads"] + [s for s in STAGES[1:] if lead.get(s)]


def stage_counters(lead: dict[str, Any], stage: str) -> dict[str, int]:
    inc = {f"funnel.total.{stage}": 1}
    for group in GROUPS:
        inc[f"funnel.{group}.{key(lead.get(group))}.{stage}"] = 1
    return inc


async def _record(g: Generation, lead_id: str, fields: dict[str, Any]) -> None:
    """Store the fact, then count the stages not yet marked `counted` (the bucket guard
    still protects a stage counted just before a crash, before its mark was written)."""
    lead = await g.leads.find_one_and_update(
        {"_id": lead_id}, {"$set": fields}, upsert=True, return_document=ReturnDocument.AFTER
    )
    todo = [s for s in stages_reached(lead) if s not in (lead.get("counted") or [])]
    for stage in todo:
        day = date.fromisoformat(lead["registered_day"])
        await apply(g, lead["branch_id"], day, f"f:{lead_id}:{stage}", stage_counters(lead, stage))
    if todo:
        mark = lambda: g.leads.update_one({"_id": lead_id}, {"$addToSet": {"counted": {"$each": todo}}})  # noqa: E731
        if g.buffer is not None:
            g.buffer.after.append(mark)
        else:
            await mark()


async def on_lead_registered(g: Generation, env: Envelope, data: LeadRegistered) -> None:
    day = await local_day(g, env.branch_id, env.time)
    await _record(g, data.lead_id, {
        "branch_id": env.branch_id, "registered_day": day.isoformat(), "channel": data.source.channel,
        "consultant": data.owner_id or "unassigned", "partner_id": data.source.partner_id,
        # a lead registered by the front desk's check-in was born visited (its visit event had no lead yet)
        **({"visited": True} if data.status == "visited" else {}),
    })


async def on_visit_checked_in(g: Generation, env: Envelope, data: VisitCheckedIn) -> None:
    if data.lead_id:
        await _record(g, data.lead_id, {"visited": True})


async def on_lead_won(g: Generation, env: Envelope, data: LeadWon) -> None:
    await _record(g, data.lead_id, {"won": True})


async def on_lead_lost(g: Generation, env: Envelope, data: LeadLost) -> None:
    await _record(g, data.lead_id, {"lost": True})
