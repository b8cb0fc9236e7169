"""Import jobs: a sheet stored as chunks of rows at upload, then written chunk by chunk in the
background of the leads service, with progress on the job and one outcome per row.

A job (`lead_imports`) holds the counters and a lease; its rows wait in `lead_import_rows`,
`CHUNK_ROWS` per document, each row with the lead id it will get. A chunk is written in two
steps: its leads (one `insert_many`, no events on them), then one write of the chunk that sets
its outcomes, drops the uploaded cells (the full numbers are not kept) and puts the leads'
`lead.registered` events in the chunk's outbox. Until that second write the chunk is not done,
so whatever stops the job in between, the next try finds the leads by their ids and writes
their events with the outcomes: no lead without its event, none twice. Each lead is written
once instead of twice (a lead carrying its own event is written again to clear it).

The runner renews the lease after every chunk. If the process dies mid-job the lease runs out
and the timer `import-resume` carries on from the first chunk not done; a job that fails
`MAX_ATTEMPTS` times is marked `failed` (the leads of a half-written chunk still get their
events). When the job ends, `lead_import.finished` tells notify to send the branch's managers
one summary.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from crm_shared.aggregates import event
from crm_shared.errors import Forbidden, NotFound
from crm_shared.events.leads import LeadImportFinished
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

from crm_leads.context import MANAGERS, Branch, branch_or_default
from crm_leads.imports import writer
from crm_leads.imports.rules import Owners, Setting
from crm_leads.imports.sheets import Sheet

JOBS, CHUNKS = "lead_imports", "lead_import_rows"
IMPORTERS = ("reception", *MANAGERS)
CHUNK_ROWS = 500
INLINE_ROWS = 200  # a sheet this small is written before the upload is answered
LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 3
KEPT = timedelta(days=30)  # jobs and row outcomes, then deleted (crm_shared.timers.Retention)
COUNTERS = {"created": "created", "duplicate": "duplicates", "invalid": "invalid"}
log = logging.getLogger("crm.leads.imports")


async def ensure_indexes(ctx: ServiceContext) -> None:
    await ctx.db[JOBS].create_index([("branch_id", 1), ("state", 1)])
    await ctx.db[JOBS].create_index([("state", 1)])
    await ctx.db[CHUNKS].create_index([("job_id", 1)])


def require_importer(who: Principal) -> None:
    if who.role not in IMPORTERS:
        raise Forbidden("only the front desk and managers import sheets")


async def start(ctx: ServiceContext, branch: Branch, sheet: Sheet, file_name: str, channel: str,
                who: Principal) -> tuple[dict, list[dict]]:
    """Store the sheet's rows and the job, leased to this process; the caller runs it (with the chunks, as stored)."""
    job_id, now = uuid7(), utcnow()
    rows = [row if "error" in row else {**row, "id": uuid7()} for row in sheet.rows]
    chunks = [{"_id": f"{job_id}:{k:05d}", "job_id": job_id, "k": k, "rows": rows[i:i + CHUNK_ROWS], "done": False,
               "results": [], "created_at": now} for k, i in enumerate(range(0, len(rows), CHUNK_ROWS))]
    await ctx.aggregate(CHUNKS).insert_many([(chunk, ()) for chunk in chunks])
    job = {
        "_id": job_id, "branch_id": branch.id, "created_by": who.sub, "created_by_role": who.role, "file_name": file_name,
        "channel": channel, "state": "running", "total": len(rows), "done": 0, "created": 0, "duplicates": 0,
        "invalid": 0, "warnings": 0, "chunks": len(chunks), "chunks_done": [], "headers": sheet.headers,
        "columns": {sheet.headers[i]: f for i, f in sheet.fields.items()}, "ignored": sheet.ignored,
        "created_at": now, "finished_at": None, "lease_owner": uuid7(), "lease_until": now + LEASE, "attempts": 1,
    }
    return await ctx.aggregate(JOBS).insert(job), chunks


