"""Erasure requests (PIPL art. 47) and the subject-access export, group-wide.

An erasure: the customer's data key is purged from the key bucket first (crypto-shredding: from that moment no
seal of their number opens, in the stream, a backup or a store), then the request is stored with one
`customer.erased` per branch the group has (the outbox publishes them), and each of the six services answers
`privacy.erasure_progress` once it has deleted or anonymised its records; the request is `done` when all six have.
Only a group administrator (role `admin`, branches `*`) may ask: an erasure reaches every branch.
"""

from __future__ import annotations

from typing import Any

from crm_shared import erasure
from crm_shared.aggregates import event
from crm_shared.errors import Conflict, Forbidden, Invalid, NotFound
from crm_shared.events import Envelope
from crm_shared.events.privacy import CustomerErased, ErasureProgress
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import InvalidPhone, mask, normalize, phone_hash
from crm_shared.plugins import ServiceContext

from crm_customers.leads import LEAD_COPIES

ERASURES = "erasures"
ACCESS_LOG = "privacy_access_log"
RUNNING, DONE = "running", "done"


def require_group_admin(who: Principal) -> None:
    if who.role != "admin" or "*" not in who.branches:
        raise Forbidden("an erasure or a subject-access export reaches every branch: only a group administrator "
                        "(role admin, branches *) may ask for one")


def hashed(ctx: ServiceContext, phone: str, loc: str) -> tuple[str, str]:
    """(E.164, phone hash) of a number as typed, or 422."""
    try:
        e164 = normalize(phone, ctx.settings.default_region)
    except InvalidPhone as exc:
        raise Invalid(str(exc), loc=[*loc.split("."), "phone"] if "." in loc else [loc, "phone"]) from None
    return e164, phone_hash(e164, ctx.settings.phone_hash_key)


async def lead_ids(ctx: ServiceContext, digest: str) -> list[str]:
    docs = await ctx.db[LEAD_COPIES].find({"customer.phone_hash": digest}, projection={"_id": 1}).to_list(None)
    return [d["_id"] for d in docs]


async def request(ctx: ServiceContext, phone: str, reason: str, who: Principal) -> dict:
    require_group_admin(who)
    _, digest = hashed(ctx, phone, "body")
    branches = sorted(await ctx.state.branches.distinct("_id"))
    if not branches:
        raise Conflict("no-branch", "no branch is configured yet: there is nobody to erase")
    leads = await lead_ids(ctx, digest)
    had_key = await ctx.keys.erase(digest)  # crypto-shredding first: every seal of the number is shut from here on
    erasure_id = uuid7()
    now = utcnow()
    doc = {"_id": erasure_id, "phone_hash": digest, "reason": reason, "requested_by": who.sub, "status": RUNNING,
           "key_erased": had_key, "branches": branches, "services": {}, "created_at": now, "finished_at": None}
    data = CustomerErased(erasure_id=erasure_id, phone_hash=digest, lead_ids=leads)
    return await ctx.aggregate(ERASURES).insert(doc, *(event(data, branch, erasure_id) for branch in branches))


async def get(ctx: ServiceContext, erasure_id: str, who: Principal) -> dict:
    require_group_admin(who)
    doc = await ctx.db[ERASURES].find_one({"_id": erasure_id})
    if doc is None:
        raise NotFound("erasure")
    return doc


async def on_progress(ctx: ServiceContext, env: Envelope, data: ErasureProgress) -> None:
    """A service's answer: recorded once per service; the request is done when all six have answered."""
    if data.service not in erasure.SERVICES:
        return
    await ctx.db[ERASURES].update_one(
        {"_id": data.erasure_id, f"services.{data.service}": {"$exists": False}},
        {"$set": {f"services.{data.service}": {"records": data.records, "at": env.time}}, "$inc": {"version": 1}})
    doc = await ctx.db[ERASURES].find_one({"_id": data.erasure_id}, projection={"services": 1, "status": 1})
    if doc and doc.get("status") == RUNNING and all(s in (doc.get("services") or {}) for s in erasure.SERVICES):
        await ctx.db[ERASURES].update_one({"_id": data.erasure_id, "status": RUNNING},
                                          {"$set": {"status": DONE, "finished_at": utcnow()}, "$inc": {"version": 1}})


def public(doc: dict) -> dict[str, Any]:
    answered = doc.get("services") or {}
    services = []
    for name in erasure.SERVICES:
        got = answered.get(name)
        services.append({"service": name, "service_name": erasure.SERVICE_NAMES[name],
                         "status": "done" if got else "pending", "records": got["records"] if got else None,
                         "at": got["at"] if got else None})
    return {"id": doc["_id"], "status": doc["status"], "phone_hash": doc["phone_hash"], "reason": doc.get("reason"),
            "requested_by": doc.get("requested_by"), "key_erased": doc.get("key_erased"),
            "branches": doc.get("branches", []), "services": services, "created_at": doc["created_at"],
            "finished_at": doc.get("finished_at"), "version": doc.get("version", 1)}


async def subject_access(ctx: ServiceContext, nc: Any, phone: str, who: Principal, timeout: float) -> dict:
    """What every service holds about a number (masked; never the number itself), and whether its key exists.
    The request is logged (who, when, the hash)."""
    require_group_admin(who)
    e164, digest = hashed(ctx, phone, "query")
    leads = await lead_ids(ctx, digest)
    answers, missing = await erasure.gather(nc, ctx.settings, digest, leads, timeout)
    now = utcnow()
    await ctx.db[ACCESS_LOG].insert_one({"_id": uuid7(), "actor_id": who.sub, "phone_hash": digest, "at": now,
                                         "answered": sorted(answers), "missing": missing})
    services = []
    for name in erasure.SERVICES:
        got = answers.get(name) or {}
        services.append({"service": name, "service_name": erasure.SERVICE_NAMES[name],
                         "answered": name in answers and "error" not in got, "holdings": got.get("holdings", [])})
    return {"phone_masked": mask(e164), "phone_hash": digest, "data_key": await ctx.keys.exists(digest),
            "erasures": [public(d) for d in await ctx.db[ERASURES].find({"phone_hash": digest})
                         .sort("created_at", -1).limit(10).to_list(None)],
            "services": services, "missing": missing, "generated_at": now}


async def ensure_indexes(ctx: ServiceContext) -> None:
    await ctx.db[ERASURES].create_index([("phone_hash", 1)])
