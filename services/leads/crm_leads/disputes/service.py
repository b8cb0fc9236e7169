"""Attribution disputes: recorded, decided by a manager within one working day, escalated after."""

from __future__ import annotations

from datetime import datetime

from crm_shared.aggregates import event
from crm_shared.branches import add_working_days
from crm_shared.errors import Conflict, Invalid
from crm_shared.events.leads import AttributionDecided, AttributionDisputed, AttributionDisputeOverdue, LeadUpdated
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports.rules import protection_until
from crm_leads.context import Branch
from crm_leads.disputes.models import DecisionIn, DisputeOut, Side
from crm_leads.partners import service as partners

SIDES_SHOWN = 10


def public(doc: dict, sides: list[Side] | None = None) -> DisputeOut:
    return DisputeOut(id=doc["_id"], sides=sides, **{k: doc.get(k) for k in DisputeOut.model_fields if k not in ("id", "sides")})


async def sides(ctx: ServiceContext, dispute: dict) -> list[Side]:
    """Both sides of a dispute: the disputed report, and the reports that held the customer against it (the
    one it lost to, the lead's attributed one) or tried to (reports refused because of those)."""
    reports = ctx.aggregate("channel_reports")
    found: dict[str, dict] = {}
    first = await reports.find_one({"_id": dispute["report_id"]}) if dispute.get("report_id") else None
    lead = await ctx.aggregate("leads").find_one({"_id": dispute["lead_id"]}, {"attribution": 1}) if dispute.get("lead_id") else None
    ids = [i for i in ((first or {}).get("conflict_report_id"), ((lead or {}).get("attribution") or {}).get("report_id")) if i]
    for doc in ([first] if first else []) + await reports.find({"_id": {"$in": ids}}).to_list():
        found.setdefault(doc["_id"], doc)
    holders = [i for i in found if i != dispute.get("report_id")]
    if holders:
        async for doc in reports.find({"conflict_report_id": {"$in": holders}}).sort("_id", 1).limit(SIDES_SHOWN):
            found.setdefault(doc["_id"], doc)
    names = await partners.names(ctx, {d["partner_id"] for d in found.values()} | {d.get("agency_id") for d in found.values()})
    return [Side(report_id=i, role="disputing" if i == dispute.get("report_id") else "competing",
                 partner_id=d["partner_id"], partner_name=names.get(d["partner_id"]), agency_id=d.get("agency_id"),
                 agency_name=names.get(d.get("agency_id") or ""), customer_name=d["customer_name"],
                 phone_masked=d["phone_masked"], status=d["status"], reason=d.get("reason"), reported_at=d["created_at"],
                 first_visit_at=d.get("first_visit_at"), protection_until=d.get("protection_until"))
            for i, d in list(found.items())[:SIDES_SHOWN]]


async def raise_dispute(ctx: ServiceContext, branch: Branch, report: dict | None, lead_id: str | None, claim: str,
                        who: Principal, now: datetime | None = None) -> dict:
    now = now or utcnow()
    _id = uuid7()
    report_id = report["_id"] if report else None
    doc = {"_id": _id, "branch_id": branch.id, "report_id": report_id, "lead_id": lead_id, "claim": claim,
           "raised_by": who.sub, "raised_by_role": who.role, "status": "open", "escalated": False,
           "agency_id": report.get("agency_id") if report and who.role == "partner" else None,
           "deadline": add_working_days(now, branch.settings.dispute_decision_working_days, branch.settings, branch.timezone),
           "created_at": now}
    env = event(AttributionDisputed(dispute_id=_id, report_id=report_id, lead_id=lead_id, reason=claim[:500]), branch.id, _id)
    return await ctx.aggregate("disputes").insert(doc, env)


async def decide(ctx: ServiceContext, branch: Branch, doc: dict, body: DecisionIn, who: Principal) -> dict:
    """Record decision, reason, who and when; the lead's attribution follows the winner."""
    if doc["status"] != "open":
        raise Conflict("dispute-decided", "the dispute is already decided")
    if body.winner is not None and body.winner not in {side.partner_id for side in await sides(ctx, doc)} \
            and not await partners.known_in_branch(ctx, branch.id, body.winner):
        raise Invalid("the winner must be a partner of this branch: one whose report is in the dispute, a registered "
                      "partner account, or one that has reported here", kind="unknown-winner", loc=("body", "winner"))
    now = utcnow()
    env = event(AttributionDecided(dispute_id=doc["_id"], report_id=doc.get("report_id"), lead_id=doc.get("lead_id"),
                                   winner=body.winner, reason=body.reason), branch.id, doc["_id"])
    done = await ctx.aggregate("disputes").update(
        {"_id": doc["_id"], "status": "open"},
        {"$set": {"status": "decided", "winner": body.winner, "reason": body.reason, "decided_by": who.sub,
                  "decided_at": now}}, env,
    )
    if done is None:
        raise Conflict("dispute-decided", "the dispute is already decided")
    if done.get("lead_id"):
        await _apply_to_lead(ctx, branch, done, now)
    return done


async def _apply_to_lead(ctx: ServiceContext, branch: Branch, dispute: dict, now: datetime) -> None:
    report = await ctx.aggregate("channel_reports").find_one({"_id": dispute["report_id"]}) if dispute.get("report_id") else None
    winner = dispute["winner"]
    attribution = None
    if winner:
        until = report.get("protection_until") if report and report["partner_id"] == winner else None
        attribution = {"partner_id": winner, "report_id": dispute.get("report_id"), "dispute_id": dispute["_id"],
                       "protection_until": until or protection_until(now, branch.settings)}
    env = event(LeadUpdated(lead_id=dispute["lead_id"], changes={"attribution.partner_id": winner,
                                                                "dispute_id": dispute["_id"]}), branch.id, dispute["lead_id"])
    await ctx.aggregate("leads").update({"_id": dispute["lead_id"], "branch_id": branch.id},
                                        {"$set": {"attribution": attribution, "updated_at": now}}, env)


async def escalate_overdue(ctx: ServiceContext, now: datetime) -> int:
    """An undecided dispute past its working-day deadline raises `attribution.dispute_overdue` once."""
    count = 0
    disputes = ctx.aggregate("disputes")
    async for doc in disputes.find({"status": "open", "escalated": False, "deadline": {"$lt": now}}):
        env = event(AttributionDisputeOverdue(dispute_id=doc["_id"], report_id=doc.get("report_id"),
                                              lead_id=doc.get("lead_id"), deadline=doc["deadline"]), doc["branch_id"], doc["_id"])
        done = await disputes.update({"_id": doc["_id"], "status": "open", "escalated": False},
                                     {"$set": {"escalated": True}}, env)
        count += done is not None
    return count