def _tally(results: list[dict]) -> dict[str, int]:
    inc = {"done": len(results), "warnings": sum(1 for r in results if r.get("warnings"))}
    for r in results:
        inc[COUNTERS[r["status"]]] = inc.get(COUNTERS[r["status"]], 0) + 1
    return inc


async def _setting(ctx: ServiceContext, job: dict, branch: Branch) -> Setting:
    staff = await ctx.aggregate("staff").find({"branch_id": job["branch_id"]}, {"_id": 1, "name": 1, "role": 1, "active": 1}).to_list()
    return Setting(region=ctx.settings.default_region, timezone=branch.timezone, now=utcnow(), owners=Owners.of(staff),
                   default_channel=job["channel"])


async def _chunks(ctx: ServiceContext, job_id: str) -> list[str]:
    return [c["_id"] for c in await ctx.db[CHUNKS].find({"job_id": job_id}, {"_id": 1}).sort("k", 1).to_list()]


async def _account(ctx: ServiceContext, job: dict, chunk: dict) -> dict | None:
    """Add a done chunk's outcomes to the job once (guarded by the chunk number); None when the lease is lost."""
    if chunk["k"] in job["chunks_done"]:
        return job
    return await ctx.aggregate(JOBS).update(
        {"_id": job["_id"], "lease_owner": job["lease_owner"], "chunks_done": {"$ne": chunk["k"]}},
        {"$inc": _tally(chunk["results"]), "$push": {"chunks_done": chunk["k"]}, "$set": {"lease_until": utcnow() + LEASE}})


async def _close(ctx: ServiceContext, job: dict, chunk: dict, written: tuple[list[dict], list] | None) -> dict | None:
    """Store a written chunk's outcomes with its leads' events (one write), then count it on the job."""
    if written is not None:
        chunk["results"], events = written
        await ctx.aggregate(CHUNKS).update({"_id": chunk["_id"], "done": False},
                                           {"$set": {"results": chunk["results"], "done": True, "rows": []}}, *events)
    return await _account(ctx, job, chunk)


async def run(ctx: ServiceContext, job: dict, chunks: list[dict] | None = None) -> dict:
    """Write every chunk not yet done, under the job's lease; returns the job as it ends (or as left when the lease
    was lost). `chunks`: as `start` stored them (else read one by one). A chunk's leads are written while the
    chunk before is being closed (its outcomes and events stored, the job's counters raised)."""
    if job["attempts"] > MAX_ATTEMPTS:
        return await _finish(ctx, job, "failed")
    job_id = job["_id"]
    branch = await branch_or_default(ctx, job["branch_id"])
    setting = await _setting(ctx, job, branch)
    held = {c["_id"]: c for c in chunks or []}
    closing: asyncio.Future | None = None
    try:
        for chunk_id in list(held) if chunks is not None else await _chunks(ctx, job_id):
            chunk = held.get(chunk_id) or await ctx.aggregate(CHUNKS).find_one({"_id": chunk_id})
            if chunk is None:
                continue
            written = None if chunk["done"] else await writer.write(ctx, job, branch, setting, chunk["rows"])
            if closing is not None and (job := await closing) is None:  # another process took the job over
                return await ctx.aggregate(JOBS).find_one({"_id": job_id}) or {"_id": job_id}
            closing = asyncio.ensure_future(_close(ctx, job, chunk, written))
        if closing is not None and (job := await closing) is None:
            return await ctx.aggregate(JOBS).find_one({"_id": job_id}) or {"_id": job_id}
    finally:
        if closing is not None and not closing.done():
            await asyncio.wait([closing])
    return await _finish(ctx, job, "done")


