"""Branches (time zone, settings) and staff (names, manager e-mails), from their events.

Last writer by event time wins, so a late, older `branch.configured` does not undo a newer one.
"""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from crm_reports.generations import Generation
from crm_shared.events import Envelope
from crm_shared.events.leads import BranchConfigured, StaffJoined, StaffLeft


async def _newer_wins(col, _id: str, at, fields: dict) -> None:
    try:
        await col.update_one(
            {"_id": _id, "$or": [{"at": {"$lt": at}}, {"at": None}]}, {"$set": {**fields, "at": at}}, upsert=True
        )
    except DuplicateKeyError:
        pass  # a newer version is already stored


async def on_branch_configured(g: Generation, env: Envelope, data: BranchConfigured) -> None:
    fields = {"timezone": data.timezone, "settings": data.settings, "name": data.name, "configured": True}
    await _newer_wins(g.branches, data.branch_id, env.time, fields)
    g.forget_branch(data.branch_id)


async def on_staff_joined(g: Generation, env: Envelope, data: StaffJoined) -> None:
    fields = {"branch_id": env.branch_id, "role": data.role, "name": data.name, "email": data.email, "active": True}
    await _newer_wins(g.staff, data.staff_id, env.time, fields)


async def on_staff_left(g: Generation, env: Envelope, data: StaffLeft) -> None:
    fields = {"branch_id": env.branch_id, "role": data.role, "name": data.name, "email": data.email, "active": False}
    await _newer_wins(g.staff, data.staff_id, env.time, fields)
