"""Rotation's reaction to `staff.left`: a consultant who left the company leaves every queue, and
visitors waiting for them go to the rotation."""

from __future__ import annotations

from crm_shared.events import Envelope
from crm_shared.events.leads import StaffLeft
from crm_shared.plugins import ServiceContext
from crm_reception.rotation import service
from crm_reception.visits import queue


async def on_staff_left(ctx: ServiceContext, env: Envelope, data: StaffLeft) -> None:
    """Recorded in the directory (newer event wins), then out of every queue of the branch, so they
    get no more walk-ins, and nobody waits for them; a stale `staff.left` (the person re-joined since)
    changes nothing."""
    if await ctx.state.directory.record(env, data):
        await service.remove_everywhere(ctx, env.branch_id, data.staff_id)
        await queue.release_waits_for(ctx, env.branch_id, data.staff_id)
