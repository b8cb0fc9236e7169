"""Branches: the leads service owns them and announces every change as `branch.configured`."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from crm_shared.bus.outbox import new_document
from crm_shared.events.leads import BranchConfigured
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext

from crm_leads.branches.models import BranchIn, BranchOut
from crm_leads.context import envelope, forget_branch, update_with_events


def public(doc: dict) -> BranchOut:
    return BranchOut(id=doc["_id"], name=doc["name"], timezone=doc["timezone"], settings=doc["settings"], version=doc["version"])


async def configure(ctx: ServiceContext, body: BranchIn) -> tuple[BranchOut, bool]:
    """Create or replace the branch's settings; returns (branch, created)."""
    forget_branch(ctx, body.id)
    settings = body.settings.model_dump(mode="json")
    env = envelope(BranchConfigured(branch_id=body.id, name=body.name, timezone=body.timezone, settings=settings), body.id, body.id)
    fields = {"name": body.name, "timezone": body.timezone, "settings": settings, "updated_at": utcnow()}
    doc = await update_with_events(ctx, "branches", {"_id": body.id}, {"$set": fields, "$inc": {"version": 1}}, env)
    if doc is not None:
        forget_branch(ctx, body.id)
        return public(doc), False
    try:
        doc = {"_id": body.id, **fields, "created_at": fields["updated_at"], "version": 1}
        await ctx.db.branches.insert_one(new_document(ctx.settings, doc, env))
    except DuplicateKeyError:  # created concurrently: apply as an update
        return await configure(ctx, body)
    ctx.events_written("branches", body.id, env)
    return public(doc), True
