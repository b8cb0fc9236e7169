"""Finding the live channel report that names a customer, and linking it to the customer's lead.

A live report found to name a customer the office knew before it was filed (the appointment's
event reached leads after the report) is rejected on sight (`customer_known`): it never
confirms, attributes or protects.
"""

from __future__ import annotations

from datetime import datetime

from crm_shared import batching
from crm_shared.aggregates import event
from crm_shared.events.leads import ChannelReportRejected
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports import known, rules

CLAIMS = "report_claims"
CUSTOMER_KNOWN = "customer_known"


async def live_report(
    ctx: ServiceContext, branch_id: str, phone_hash: str | None, phone_masked: str, name: str, now: datetime
) -> dict | None:
    """Full reports match on the phone hash; masked ones on mask + name.

    Every registration asks, so the claim keys of the registrations in flight are looked up
    together: one `_id` `$in` per batch (an index lookup on MongoDB and on the dev store).
    """
    keys = rules.claim_keys(branch_id, phone_hash, phone_masked, name)
    found = await batching.find_by_ids(ctx.db[CLAIMS], keys)
    for claim in (found[key] for key in keys if key in found):
        report = await ctx.aggregate("channel_reports").find_one({"_id": claim["report_id"]})
        if report is not None and rules.is_live(report, now) and not await overruled(ctx, report):
            return report
    return None


async def overruled(ctx: ServiceContext, report: dict) -> bool:
    """An accepted report for a customer the office knew before it: rejected now, claims freed."""
    if report["status"] != "accepted" or not await known.known_before(
            ctx, report["branch_id"], report.get("phone_hash"), report["phone_masked"], report["customer_name"],
            report["created_at"]):
        return False
    env = event(ChannelReportRejected(report_id=report["_id"], partner_id=report["partner_id"],
                                      expires_at=report["expires_at"], reason=CUSTOMER_KNOWN), report["branch_id"], report["_id"])
    done = await ctx.aggregate("channel_reports").update({"_id": report["_id"], "status": "accepted"},
                                                          {"$set": {"status": "rejected", "reason": CUSTOMER_KNOWN}}, env)
    if done is not None:
        await release_claims(ctx, report)
    return True


async def release_claims(ctx: ServiceContext, report: dict) -> None:
    """A report no longer live frees the keys it holds."""
    keys = rules.claim_keys(report["branch_id"], report.get("phone_hash"), report["phone_masked"], report["customer_name"])
    await ctx.db[CLAIMS].delete_many({"_id": {"$in": keys}, "report_id": report["_id"]})


async def link_lead(ctx: ServiceContext, report: dict, lead_id: str) -> None:
    await ctx.db.channel_reports.update_one({"_id": report["_id"], "lead_id": None}, {"$set": {"lead_id": lead_id}})
