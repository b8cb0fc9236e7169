"""The whole inbound flow of reception on one screen: event type -> handler.

Every handler is idempotent and tolerates out-of-order delivery (see projections.service).
"""

from __future__ import annotations

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events import Envelope
from crm_shared.events.leads import (
    BranchConfigured, LeadAssigned, LeadLost, LeadRegistered, LeadWon, StaffJoined, StaffLeft,
)
from crm_shared.plugins import ServiceContext
from crm_reception.projections import service as projections
from crm_reception.rotation import service as rotation

table = SubscriptionTable(consumer="projections")


@table.on("branch.configured")
async def on_branch_configured(ctx: ServiceContext, env: Envelope, data: BranchConfigured) -> None:
    await projections.record_branch(ctx, data.branch_id or env.branch_id, data.timezone, data.settings, env.time)


@table.on("staff.joined")
async def on_staff_joined(ctx: ServiceContext, env: Envelope, data: StaffJoined) -> None:
    await projections.record_staff(ctx, env.branch_id, data.staff_id, data.role, data.name, True, env.time)


@table.on("staff.left")
async def on_staff_left(ctx: ServiceContext, env: Envelope, data: StaffLeft) -> None:
    """Leaves every queue of the branch and can no longer get appointments or walk-ins."""
    if await projections.record_staff(ctx, env.branch_id, data.staff_id, data.role, data.name, False, env.time):
        await rotation.remove_everywhere(ctx, env.branch_id, data.staff_id)


@table.on("lead.registered")
async def on_lead_registered(ctx: ServiceContext, env: Envelope, data: LeadRegistered) -> None:
    await projections.record_lead(ctx, env.branch_id, data.lead_id, data.customer.phone_hash)
    await projections.record_owner(ctx, data.lead_id, data.owner_id, env.time)


@table.on("lead.assigned", "lead.claimed", "lead.released")
async def on_owner_changed(ctx: ServiceContext, env: Envelope, data: LeadAssigned) -> None:
    await projections.record_owner(ctx, data.lead_id, data.owner_id, env.time)


@table.on("lead.won", "lead.lost")
async def on_lead_closed(ctx: ServiceContext, env: Envelope, data: LeadWon | LeadLost) -> None:
    await projections.close_lead(ctx, data.lead_id)
