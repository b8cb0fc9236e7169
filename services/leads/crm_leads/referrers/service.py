"""Referrers (全民营销): registered once per number and branch, never the branch's own sales-office staff;
a referral lead names one, and the usual dedup decides whether it was the customer's first registration."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.errors import Conflict, Invalid
from crm_shared.events.leads import ReferrerRegistered
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import InvalidPhone, normalize_masked, phone_hash
from crm_shared.plugins import ServiceContext

from crm_leads.context import MANAGERS
from crm_leads.referrers.models import ReferrerIn, ReferrerOut
from crm_leads.staff.service import PHONE_KEY

KEY = "referrer_key"
"""`<branch>:<phone hash>`: one referrer per number and branch, under a unique index."""


def public(doc: dict, echo: bool = False) -> ReferrerOut:
    """Masked: the full number comes only from the audited reveal (`GET /v1/referrers/{id}/phone`), except in the
    answer to the manager who has just typed it (`echo`)."""
    return ReferrerOut(id=doc["_id"], **{k: doc.get(k) for k in ReferrerOut.model_fields if k not in ("id", "phone")},
                       phone=doc.get("phone") if echo else None)


async def register(ctx: ServiceContext, body: ReferrerIn, who: Principal) -> dict:
    """201, or 422 `sales-staff` (an active staff member of the branch has the number), 409 `duplicate-referrer`."""
    try:
        e164, masked = normalize_masked(body.phone, ctx.settings.default_region)
    except InvalidPhone as exc:
        raise Invalid(str(exc), loc=["body", "phone"]) from None
    staff = await ctx.db.staff.find_one({PHONE_KEY: f"{body.branch_id}:{e164}"}, projection={"role": 1})
    if staff is not None:
        raise Invalid("the branch's own sales-office staff cannot be referrers (全民营销 is for people outside sales)",
                      kind="sales-staff", loc=["body", "phone"], staff_id=staff["_id"], staff_role=staff.get("role"))
    digest = phone_hash(e164, ctx.settings.phone_hash_key)
    _id = uuid7()
    doc = {"_id": _id, **body.model_dump(exclude={"phone"}), "phone": e164, "phone_masked": masked, "phone_hash": digest,
           KEY: f"{body.branch_id}:{digest}", "registered_by": who.sub, "created_at": utcnow()}
    env = event(ReferrerRegistered(referrer_id=_id, kind=body.kind, name=body.name, phone_masked=masked), body.branch_id, _id)
    try:
        return await ctx.aggregate("referrers").insert(doc, env)
    except DuplicateKeyError:
        holder = await ctx.aggregate("referrers").find_one({KEY: doc[KEY]}, {"name": 1}) or {}
        raise Conflict("duplicate-referrer", "a referrer of this branch already has this number",
                       existing_referrer_id=holder.get("_id"), existing_name=holder.get("name")) from None


async def named(ctx: ServiceContext, branch_id: str, referrer_id: str) -> dict:
    """The referrer a referral lead names: registered in the lead's branch, else 422 `unknown-referrer`."""
    doc = await ctx.aggregate("referrers").find_one({"_id": referrer_id, "branch_id": branch_id}, {"name": 1, "kind": 1})
    if doc is None:
        raise Invalid("source.referrer_id names no referrer of this branch", kind="unknown-referrer",
                      loc=["body", "source", "referrer_id"])
    return doc


async def ensure_indexes(ctx: ServiceContext) -> None:
    await ctx.db.referrers.create_index([(KEY, 1)], unique=True, name="one_referrer_per_phone")
    await ctx.db.referrers.create_index([("branch_id", 1), ("kind", 1)])
