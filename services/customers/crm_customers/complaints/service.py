"""Complaints (客户投诉处理表): intake with a gap-free `YYMM-NNN` number per branch and month, assignment, the
investigation report and its approval, improvement actions (整改措施), closing and reopening.

Every step is one versioned write of the complaint carrying its event and a line of its history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.errors import Busy, Conflict, Forbidden, Invalid, NotFound
from crm_shared.events.customers import (ComplaintActionDone, ComplaintAssigned, ComplaintClosed, ComplaintReceived,
                                         ComplaintReopened, ComplaintReportApproved, ComplaintReportFiled)
from crm_shared.events.reception import SealedVisitor
from crm_shared.http.auth import Principal
from crm_shared.ids import stored_now, utcnow, uuid7
from crm_shared.phones import InvalidPhone, mask, normalize, phone_hash
from crm_shared.plugins import ServiceContext

from crm_customers.complaints import rules
from crm_customers.leads import known_lead
from crm_customers.complaints.models import (ActionDoneIn, ActionIn, ApprovalIn, AssignIn, CloseIn, ComplaintIn,
                                             ReopenIn, ReportIn)

COMPLAINTS = "complaints"
COUNTERS = "complaint_counters"
DEAL_COPIES = "deal_copies"
"""Deals this service heard of (`deal.subscribed`/`deal.signed`, kept by the revisits part): a body's `deal_id`."""
MANAGERS = ("manager", "admin")
STAFF = ("consultant", "reception", "finance", *MANAGERS)
ATTEMPTS = 100


def is_party(doc: dict, who: Principal) -> bool:
    """Managers see every complaint of their branches; other staff those they received or handle."""
    return who.role in MANAGERS or who.sub in (doc.get("received_by"), doc.get("assignee_id"))


def visible(doc: dict | None, who: Principal) -> dict:
    if doc is None or not who.sees_branch(doc["branch_id"]) or not is_party(doc, who):
        raise NotFound("complaint")
    return doc


def handler_or_manager(doc: dict, who: Principal) -> None:
    if who.role not in MANAGERS and who.sub != doc.get("assignee_id"):
        raise Forbidden("only the assignee or a manager may do this")


def _data(cls, doc: dict, **extra: Any):
    return cls(complaint_id=doc["_id"], number=doc["number"], category=doc["category"], severity=doc["severity"],
               channel=doc.get("channel"), status=doc["status"], assignee_id=doc.get("assignee_id"),
               archive_id=doc.get("archive_id"), lead_id=doc.get("lead_id"), deal_id=doc.get("deal_id"),
               report_due_at=doc.get("report_due_at"), due_at=doc.get("due_at"),
               customer_name=(doc.get("customer") or {}).get("name"), summary=doc.get("summary"), **extra)


def complaint_event(cls, doc: dict, **extra: Any):
    return event(_data(cls, doc, **extra), doc["branch_id"], doc["_id"])


_now = stored_now  # an event's times equal the stored ones (and those of the complaint's later events, built from the store)


def history_line(what: str, by: str, status: str, note: str | None = None, at: datetime | None = None) -> dict:
    return {"at": at or utcnow(), "what": what, "by": by, "status": status, "note": note}


async def _customer(ctx: ServiceContext, body: ComplaintIn, archive: dict | None, lead: dict | None) -> dict:
    """The complainant as stored: name, mask, hash and the number sealed (never in clear)."""
    if body.customer is None:
        held = (archive or lead or {}).get("customer") or {}
        return {"name": held.get("name") or "客户", "phone_masked": held.get("phone_masked"),
                "phone_hash": held.get("phone_hash"), "phone_sealed": held.get("phone_sealed")}
    try:
        e164 = normalize(body.customer.phone, ctx.settings.default_region)
    except InvalidPhone as exc:
        raise Invalid(str(exc), loc=["body", "customer", "phone"]) from None
    return {"name": body.customer.name, "phone_masked": mask(e164),
            "phone_hash": phone_hash(e164, ctx.settings.phone_hash_key),
            "phone_sealed": await ctx.keys.seal(e164)}


