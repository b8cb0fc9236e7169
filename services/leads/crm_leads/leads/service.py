"""Registering leads: phone normalisation, dedup, owner choice, cadence, the public view."""

from __future__ import annotations

import logging
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event, hidden
from crm_shared.errors import Conflict, Forbidden, Invalid, NotFound
from crm_shared.events import Envelope
from crm_shared.events.leads import LeadRegistered, LeadUpdated, MaskedCustomer
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import InvalidPhone, normalize_masked, pattern_of, phone_hash
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports import matching
from crm_leads.context import LEAD_READERS, Branch
from crm_leads.leads import dedup, rules, search
from crm_leads.deals.money import from_fen, stored_fen
from crm_leads.leads.models import CustomerOut, DealOut, LeadCreate, LeadOut
from crm_leads.partners import service as partners
from crm_leads.referrers import service as referrers
from crm_leads.staff.service import active_consultant

log = logging.getLogger("crm.leads")
LISTED = hidden({"follow_ups": 0, "visits": 0})
"""A lead as lists show it: no follow-up log, visit ids or outbox fields."""


def public(doc: dict, now: datetime | None = None) -> LeadOut:
    now = now or utcnow()
    c = doc["customer"]
    due = doc.get("next_follow_up_at")
    deals = [deal_out(d) for d in doc.get("deals") or []]
    won = next((d for d in deals if d.deal_id == doc.get("won_deal_id")), deals[-1] if deals else None)
    return LeadOut(
        id=doc["_id"], customer=CustomerOut(name=c["name"], phone_masked=c["phone_masked"], gender=c.get("gender"),
                                            email=c.get("email"), birthday=c.get("birthday")),
        amount=from_fen(stored_fen(doc)), deal=won, deals=deals,
        overdue=bool(due and due < now and doc["status"] in ("new", "contacted", "visited", "negotiating") and doc.get("owner_id")),
        **{k: doc.get(k) for k in (
            "branch_id", "status", "grade", "owner_id", "source", "interest", "next_follow_up_at", "missed_count",
            "in_pool", "contact_count", "attribution", "lost_reason", "lost_note", "version", "created_at",
            "updated_at", "closed_at", "registered_at",
        ) if doc.get(k) is not None},
    )


def deal_out(entry: dict) -> DealOut:
    money = {k: from_fen(entry.get(k)) for k in ("agreed_price", "paid_total", "refund")}
    return DealOut(**{k: v for k, v in entry.items() if k in DealOut.model_fields and k not in money} | money)


async def get_scoped(ctx: ServiceContext, lead_id: str, who: Principal) -> dict:
    """The lead if the caller's branches include it (else 404, whatever the role); then the role (403);
    then, for a consultant, only its own or the pool's (another consultant's is 404: 撞单 prevention)."""
    doc = await ctx.aggregate("leads").find_one({"_id": lead_id})
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("lead")
    require_lead_reader(who)
    if not search.visible(doc, who):
        raise NotFound("lead")
    return doc


def require_lead_reader(who: Principal) -> None:
    if who.role not in LEAD_READERS:
        raise Forbidden("partners, integrators and finance do not read leads")


def normalized_masked(ctx: ServiceContext, raw: str) -> tuple[str, str]:
    """(E.164, mask) of a caller's phone, or 422 naming the field."""
    try:
        return normalize_masked(raw, ctx.settings.default_region)
    except InvalidPhone as exc:
        raise Invalid(str(exc), loc=["body", "customer", "phone"]) from None


async def choose_owner(ctx: ServiceContext, branch: Branch, requested: str | None, who: Principal) -> str | None:
    """The named owner, else a consultant itself, else the assigner's pick; a named or registering
    consultant must be active staff of this branch (422 `invalid-owner`)."""
    if requested is not None and who.role == "consultant" and requested != who.sub:
        raise Forbidden("a consultant registers leads for itself")
    if requested is None and who.role == "consultant":
        requested = who.sub
    if requested is not None:
        return (await active_consultant(ctx, requested, branch.id))["_id"]
    return await ctx.state.assigner.choose(ctx, branch.id)


