"""Finding the live channel report that names a customer, and linking it to the customer's lead."""

from __future__ import annotations

from datetime import datetime

from crm_shared import batching
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports import rules

CLAIMS = "report_claims"


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
        if report is not None and rules.is_live(report, now):
            return report
    return None


async def link_lead(ctx: ServiceContext, report: dict, lead_id: str) -> None:
    await ctx.db.channel_reports.update_one({"_id": report["_id"], "lead_id": None}, {"$set": {"lead_id": lead_id}})
