"""The managers' daily digest: at each branch's `digest_time` (branch-local), one
`report.digest_ready` event per branch and date, through the outbox; notify e-mails it.

`run_digest(ctx, now)` does the work for an explicit `now` (tests drive time); the loop
calls it periodically on one replica, under a lease. The digest document's `_id`
("<branch>:<date>") makes a second run, or a second replica, a no-op.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_reports import generations
from crm_reports.generations import Generation, settings_of
from crm_reports.projections.buckets import read_days
from crm_reports.queries.boards import summary
from crm_shared import leases
from crm_shared.branches import zone
from crm_shared.bus.outbox import new_document
from crm_shared.events import new_event
from crm_shared.events.reports import DigestReady
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

DIGESTS = "digests"
LEASE = "reports-digest"
log = logging.getLogger("crm.reports.digest")


async def manager_emails(g: Generation, branch_id: str) -> list[str]:
    docs = await g.staff.find({"branch_id": branch_id}).to_list(length=1000)
    return sorted(d["email"] for d in docs if d.get("role") == "manager" and d.get("active") and d.get("email"))


async def run_digest(ctx: ServiceContext, now: datetime) -> list[str]:
    """Emit the digests that are due at `now` and not yet emitted; returns their ids."""
    g = await generations.current(ctx.db)
    emitted = []
    for branch in await g.branches.find({"configured": True}).to_list(length=10000):
        local = now.astimezone(zone(branch.get("timezone")))
        settings = settings_of(branch)
        if local.time() < settings.digest_time:
            continue
        day, branch_id = local.date(), branch["_id"]
        digest_id = f"{branch_id}:{day.isoformat()}"
        if await ctx.db[DIGESTS].find_one({"_id": digest_id}, projection={"_id": 1}):
            continue
        data = DigestReady(
            date=day, summary=summary(await read_days(g, branch_id, day, day)),
            branch_name=branch.get("name"), recipients=await manager_emails(g, branch_id),
        )
        env = new_event(data, branch_id=branch_id, subject=digest_id)
        doc = {"_id": digest_id, "branch_id": branch_id, "date": day.isoformat(), "created_at": now, "event_id": env.id}
        try:
            await ctx.db[DIGESTS].insert_one(new_document(ctx.settings, doc, env))
        except DuplicateKeyError:
            continue
        ctx.events_written(DIGESTS, digest_id)
        emitted.append(digest_id)
    return emitted


async def digest_loop(ctx: ServiceContext, interval_seconds: float) -> None:
    owner = uuid7()
    while True:
        try:
            if await leases.acquire(ctx.db, LEASE, owner, interval_seconds * 3):
                await run_digest(ctx, utcnow())
        except Exception as exc:  # keep the timer alive; the next tick retries
            log.warning("digest run failed", extra={"error": repr(exc)})
        await asyncio.sleep(interval_seconds)