async def record_contact(ctx: ServiceContext, lead: dict, channel: str, now: datetime) -> None:
    """A duplicate registration is a new contact with the customer: count it on the open lead."""
    env = event(LeadUpdated(lead_id=lead["_id"], changes={"contact": {"channel": channel, "at": now.isoformat()}}),
                lead["branch_id"], lead["_id"])
    await ctx.aggregate("leads").update({"_id": lead["_id"]}, {"$inc": {"contact_count": 1}, "$set": {"last_contact_at": now}},
                                        env)


def duplicate(existing: dict) -> Conflict:
    return Conflict("duplicate-lead", "an open lead with this phone exists in the branch",
                    existing_lead_id=existing["_id"], existing_owner_id=existing.get("owner_id"))


async def register(ctx: ServiceContext, branch: Branch, body: LeadCreate, who: Principal, now: datetime | None = None) -> dict:
    """Create the lead, or raise 409 `/duplicate-lead` naming the open lead holding the phone.

    No read before the write: the unique `dedup_key` decides, and only a loser looks up the winner.
    """
    now = now or utcnow()
    e164, masked = normalized_masked(ctx, body.customer.phone)
    digest = phone_hash(e164, ctx.settings.phone_hash_key)
    if body.source.referrer_id:
        await referrers.named(ctx, branch.id, body.source.referrer_id)
    if body.source.partner_id and not await partners.known_in_branch(ctx, branch.id, body.source.partner_id):
        raise Invalid("not a partner of this branch", kind="unknown-partner", loc=("body", "source", "partner_id"))
    owner = await choose_owner(ctx, branch, body.owner_id, who)
    lead_id = uuid7()
    report = await matching.live_report(ctx, branch.id, digest, masked, body.customer.name, now, pattern=pattern_of(e164))
    source = body.source.model_dump()
    attribution = None
    if report is not None:
        attribution = {"partner_id": report["partner_id"], "report_id": report["_id"], "protection_until": report.get("protection_until")}
        source["partner_id"] = source.get("partner_id") or report["partner_id"]
    elif body.source.referrer_id:  # 全民营销: credited, as this registration is the customer's first
        attribution = {"referrer_id": body.source.referrer_id}
    customer = body.customer.model_dump(mode="json") | {"phone": e164, "phone_masked": masked}
    doc = {
        "_id": lead_id, "branch_id": branch.id, "customer": customer, "phone_hash": digest, search.LAST4: search.last4(e164),
        dedup.FIELD: dedup.open_key(branch.id, digest), "source": source,
        "grade": body.grade, "owner_id": owner, "status": "new", "in_pool": owner is None, "interest": body.interest,
        "next_follow_up_at": rules.next_follow_up(now, body.grade, branch.settings, branch.timezone) if owner else None,
        "missed_count": 0, "last_activity_at": now, "contact_count": 1, "pool_history": {}, "follow_ups": [],
        "visits": [], "attribution": attribution, "created_by": who.sub, "created_at": now, "updated_at": now,
    }
    env = event(LeadRegistered(
        lead_id=lead_id, customer=MaskedCustomer(name=body.customer.name, phone_masked=masked, phone_hash=digest,
                                                phone_sealed=await ctx.keys.seal(e164)),
        source=source, owner_id=owner, grade=body.grade, registered_by=who.sub,
    ), branch.id, lead_id)
    for _ in range(3):
        try:
            stored = await ctx.aggregate("leads").insert(doc, env, grouped=True)  # group commit: the hot path
            break
        except DuplicateKeyError:  # the dev store does not say which key: ask who holds the phone
            if existing := await dedup.holder(ctx, branch.id, digest):
                await record_contact(ctx, existing, body.source.channel, now)
                raise duplicate(existing) from None
    else:
        raise Conflict("busy-phone", "the phone changed hands concurrently; retry")
    if report is not None:
        await matching.link_lead(ctx, report, lead_id)
    log.info("lead registered", extra={"lead_id": lead_id, "branch_id": branch.id, "phone_masked": masked})
    return stored


async def insert_seeded(ctx: ServiceContext, doc: dict, env: Envelope) -> bool:
    """Insert a lead whose id is fixed by its cause; False when it already exists."""
    try:
        await ctx.aggregate("leads").insert(doc, env)
    except DuplicateKeyError:
        return False
    return True
