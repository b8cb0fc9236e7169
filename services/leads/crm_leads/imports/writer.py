"""Storing one chunk of a sheet's rows as leads: registration's rules, in bulk.

Per chunk, whatever its size: one read of the open leads holding the chunk's phones (the
unique `dedup_key`), the channel-report claims on them (registration's own lookup, batched),
one `insert_many` of the leads. Their `lead.registered` events are made before the leads are stored and handed back:
the job stores them in the chunk's own outbox together with the chunk's outcomes, one write
for the chunk instead of a second write of every lead (service.py says why that is safe).
Every row keeps the lead id it was given at upload, so a chunk written again after a crash
finds its own leads and reports them (and their events) as created, never twice. A duplicate
changes nothing on the lead it duplicates (re-uploading a corrected sheet must not count
contacts that never happened).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.events import Envelope
from crm_shared.events.leads import LeadRegistered, LeadSource, MaskedCustomer
from crm_shared.phones import pattern_of, phone_hash
from crm_shared.plugins import ServiceContext
from crm_shared.sealing import DataKeys

from crm_leads.channel_reports import matching
from crm_leads.context import Branch
from crm_leads.imports.rules import RowError, Setting, prepare
from crm_leads.leads import dedup, search
from crm_leads.leads import rules as lead_rules

HOLDER = {"follow_ups": 0, "visits": 0, "pool_history": 0}


def _invalid(n: int, reason: dict, cells: dict | None = None) -> dict:
    name = (cells or {}).get("name")
    return {"n": n, "status": "invalid", "reason": reason, "name": name if isinstance(name, str) else None}


def _duplicate(n: int, lead: dict, holder: dict, job_id: str) -> dict:
    if holder.get("import_job_id") == job_id and holder.get("import_row"):
        reason = {"code": "duplicate_in_sheet", "row": holder["import_row"]}
    else:
        reason = {"code": "duplicate_existing", "name": holder.get("customer", {}).get("name", ""),
                  "owner_id": holder.get("owner_id")}
    return {"n": n, "status": "duplicate", "existing_lead_id": holder["_id"], "name": lead["name"],
            "phone_masked": lead["phone_masked"], "reason": reason, "warnings": lead["warnings"]}


def _created(n: int, lead_id: str, lead: dict) -> dict:
    return {"n": n, "status": "created", "lead_id": lead_id, "name": lead["name"], "phone_masked": lead["phone_masked"],
            "owner_id": lead["owner_id"], "channel": lead["channel"], "registered_at": lead["registered_at"],
            "warnings": lead["warnings"]}


def _document(job: dict, branch: Branch, lead_id: str, n: int, lead: dict, digest: str, report: dict | None,
              now: datetime) -> dict:
    """The lead as `leads.service.register` stores it, plus where it came from."""
    owner = lead["owner_id"]
    source = {"channel": lead["channel"], "campaign": lead["campaign"], "referrer": lead["referrer"], "partner_id": None,
              "referrer_id": None}
    attribution = None
    if report is not None:
        attribution = {"partner_id": report["partner_id"], "report_id": report["_id"], "protection_until": report.get("protection_until")}
        source["partner_id"] = report["partner_id"]
    customer = {"name": lead["name"], "phone": lead["phone"], "gender": lead["gender"], "email": lead["email"],
                "birthday": lead["birthday"], "phone_masked": lead["phone_masked"]}
    return {
        "_id": lead_id, "branch_id": branch.id, "customer": customer, "phone_hash": digest, search.LAST4: search.last4(lead["phone"]),
        dedup.FIELD: dedup.open_key(branch.id, digest), "source": source, "grade": lead["grade"], "owner_id": owner,
        "status": "new", "in_pool": owner is None, "interest": lead["interest"],
        "next_follow_up_at": lead_rules.next_follow_up(now, lead["grade"], branch.settings, branch.timezone) if owner else None,
        "missed_count": 0, "last_activity_at": now, "contact_count": 1, "pool_history": {}, "follow_ups": [], "visits": [],
        "attribution": attribution, "created_by": job["created_by"], "created_at": now, "updated_at": now,
        "registered_at": lead["registered_at"] or now, "import_job_id": job["_id"], "import_row": n,
    }


async def registered(doc: dict, keys: DataKeys) -> Envelope:
    """The `lead.registered` event of an imported lead, from the lead as stored (its number sealed under the customer's key)."""
    c = doc["customer"]
    sealed = await keys.seal(c["phone"]) if c.get("phone") else None
    return event(LeadRegistered(
        lead_id=doc["_id"], customer=MaskedCustomer(name=c["name"], phone_masked=c["phone_masked"], phone_hash=doc["phone_hash"],
                                                    phone_sealed=sealed),
        source=LeadSource(**doc["source"]), owner_id=doc.get("owner_id"), grade=doc.get("grade"),
        registered_by=doc.get("created_by"), registered_at=doc.get("registered_at"), import_id=doc.get("import_job_id"),
    ), doc["branch_id"], doc["_id"])


def created_from(doc: dict) -> dict:
    """A row's outcome read back from its stored lead (a chunk written again, or saved from a failed job)."""
    c = doc["customer"]
    lead = {"name": c["name"], "phone_masked": c["phone_masked"], "owner_id": doc.get("owner_id"),
            "channel": doc["source"]["channel"], "registered_at": doc.get("registered_at"), "warnings": []}
    return _created(doc["import_row"], doc["_id"], lead)


async def _reports(ctx: ServiceContext, branch: Branch, ready: dict[int, tuple[dict, dict, str]], now: datetime) -> dict[int, dict]:
    """The live channel report naming each row's customer, as registration finds it (the chunk's lookups go
    to the store together: `matching.live_report` batches concurrent callers)."""
    found = await asyncio.gather(*(
        matching.live_report(ctx, branch.id, digest, lead["phone_masked"], lead["name"], now, pattern=pattern_of(lead["phone"]))
        for _, lead, digest in ready.values()))
    return {n: report for n, report in zip(ready, found, strict=True) if report is not None}


async def _after_refusal(ctx: ServiceContext, job_id: str, branch: Branch, lead_id: str, n: int, lead: dict,
                         digest: str) -> tuple[dict, dict | None]:
    """A row the unique index refused: this job's own lead (a chunk written again), or a phone registered meanwhile."""
    if (own := await ctx.aggregate("leads").find_one({"_id": lead_id}, HOLDER)) is not None:
        return _created(n, lead_id, lead), own
    holder = await ctx.aggregate("leads").find_one({dedup.FIELD: dedup.open_key(branch.id, digest)}, HOLDER)
    if holder is not None:
        return _duplicate(n, lead, holder, job_id), None
    return {"n": n, "status": "invalid", "name": lead["name"], "phone_masked": lead["phone_masked"],
            "reason": {"code": "busy_phone"}}, None


async def write(ctx: ServiceContext, job: dict, branch: Branch, setting: Setting,
                rows: list[dict[str, Any]]) -> tuple[list[dict], list[Envelope]]:
    """Each row's outcome, in sheet order -- created (with its lead), duplicate (naming the lead it repeats) or
    invalid (why) -- and the `lead.registered` events of the leads created, to be stored with the outcomes."""
    results: dict[int, dict] = {}
    ready: dict[int, tuple[dict, dict, str]] = {}  # row number -> (row, lead fields, phone hash)
    first: dict[str, int] = {}
    again: list[tuple[int, dict, int]] = []
    for row in rows:
        n = row["n"]
        if "error" in row:
            results[n] = _invalid(n, row["error"])
            continue
        try:
            lead = prepare(row["cells"], setting)
        except RowError as exc:
            results[n] = _invalid(n, {"code": exc.code, **exc.params}, row["cells"])
            continue
        digest = phone_hash(lead["phone"], ctx.settings.phone_hash_key)
        if digest in first:  # the same phone earlier in this chunk: settled once that row is
            again.append((n, lead, first[digest]))
            continue
        first[digest] = n
        ready[n] = (row, lead, digest)
    events: list[Envelope] = []
    keys = [dedup.open_key(branch.id, digest) for digest in first]
    holders = {d[dedup.FIELD]: d for d in await ctx.aggregate("leads").find({dedup.FIELD: {"$in": keys}}, HOLDER).to_list()} if keys else {}
    for n, (row, lead, digest) in list(ready.items()):
        holder = holders.get(dedup.open_key(branch.id, digest))
        if holder is not None:
            if holder["_id"] == row["id"]:  # stored by an earlier try of this chunk, its event never was
                results[n] = _created(n, row["id"], lead)
                events.append(await registered(holder, ctx.keys))
            else:
                results[n] = _duplicate(n, lead, holder, job["_id"])
            del ready[n]
    reports = await _reports(ctx, branch, ready, setting.now)
    docs = [_document(job, branch, row["id"], n, lead, digest, reports.get(n), setting.now) for n, (row, lead, digest) in ready.items()]
    made = list(await asyncio.gather(*(registered(doc, ctx.keys) for doc in docs)))  # before the leads can be seen: no later change of theirs is older
    outcomes = await ctx.aggregate("leads").insert_many([(doc, ()) for doc in docs])
    for (n, (row, lead, digest)), outcome, env in zip(ready.items(), outcomes, made, strict=True):
        if isinstance(outcome, DuplicateKeyError):
            results[n], own = await _after_refusal(ctx, job["_id"], branch, row["id"], n, lead, digest)
            if own is not None:
                events.append(await registered(own, ctx.keys))
            continue
        results[n] = _created(n, row["id"], lead)
        events.append(env)
        if (report := reports.get(n)) is not None:
            await matching.link_lead(ctx, report, row["id"])
    for n, lead, earlier in again:
        results[n] = _repeat(n, lead, results[earlier], job["_id"])
    return [results[row["n"]] for row in rows], events


def _repeat(n: int, lead: dict, earlier: dict, job_id: str) -> dict:
    """A row repeating the phone of an earlier row of the chunk: a duplicate of what that row became."""
    if earlier["status"] == "created":
        return _duplicate(n, lead, {"_id": earlier["lead_id"], "import_job_id": job_id, "import_row": earlier["n"]}, job_id)
    return {**earlier, "n": n, "name": lead["name"], "phone_masked": lead["phone_masked"], "warnings": lead["warnings"]}