async def _salvage(ctx: ServiceContext, job: dict) -> dict:
    """A failed job's chunks not done: leads already stored keep their outcome and get their events; the other rows
    are reported as not imported."""
    for chunk_id in await _chunks(ctx, job["_id"]):
        chunk = await ctx.aggregate(CHUNKS).find_one({"_id": chunk_id})
        if chunk is None:
            continue
        if not chunk["done"]:
            ids = [row["id"] for row in chunk["rows"] if "id" in row]
            stored = {d["_id"]: d for d in await ctx.aggregate("leads").find({"_id": {"$in": ids}, "import_job_id": job["_id"]},
                                                                             writer.HOLDER).to_list()}
            chunk["results"] = [writer.created_from(stored[row["id"]]) if row.get("id") in stored else
                                {"n": row["n"], "status": "invalid", "reason": {"code": "not_reached"}} for row in chunk["rows"]]
            await ctx.aggregate(CHUNKS).update({"_id": chunk_id, "done": False},
                                               {"$set": {"results": chunk["results"], "done": True, "rows": []}},
                                               *await asyncio.gather(*(writer.registered(doc, ctx.keys) for doc in stored.values())))
        job = await _account(ctx, job, chunk) or job
    return job


async def _finish(ctx: ServiceContext, job: dict, state: str) -> dict:
    if state == "failed":
        job = await _salvage(ctx, job)
    now = utcnow()
    env = event(LeadImportFinished(
        job_id=job["_id"], state=state, file_name=job.get("file_name") or "", uploaded_by=job["created_by"],
        total=job["total"], created=job["created"], duplicates=job["duplicates"], invalid=job["invalid"],
        warnings=job["warnings"], started_at=job["created_at"], finished_at=now,
    ), job["branch_id"], job["_id"])
    done = await ctx.aggregate(JOBS).update({"_id": job["_id"], "state": "running", "lease_owner": job["lease_owner"]},
                                            {"$set": {"state": state, "finished_at": now, "lease_until": None}}, env)
    return done or await ctx.aggregate(JOBS).find_one({"_id": job["_id"]}) or job


async def in_background(ctx: ServiceContext, job: dict, chunks: list[dict] | None = None) -> None:
    """`run`, logged: a failure leaves the lease to run out and the timer to resume the job."""
    try:
        await run(ctx, job, chunks)
    except Exception:
        log.exception("import job failed; it resumes when its lease runs out", extra={"job_id": job["_id"]})


async def resume(ctx: ServiceContext, now: datetime) -> int:
    """Timer pass `import-resume`: take over running jobs whose lease ran out (their process died) and finish them."""
    resumed = 0
    for job in await ctx.aggregate(JOBS).find({"state": "running"}, {"_id": 1, "lease_until": 1}).to_list():
        if job.get("lease_until") and job["lease_until"] > now:
            continue
        taken = await ctx.aggregate(JOBS).update(
            {"_id": job["_id"], "state": "running", "lease_until": job.get("lease_until")},
            {"$set": {"lease_owner": uuid7(), "lease_until": utcnow() + LEASE}, "$inc": {"attempts": 1}})
        if taken is not None:
            await in_background(ctx, taken)
            resumed += 1
    return resumed


async def get_scoped(ctx: ServiceContext, job_id: str, who: Principal) -> dict:
    """The job if the caller's branch holds it (404), the caller imports (403) and, at the front desk, uploaded it (404)."""
    job = await ctx.aggregate(JOBS).find_one({"_id": job_id})
    if job is None or not who.sees_branch(job["branch_id"]):
        raise NotFound("import")
    require_importer(who)
    if who.role == "reception" and job["created_by"] != who.sub:
        raise NotFound("import")
    return job


async def results(ctx: ServiceContext, job_id: str) -> list[dict]:
    """Every row's outcome so far, in sheet order."""
    chunks = await ctx.db[CHUNKS].find({"job_id": job_id, "done": True}, {"results": 1, "k": 1}).sort("k", 1).to_list()
    return [r for c in chunks for r in c["results"]]
