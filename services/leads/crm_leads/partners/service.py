"""Partner accounts: who may report for a branch, which agency an agent works for, and which
partners the desk saw bring a visitor (带团直接进场).

A partner's token names its account (`sub`); the registry says whether it is an agency (whose
manager sees the reports and disputes of the agency's agents) or an agent. Reports and disputes
copy the agency at their creation, so an agent who moves on leaves its old reports with the old
agency. A token whose `sub` is not registered reports as an agent on its own.
"""

from __future__ import annotations

from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.errors import Invalid, NotFound
from crm_shared.events.leads import PartnerRegistered
from crm_shared.http.auth import Principal
from crm_shared.ids import stored_now, utcnow, uuid7
from crm_shared.phones import InvalidPhone, normalize
from crm_shared.plugins import ServiceContext

from crm_leads.partners.models import PartnerIn, PartnerOut

ARRIVALS = "partner_arrivals"
ARRIVALS_KEPT = timedelta(days=7)
"""An arrival matters on the day of the visit: the platform's clean-up deletes it a week later."""
SEEN_VISITS = "seen_visits"
"""Visits leads heard of (`visit.checked_in`), by id: an arrival names one of its branch's. Kept as long as arrivals."""


def public(doc: dict, agency_name: str | None = None) -> PartnerOut:
    return PartnerOut(id=doc["_id"], agency_name=agency_name,
                      **{k: doc.get(k) for k in PartnerOut.model_fields if k not in ("id", "agency_name")})


def visible(doc: dict, who: Principal) -> bool:
    """Staff see the branch's partners; a partner itself and, an agency, its agents."""
    return who.role != "partner" or who.sub in (doc["_id"], doc.get("agency_id"))


def sees(owner_id: str, agency_id: str | None, who: Principal) -> bool:
    """May a partner see what `owner_id` (of `agency_id`) did? Its own, and an agency its agents'."""
    return who.sub in (owner_id, agency_id)


def partner_filter(who: Principal, owner: str = "partner_id") -> dict:
    """The store filter of what a partner sees: its own, and an agency's agents' (their `agency_id`)."""
    return {"$or": [{owner: who.sub}, {"agency_id": who.sub}]}


async def register(ctx: ServiceContext, body: PartnerIn) -> dict:
    agency = None
    if body.agency_id is not None:
        agency = await ctx.aggregate("partners").find_one({"_id": body.agency_id, "branch_id": body.branch_id})
        if agency is None or agency["kind"] != "agency":
            raise Invalid("agency_id names no agency of this branch", kind="unknown-agency", loc=["body", "agency_id"])
    try:
        phone = normalize(body.phone, ctx.settings.default_region) if body.phone else None
    except InvalidPhone as exc:
        raise Invalid(str(exc), loc=["body", "phone"]) from None
    _id = uuid7()
    doc = {"_id": _id, **body.model_dump(), "phone": phone, "active": True, "created_at": utcnow()}
    env = event(PartnerRegistered(partner_id=_id, kind=body.kind, name=body.name, agency_id=body.agency_id),
                body.branch_id, _id)
    return await ctx.aggregate("partners").insert(doc, env)


async def get(ctx: ServiceContext, partner_id: str) -> dict | None:
    return await ctx.aggregate("partners").find_one({"_id": partner_id})


async def scoped(ctx: ServiceContext, partner_id: str, who: Principal) -> dict:
    """The account if in the caller's branches and, for a partner, itself or one of its agents (else 404)."""
    doc = await get(ctx, partner_id)
    if doc is None or not who.sees_branch(doc["branch_id"]) or not visible(doc, who):
        raise NotFound("partner")
    return doc


async def known_in_branch(ctx: ServiceContext, branch_id: str, partner_id: str) -> bool:
    """A registered account of the branch, or a partner that has reported in it (lone agents need no account)."""
    if await ctx.aggregate("partners").find_one({"_id": partner_id, "branch_id": branch_id}, {"_id": 1}):
        return True
    return await ctx.db.channel_reports.find_one({"branch_id": branch_id, "partner_id": partner_id},
                                                 projection={"_id": 1}) is not None


async def agency_of(ctx: ServiceContext, partner_id: str, branch_id: str) -> str | None:
    """The agency a partner reports for: an agent's agency, an agency itself, else none."""
    doc = await ctx.aggregate("partners").find_one({"_id": partner_id, "branch_id": branch_id},
                                                   {"kind": 1, "agency_id": 1})
    if doc is None:
        return None
    return doc["_id"] if doc["kind"] == "agency" else doc.get("agency_id")


async def names(ctx: ServiceContext, ids: set[str | None]) -> dict[str, str]:
    """Partner id -> name, for the ids that are registered accounts."""
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    docs = await ctx.aggregate("partners").find({"_id": {"$in": wanted}}, {"name": 1}).to_list()
    return {d["_id"]: d["name"] for d in docs}


async def saw_visit(ctx: ServiceContext, branch_id: str, visit_id: str, at) -> None:
    """Remember a checked-in visit of the branch (an insert: a redelivery changes nothing)."""
    try:
        await ctx.db[SEEN_VISITS].insert_one({"_id": visit_id, "branch_id": branch_id, "at": at})
    except DuplicateKeyError:
        pass


async def record_arrival(ctx: ServiceContext, partner: dict, visit_id: str, who: Principal) -> dict:
    """Idempotent per (visit, partner): the first record stands. The visit must be one of the partner's
    branch that leads has heard of: another branch's, or none at all, is 422 `unknown-visit` (as is a
    check-in whose event has not reached leads yet, a moment after it: the desk tries again)."""
    if await ctx.db[SEEN_VISITS].find_one({"_id": visit_id, "branch_id": partner["branch_id"]}) is None:
        raise Invalid("visit_id names no checked-in visit of the partner's branch (a check-in of a moment ago "
                      "may not be known yet: try again)", kind="unknown-visit", loc=["body", "visit_id"])
    doc = {"_id": f"{visit_id}:{partner['_id']}", "branch_id": partner["branch_id"], "visit_id": visit_id,
           "partner_id": partner["_id"], "agency_id": partner["_id"] if partner["kind"] == "agency" else partner.get("agency_id"),
           "recorded_by": who.sub, "at": stored_now()}
    try:
        await ctx.db[ARRIVALS].insert_one(doc)
    except DuplicateKeyError:
        doc = await ctx.db[ARRIVALS].find_one({"_id": doc["_id"]}) or doc
    return doc


async def brought(ctx: ServiceContext, branch_id: str, visit_ids: list[str], partner_id: str, agency_id: str | None) -> bool:
    """Did the desk record this partner, or its agency, as bringing the visitor of one of these visits?"""
    who = [partner_id] + ([agency_id] if agency_id else [])
    found = await ctx.db[ARRIVALS].find_one({"branch_id": branch_id, "visit_id": {"$in": visit_ids},
                                             "$or": [{"partner_id": {"$in": who}}, {"agency_id": {"$in": who}}]})
    return found is not None


async def ensure_indexes(ctx: ServiceContext) -> None:
    await ctx.db.partners.create_index([("branch_id", 1), ("agency_id", 1)])
    await ctx.db[ARRIVALS].create_index([("branch_id", 1), ("visit_id", 1)])
