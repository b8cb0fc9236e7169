"""Rotation's reaction to `staff.left`: a consultant who left the company leaves every queue."""

from __future__ import annotations

from crm_shared.events import Envelope
from crm_shared.events.leads import StaffLeft
from crm_shared.plugins import ServiceContext
from crm_reception.rotation import service


async def on_staff_left(ctx: ServiceContext, env: Envelope, data: StaffLeft) -> None:
    """Recorded in the directory (newer event wins), then out of every queue of the branch, so they
    get no more walk-ins; a stale `staff.left` (the person re-joined since) changes nothing."""
    if await ctx.state.directory.record(env, data):
        await service.remove_everywhere(ctx, env.branch_id, data.staff_id)
