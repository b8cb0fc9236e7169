"""Staff: consultants, managers and front desk per branch; leaving triggers the orphan rule.

One active member per work phone and branch (the same person added twice is a 409): every member
carries `phone_key`, under a plain unique index, `<branch>:<E.164>` while active with a phone,
`none:<id>` otherwise (no phone, or gone: a leaver's number may be given to a new member). A
correction (`patch`) re-publishes the member's facts as the event of its state (`staff.joined`
while active, `staff.left` once gone) with `changed`: every directory copy (crm_shared.directory)
takes the newer event, so names and contacts change everywhere without a new event type.
"""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.errors import Conflict, Invalid, NotFound
from crm_shared.events.leads import StaffJoined, StaffLeft
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import InvalidPhone, normalize
from crm_shared.plugins import ServiceContext

from crm_leads.context import OPEN_STATUSES
from crm_leads.staff.models import StaffIn, StaffOut, StaffPatch

PHONE_KEY = "phone_key"
LEAD_OWNERS = ("consultant", "manager")
CONTACT = ("name", "role", "email", "phone", "wecom_user_id")
"""What a staff event carries of a member: what other services' directories keep."""


def public(doc: dict) -> StaffOut:
    return StaffOut(id=doc["_id"], **{k: doc.get(k) for k in ("branch_id", *CONTACT, "active", "version")})


def _contact(doc: dict) -> dict:
    return {k: doc.get(k) for k in CONTACT}


def phone_key(doc: dict) -> str:
    if doc.get("active") and doc.get("phone"):
        return f"{doc['branch_id']}:{doc['phone']}"
    return f"none:{doc['_id']}"


def _phone(ctx: ServiceContext, raw: str | None) -> str | None:
    try:
        return normalize(raw, ctx.settings.default_region) if raw else None
    except InvalidPhone as exc:
        raise Invalid(str(exc), loc=["body", "phone"]) from None


async def _duplicate(ctx: ServiceContext, key: str) -> Conflict:
    holder = await ctx.aggregate("staff").find_one({PHONE_KEY: key}) or {}
    return Conflict("duplicate-staff", "a staff member of this branch already has this phone",
                    existing_staff_id=holder.get("_id"), existing_name=holder.get("name"))


async def join(ctx: ServiceContext, body: StaffIn, staff_id: str | None = None) -> StaffOut:
    """A new member (`staff_id`: a given id, e.g. the identity provider's subject; else a new one)."""
    _id, now = staff_id or uuid7(), utcnow()
    doc = {"_id": _id, **body.model_dump(), "phone": _phone(ctx, body.phone), "active": True, "created_at": now}
    doc[PHONE_KEY] = phone_key(doc)
    env = event(StaffJoined(staff_id=_id, **_contact(doc)), body.branch_id, _id)
    try:
        return public(await ctx.aggregate("staff").insert(doc, env))
    except DuplicateKeyError:
        raise await _duplicate(ctx, doc[PHONE_KEY]) from None


async def patch(ctx: ServiceContext, doc: dict, body: StaffPatch, expected: int | None) -> dict:
    """Correct name, role, phone, email or WeCom userid (If-Match); a consultant who owns open leads keeps a role that may own them."""
    fields = body.model_dump(exclude_unset=True)
    if "phone" in fields:
        fields["phone"] = _phone(ctx, fields["phone"])
    changes = {k: v for k, v in fields.items() if doc.get(k) != v}
    if not changes:
        return doc
    if "role" in changes and changes["role"] not in LEAD_OWNERS and doc.get("active") and await _owns_open_leads(ctx, doc):
        raise Conflict("owns-open-leads", "the member owns open leads: reassign them before the role changes")
    after = doc | changes
    kind = StaffJoined if doc.get("active") else StaffLeft
    env = event(kind(staff_id=doc["_id"], **_contact(after), changed=sorted(changes)), doc["branch_id"], doc["_id"])
    sets = changes | {PHONE_KEY: phone_key(after), "updated_at": utcnow()}
    try:
        return await ctx.aggregate("staff").change(doc, expected, {"$set": sets}, env)
    except DuplicateKeyError:
        raise await _duplicate(ctx, sets[PHONE_KEY]) from None


async def _owns_open_leads(ctx: ServiceContext, doc: dict) -> bool:
    query = {"branch_id": doc["branch_id"], "owner_id": doc["_id"], "status": {"$in": list(OPEN_STATUSES)}}
    return await ctx.db.leads.find_one(query, projection={"_id": 1}) is not None


async def get(ctx: ServiceContext, staff_id: str, branch_id: str | None = None) -> dict | None:
    doc = await ctx.aggregate("staff").find_one({"_id": staff_id})
    if doc is None or (branch_id is not None and doc["branch_id"] != branch_id):
        return None
    return doc


def may_own_leads(doc: dict | None) -> bool:
    return doc is not None and bool(doc.get("active")) and doc.get("role") in LEAD_OWNERS


async def active_consultant(ctx: ServiceContext, staff_id: str, branch_id: str) -> dict:
    """The staff member who may own leads in the branch, or 422 naming the problem."""
    doc = await get(ctx, staff_id, branch_id)
    if not may_own_leads(doc):
        raise Invalid("owner_id is not an active consultant of this branch", kind="invalid-owner")
    return doc


async def leave(ctx: ServiceContext, doc: dict) -> dict:
    """Deactivate once; repeating it is harmless (the orphan sweep runs again). The phone is free again."""
    if not doc.get("active"):
        return doc
    env = event(StaffLeft(staff_id=doc["_id"], **_contact(doc)), doc["branch_id"], doc["_id"])
    done = await ctx.aggregate("staff").update(
        {"_id": doc["_id"], "active": True},
        {"$set": {"active": False, "left_at": utcnow(), PHONE_KEY: phone_key(doc | {"active": False})}}, env)
    if done is None:
        done = await ctx.aggregate("staff").find_one({"_id": doc["_id"]})
        if done is None:
            raise NotFound("staff")
    return done


async def active_consultants(ctx: ServiceContext, branch_id: str) -> list[dict]:
    docs = await ctx.aggregate("staff").find({"branch_id": branch_id, "role": "consultant", "active": True}).to_list()
    return sorted(docs, key=lambda d: d["_id"])


async def ensure_indexes(ctx: ServiceContext) -> None:
    """Members stored before `phone_key` get theirs (a later duplicate of an active phone gets `none:`), then the unique index."""
    async for doc in ctx.db.staff.find({PHONE_KEY: {"$exists": False}}).sort("_id", 1):
        key = phone_key(doc)
        if await ctx.db.staff.find_one({PHONE_KEY: key}, projection={"_id": 1}):
            key = phone_key(doc | {"active": False})
        await ctx.db.staff.update_one({"_id": doc["_id"]}, {"$set": {PHONE_KEY: key}})
    await ctx.db.staff.create_index([("branch_id", 1), ("role", 1)])
    await ctx.db.staff.create_index([(PHONE_KEY, 1)], unique=True, name="one_active_member_per_phone")
