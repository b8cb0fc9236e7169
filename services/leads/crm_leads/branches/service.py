"""Branches: the leads service owns them and announces every change as `branch.configured`."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.events.leads import BranchConfigured
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext

from crm_leads.branches.models import BranchIn, BranchOut
from crm_leads.context import forget_branch


def public(doc: dict) -> BranchOut:
    return BranchOut(id=doc["_id"], name=doc["name"], timezone=doc["timezone"], settings=doc["settings"], version=doc["version"])


async def configure(ctx: ServiceContext, body: BranchIn) -> tuple[BranchOut, bool]:
    """Create or replace the branch's settings; returns (branch, created)."""
    forget_branch(ctx, body.id)
    settings, zone = body.settings.model_dump(mode="json"), body.timezone or ctx.config.default_timezone
    env = event(BranchConfigured(branch_id=body.id, name=body.name, timezone=zone, settings=settings), body.id, body.id)
    fields = {"name": body.name, "timezone": zone, "settings": settings, "updated_at": utcnow()}
    branches = ctx.aggregate("branches")
    doc = await branches.update({"_id": body.id}, {"$set": fields}, env)
    if doc is not None:
        forget_branch(ctx, body.id)
        return public(doc), False
    try:
        doc = await branches.insert({"_id": body.id, **fields, "created_at": fields["updated_at"]}, env)
    except DuplicateKeyError:  # created concurrently: apply as an update
        return await configure(ctx, body)
    return public(doc), True
