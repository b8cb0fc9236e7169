"""Notices about the office's work to whoever must act, with names and words, never ids or codes.

reception.approved -> the host and the approvers; reception.feedback_overdue -> the host;
attribution.dispute_overdue -> the branch's managers; report.digest_ready -> the branch's managers.
"""

from __future__ import annotations

from crm_shared.events import Envelope
from crm_shared.events.leads import AttributionDisputeOverdue
from crm_shared.events.reception import ReceptionApproved, ReceptionFeedbackOverdue
from crm_shared.events.reports import DigestReady
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext
from crm_notify.messages.service import plan_many
from crm_notify.templates.words import digest_lines
from crm_notify.triggers import customers
from crm_notify.triggers.planner import keyed, sends_wecom, staff_notice
from crm_notify.triggers.rules import local_day, local_text

LOCALE = "zh-CN"


def _reception(data: ReceptionApproved, tz: str) -> dict:
    return {"reception_id": data.reception_id, "reception_class": data.reception_class, "guests": data.guests or 0,
            "purpose": data.purpose or "", "arrive_local": local_text(data.arrive_at, tz, LOCALE)}


async def on_reception_approved(ctx: ServiceContext, env: Envelope, data: ReceptionApproved) -> None:
    """Email the host and every participant (the approvers), once each."""
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    host = await directory.member(data.host_id)
    facts = _reception(data, info.timezone) | {"branch_name": info.name, "host_name": (host or {}).get("name", "")}
    docs = [staff_notice(await directory.member(person), person, kind="reception_approved", entity=data.reception_id,
                         occurrence=env.id, branch_id=env.branch_id, now=now, data=facts, prefer="email",
                         wecom=sends_wecom(ctx))
            for person in dict.fromkeys([data.host_id, *data.participant_ids])]
    await plan_many(ctx, docs)
    ctx.wake("dispatch")


async def on_feedback_overdue(ctx: ServiceContext, env: Envelope, data: ReceptionFeedbackOverdue) -> None:
    """The host, once: the reception's feedback form (接待信息反馈表) is past its deadline."""
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    host = await directory.member(data.host_id)
    due = local_text(data.feedback_due_at, info.timezone, LOCALE) if data.feedback_due_at else ""
    doc = staff_notice(host, data.host_id, kind="feedback_overdue", entity=data.reception_id, occurrence="feedback",
                       branch_id=env.branch_id, now=utcnow(),
                       data=_reception(data, info.timezone) | {"branch_name": info.name, "due_local": due},
                       wecom=sends_wecom(ctx))
    await plan_many(ctx, [doc])
    ctx.wake("dispatch")


async def on_dispute_overdue(ctx: ServiceContext, env: Envelope, data: AttributionDisputeOverdue) -> None:
    """Every manager of the branch, once per dispute: a partner waits for the decision."""
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    named = await customers.customer(ctx, env.branch_id, data.lead_id, data.customer_name, LOCALE)
    facts = {"branch_name": info.name, "dispute_id": data.dispute_id, "claim": data.reason or "",
             "deadline_local": local_text(data.deadline, info.timezone, LOCALE) if data.deadline else "", **named}
    docs = [staff_notice(m, m["_id"], kind="dispute_overdue", entity=data.dispute_id, occurrence="overdue",
                         branch_id=env.branch_id, now=now, data=facts | {"manager_name": m.get("name", "")}, prefer="email",
                         wecom=sends_wecom(ctx))
            for m in await directory.members(env.branch_id, "manager")]
    await plan_many(ctx, docs)
    ctx.wake("dispatch")


async def on_digest(ctx: ServiceContext, env: Envelope, data: DigestReady) -> None:
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    summary = {str(k)[:64]: v if isinstance(v, int | float | str) else str(v)[:200] for k, v in data.summary.items()}
    lost = {r.code: r.zh for r in getattr(info.settings, "lost_reasons", [])}
    facts = {"date": data.date.isoformat(), "date_local": local_day(data.date, LOCALE), "branch_name": info.name,
             "summary": summary, "lines": digest_lines(data.summary, LOCALE, lost)}
    docs = [keyed(kind="daily_digest", template="daily_digest", entity=env.branch_id, channel="email",
                  to=m.get("email"), recipient=m["_id"], occurrence=data.date.isoformat(), branch_id=env.branch_id,
                  due_at=now, now=now, data=facts | {"manager_name": m.get("name", "")})
            for m in await directory.members(env.branch_id, "manager")]
    await plan_many(ctx, docs)
    ctx.wake("dispatch")
