"""The reports service's whole flow on one screen: event type -> projections.

The live consumer (`reports-main`) and a rebuild's replay run the same projections;
live events go to the current generation and to the one being rebuilt, if any.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from crm_reports import generations
from crm_reports.generations import Generation
from crm_reports.projections import channels, directory, funnel, outcomes, traffic
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events import Envelope
from crm_shared.plugins import ServiceContext

Projection = Callable[[Generation, Envelope, Any], Awaitable[None]]

PROJECTIONS: dict[str, tuple[Projection, ...]] = {
    "branch.configured": (directory.on_branch_configured,),
    "staff.joined": (directory.on_staff_joined,),
    "staff.left": (directory.on_staff_left,),
    "lead.registered": (traffic.on_lead_registered, funnel.on_lead_registered),
    "lead.graded": (outcomes.on_lead_graded,),
    "lead.assigned": (traffic.on_owner_change,),
    "lead.released": (traffic.on_owner_change,),
    "lead.claimed": (traffic.on_owner_change,),
    "lead.followed_up": (traffic.on_followed_up,),
    "lead.follow_up_overdue": (outcomes.on_overdue,),
    "lead.won": (outcomes.on_lead_won, funnel.on_lead_won, channels.on_partner_deal),
    "lead.lost": (outcomes.on_lead_lost, funnel.on_lead_lost),
    "channel_report.accepted": (channels.on_channel_report,),
    "channel_report.rejected": (channels.on_channel_report,),
    "channel_report.confirmed": (channels.on_channel_report,),
    "channel_report.expired": (channels.on_channel_report,),
    "attribution.disputed": (channels.on_dispute,),
    "attribution.decided": (channels.on_dispute,),
    "appointment.scheduled": (traffic.on_appointment,),
    "appointment.rescheduled": (traffic.on_appointment,),
    "appointment.cancelled": (traffic.on_appointment,),
    "appointment.no_show": (traffic.on_appointment,),
    "visit.checked_in": (traffic.on_visit_checked_in, funnel.on_visit_checked_in),
    "visit.ended": (traffic.on_visit_ended,),
    "reception.requested": (channels.on_reception,),
    "reception.approved": (channels.on_reception,),
    "reception.rejected": (channels.on_reception,),
    "reception.completed": (channels.on_reception,),
    "notification.sent": (traffic.on_notification,),
    "notification.delivered": (traffic.on_notification,),
    "notification.failed": (traffic.on_notification,),
}


async def project(g: Generation, env: Envelope, data: Any) -> None:
    """Apply one event to one generation; every projection is idempotent."""
    scoped = g.for_one_event()
    for projection in PROJECTIONS.get(env.type, ()):
        await projection(scoped, env, data)
    if scoped is not g:
        await scoped.buffer.flush(scoped)


async def on_event(ctx: ServiceContext, env: Envelope, data: Any) -> None:
    for g in await generations.active(ctx.db):
        await project(g, env, data)


def table() -> SubscriptionTable:
    t = SubscriptionTable(consumer="main")
    t.on(*PROJECTIONS)(on_event)
    return t