async def _archive(ctx: ServiceContext, branch_id: str, archive_id: str | None) -> dict | None:
    if archive_id is None:
        return None
    doc = await ctx.db.archives.find_one({"_id": archive_id, "branch_id": branch_id},
                                        projection={"customer": 1, "deals": 1, "lead_id": 1})
    if doc is None:
        raise Invalid("archive_id names no archive of this branch", kind="unknown-archive", loc=["body", "archive_id"])
    return doc


async def known_deal(ctx: ServiceContext, branch_id: str, deal_id: str | None, loc: list[str]) -> None:
    """A deal of the branch this service heard of (a deal event or an archive's deals), else 422 `unknown-deal`."""
    if deal_id is None:
        return
    if await ctx.db[DEAL_COPIES].find_one({"_id": deal_id, "branch_id": branch_id}, projection={"_id": 1}):
        return
    if await ctx.db.archives.find_one({"branch_id": branch_id, "deals.deal_id": deal_id}, projection={"_id": 1}):
        return
    raise Invalid("deal_id names no deal of this branch", kind="unknown-deal", loc=loc)


async def staff_of(ctx: ServiceContext, branch_id: str, staff_id: str, loc: list[str]) -> None:
    if not await ctx.state.is_active(branch_id, staff_id):
        raise Invalid(f"{loc[-1]} names no active staff member of this branch", kind="unknown-staff", loc=loc)


async def intake(ctx: ServiceContext, body: ComplaintIn, who: Principal) -> dict:
    """201 with the next number of the branch's month: the unique `number_key` refuses a repeat, and a number is
    taken only by a stored complaint, so 10 simultaneous intakes get 001-010 with no gap."""
    archive = await _archive(ctx, body.branch_id, body.archive_id)
    lead = await known_lead(ctx, body.branch_id, body.lead_id)
    await known_deal(ctx, body.branch_id, body.deal_id, ["body", "deal_id"])
    customer = await _customer(ctx, body, archive, lead)
    tz = (await ctx.state.branch(body.branch_id)).timezone
    now, cfg = _now(), ctx.config
    report_due, due = rules.deadlines(now, body.severity, cfg.complaint_report_days, cfg.complaint_major_days,
                                      cfg.complaint_normal_days)
    month, _id = rules.month_key(now, tz), uuid7()
    base = {"_id": _id, "branch_id": body.branch_id, "month": month, "status": "received", "channel": body.channel,
            "category": body.category, "severity": body.severity, "summary": body.summary, "customer": customer,
            "archive_id": body.archive_id, "lead_id": body.lead_id or (archive or {}).get("lead_id"),
            "deal_id": body.deal_id, "received_by": who.sub, "received_at": now, "assignee_id": None,
            "report_due_at": report_due, "due_at": due, "report_filed_at": None, "report_overdue_at": None,
            "handling_overdue_at": None, "report": None, "actions": [], "closing": None, "reopened_count": 0,
            "history": [history_line("received", who.sub, "received", at=now)], "created_at": now, "updated_at": now}
    counters = ctx.db[COUNTERS]
    counter_id = f"{body.branch_id}:{month}"
    seq = ((await counters.find_one({"_id": counter_id})) or {}).get("seq", 0) + 1
    for _ in range(ATTEMPTS):
        doc = base | {"seq": seq, "number": rules.number(month, seq),
                      "number_key": rules.number_key(body.branch_id, month, seq)}
        received = _data(ComplaintReceived, doc, customer=SealedVisitor(**customer) if customer.get("phone_hash") else None,
                         received_by=who.sub)
        try:
            stored = await ctx.aggregate(COMPLAINTS).insert(doc, event(received, body.branch_id, _id))
            break
        except DuplicateKeyError:
            known = ((await counters.find_one({"_id": counter_id})) or {}).get("seq", 0)
            seq = max(seq, known) + 1
    else:
        raise Busy("numbering-busy", "many complaints are being received at once; try again")
    await _advance(counters, counter_id, seq)
    return stored


