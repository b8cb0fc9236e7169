"""Keeping a report alive: the partner's follow-up log (持续跟进, one entry every `report_lapse_days`),
the lapse of a report left without one (reported again from scratch), the renewal of a
confirmation (确认书) in its last `renewal_window_days`, and the lead's attribution that follows."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_shared.aggregates import event
from crm_shared.errors import Conflict, Invalid
from crm_shared.events.leads import ChannelReportExpired, ChannelReportFollowedUp, ChannelReportRenewed, LeadUpdated
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports import rules
from crm_leads.channel_reports.matching import release_claims
from crm_leads.channel_reports.models import FollowUpIn
from crm_leads.context import Branch, branch_or_default

NO_FOLLOW_UP = "no_follow_up"
CLOCK_SKEW = timedelta(minutes=5)
"""A follow-up's `at` may run this far ahead of the server's clock (a phone's clock)."""


def _change(doc: dict) -> dict:
    return dict(report_id=doc["_id"], partner_id=doc["partner_id"], agency_id=doc.get("agency_id"),
                lead_id=doc.get("lead_id"), expires_at=doc["expires_at"], protection_until=doc.get("protection_until"))


def _not_live(doc: dict) -> Conflict:
    return Conflict("report-not-live", "the report is no longer live: report the customer again",
                    report_status=doc["status"], reason=doc.get("reason"))


async def attribute_lead(ctx: ServiceContext, report: dict, now: datetime, source: bool = False) -> None:
    """The lead of a confirmed report is attributed to its partner; a customer reported on arrival also came
    through the partner (`source`)."""
    attribution = {"partner_id": report["partner_id"], "report_id": report["_id"], "protection_until": report["protection_until"]}
    sets: dict = {"attribution": attribution, "updated_at": now}
    changes: dict = {"attribution.partner_id": report["partner_id"], "report_id": report["_id"]}
    if source:
        sets |= {"source.channel": "partner", "source.partner_id": report["partner_id"]}
        changes["source.channel"] = "partner"
    env = event(LeadUpdated(lead_id=report["lead_id"], changes=changes), report["branch_id"], report["lead_id"])
    await ctx.aggregate("leads").update({"_id": report["lead_id"], "attribution.report_id": {"$ne": report["_id"]}},
                                        {"$set": sets}, env)


async def _protect_lead(ctx: ServiceContext, report: dict, until: datetime, now: datetime) -> None:
    """The lead attributed to this report is protected until `until` (renewed, or ended by a lapse)."""
    if not report.get("lead_id"):
        return
    env = event(LeadUpdated(lead_id=report["lead_id"], changes={"attribution.protection_until": until.isoformat(),
                                                                "report_id": report["_id"]}),
                report["branch_id"], report["lead_id"])
    await ctx.aggregate("leads").update({"_id": report["lead_id"], "attribution.report_id": report["_id"]},
                                        {"$set": {"attribution.protection_until": until, "updated_at": now}}, env)


async def follow_up(ctx: ServiceContext, branch: Branch, doc: dict, body: FollowUpIn, who: Principal,
                    now: datetime | None = None) -> dict:
    """Log the partner's follow-up; the report stays live `report_lapse_days` from it. 409 `report-not-live`
    once it expired, lapsed or was refused."""
    now = now or utcnow()
    at = body.at or now
    if at > now + CLOCK_SKEW:
        raise Invalid("a follow-up cannot be in the future", loc=["body", "at"])
    if at < doc["created_at"]:
        raise Invalid("a follow-up cannot be before the report", loc=["body", "at"])
    if not rules.is_live(doc, now):
        raise _not_live(doc)
    due = max(filter(None, (doc.get("follow_up_due_at"), rules.follow_up_due(at, branch.settings))))
    entry = {"at": at, "note": body.note, "by": who.sub, "recorded_at": now}
    env = event(ChannelReportFollowedUp(**_change(doc), at=at, follow_up_due_at=due), branch.id, doc["_id"])
    done = await ctx.aggregate("channel_reports").update(
        {"_id": doc["_id"], "status": {"$in": list(rules.LIVE)},
         "$or": [{"follow_up_due_at": {"$gt": now}}, {"follow_up_due_at": None}]},
        {"$push": {"follow_ups": entry}, "$max": {"follow_up_due_at": due, "last_follow_up_at": at}}, env)
    if done is None:
        raise _not_live(await ctx.aggregate("channel_reports").find_one({"_id": doc["_id"]}) or doc)
    return {"report_id": doc["_id"], **entry, "follow_up_due_at": done.get("follow_up_due_at")}


async def lapse(ctx: ServiceContext, now: datetime) -> int:
    """Live reports with no partner follow-up by their due lapse (`channel_report.expired`, reason
    `no_follow_up`): the customer is free, a confirmed one's protection ends, the partner reports again."""
    count = 0
    reports = ctx.aggregate("channel_reports")
    async for doc in reports.find({"status": {"$in": list(rules.LIVE)}, "follow_up_due_at": {"$lte": now}}):
        if not rules.lapsed(doc, now):
            continue  # validity or protection ends first: expiry's business
        due = doc["follow_up_due_at"]
        change = _change(doc) | ({"protection_until": due} if doc["status"] == "confirmed" else {})
        env = event(ChannelReportExpired(**change, reason=NO_FOLLOW_UP), doc["branch_id"], doc["_id"])
        done = await reports.update({"_id": doc["_id"], "status": doc["status"], "follow_up_due_at": due},
                                    {"$set": {"status": "expired", "reason": NO_FOLLOW_UP, "lapsed_at": due}}, env)
        if done is None:
            continue
        count += 1
        await release_claims(ctx, doc)
        if doc["status"] == "confirmed":
            await _protect_lead(ctx, doc, due, now)
    return count


async def renew(ctx: ServiceContext, doc: dict, who: Principal, now: datetime | None = None) -> dict:
    """Another `confirmation_months` for a live confirmation in its last `renewal_window_days` (续签).
    409 `not-renewable` (not a live confirmation), `renewal-too-early` (with `renewable_from`)."""
    now = now or utcnow()
    branch = await branch_or_default(ctx, doc["branch_id"])
    if doc["status"] != "confirmed" or not rules.is_live(doc, now):
        raise Conflict("not-renewable", "only a live confirmation can be renewed: report the customer again",
                       report_status=doc["status"], reason=doc.get("reason"))
    start = rules.renewable_from(doc, branch.settings)
    if now < start:
        raise Conflict("renewal-too-early", f"a confirmation is renewed in its last {branch.settings.renewal_window_days} days",
                       renewable_from=start.isoformat())
    until = rules.add_months(doc["protection_until"], branch.settings.confirmation_months, branch.timezone)
    renewal = {"at": now, "by": who.sub, "previous": doc["protection_until"], "until": until}
    env = event(ChannelReportRenewed(**_change(doc) | {"protection_until": until},
                                     previous_protection_until=doc["protection_until"]), doc["branch_id"], doc["_id"])
    done = await ctx.aggregate("channel_reports").update(
        {"_id": doc["_id"], "status": "confirmed", "protection_until": doc["protection_until"]},
        {"$set": {"protection_until": until, "renewable_from": rules.renewable_from({"status": "confirmed", "protection_until": until},
                                                                                     branch.settings)},
         "$push": {"renewals": renewal}}, env)
    if done is None:
        raise Conflict("not-renewable", "the confirmation changed meanwhile; reload it", report_status=doc["status"])
    await _protect_lead(ctx, done, until, now)
    return done
