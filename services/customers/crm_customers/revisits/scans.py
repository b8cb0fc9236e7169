"""The revisits timer: a task whose day has come publishes `revisit.due` (and the archive's next tier or
anniversary task is planned); a task its day and the grace days passed unlogged publishes `revisit.overdue`, once.

Each status change and its event are one write guarded by the status read, so a second replica, a rerun or a
restart never publishes either twice. An archive frozen meanwhile gets neither: its task is cancelled.
"""

from __future__ import annotations

from datetime import datetime

from crm_shared.events.customers import RevisitDue, RevisitOverdue
from crm_shared.plugins import ServiceContext
from crm_shared.timers import AGAIN

from crm_customers.revisits.service import TASKS, archive_of, change, replan

BATCH = 200


async def _live(ctx: ServiceContext, task: dict, now: datetime) -> dict | None:
    """The task's archive if it still wants revisits; a frozen or vanished archive's task is cancelled."""
    archive = await archive_of(ctx, task["archive_id"])
    if archive is None or archive.get("frozen"):
        await ctx.db[TASKS].update_one({"_id": task["_id"], "status": task["status"]},
                                       {"$set": {"status": "cancelled", "cancel_reason": "frozen", "updated_at": now},
                                        "$inc": {"version": 1}})
        return None
    return archive


async def publish_due(ctx: ServiceContext, now: datetime) -> object:
    """Timer pass: (due, overdue) events published; AGAIN when a batch was full."""
    tasks = ctx.aggregate(TASKS)
    due = overdue = 0
    found = await tasks.find({"status": "planned", "due_at": {"$lte": now}}).limit(BATCH).to_list()
    for task in found:
        archive = await _live(ctx, task, now)
        if archive is None:
            continue
        assignee = archive.get("account_manager_id")
        done = await tasks.update({"_id": task["_id"], "status": "planned"},
                                  {"$set": {"status": "due", "assignee_id": assignee, "due_published_at": now,
                                            "updated_at": now}},
                                  change(RevisitDue, task | {"assignee_id": assignee}))
        due += done is not None
        await replan(ctx, task["archive_id"], now)  # the next tier or anniversary task
    late = await tasks.find({"status": "due", "overdue_at": {"$lte": now}}).limit(BATCH).to_list()
    for task in late:
        if await _live(ctx, task, now) is None:
            continue
        done = await tasks.update({"_id": task["_id"], "status": "due"},
                                  {"$set": {"status": "overdue", "overdue_published_at": now, "updated_at": now}},
                                  change(RevisitOverdue, task, missed_count=1))
        overdue += done is not None
    if len(found) == BATCH or len(late) == BATCH:
        return AGAIN
    return (due, overdue) if due or overdue else 0
