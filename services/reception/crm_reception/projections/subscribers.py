"""Leads events into reception's copy of open leads (projections.service); idempotent, any order."""

from __future__ import annotations

from crm_shared.events import Envelope
from crm_shared.events.leads import LeadAssigned, LeadClaimed, LeadLost, LeadRegistered, LeadReleased, LeadWon
from crm_shared.plugins import ServiceContext
from crm_reception.projections import service


async def on_lead_registered(ctx: ServiceContext, env: Envelope, data: LeadRegistered) -> None:
    await service.record_lead(ctx, env.branch_id, data.lead_id, data.customer.phone_hash)
    await service.record_owner(ctx, data.lead_id, data.owner_id, env.time)


async def on_owner_changed(ctx: ServiceContext, env: Envelope, data: LeadAssigned | LeadClaimed | LeadReleased) -> None:
    await service.record_owner(ctx, data.lead_id, data.owner_id, env.time)


async def on_lead_closed(ctx: ServiceContext, env: Envelope, data: LeadWon | LeadLost) -> None:
    """A won or lost lead no longer makes its phone a returning customer."""
    await service.close_lead(ctx, data.lead_id)
