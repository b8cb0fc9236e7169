"""Business receptions: request (notice and budget rules, resources claimed without clashes),
the approval chain, rejection (frees resources), feedback, and the overdue-feedback timer."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import datetime

from pymongo.errors import BulkWriteError, DuplicateKeyError

from crm_shared.aggregates import Aggregate, event
from crm_shared.errors import Conflict, Forbidden, Invalid
from crm_shared.events.reception import (
    ReceptionApproved, ReceptionCompleted, ReceptionFeedbackOverdue, ReceptionRejected, ReceptionRequested,
)
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext
from crm_reception.common import MANAGERS, STAFF, require_member, utc
from crm_reception.receptions import rules
from crm_reception.receptions.models import Approval, Feedback, ReceptionCreate

RECEPTIONS, RESOURCE_SLOTS = "receptions", "resource_slots"
HOSTS = ("consultant", *MANAGERS)  # who may host, and so file the feedback


def receptions(ctx: ServiceContext) -> Aggregate:
    return ctx.aggregate(RECEPTIONS)


def event_data(cls: type, doc: dict, **extra):
    return cls(reception_id=doc["_id"], reception_class=doc["class"], host_id=doc["host_id"],
               arrive_at=doc["arrive_at"], leave_at=doc["leave_at"], guests=len(doc["guests"]),
               budget_per_head=doc["budget_per_head"], feedback_due_at=doc["feedback_due_at"], **extra)


def _claim_ids(doc: dict) -> list[str]:
    return [i for r in doc["resources"] for i in rules.resource_claim_ids(
        doc["branch_id"], f"{r['kind']}:{r['name']}", utc(doc["arrive_at"]), utc(doc["leave_at"]))]


async def _claim_resources(ctx: ServiceContext, doc: dict) -> None:
    """All buckets of all resources, in sorted order (no deadlock between racing requests), or none."""
    ids = sorted(_claim_ids(doc))
    slots = [{"_id": i, "reception_id": doc["_id"], "branch_id": doc["branch_id"]} for i in ids]
    if not slots:
        return
    try:
        await ctx.db[RESOURCE_SLOTS].insert_many(slots, ordered=True)
        return
    except BulkWriteError as exc:
        taken = exc.details.get("nInserted", 0)
        index = (exc.details.get("writeErrors") or [{}])[0].get("index", taken)
    except DuplicateKeyError:
        taken, index = 0, 0
    await release_resources(ctx, doc)
    holder = await ctx.db[RESOURCE_SLOTS].find_one({"_id": ids[index]}) or {}
    resource = ids[index].split(":")[1:3]
    raise Conflict("resource-clash", f"{':'.join(resource)} is already booked for part of that time",
                   resource=":".join(resource), conflicting_reception_id=holder.get("reception_id"))


async def release_resources(ctx: ServiceContext, doc: dict) -> None:
    await asyncio.gather(*(ctx.db[RESOURCE_SLOTS].delete_one({"_id": i, "reception_id": doc["_id"]})
                           for i in _claim_ids(doc)))  # `_id` equality: the dev store scans for `$in`


async def request(ctx: ServiceContext, body: ReceptionCreate, who: Principal, now: datetime) -> dict:
    if body.host_id is not None:
        await require_member(ctx, body.branch_id, body.host_id, "unknown-host", ["body", "host_id"], roles=HOSTS,
                             field="host_id")
    b = await ctx.state.directory.branch(body.branch_id)
    cls = body.reception_class
    pol = rules.policy(cls, b.raw_settings)
    if reason := rules.notice_problem(cls, pol, body.arrive_at, now):
        raise Invalid(reason, kind="notice-too-short", loc=["body", "arrive_at"], required_notice_days=pol.notice_days)
    budget = body.budget_per_head if body.budget_per_head is not None else pol.budget_max
    if reason := rules.budget_problem(cls, pol, budget):
        raise Invalid(reason, kind="over-budget", loc=["body", "budget_per_head"])
    _id = uuid7()
    doc = {
        "_id": _id, "branch_id": body.branch_id, "class": cls, "status": "pending",
        "host_id": body.host_id or who.sub, "requested_by": who.sub,
        "guests": [g.model_dump() for g in body.guests], "arrive_at": body.arrive_at, "leave_at": body.leave_at,
        "purpose": body.purpose, "resources": [r.model_dump() for r in body.resources], "budget_per_head": budget,
        "policy": {**asdict(pol), "accompany": list(pol.accompany)}, "approvals": [], "rejection": None,
        "feedback": None, "feedback_overdue": False, "created_at": now,
        "feedback_due_at": rules.feedback_due(body.leave_at, b.settings.feedback_due_working_days, b.settings, b.timezone),
    }
    await _claim_resources(ctx, doc)
    try:
        return await receptions(ctx).insert(doc, event(event_data(ReceptionRequested, doc), body.branch_id, _id))
    except Exception:
        await release_resources(ctx, doc)
        raise


async def _change(ctx: ServiceContext, doc: dict, expected: int | None, update: dict, data=None) -> dict:
    """One guarded write of the change and its event (if any); `Stale` if someone changed it first."""
    envs = [event(data, doc["branch_id"], doc["_id"])] if data is not None else []
    return await receptions(ctx).change(doc, expected, update, *envs)


async def approve(ctx: ServiceContext, doc: dict, body: Approval, who: Principal, expected: int | None) -> dict:
    if doc["status"] not in rules.PENDING:
        raise Conflict("wrong-status", f"the reception is {doc['status']}", status_now=doc["status"])
    step, status = rules.after_approval(doc["status"], rules.ClassPolicy(**{**doc["policy"], "accompany": ()}))
    if who.sub == doc["requested_by"]:
        raise Forbidden("a request is approved by someone other than its requester")
    if step == "general_manager" and any(a["by"] == who.sub for a in doc["approvals"]):
        raise Forbidden("the general manager's approval must come from someone other than the department head")
    record = {"step": step, "by": who.sub, "at": utcnow(), "note": body.note}
    approvers = list(dict.fromkeys([a["by"] for a in doc["approvals"]] + [who.sub]))
    data = event_data(ReceptionApproved, doc, participant_ids=approvers) if status == "approved" else None
    return await _change(ctx, doc, expected, {"$set": {"status": status}, "$push": {"approvals": record}}, data)


async def reject(ctx: ServiceContext, doc: dict, reason: str, who: Principal, expected: int | None) -> dict:
    if doc["status"] not in rules.PENDING:
        raise Conflict("wrong-status", f"the reception is {doc['status']}", status_now=doc["status"])
    rejection = {"step": rules.after_approval(doc["status"], rules.ClassPolicy(**{**doc["policy"], "accompany": ()}))[0],
                 "by": who.sub, "at": utcnow(), "reason": reason}
    updated = await _change(ctx, doc, expected, {"$set": {"status": "rejected", "rejection": rejection}},
                            event_data(ReceptionRejected, doc, reason=reason))
    await release_resources(ctx, doc)
    return updated


async def file_feedback(ctx: ServiceContext, doc: dict, body: Feedback, who: Principal) -> dict:
    if who.sub != doc["host_id"] and who.role not in MANAGERS:
        raise Forbidden("only the host or a manager files the feedback")
    if doc["status"] != "approved":
        raise Conflict("wrong-status", f"feedback is for approved receptions; this one is {doc['status']}")
    for i, task in enumerate(body.follow_ups):
        if task.owner_id is not None:
            await require_member(ctx, doc["branch_id"], task.owner_id, "unknown-owner",
                                 ["body", "follow_ups", i, "owner_id"], roles=STAFF, field="owner_id")
    feedback = {**body.model_dump(), "by": who.sub, "at": utcnow()}
    return await _change(ctx, doc, None, {"$set": {"status": "completed", "feedback": feedback}},
                         event_data(ReceptionCompleted, doc, spent=body.spent))


async def flag_overdue_feedback(ctx: ServiceContext, now: datetime) -> int:
    """Timer pass: approved receptions past their feedback deadline raise `reception.feedback_overdue`, once."""
    count = 0
    query = {"status": "approved", "feedback_due_at": {"$lt": now}, "feedback_overdue": False}
    async for doc in receptions(ctx).find(query):
        flagged = await receptions(ctx).update(
            {"_id": doc["_id"], "status": "approved", "feedback_overdue": False}, {"$set": {"feedback_overdue": True}},
            event(event_data(ReceptionFeedbackOverdue, doc), doc["branch_id"], doc["_id"]))
        if flagged is not None:
            count += 1
    return count