async def _advance(counters: Any, counter_id: str, seq: int) -> None:
    """The counter is a hint of the last number taken (never ahead of a stored complaint)."""
    for _ in range(3):
        try:
            await counters.update_one({"_id": counter_id}, {"$max": {"seq": seq}}, upsert=True)
            return
        except DuplicateKeyError:
            continue


def _open(doc: dict) -> None:
    if doc["status"] == "closed":
        raise Conflict("wrong-status", "the complaint is closed; reopen it first", status_now="closed")


async def assign(ctx: ServiceContext, doc: dict, expected: int | None, body: AssignIn, who: Principal) -> dict:
    _open(doc)
    await staff_of(ctx, doc["branch_id"], body.assignee_id, ["body", "assignee_id"])
    status, now = rules.status_after_assign(doc["status"]), utcnow()
    after = doc | {"status": status, "assignee_id": body.assignee_id}
    env = complaint_event(ComplaintAssigned, after, previous_assignee_id=doc.get("assignee_id"))
    return await ctx.aggregate(COMPLAINTS).change(doc, expected, {
        "$set": {"status": status, "assignee_id": body.assignee_id, "updated_at": now},
        "$push": {"history": history_line("assigned", who.sub, status, body.note, now)}}, env)


async def file_report(ctx: ServiceContext, doc: dict, expected: int | None, body: ReportIn, who: Principal) -> dict:
    """The investigation report; a report filed again before approval replaces the first."""
    handler_or_manager(doc, who)
    if doc["status"] not in rules.REPORTABLE or not doc.get("assignee_id"):
        raise Conflict("wrong-status", "a report is filed while the complaint is investigated by its assignee",
                       status_now=doc["status"])
    if (doc.get("report") or {}).get("approved_at"):
        raise Conflict("report-approved", "the report is already approved")
    now = utcnow()
    report = {**body.model_dump(), "filed_by": who.sub, "filed_at": now, "on_time": now <= doc["report_due_at"],
              "approved_by": None, "approved_at": None}
    after = doc | {"status": "investigating"}
    return await ctx.aggregate(COMPLAINTS).change(doc, expected, {
        "$set": {"report": report, "report_filed_at": now, "status": "investigating", "updated_at": now},
        "$push": {"history": history_line("report_filed", who.sub, "investigating", at=now)}},
        complaint_event(ComplaintReportFiled, after))


async def approve_report(ctx: ServiceContext, doc: dict, expected: int | None, body: ApprovalIn, who: Principal) -> dict:
    report = doc.get("report")
    if doc["status"] != "investigating" or not report:
        raise Conflict("no-report", "there is no filed report to approve", status_now=doc["status"])
    if report.get("approved_at"):
        raise Conflict("report-approved", "the report is already approved")
    now = utcnow()
    after = doc | {"status": "responded"}
    return await ctx.aggregate(COMPLAINTS).change(doc, expected, {
        "$set": {"report.approved_by": who.sub, "report.approved_at": now, "status": "responded", "updated_at": now},
        "$push": {"history": history_line("report_approved", who.sub, "responded", body.note, now)}},
        complaint_event(ComplaintReportApproved, after, approved_by=who.sub))


async def add_action(ctx: ServiceContext, doc: dict, expected: int | None, body: ActionIn, who: Principal) -> dict:
    handler_or_manager(doc, who)
    _open(doc)
    if len(doc.get("actions") or []) >= 50:
        raise Conflict("too-many-actions", "a complaint holds at most 50 improvement actions")
    await staff_of(ctx, doc["branch_id"], body.owner_id, ["body", "owner_id"])
    now = utcnow()
    action = {"id": uuid7(), "what": body.what, "owner_id": body.owner_id, "due": body.due.isoformat(),
              "done_at": None, "done_by": None, "note": None, "added_by": who.sub, "added_at": now}
    return await ctx.aggregate(COMPLAINTS).change(doc, expected, {
        "$push": {"actions": action, "history": history_line("action_added", who.sub, doc["status"], body.what, now)},
        "$set": {"updated_at": now}})


