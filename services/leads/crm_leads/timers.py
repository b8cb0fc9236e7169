"""The leads service's periodic scans, declared for the platform to run (crm_shared.timers).

Each pass is a function of `now` whose writes are guarded by versions or statuses, and state
lives in the documents (missed counts, statuses, flags): a pass repeated, run on another
replica or cut short by a restart has no second effect. `due_work` runs every pass once, so
tests drive time explicitly.
"""

from __future__ import annotations

from datetime import datetime

from crm_shared.plugins import ServiceContext
from crm_shared.timers import Timer

from crm_leads.channel_reports.service import expire
from crm_leads.channel_reports.upkeep import lapse
from crm_leads.disputes.service import escalate_overdue
from crm_leads.imports.service import resume as resume_imports
from crm_leads.leads import scans
from crm_leads.settings import LeadsSettings

PASSES = (
    ("overdue", scans.overdue),  # lead.follow_up_overdue, once per missed date
    ("reclaim", scans.reclaim),  # reclaim warnings, then leads without follow-up back to the pool
    ("report-expiry", expire),  # channel reports past validity free the customer
    ("report-lapse", lapse),  # live channel reports without a partner follow-up in time lapse (report again)
    ("dispute-escalation", escalate_overdue),  # undecided disputes past their working-day deadline
    ("import-resume", resume_imports),  # sheet imports whose process died mid-job carry on
)


def declared(config: LeadsSettings) -> list[Timer]:
    """One leased timer per pass (lease `leads:<name>`), every `timer_interval_seconds`; none when `timers` is off."""
    if not config.timers:
        return []
    return [Timer(name, config.timer_interval_seconds, run) for name, run in PASSES]


async def due_work(ctx: ServiceContext, now: datetime) -> dict[str, int]:
    """Every pass once at `now`, in order; what each did."""
    overdue = await scans.overdue(ctx, now)
    warned, reclaimed = await scans.reclaim(ctx, now)
    return {"overdue": overdue, "reclaim_warned": warned, "reclaimed": reclaimed,
            "reports_expired": await expire(ctx, now), "reports_lapsed": await lapse(ctx, now),
            "disputes_escalated": await escalate_overdue(ctx, now)}
