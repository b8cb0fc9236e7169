"""Handlers that keep deals' copy of leads (`service.py`): idempotent, and the newer event wins per group of
fields, in any order of arrival and on redelivery."""

from __future__ import annotations

from crm_shared.events import Envelope
from crm_shared.events.leads import (AttributionDecided, ChannelReportConfirmed, ChannelReportExpired,
                                     ChannelReportRenewed, LeadAssigned, LeadClaimed, LeadLost, LeadRegistered,
                                     LeadReleased, LeadUpdated, LeadWon, PartnerRegistered, ReferrerRegistered)
from crm_shared.plugins import ServiceContext
from crm_shared.text import clean_line

from crm_deals.leads.service import LEADS, PARTNERS, REFERRERS, REPORTS, newer_wins


def _line(value: str | None, limit: int = 100) -> str | None:
    """People's text from another service, made safe to show (as a request model would)."""
    if not value:
        return None
    try:
        return clean_line(value)[:limit]
    except ValueError:
        return None


async def on_registered(ctx: ServiceContext, env: Envelope, data: LeadRegistered) -> None:
    col, at = ctx.db[LEADS], env.time
    base = {"branch_id": env.branch_id}
    await newer_wins(col, data.lead_id, "name_as_of", at, {"customer_name": _line(data.customer.name)}, base)
    await newer_wins(col, data.lead_id, "owner_as_of", at, {"owner_id": data.owner_id}, base)
    await newer_wins(col, data.lead_id, "status_as_of", at, {"status": "open"}, base)
    # last: `registered` makes the lead sellable, so a subscription never sees it without its owner
    await newer_wins(col, data.lead_id, "registered_as_of", at, {
        "registered": True, "phone_masked": data.customer.phone_masked, "phone_hash": data.customer.phone_hash,
        "phone_sealed": getattr(data.customer, "phone_sealed", None), "channel": data.source.channel,
        "partner_id": data.source.partner_id, "referrer_id": data.source.referrer_id}, base)


async def on_owner_changed(ctx: ServiceContext, env: Envelope, data: LeadAssigned | LeadClaimed | LeadReleased) -> None:
    """Who owns each lead, for "a consultant sells only its own leads"."""
    await newer_wins(ctx.db[LEADS], data.lead_id, "owner_as_of", env.time, {"owner_id": data.owner_id},
                     {"branch_id": env.branch_id})


async def on_updated(ctx: ServiceContext, env: Envelope, data: LeadUpdated) -> None:
    """A corrected customer name reaches the deal's answers."""
    name = _line(data.changes.get("customer.name")) if isinstance(data.changes.get("customer.name"), str) else None
    if name:
        await newer_wins(ctx.db[LEADS], data.lead_id, "name_as_of", env.time, {"customer_name": name},
                         {"branch_id": env.branch_id})


async def on_closed(ctx: ServiceContext, env: Envelope, data: LeadWon | LeadLost) -> None:
    """A lead closed lost takes no deal; a won one may (a cancelled purchase, a second unit)."""
    await newer_wins(ctx.db[LEADS], data.lead_id, "status_as_of", env.time,
                     {"status": "won" if isinstance(data, LeadWon) else "lost"}, {"branch_id": env.branch_id})


async def on_report(ctx: ServiceContext, env: Envelope,
                    data: ChannelReportConfirmed | ChannelReportRenewed | ChannelReportExpired) -> None:
    """Confirmed reports and their protection; an expiry (a lapse of follow-ups) ends the protection then."""
    fields: dict = {"partner_id": data.partner_id}
    if data.lead_id:
        fields["lead_id"] = data.lead_id
    if isinstance(data, ChannelReportExpired):
        fields |= {"status": "expired", "ended_at": env.time}
    else:
        fields |= {"status": "confirmed", "protection_until": data.protection_until}
    written = await newer_wins(ctx.db[REPORTS], data.report_id, "as_of", env.time, fields, {"branch_id": env.branch_id})
    if written and data.lead_id and not isinstance(data, ChannelReportExpired):
        from crm_deals.deals import service as deals  # deals' rules act on the copy; this module only feeds copies

        await deals.apply_late_report(ctx, env.branch_id, data.lead_id)


async def on_decided(ctx: ServiceContext, env: Envelope, data: AttributionDecided) -> None:
    """A dispute decided by a manager: recorded on the lead, and moved onto its live deals (deal.attribution_changed)."""
    from crm_deals.deals import service as deals  # deals' rules act on the decision; this module only feeds copies

    lead_id = data.lead_id
    report = await ctx.db[REPORTS].find_one({"_id": data.report_id}) if data.report_id else None
    if lead_id is None and report is not None:
        lead_id = report.get("lead_id")
    if lead_id is None:
        return  # a dispute about a report that never reached a lead: no deal can hang on it
    decision = {"dispute_id": data.dispute_id, "winner": data.winner, "report_id": data.report_id,
                "report_partner_id": (report or {}).get("partner_id"), "at": env.time}
    written = await newer_wins(ctx.db[LEADS], lead_id, "decision_as_of", env.time, {"decision": decision},
                               {"branch_id": env.branch_id})
    if written:
        await deals.apply_decision(ctx, env.branch_id, lead_id, decision)


async def on_referrer(ctx: ServiceContext, env: Envelope, data: ReferrerRegistered) -> None:
    await newer_wins(ctx.db[REFERRERS], data.referrer_id, "as_of", env.time,
                     {"branch_id": env.branch_id, "kind": data.kind, "name": _line(data.name)})


async def on_partner(ctx: ServiceContext, env: Envelope, data: PartnerRegistered) -> None:
    await newer_wins(ctx.db[PARTNERS], data.partner_id, "as_of", env.time,
                     {"branch_id": env.branch_id, "kind": data.kind, "name": _line(data.name)})
