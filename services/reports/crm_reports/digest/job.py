"""The managers' daily digest: at each branch's `digest_time` (branch-local), one
`report.digest_ready` event per branch and date, through the outbox; notify e-mails it.

`run_digest(ctx, now)` is one pass of the platform timer "digest" (leased: one replica at a
time); tests call it with the time they choose. The digest document's `_id`
("<branch>:<date>") makes a second pass, or a second replica, a no-op.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_reports import generations
from crm_reports.projections.buckets import read_days
from crm_reports.queries.boards import summary
from crm_shared.aggregates import event
from crm_shared.branches import zone
from crm_shared.directory import Directory
from crm_shared.events.reports import DigestReady
from crm_shared.plugins import ServiceContext

DIGESTS = "digests"


async def manager_emails(directory: Directory, branch_id: str) -> list[str]:
    return sorted(m["email"] for m in await directory.members(branch_id, "manager") if m.get("email"))


async def run_digest(ctx: ServiceContext, now: datetime) -> list[str]:
    """Emit the digests that are due at `now` and not yet emitted; returns their ids."""
    g = await generations.current(ctx.db)
    directory = g.directory(ctx.config.default_timezone)
    emitted = []
    for doc in await directory.branches.find({"configured": True}).to_list(length=10000):
        branch = directory.facts(doc["_id"], doc)
        local = now.astimezone(zone(branch.timezone))
        if local.time() < branch.settings.digest_time:
            continue
        day = local.date()
        digest_id = f"{branch.id}:{day.isoformat()}"
        if await ctx.db[DIGESTS].find_one({"_id": digest_id}, projection={"_id": 1}):
            continue
        data = DigestReady(
            date=day, summary=summary(await read_days(g, branch.id, day, day)),
            branch_name=doc.get("name"), recipients=await manager_emails(directory, branch.id),
        )
        env = event(data, branch.id, digest_id)
        try:
            await ctx.aggregate(DIGESTS).insert(
                {"_id": digest_id, "branch_id": branch.id, "date": day.isoformat(), "created_at": now, "event_id": env.id},
                env)
        except DuplicateKeyError:
            continue
        emitted.append(digest_id)
    return emitted
