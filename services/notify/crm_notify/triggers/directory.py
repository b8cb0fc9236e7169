"""branch.configured and staff.joined/left -> the notify copy of branch settings and staff contacts."""

from __future__ import annotations

from crm_shared.events import Envelope
from crm_shared.events.leads import BranchConfigured, StaffJoined, StaffLeft
from crm_notify.directory import service
from crm_notify.runtime import runtime_of


async def on_branch_configured(ctx, env: Envelope, data: BranchConfigured) -> None:
    await service.configure_branch(runtime_of(ctx).db, data.branch_id, data.name, data.timezone, data.settings, env.time)


def _staff(env: Envelope, data: StaffJoined | StaffLeft) -> dict:
    return {"staff_id": data.staff_id, "branch_id": env.branch_id, "role": data.role, "name": data.name,
            "email": data.email.lower() if data.email else None, "phone": data.phone}


async def on_staff_joined(ctx, env: Envelope, data: StaffJoined) -> None:
    await service.staff_joined(runtime_of(ctx).db, _staff(env, data), env.time)


async def on_staff_left(ctx, env: Envelope, data: StaffLeft) -> None:
    await service.staff_left(runtime_of(ctx).db, _staff(env, data), env.time)
