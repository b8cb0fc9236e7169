"""lead.registered for someone else / lead.assigned / lead.claimed -> tell the consultant; lead.follow_up_overdue -> remind, escalate from the 2nd miss;
reception.approved -> email the host; report.digest_ready -> email the branch's managers."""

from __future__ import annotations

from crm_shared.events import Envelope
from crm_shared.events.leads import LeadAssigned, LeadFollowUpOverdue, LeadRegistered, _OwnerChange
from crm_shared.events.reception import ReceptionApproved
from crm_shared.events.reports import DigestReady
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext
from crm_notify.messages.service import plan_many
from crm_notify.triggers.planner import keyed, staff_channel
from crm_notify.triggers.rules import local_text

ESCALATE_FROM_MISSED = 2


async def on_lead_registered(ctx: ServiceContext, env: Envelope, data: LeadRegistered) -> None:
    """A lead someone else registered for a consultant (front desk, manager, assigner) is news to them."""
    if not data.owner_id or data.owner_id == data.registered_by or (data.registered_by or "").startswith("visit:"):
        return  # their own registration, or they are with the walk-in right now
    await on_lead_owner(ctx, env, LeadAssigned(lead_id=data.lead_id, owner_id=data.owner_id, reason="new_lead"))


async def on_lead_owner(ctx: ServiceContext, env: Envelope, data: _OwnerChange) -> None:
    if not data.owner_id:
        return
    directory = ctx.state.directory
    staff = await directory.member(data.owner_id)
    channel, to = staff_channel(staff, "sms")
    info = await directory.branch(env.branch_id)
    now = utcnow()
    doc = keyed(kind="lead_assigned", template="lead_assigned", entity=data.lead_id, channel=channel, to=to,
                recipient=data.owner_id, occurrence=env.id, branch_id=env.branch_id, due_at=now, now=now,
                data={"staff_name": (staff or {}).get("name", ""), "lead_id": data.lead_id,
                      "reason": data.reason or "", "branch_name": info.name})
    await plan_many(ctx, [doc])
    ctx.wake("dispatch")


async def on_overdue(ctx: ServiceContext, env: Envelope, data: LeadFollowUpOverdue) -> None:
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    owner = await directory.member(data.owner_id)
    base = {"staff_name": (owner or {}).get("name", ""), "lead_id": data.lead_id, "missed_count": data.missed_count,
            "due_local": local_text(data.due_at, info.timezone, "zh-CN"), "branch_name": info.name, "reason": ""}
    occurrence = f"{data.due_at.isoformat()}#{data.missed_count}"
    docs = []
    if data.owner_id:
        channel, to = staff_channel(owner, "sms")
        docs.append(keyed(kind="follow_up_overdue", template="follow_up_overdue", entity=data.lead_id, channel=channel,
                          to=to, recipient=data.owner_id, occurrence=occurrence, branch_id=env.branch_id,
                          due_at=now, now=now, data=base))
    if data.missed_count >= ESCALATE_FROM_MISSED:
        for manager in await directory.members(env.branch_id, "manager"):
            channel, to = staff_channel(manager, "email")
            docs.append(keyed(kind="follow_up_escalation", template="follow_up_escalation", entity=data.lead_id,
                              channel=channel, to=to, recipient=manager["_id"], occurrence=occurrence,
                              branch_id=env.branch_id, due_at=now, now=now,
                              data=base | {"manager_name": manager.get("name", "")}))
    await plan_many(ctx, docs)
    ctx.wake("dispatch")


async def on_reception_approved(ctx: ServiceContext, env: Envelope, data: ReceptionApproved) -> None:
    """Email the host and every participant (the approvers), once each."""
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    docs = []
    for person in dict.fromkeys([data.host_id, *data.participant_ids]):
        member = await directory.member(person)
        channel, to = staff_channel(member, "email")
        docs.append(keyed(kind="reception_approved", template="reception_approved", entity=data.reception_id,
                          channel=channel, to=to, recipient=person, occurrence=env.id, branch_id=env.branch_id,
                          due_at=now, now=now,
                          data={"recipient_name": (member or {}).get("name", ""), "reception_id": data.reception_id,
                                "reception_class": data.reception_class, "guests": data.guests or 0,
                                "branch_name": info.name, "arrive_local": local_text(data.arrive_at, info.timezone, "zh-CN")}))
    await plan_many(ctx, docs)
    ctx.wake("dispatch")


async def on_digest(ctx: ServiceContext, env: Envelope, data: DigestReady) -> None:
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    summary = {str(k)[:64]: v if isinstance(v, int | float | str) else str(v)[:200] for k, v in data.summary.items()}
    docs = [keyed(kind="daily_digest", template="daily_digest", entity=env.branch_id, channel="email",
                  to=m.get("email"), recipient=m["_id"], occurrence=data.date.isoformat(), branch_id=env.branch_id,
                  due_at=now, now=now, data={"manager_name": m.get("name", ""), "date": data.date.isoformat(),
                                             "branch_name": info.name, "summary": summary})
            for m in await directory.members(env.branch_id, "manager")]
    await plan_many(ctx, docs)
    ctx.wake("dispatch")