async def action_done(ctx: ServiceContext, doc: dict, expected: int | None, action_id: str, body: ActionDoneIn,
                      who: Principal) -> dict:
    """An action is tracked to done, also after the complaint was closed."""
    handler_or_manager(doc, who)
    actions = doc.get("actions") or []
    index = next((i for i, a in enumerate(actions) if a["id"] == action_id), None)
    if index is None:
        raise NotFound("action")
    if actions[index].get("done_at"):
        raise Conflict("action-done", "this action is already done")
    now = utcnow()
    env = complaint_event(ComplaintActionDone, doc, action_id=action_id, action=actions[index]["what"])
    return await ctx.aggregate(COMPLAINTS).change(doc, expected, {
        "$set": {f"actions.{index}.done_at": now, f"actions.{index}.done_by": who.sub,
                 f"actions.{index}.note": body.note, "updated_at": now},
        "$push": {"history": history_line("action_done", who.sub, doc["status"], actions[index]["what"], now)}}, env)


async def close(ctx: ServiceContext, doc: dict, expected: int | None, body: CloseIn, who: Principal) -> dict:
    """Closing needs the approved report (status `responded`) and records the customer's response."""
    if doc["status"] != "responded":
        raise Conflict("wrong-status", "a complaint is closed after its report is approved", status_now=doc["status"])
    await known_deal(ctx, doc["branch_id"], body.deal_id, ["body", "deal_id"])
    now = _now()
    closing = {"customer_response": body.customer_response, "resolution": body.resolution.kind,
               "note": body.resolution.note, "deal_id": body.deal_id, "closed_by": who.sub, "closed_at": now}
    after = doc | {"status": "closed", "deal_id": body.deal_id or doc.get("deal_id")}
    env = complaint_event(ComplaintClosed, after, customer_response=body.customer_response, resolution=body.resolution.note,
               resolution_kind=body.resolution.kind, received_at=doc.get("received_at"), closed_at=now)
    return await ctx.aggregate(COMPLAINTS).change(doc, expected, {
        "$set": {"status": "closed", "closing": closing, "deal_id": after["deal_id"], "updated_at": now},
        "$push": {"history": history_line("closed", who.sub, "closed", body.resolution.note, now)}}, env)


async def reopen(ctx: ServiceContext, doc: dict, expected: int | None, body: ReopenIn, who: Principal) -> dict:
    """Back to work with new deadlines from now; the old report and closing stay in the history."""
    if doc["status"] != "closed":
        raise Conflict("wrong-status", "only a closed complaint is reopened", status_now=doc["status"])
    now, cfg = _now(), ctx.config
    report_due, due = rules.deadlines(now, doc["severity"], cfg.complaint_report_days, cfg.complaint_major_days,
                                      cfg.complaint_normal_days)
    after = doc | {"status": "reopened", "report_due_at": report_due, "due_at": due}
    earlier = {"report": doc.get("report"), "closing": doc.get("closing"), "reopened_at": now, "reason": body.reason}
    return await ctx.aggregate(COMPLAINTS).change(doc, expected, {
        "$set": {"status": "reopened", "report_due_at": report_due, "due_at": due, "report": None,
                 "report_filed_at": None, "report_overdue_at": None, "handling_overdue_at": None, "closing": None,
                 "updated_at": now},
        "$inc": {"reopened_count": 1},
        "$push": {"history": history_line("reopened", who.sub, "reopened", body.reason, now), "earlier": earlier}},
        complaint_event(ComplaintReopened, after, reason=body.reason))


async def ensure_indexes(ctx: ServiceContext) -> None:
    col = ctx.db[COMPLAINTS]
    await col.create_index([("number_key", 1)], unique=True, name="one_complaint_per_number")
    await col.create_index([("branch_id", 1), ("status", 1)])
    await col.create_index([("status", 1), ("report_due_at", 1)])
    await col.create_index([("status", 1), ("due_at", 1)])
