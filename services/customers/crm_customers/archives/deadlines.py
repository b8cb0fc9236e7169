"""The review deadline of new archives: one `archive.review_overdue` per archive and review round."""

from __future__ import annotations

from datetime import datetime

from crm_shared.events.customers import ArchiveReviewOverdue
from crm_shared.plugins import ServiceContext
from crm_shared.timers import AGAIN

from crm_customers.archives import service

BATCH = 200


async def review_overdue(ctx: ServiceContext, now: datetime) -> object:
    """Timer pass: pending archives past `review_due_at` get their one overdue event (a range scan: timers only)."""
    due = await ctx.aggregate(service.ARCHIVES).find(
        {"status": "pending_review", "review_overdue_at": None, "review_due_at": {"$lt": now}}).limit(BATCH).to_list()
    for doc in due:
        env = service.change_event(ArchiveReviewOverdue, doc, review_due_at=doc["review_due_at"])
        await ctx.aggregate(service.ARCHIVES).update(  # None: reviewed or already flagged meanwhile
            {"_id": doc["_id"], "status": "pending_review", "review_overdue_at": None},
            {"$set": {"review_overdue_at": now}}, env)
    return AGAIN if len(due) == BATCH else len(due)
