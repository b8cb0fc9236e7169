"""Revisit tasks (回访任务): planned from the archive as it is now, so every event about an archive (opened, tier
changed, frozen, unfrozen, updated, a deal signed or cancelled) converges on the same tasks in any order.

Task ids follow from the archive and the task, so a replan, a redelivery or two replicas make each task once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.branches import local_date
from crm_shared.plugins import ServiceContext

from crm_customers.revisits import rules

TASKS = "revisit_tasks"
DEAL_COPIES = "deal_copies"
ARCHIVE_FIELDS = {"branch_id": 1, "number": 1, "tier": 1, "frozen": 1, "account_manager_id": 1, "lead_id": 1,
                  "customer.name": 1, "card.handover_on": 1, "deals": 1, "status": 1}


def months(ctx: ServiceContext) -> dict[str, int]:
    c = ctx.config
    return {"core": c.revisit_core_months, "key": c.revisit_key_months, "general": c.revisit_general_months}


async def archive_of(ctx: ServiceContext, archive_id: str) -> dict | None:
    return await ctx.db.archives.find_one({"_id": archive_id}, projection=ARCHIVE_FIELDS)


async def _deals(ctx: ServiceContext, archive: dict, tz: str) -> tuple[list[tuple[str, date]], set[str]]:
    """The archive's signed deals (its own list and those heard of by lead) with their branch-local signing day,
    and the deals cancelled since."""
    signed: dict[str, date] = {}
    for d in archive.get("deals") or []:
        at = d.get("signed_at")
        day = local_date(at, tz) if isinstance(at, datetime) else rules.day_of(at)
        if d.get("deal_id") and day:
            signed[d["deal_id"]] = day
    query: dict[str, Any] = {"branch_id": archive["branch_id"]}
    ids = list(signed)
    if archive.get("lead_id"):
        query["$or"] = [{"_id": {"$in": ids}}, {"lead_id": archive["lead_id"]}]
    else:
        query["_id"] = {"$in": ids}
    cancelled = set()
    for copy in await ctx.db[DEAL_COPIES].find(query).to_list():
        if copy.get("status") == "cancelled":
            cancelled.add(copy["_id"])
        elif copy.get("signed_at") and copy["_id"] not in signed:
            signed[copy["_id"]] = local_date(copy["signed_at"], tz)
    return [(k, v) for k, v in signed.items() if k not in cancelled], cancelled


async def _cancel(ctx: ServiceContext, query: dict, reason: str, now: datetime) -> int:
    res = await ctx.db[TASKS].update_many(query, {"$set": {"status": "cancelled", "cancel_reason": reason,
                                                           "updated_at": now}, "$inc": {"version": 1}})
    return res.modified_count


async def replan(ctx: ServiceContext, archive_id: str, now: datetime) -> int:
    """Bring the archive's open tasks in line with the archive; returns how many tasks were made or revived."""
    archive = await archive_of(ctx, archive_id)
    if archive is None:
        return 0
    open_query = {"archive_id": archive_id, "status": {"$in": list(rules.OPEN)}}
    if archive.get("frozen"):
        await _cancel(ctx, open_query, "frozen", now)  # freezing stops revisits (冻结): unfreezing plans afresh
        return 0
    tz = (await ctx.state.branch(archive["branch_id"])).timezone
    today = local_date(now, tz)
    tier, manager = archive.get("tier") or "general", archive.get("account_manager_id")
    await ctx.db[TASKS].update_many(open_query | {"assignee_id": {"$ne": manager}},
                                    {"$set": {"assignee_id": manager, "updated_at": now}, "$inc": {"version": 1}})
    planned = {"archive_id": archive_id, "status": "planned"}
    await _cancel(ctx, planned | {"kind": "tier_cycle", "tier": {"$ne": tier}}, "tier_changed", now)
    has_tier = await ctx.db[TASKS].find_one(planned | {"kind": "tier_cycle"}, projection={"_id": 1}) is not None
    deals, cancelled = await _deals(ctx, archive, tz)
    if cancelled:
        await _cancel(ctx, planned | {"deal_id": {"$in": sorted(cancelled)}}, "deal_cancelled", now)
    handover = rules.day_of((archive.get("card") or {}).get("handover_on"))
    await _cancel(ctx, planned | {"kind": "handover", "due_on": {"$ne": handover.isoformat() if handover else None}},
                  "handover_moved", now)
    wanted = rules.plan(tier=tier, months=months(ctx), today=today, has_tier_task=has_tier, deals=deals,
                        handover_on=handover, after_days=list(ctx.config.revisit_after_sale_days))
    made = 0
    for p in wanted:
        made += await _ensure(ctx, archive, p, tz, now)
    return made


async def _ensure(ctx: ServiceContext, archive: dict, p: rules.Planned, tz: str, now: datetime) -> int:
    """Insert the task, or revive it when a freeze cancelled it; a task in any other state stays as it is."""
    due = rules.due_at(p.due_on, tz)
    _id = rules.task_id(archive["_id"], p, due)
    doc = {"_id": _id, "branch_id": archive["branch_id"], "archive_id": archive["_id"],
           "archive_number": archive.get("number"), "customer_name": (archive.get("customer") or {}).get("name"),
           "kind": p.kind, "deal_id": p.deal_id, "tier": p.tier, "days": p.days, "due_on": p.due_on.isoformat(),
           "due_at": due, "overdue_at": rules.overdue_at(p.due_on, ctx.config.revisit_grace_days, tz),
           "assignee_id": archive.get("account_manager_id"), "status": "planned", "log": None,
           "created_at": now, "updated_at": now}
    try:
        await ctx.aggregate(TASKS).insert(doc)
        return 1
    except DuplicateKeyError:
        revived = await ctx.db[TASKS].update_one(
            {"_id": _id, "status": "cancelled", "cancel_reason": "frozen"},
            {"$set": {"status": "planned", "cancel_reason": None, "assignee_id": doc["assignee_id"], "updated_at": now},
             "$inc": {"version": 1}})
        return revived.modified_count


def change(cls, task: dict, **extra: Any):
    """The event of a task's change."""
    data = cls(archive_id=task["archive_id"], task_id=task["_id"], assignee_id=task.get("assignee_id"),
               due_at=task.get("due_at"), kind=task.get("kind"), customer_name=task.get("customer_name"), **extra)
    return event(data, task["branch_id"], task["_id"])


async def ensure_indexes(ctx: ServiceContext) -> None:
    tasks = ctx.db[TASKS]
    await tasks.create_index([("archive_id", 1), ("status", 1)])
    await tasks.create_index([("status", 1), ("due_at", 1)])
    await tasks.create_index([("status", 1), ("overdue_at", 1)])
    await tasks.create_index([("branch_id", 1), ("assignee_id", 1), ("status", 1)])
    await ctx.db[DEAL_COPIES].create_index([("branch_id", 1), ("lead_id", 1)])
