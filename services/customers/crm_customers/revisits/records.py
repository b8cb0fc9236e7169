"""Logging a revisit: it closes its task (the one named, else the archive's earliest due one) in the write that
publishes `revisit.logged`; a revisit with no task due is kept as an unplanned, done task."""

from __future__ import annotations

from datetime import datetime

from crm_shared.errors import Conflict, Forbidden, Invalid, NotFound
from crm_shared.events.customers import RevisitLogged
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

from crm_customers.revisits import rules
from crm_customers.revisits.models import RevisitIn
from crm_customers.revisits.service import TASKS, archive_of, change, replan

MANAGERS = ("manager", "admin")
LOGGERS = ("consultant", *MANAGERS)


async def archive_for(ctx: ServiceContext, archive_id: str, who: Principal) -> dict:
    """The archive as the caller sees it: another branch's, or for a consultant one it does not manage, is 404."""
    archive = await archive_of(ctx, archive_id)
    if archive is None or not who.sees_branch(archive["branch_id"]):
        raise NotFound("archive")
    if who.role == "consultant" and archive.get("account_manager_id") != who.sub:
        raise NotFound("archive")
    if who.role not in LOGGERS:
        raise Forbidden("only the account manager or a manager logs a revisit")
    return archive


async def _task(ctx: ServiceContext, archive: dict, task_id: str | None, now: datetime) -> dict | None:
    if task_id is not None:
        task = await ctx.aggregate(TASKS).find_one({"_id": task_id, "archive_id": archive["_id"]})
        if task is None:
            raise Invalid("task_id names no revisit task of this archive", kind="unknown-task", loc=["body", "task_id"])
        if task["status"] not in rules.OPEN:
            raise Conflict("task-closed", f"this task is {task['status']}", status_now=task["status"])
        return task
    due = await ctx.aggregate(TASKS).find({"archive_id": archive["_id"], "status": {"$in": ["due", "overdue"]}}
                                          ).sort("due_at", 1).limit(1).to_list()
    return due[0] if due else None


async def log(ctx: ServiceContext, archive: dict, body: RevisitIn, who: Principal) -> dict:
    if archive.get("frozen"):
        raise Conflict("archive-frozen", "the archive is frozen (冻结): no revisits")
    now = utcnow()
    task = await _task(ctx, archive, body.task_id, now)
    entry = {"kind": body.kind, "note": body.note, "satisfaction": body.satisfaction, "logged_by": who.sub,
             "logged_at": now, "on_time": task is None or task.get("overdue_at") is None or now < task["overdue_at"]}
    logged = dict(revisit_id=None, satisfaction=body.satisfaction, on_time=entry["on_time"], logged_by=who.sub)
    if task is None:
        _id = uuid7()
        doc = {"_id": _id, "branch_id": archive["branch_id"], "archive_id": archive["_id"],
               "archive_number": archive.get("number"), "customer_name": (archive.get("customer") or {}).get("name"),
               "kind": "unplanned", "deal_id": None, "tier": None, "due_on": now.date().isoformat(), "due_at": now,
               "overdue_at": None, "assignee_id": who.sub, "status": "done", "log": entry, "created_at": now,
               "updated_at": now}
        logged["revisit_id"] = _id
        # no task was due: nothing was planned for a day, so the event names no due time (reports count the
        # revisit as done, never as a task done on time)
        return await ctx.aggregate(TASKS).insert(doc, change(RevisitLogged, doc | {"due_at": None}, **logged))
    logged["revisit_id"] = task["_id"]
    done = await ctx.aggregate(TASKS).update(
        {"_id": task["_id"], "status": task["status"]},
        {"$set": {"status": "done", "log": entry, "updated_at": now}}, change(RevisitLogged, task, **logged))
    if done is None:
        raise Conflict("task-closed", "this task changed meanwhile; look again")
    if task["status"] == "planned":
        await replan(ctx, archive["_id"], now)  # logged early: the next cycle counts from today
    return done
