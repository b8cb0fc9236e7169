"""The leads service's clock: one loop per replica, the work done only by the lease holder.

The work itself is `due_work(ctx, now)` so tests drive time explicitly; state lives in the
documents (missed counts, statuses, flags), so a restart simply continues.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from crm_shared import leases
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports.service import expire
from crm_leads.disputes.service import escalate_overdue
from crm_leads.leads import scans

LEASE = "leads:timers"
log = logging.getLogger("crm.leads.timers")


async def due_work(ctx: ServiceContext, now: datetime) -> dict[str, int]:
    overdue = await scans.overdue(ctx, now)
    warned, reclaimed = await scans.reclaim(ctx, now)
    return {"overdue": overdue, "reclaim_warned": warned, "reclaimed": reclaimed,
            "reports_expired": await expire(ctx, now), "disputes_escalated": await escalate_overdue(ctx, now)}


async def run(ctx: ServiceContext, interval: float) -> None:
    owner = uuid7()
    while True:
        try:
            if await leases.acquire(ctx.db, LEASE, owner, interval * 3):
                done = await due_work(ctx, utcnow())
                if any(done.values()):
                    log.info("timers ran", extra=done)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("timer pass failed; next pass retries", extra={"error": repr(exc)})
        await asyncio.sleep(interval)
