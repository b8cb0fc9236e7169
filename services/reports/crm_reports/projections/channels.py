"""Partner effectiveness (报备 -> accepted -> confirmed visit -> deal) and business
receptions (count by class, spend against budget, feedback on time)."""

from __future__ import annotations

from crm_reports.generations import Generation
from crm_reports.projections.buckets import apply, key, local_day
from crm_shared.branches import add_working_days
from crm_shared.events import Envelope
from crm_shared.events.leads import LeadWon

REPORT_STATUSES = {"channel_report.accepted": "accepted", "channel_report.rejected": "rejected",
                   "channel_report.confirmed": "confirmed", "channel_report.expired": "expired"}


async def on_channel_report(g: Generation, env: Envelope, data) -> None:
    status = REPORT_STATUSES[env.type]
    partner = f"partners.{key(data.partner_id)}"
    inc = {f"{partner}.{status}": 1}
    if status == "rejected":
        inc[f"{partner}.reasons.{key(data.reason or 'unknown')}"] = 1
    day = await local_day(g, env.branch_id, env.time)
    await apply(g, env.branch_id, day, f"p:{data.report_id}:{status}", inc)


async def on_partner_deal(g: Generation, env: Envelope, data: LeadWon) -> None:
    if not data.partner_id:
        return
    partner = f"partners.{key(data.partner_id)}"
    day = await local_day(g, env.branch_id, env.time)
    await apply(g, env.branch_id, day, f"p:{data.lead_id}:won", {f"{partner}.deals": 1, f"{partner}.amount": float(data.amount or 0)})


async def on_dispute(g: Generation, env: Envelope, data) -> None:
    counter = "disputes" if env.type == "attribution.disputed" else "disputes_decided"
    day = await local_day(g, env.branch_id, env.time)
    await apply(g, env.branch_id, day, f"p:{data.dispute_id}:{counter}", {counter: 1})


async def on_reception(g: Generation, env: Envelope, data) -> None:
    status = env.type.removeprefix("reception.")
    cls = f"receptions.{data.reception_class}"
    inc: dict[str, float] = {f"{cls}.{status}": 1}
    if status == "completed":
        budget = (data.budget_per_head or 0) * (data.guests or 0)
        spent = float(data.spent or 0)
        inc |= {f"{cls}.budget": float(budget), f"{cls}.spent": spent}
        if budget and spent > budget:
            inc[f"{cls}.over_budget"] = 1
        settings, tz = await g.settings(env.branch_id), await g.timezone(env.branch_id)
        due = add_working_days(data.leave_at or data.arrive_at, settings.feedback_due_working_days, settings, tz)
        inc[f"{cls}.feedback_on_time" if env.time <= due else f"{cls}.feedback_late"] = 1
    day = await local_day(g, env.branch_id, data.arrive_at)
    await apply(g, env.branch_id, day, f"r:{data.reception_id}:{status}", inc)
