"""Notices about leads to the consultant who must act, naming the customer, never the lead's id.

lead.registered for someone else / lead.assigned / lead.claimed -> the new owner; lead.follow_up_overdue
-> the owner, and the branch's managers from the 2nd miss; lead.reclaim_warning -> the owner, before the
lead goes to the public pool; lead_import.finished -> who uploaded the sheet (else the branch's managers),
one summary: a lead an import registered tells nobody.
"""

from __future__ import annotations

from crm_shared.events import Envelope
from crm_shared.events.leads import (
    LeadAssigned, LeadFollowUpOverdue, LeadImportFinished, LeadReclaimWarning, LeadRegistered, _OwnerChange,
)
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext
from crm_notify.messages.service import plan_many
from crm_notify.templates.words import ASSIGN_REASONS, pick
from crm_notify.triggers import customers
from crm_notify.triggers.planner import keyed, sends_wecom, staff_channel, staff_notice
from crm_notify.triggers.rules import local_text

ESCALATE_FROM_MISSED = 2
LOCALE = "zh-CN"
QUIET_REASONS = ("import",)  # owner changes that come in bulk and are summed up elsewhere


async def on_lead_registered(ctx: ServiceContext, env: Envelope, data: LeadRegistered) -> None:
    """Remember the customer's name; a lead someone else registered for a consultant (front desk, manager,
    assigner) is news to them."""
    await customers.on_registered(ctx, env, data)
    if data.import_id or data.source.channel == "import":
        return  # one summary per import, never a notice per row
    if not data.owner_id or data.owner_id == data.registered_by or (data.registered_by or "").startswith("visit:"):
        return  # their own registration, or they are with the walk-in right now
    await on_lead_owner(ctx, env, LeadAssigned(lead_id=data.lead_id, owner_id=data.owner_id, reason="new_lead",
                                               customer_name=data.customer.name))


async def on_lead_owner(ctx: ServiceContext, env: Envelope, data: _OwnerChange) -> None:
    if not data.owner_id or data.reason in QUIET_REASONS:
        return
    directory = ctx.state.directory
    staff = await directory.member(data.owner_id)
    channel, to = staff_channel(staff, "sms", wecom=sends_wecom(ctx))
    info = await directory.branch(env.branch_id)
    now = utcnow()
    named = await customers.customer(ctx, env.branch_id, data.lead_id, data.customer_name, LOCALE)
    doc = keyed(kind="lead_assigned", template="lead_assigned", entity=data.lead_id, channel=channel, to=to,
                recipient=data.owner_id, occurrence=env.id, branch_id=env.branch_id, due_at=now, now=now,
                data={"staff_name": (staff or {}).get("name", ""), "lead_id": data.lead_id, "reason": data.reason or "",
                      "reason_label": pick(ASSIGN_REASONS, LOCALE, data.reason), "branch_name": info.name, **named})
    await plan_many(ctx, [doc])
    ctx.wake("dispatch")


async def on_overdue(ctx: ServiceContext, env: Envelope, data: LeadFollowUpOverdue) -> None:
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    owner = await directory.member(data.owner_id)
    named = await customers.customer(ctx, env.branch_id, data.lead_id, data.customer_name, LOCALE)
    base = {"staff_name": (owner or {}).get("name", ""), "lead_id": data.lead_id, "missed_count": data.missed_count,
            "due_local": local_text(data.due_at, info.timezone, LOCALE), "branch_name": info.name, "reason": "", **named}
    occurrence = f"{data.due_at.isoformat()}#{data.missed_count}"
    docs = []
    if data.owner_id:
        channel, to = staff_channel(owner, "sms", wecom=sends_wecom(ctx))
        docs.append(keyed(kind="follow_up_overdue", template="follow_up_overdue", entity=data.lead_id, channel=channel,
                          to=to, recipient=data.owner_id, occurrence=occurrence, branch_id=env.branch_id,
                          due_at=now, now=now, data=base))
    if data.missed_count >= ESCALATE_FROM_MISSED:
        for manager in await directory.members(env.branch_id, "manager"):
            channel, to = staff_channel(manager, "email", wecom=sends_wecom(ctx))
            docs.append(keyed(kind="follow_up_escalation", template="follow_up_escalation", entity=data.lead_id,
                              channel=channel, to=to, recipient=manager["_id"], occurrence=occurrence,
                              branch_id=env.branch_id, due_at=now, now=now,
                              data=base | {"manager_name": manager.get("name", "")}))
    await plan_many(ctx, docs)
    ctx.wake("dispatch")


async def on_reclaim_warning(ctx: ServiceContext, env: Envelope, data: LeadReclaimWarning) -> None:
    """The owner, once per reclaim date: follow the customer up or lose them to the pool."""
    if not data.owner_id:
        return
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    owner = await directory.member(data.owner_id)
    named = await customers.customer(ctx, env.branch_id, data.lead_id, data.customer_name, LOCALE)
    doc = staff_notice(owner, data.owner_id, kind="reclaim_warning", entity=data.lead_id,
                       occurrence=data.reclaim_at.isoformat(), branch_id=env.branch_id, now=utcnow(),
                       data={"staff_name": (owner or {}).get("name", ""), "branch_name": info.name,
                             "reclaim_local": local_text(data.reclaim_at, info.timezone, LOCALE),
                             "reclaim_after_days": info.settings.reclaim_after_days, **named}, wecom=sends_wecom(ctx))
    await plan_many(ctx, [doc])
    ctx.wake("dispatch")


async def on_import_finished(ctx: ServiceContext, env: Envelope, data: LeadImportFinished) -> None:
    """One summary per import: to who uploaded the sheet when they are staff of the branch, else to its managers."""
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    uploader = await directory.member(data.uploaded_by)
    people = [uploader] if uploader and uploader.get("branch_id") == env.branch_id else \
        await directory.members(env.branch_id, "manager")
    facts = {"branch_name": info.name, "file_name": data.file_name, "total": data.total, "created": data.created,
             "duplicates": data.duplicates, "invalid": data.invalid, "warnings": data.warnings,
             "failed": data.state == "failed"}
    now = utcnow()
    docs = [staff_notice(p, p["_id"], kind="import_finished", entity=data.job_id, occurrence="finished",
                         branch_id=env.branch_id, now=now, data=facts, prefer="email", wecom=sends_wecom(ctx))
            for p in people]
    await plan_many(ctx, docs)
    ctx.wake("dispatch")
