"""Daily traffic (客流量): new leads by channel and consultant, calls, walk-ins, visits,
appointments, follow-ups and pool moves, counted on the branch-local date of the event."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from crm_reports.projections.buckets import key, text_key
from crm_shared.events import Envelope
from crm_shared.events.leads import LeadFollowedUp, LeadRegistered
from crm_shared.events.reception import VisitCheckedIn, VisitEnded

if TYPE_CHECKING:
    from crm_reports.projections.window import Window

TOKEN = "t"
UNASSIGNED = "unassigned"


def _count(w: Window, env: Envelope, inc: dict[str, float], labels: dict[str, str] | None = None,
           at: datetime | None = None) -> None:
    """Counted on the branch-local day of the event, or of `at` when the fact is older than its event."""
    w.count(env.branch_id, w.local_day(env.branch_id, at or env.time), f"{TOKEN}:{env.id}", inc, labels=labels)


async def on_lead_registered(w: Window, env: Envelope, data: LeadRegistered) -> None:
    channel = data.source.channel
    inc = {
        "new_leads": 1,
        f"by_channel.{key(channel)}": 1,
        f"by_consultant.{key(data.owner_id or UNASSIGNED)}": 1,
        f"new_by_grade.{key(data.grade or 'none')}": 1,
    }
    if channel == "phone":
        inc["calls"] = 1
    if channel == "walk_in":
        inc["walk_in_leads"] = 1
    _count(w, env, inc, at=data.registered_at)  # an imported lead on its original registration date


async def on_visit_checked_in(w: Window, env: Envelope, data: VisitCheckedIn) -> None:
    inc = {"visits": 1, f"visits_by_consultant.{key(data.consultant_id or UNASSIGNED)}": 1}
    inc["appointment_arrivals" if data.appointment_id else "walk_ins"] = 1
    if data.returning:
        inc["returning_visits"] = 1
    _count(w, env, inc)


async def on_visit_ended(w: Window, env: Envelope, data: VisitEnded) -> None:
    outcome, labels = text_key(data.outcome, "none")
    _count(w, env, {"visits_ended": 1, f"visit_outcomes.{outcome}": 1}, labels)


APPOINTMENT_COUNTERS = {
    "appointment.scheduled": "appointments",
    "appointment.rescheduled": "appointments_rescheduled",
    "appointment.cancelled": "appointments_cancelled",
    "appointment.no_show": "no_shows",
}


async def on_appointment(w: Window, env: Envelope, data) -> None:
    inc = {APPOINTMENT_COUNTERS[env.type]: 1}
    if env.type == "appointment.scheduled":
        inc[f"appointments_by_consultant.{key(data.consultant_id)}"] = 1
    _count(w, env, inc)


async def on_followed_up(w: Window, env: Envelope, data: LeadFollowedUp) -> None:
    inc = {"follow_ups": 1, f"follow_ups_by_consultant.{key(data.owner_id or UNASSIGNED)}": 1}
    if data.kind == "call":
        inc["follow_up_calls"] = 1
    _count(w, env, inc)


POOL_COUNTERS = {"lead.assigned": "assignments", "lead.released": "pool_released", "lead.claimed": "pool_claimed"}


async def on_owner_change(w: Window, env: Envelope, data) -> None:
    _count(w, env, {POOL_COUNTERS[env.type]: 1})


async def on_notification(w: Window, env: Envelope, data) -> None:
    status = env.type.removeprefix("notification.")
    _count(w, env, {f"notifications.{key(data.channel)}.{key(status)}": 1})
