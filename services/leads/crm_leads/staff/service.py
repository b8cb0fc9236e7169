"""Staff: consultants, managers and front desk per branch; leaving triggers the orphan rule."""

from __future__ import annotations

from crm_shared.aggregates import event
from crm_shared.errors import Invalid, NotFound
from crm_shared.events.leads import StaffJoined, StaffLeft
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import InvalidPhone, normalize
from crm_shared.plugins import ServiceContext

from crm_leads.staff.models import StaffIn, StaffOut


def public(doc: dict) -> StaffOut:
    return StaffOut(id=doc["_id"], **{k: doc.get(k) for k in ("branch_id", "name", "role", "phone", "email", "active", "version")})


def _contact(doc: dict) -> dict:
    return {k: doc[k] for k in ("name", "role", "email", "phone")}


async def join(ctx: ServiceContext, body: StaffIn) -> StaffOut:
    try:
        phone = normalize(body.phone, ctx.settings.default_region) if body.phone else None
    except InvalidPhone as exc:
        raise Invalid(str(exc), loc=["body", "phone"]) from None
    _id, now = uuid7(), utcnow()
    doc = {"_id": _id, **body.model_dump(), "phone": phone, "active": True, "created_at": now}
    env = event(StaffJoined(staff_id=_id, **_contact(doc)), body.branch_id, _id)
    return public(await ctx.aggregate("staff").insert(doc, env))


async def get(ctx: ServiceContext, staff_id: str, branch_id: str | None = None) -> dict | None:
    doc = await ctx.aggregate("staff").find_one({"_id": staff_id})
    if doc is None or (branch_id is not None and doc["branch_id"] != branch_id):
        return None
    return doc


def may_own_leads(doc: dict | None) -> bool:
    return doc is not None and bool(doc.get("active")) and doc.get("role") in ("consultant", "manager")


async def active_consultant(ctx: ServiceContext, staff_id: str, branch_id: str) -> dict:
    """The staff member who may own leads in the branch, or 422 naming the problem."""
    doc = await get(ctx, staff_id, branch_id)
    if not may_own_leads(doc):
        raise Invalid("owner_id is not an active consultant of this branch", kind="invalid-owner")
    return doc


async def leave(ctx: ServiceContext, doc: dict) -> dict:
    """Deactivate once; repeating it is harmless (the orphan sweep runs again)."""
    if not doc.get("active"):
        return doc
    env = event(StaffLeft(staff_id=doc["_id"], **_contact(doc)), doc["branch_id"], doc["_id"])
    done = await ctx.aggregate("staff").update({"_id": doc["_id"], "active": True},
                                               {"$set": {"active": False, "left_at": utcnow()}}, env)
    if done is None:
        done = await ctx.aggregate("staff").find_one({"_id": doc["_id"]})
        if done is None:
            raise NotFound("staff")
    return done


async def active_consultants(ctx: ServiceContext, branch_id: str) -> list[dict]:
    docs = await ctx.aggregate("staff").find({"branch_id": branch_id, "role": "consultant", "active": True}).to_list()
    return sorted(docs, key=lambda d: d["_id"])
