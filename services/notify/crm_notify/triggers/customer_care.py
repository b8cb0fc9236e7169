"""Complaints (客户投诉) and revisits (回访) from customers: the customer gets the complaint number, and the staff
who must act are told, with names and words, never ids or codes.

complaint.received -> the customer, an acknowledgement with the number (transactional, to the sealed number), and
for a major complaint every manager of the branch at once; complaint.assigned -> the assignee; complaint.overdue ->
the branch's managers (and whoever the event names as escalated to), once per missed deadline; revisit.due -> the
account manager (the branch's managers when the task has nobody).
"""

from __future__ import annotations

from crm_shared.branches import local_date
from crm_shared.directory import BranchFacts
from crm_shared.events import Envelope
from crm_shared.events.customers import ComplaintAssigned, ComplaintOverdue, ComplaintReceived, RevisitDue, _ComplaintChange
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext
from crm_notify.messages.service import plan_many
from crm_notify.templates.words import COMPLAINT_CATEGORIES, DEADLINES, REVISIT_KINDS, SEVERITIES, pick
from crm_notify.triggers.planner import keyed, sends_wecom, staff_notice
from crm_notify.triggers.rules import local_day, local_text

LOCALE = "zh-CN"


def _facts(data: _ComplaintChange, info: BranchFacts) -> dict:
    def when(moment):
        return local_text(moment, info.timezone, LOCALE) if moment else ""
    return {"number": data.number, "category": data.category, "category_label": pick(COMPLAINT_CATEGORIES, LOCALE, data.category),
            "severity_label": pick(SEVERITIES, LOCALE, data.severity), "summary": (data.summary or "")[:200],
            "customer_name": data.customer_name or "", "due_local": when(data.due_at),
            "report_due_local": when(data.report_due_at), "branch_name": info.name}


async def on_complaint_received(ctx: ServiceContext, env: Envelope, data: ComplaintReceived) -> None:
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    facts = _facts(data, info)
    if not facts["customer_name"] and data.customer is not None:
        facts["customer_name"] = data.customer.name
    docs = []
    if data.customer is not None:  # a complaint with no customer contact at all acknowledges nobody
        phone = await ctx.keys.unseal(data.customer.phone_sealed)
        docs.append(keyed(kind="complaint_received", template="complaint_received", entity=data.complaint_id, channel="sms",
                          to=phone, recipient=data.customer.phone_hash, occurrence="received", branch_id=env.branch_id,
                          due_at=now, now=now, data=facts))
    if data.severity == "major":
        docs += [staff_notice(m, m["_id"], kind="complaint_major", entity=data.complaint_id, occurrence="received",
                              branch_id=env.branch_id, now=now, data=facts | {"manager_name": m.get("name", "")},
                              wecom=sends_wecom(ctx))
                 for m in await directory.members(env.branch_id, "manager")]
    await plan_many(ctx, docs)
    ctx.wake("dispatch")


async def on_complaint_assigned(ctx: ServiceContext, env: Envelope, data: ComplaintAssigned) -> None:
    """The new assignee, once per assignment (a redelivery is the same assignment)."""
    if not data.assignee_id:
        return
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    member = await directory.member(data.assignee_id)
    doc = staff_notice(member, data.assignee_id, kind="complaint_assigned", entity=data.complaint_id, occurrence=env.id,
                       branch_id=env.branch_id, now=utcnow(), data=_facts(data, info), wecom=sends_wecom(ctx))
    await plan_many(ctx, [doc])
    ctx.wake("dispatch")


async def on_complaint_overdue(ctx: ServiceContext, env: Envelope, data: ComplaintOverdue) -> None:
    """Escalation: the branch's managers and anyone the event names, once per complaint and missed deadline."""
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    assignee = await directory.member(data.assignee_id) if data.assignee_id else None
    missed = data.report_due_at if data.deadline == "report" else data.due_at
    facts = _facts(data, info) | {"deadline": data.deadline, "deadline_label": pick(DEADLINES, LOCALE, data.deadline),
                                  "due_local": local_text(missed, info.timezone, LOCALE) if missed else "",
                                  "assignee_name": (assignee or {}).get("name", "")}
    people = {m["_id"]: m for m in await directory.members(env.branch_id, "manager")}
    for staff_id in data.escalated_to:
        if staff_id not in people and (member := await directory.member(staff_id)) and member.get("branch_id") == env.branch_id:
            people[staff_id] = member
    docs = [staff_notice(m, staff_id, kind="complaint_overdue", entity=data.complaint_id, occurrence=data.deadline,
                         branch_id=env.branch_id, now=now, data=facts | {"manager_name": m.get("name", "")},
                         wecom=sends_wecom(ctx))
            for staff_id, m in people.items()]
    await plan_many(ctx, docs)
    ctx.wake("dispatch")


async def on_revisit_due(ctx: ServiceContext, env: Envelope, data: RevisitDue) -> None:
    """The account manager, once per task (or due date); nobody assigned: the branch's managers."""
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    due = data.due_at or env.time
    people = [(data.assignee_id, await directory.member(data.assignee_id))] if data.assignee_id else \
        [(m["_id"], m) for m in await directory.members(env.branch_id, "manager")]
    facts = {"customer_name": data.customer_name or "", "kind_label": pick(REVISIT_KINDS, LOCALE, data.kind),
             "due_local": local_day(local_date(due, info.timezone), LOCALE),
             "branch_name": info.name}
    occurrence = data.task_id or due.isoformat()
    docs = [staff_notice(member, staff_id, kind="revisit_due", entity=data.archive_id, occurrence=occurrence,
                         branch_id=env.branch_id, now=now, data=facts, wecom=sends_wecom(ctx))
            for staff_id, member in people]
    await plan_many(ctx, docs)
    ctx.wake("dispatch")
