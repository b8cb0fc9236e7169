"""Partner effectiveness (报备 -> accepted -> confirmed visit -> deal) and business
receptions (count by class, spend against budget, feedback on time)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_reports.projections.buckets import key, text_key
from crm_reports.projections.sales import SOLD
from crm_shared.branches import add_working_days
from crm_shared.events import Envelope
from crm_shared.events.deals import DealAttributionChanged

if TYPE_CHECKING:
    from crm_reports.projections.window import Window

REPORT_STATUSES = {"channel_report.accepted": "accepted", "channel_report.rejected": "rejected",
                   "channel_report.confirmed": "confirmed", "channel_report.expired": "expired"}


async def on_channel_report(w: Window, env: Envelope, data) -> None:
    status = REPORT_STATUSES[env.type]
    partner = f"partners.{key(data.partner_id)}"
    inc, labels = {f"{partner}.{status}": 1}, {}
    if status == "rejected":
        reason, labels = text_key(data.reason, "unknown")
        inc[f"{partner}.reasons.{reason}"] = 1
    w.count(env.branch_id, w.local_day(env.branch_id, env.time), f"p:{data.report_id}:{status}", inc, labels=labels)


def partner_won_counters(first: dict[str, Any]) -> dict[str, float]:
    """A partner's deal: the first win of a lead it was credited with (crm_reports.projections.outcomes.first_win),
    counted once per lead by the funnel's lead documents."""
    if not first.get("partner"):
        return {}
    partner = f"partners.{key(first['partner'])}"
    return {f"{partner}.deals": 1, f"{partner}.amount": first["amount"]}


async def on_credit_moved(w: Window, env: Envelope, data: DealAttributionChanged) -> None:
    """A credit moved after signing (a dispute decided late) is a fact of the deal's lead: the funnel's lead
    documents move the lead's partner deal with it once its first win is known (`credit_moved_counters`)."""
    if data.status in SOLD:
        move = {"deal_id": data.deal_id, "branch_id": env.branch_id, "day": w.local_day(env.branch_id, env.time).isoformat(),
                "from": data.previous_attribution.partner_id, "to": data.attribution.partner_id}
        w.cohorts.record(data.lead_id, {"credit_moves": {env.id: move}}, w.changes)


def credit_moved_counters(first: dict[str, Any], move: dict[str, Any]) -> dict[str, float]:
    """The lead's partner deal, as its first win counted it, out of the partner credited before and into the one
    credited now (as the sales report moves the deal, crm_reports.projections.sales.move_counters). Only a move of
    the deal that won the lead counts: a later deal of the lead (its first cancelled) was never counted here."""
    if move["deal_id"] != first.get("deal_id") or move["from"] == move["to"]:
        return {}
    inc: dict[str, float] = {}
    for partner, sign in ((move["from"], -1), (move["to"], 1)):
        if partner:
            p = f"partners.{key(partner)}"
            inc |= {f"{p}.deals": sign, f"{p}.amount": sign * first["amount"], f"{p}.credit_moved": sign}
    return inc


async def on_dispute(w: Window, env: Envelope, data) -> None:
    counter = "disputes" if env.type == "attribution.disputed" else "disputes_decided"
    w.count(env.branch_id, w.local_day(env.branch_id, env.time), f"p:{data.dispute_id}:{counter}", {counter: 1})


async def on_reception(w: Window, env: Envelope, data) -> None:
    status = env.type.removeprefix("reception.")
    cls = f"receptions.{data.reception_class}"
    inc: dict[str, float] = {f"{cls}.{status}": 1}
    if status == "completed":
        budget = (data.budget_per_head or 0) * (data.guests or 0)
        spent = float(data.spent or 0)
        inc |= {f"{cls}.budget": float(budget), f"{cls}.spent": spent}
        if budget and spent > budget:
            inc[f"{cls}.over_budget"] = 1
        branch = w.branches[env.branch_id]
        due = add_working_days(data.leave_at or data.arrive_at, branch.settings.feedback_due_working_days,
                               branch.settings, branch.timezone)
        inc[f"{cls}.feedback_on_time" if env.time <= due else f"{cls}.feedback_late"] = 1
    w.count(env.branch_id, w.local_day(env.branch_id, data.arrive_at), f"r:{data.reception_id}:{status}", inc)
