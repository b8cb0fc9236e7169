"""Key accounts (重点客户): tiers core 核心 / key 重点 / general 一般 on the branch's list (approved by its manager)
or the group's (approved by an admin), each with a named account manager (专职客户经理).

An account manager asks (a tier request) and the list's approver decides; a manager or an admin may also
change a tier directly within its level. Approval applies the tier to the archive first, then closes the
request, so a crash between the two leaves a request that a second decision closes without a second change.
"""

from __future__ import annotations

from crm_shared.errors import Conflict, Forbidden, NotFound
from crm_shared.events.customers import ArchiveTierChanged, ArchiveTierRequested, ArchiveUpdated
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

from crm_customers.archives import rules, service
from crm_customers.archives.models import TierIn

REQUESTS = "tier_requests"


def _level_of(doc: dict) -> str | None:
    return (doc.get("key_account") or {}).get("level")


def require_decider(who: Principal, level: str, current_level: str | None) -> None:
    for lvl in {level, current_level} - {None}:
        if not rules.may_decide(who.role, lvl):
            raise Forbidden("the group's key-account list is an admin's; a branch's is its manager's")


async def set_tier(ctx: ServiceContext, doc: dict, body: TierIn, who: Principal, expected: int | None = None) -> dict:
    """Apply a tier at a level with its account manager; nothing changes when all three are as asked."""
    require_decider(who, body.level, _level_of(doc))
    manager = body.account_manager_id or doc.get("account_manager_id")
    if manager != doc.get("account_manager_id"):
        await service.check_account_manager(ctx, doc["branch_id"], manager, ["body", "account_manager_id"])
    level = body.level if body.tier in rules.KEY_TIERS else None
    if body.tier == doc["tier"] and level == _level_of(doc) and manager == doc.get("account_manager_id"):
        return doc
    now = utcnow()
    sets = {"tier": body.tier, "key_account": rules.key_account(body.tier, body.level, who.sub, now),
            "account_manager_id": manager, "updated_at": now}
    after = {**doc, **sets}
    events = [service.change_event(ArchiveTierChanged, after, previous_tier=doc["tier"], approved_by=who.sub,
                                   level=body.level)]
    if manager != doc.get("account_manager_id"):
        events.append(service.change_event(ArchiveUpdated, after, changes=["account_manager_id"]))
    return await ctx.aggregate(service.ARCHIVES).change(doc, expected, {"$set": sets}, *events)


async def request(ctx: ServiceContext, doc: dict, body: TierIn, who: Principal) -> dict:
    manager = body.account_manager_id or doc.get("account_manager_id")
    if manager != doc.get("account_manager_id"):
        await service.check_account_manager(ctx, doc["branch_id"], manager, ["body", "account_manager_id"])
    level = body.level if body.tier in rules.KEY_TIERS else None
    if body.tier == doc["tier"] and level == _level_of(doc) and manager == doc.get("account_manager_id"):
        raise Conflict("no-change", "the archive already has this tier, level and account manager")
    _id, now = uuid7(), utcnow()
    req = {"_id": _id, "branch_id": doc["branch_id"], "archive_id": doc["_id"], "number": doc["number"],
           "customer_name": doc["customer"]["name"], "tier": body.tier, "level": body.level,
           "previous_tier": doc["tier"], "account_manager_id": manager, "reason": body.reason,
           "requested_by": who.sub, "status": "pending", "created_at": now, "updated_at": now}
    env = service.change_event(ArchiveTierRequested, doc, subject=_id, request_id=_id, requested_tier=body.tier,
                               level=body.level, requested_by=who.sub, reason=body.reason)
    return await ctx.aggregate(REQUESTS).insert(req, env)


async def get_request(ctx: ServiceContext, request_id: str, who: Principal) -> dict:
    req = await ctx.aggregate(REQUESTS).find_one({"_id": request_id})
    if req is None or not who.sees_branch(req["branch_id"]):
        raise NotFound("tier request")
    if who.role == "consultant" and who.sub not in (req.get("requested_by"), req.get("account_manager_id")):
        raise NotFound("tier request")
    return req


async def decide(ctx: ServiceContext, req: dict, decision: str, note: str | None, who: Principal) -> dict:
    if req["status"] != "pending":
        raise Conflict("wrong-status", f"the request is {req['status']}", status_now=req["status"])
    archive = await ctx.aggregate(service.ARCHIVES).find_one({"_id": req["archive_id"]})
    if archive is None:
        raise NotFound("archive")
    require_decider(who, req["level"], _level_of(archive))
    if decision == "approved":
        await set_tier(ctx, archive, TierIn(tier=req["tier"], level=req["level"],
                                            account_manager_id=req.get("account_manager_id")), who)
    now = utcnow()
    done = await ctx.aggregate(REQUESTS).update(
        {"_id": req["_id"], "status": "pending"},
        {"$set": {"status": decision, "decided_by": who.sub, "decided_at": now, "note": note, "updated_at": now}})
    if done is None:
        raise Conflict("wrong-status", "the request was decided meanwhile")
    return done


def public_request(req: dict, names: dict[str, str]) -> dict:
    return {"id": req["_id"], **{k: req.get(k) for k in (
        "branch_id", "archive_id", "number", "customer_name", "tier", "level", "previous_tier", "account_manager_id",
        "reason", "requested_by", "status", "decided_by", "decided_at", "note", "version", "created_at")},
        "tier_name": rules.TIER_NAMES[req["tier"]], "account_manager_name": names.get(req.get("account_manager_id") or ""),
        "requested_by_name": names.get(req.get("requested_by") or "")}


def key_account_item(doc: dict, names: dict[str, str]) -> dict:
    ka = doc.get("key_account") or {}
    return {"archive_id": doc["_id"], "number": doc["number"], "branch_id": doc["branch_id"],
            "customer_name": doc["customer"]["name"], "phone_masked": doc["customer"]["phone_masked"],
            "tier": doc["tier"], "tier_name": rules.TIER_NAMES[doc["tier"]], "level": ka.get("level"),
            "level_name": {"branch": "分公司重点客户", "group": "集团重点客户"}.get(ka.get("level") or ""),
            "account_manager_id": doc.get("account_manager_id"),
            "account_manager_name": names.get(doc.get("account_manager_id") or ""),
            "approved_by": ka.get("approved_by"), "approved_by_name": names.get(ka.get("approved_by") or ""),
            "approved_at": ka.get("approved_at"), "frozen": bool(doc.get("frozen")),
            "latest_grade": (doc.get("evaluation") or {}).get("grade")}


async def ensure_indexes(ctx: ServiceContext) -> None:
    await ctx.db[REQUESTS].create_index([("branch_id", 1), ("status", 1)])
    await ctx.db[service.ARCHIVES].create_index([("branch_id", 1), ("key_account.level", 1)])
