"""Channel reports: first report wins, the office's own customers are not claimable, validity
window, confirmation by visit, expiry."""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.errors import Conflict, Invalid, NotFound
from crm_shared.events.leads import ChannelReportAccepted, ChannelReportConfirmed, ChannelReportExpired, ChannelReportRejected
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import InvalidPhone, mask, normalize, parse_masked, phone_hash
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports import known, rules
from crm_leads.channel_reports.matching import CLAIMS, CUSTOMER_KNOWN, release_claims
from crm_leads.channel_reports.models import ReportIn, ReportOut
from crm_leads.context import OPEN_STATUSES, Branch
from crm_leads.leads import dedup


def public(doc: dict) -> ReportOut:
    return ReportOut(id=doc["_id"], **{k: doc.get(k) for k in ReportOut.model_fields if k != "id"})


async def get_scoped(ctx: ServiceContext, report_id: str, who: Principal, roles: tuple[str, ...] = ()) -> dict:
    """The report if in the caller's branches (else 404, whatever the role), then the role (403, when
    `roles` are given); a partner sees only its own (another partner's is 404)."""
    doc = await ctx.aggregate("channel_reports").find_one({"_id": report_id})
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("channel report")
    if roles:
        who.require_role(*roles)
    if who.role == "partner" and doc["partner_id"] != who.sub:
        raise NotFound("channel report")
    return doc


def _phone(ctx: ServiceContext, text: str) -> tuple[str | None, str]:
    """(hash or None, mask) of a full or masked number."""
    if parts := parse_masked(text):
        return None, f"{parts[0]}****{parts[1]}"
    try:
        e164 = normalize(text, ctx.settings.default_region)
    except InvalidPhone as exc:
        raise Invalid(str(exc), loc=["body", "phone"]) from None
    return phone_hash(e164, ctx.settings.phone_hash_key), mask(e164)


async def _open_lead(ctx: ServiceContext, branch_id: str, digest: str | None, masked: str, name: str) -> dict | None:
    if digest and (lead := await dedup.holder(ctx, branch_id, digest)):
        return lead
    key = rules.name_key(name)
    async for lead in ctx.db.leads.find({"branch_id": branch_id, "customer.phone_masked": masked,
                                         "status": {"$in": list(OPEN_STATUSES)}}, projection={"customer": 1}):
        if rules.name_key(lead["customer"]["name"]) == key:
            return lead
    return None


async def _take_claims(ctx: ServiceContext, keys: list[str], report_id: str, now: datetime) -> dict | None:
    """Reserve every key for the report; the live report already holding one wins (first report wins)."""
    taken: list[str] = []
    for key in keys:
        while True:
            try:
                await ctx.db[CLAIMS].insert_one({"_id": key, "report_id": report_id, "at": now})
                taken.append(key)
                break
            except DuplicateKeyError:
                claim = await ctx.db[CLAIMS].find_one({"_id": key})
            if claim is None:
                continue
            holder = await ctx.aggregate("channel_reports").find_one({"_id": claim["report_id"]})
            if holder is None or not rules.is_live(holder, now):
                if await ctx.db[CLAIMS].find_one_and_update({"_id": key, "report_id": claim["report_id"]},
                                                           {"$set": {"report_id": report_id, "at": now}}):
                    taken.append(key)
                    break
                continue
            await ctx.db[CLAIMS].delete_many({"_id": {"$in": taken}, "report_id": report_id})
            return holder
    return None


async def submit(ctx: ServiceContext, branch: Branch, body: ReportIn, partner_id: str, now: datetime | None = None) -> dict:
    """Accept the report, or store it as rejected and raise 409: `/report-conflict` (an open lead or a
    live report names the customer) or `/customer-known` (booked or seen by the office before now)."""
    now = now or utcnow()
    digest, masked = _phone(ctx, body.phone)
    _id = uuid7()
    doc = {"_id": _id, "branch_id": branch.id, "partner_id": partner_id, "customer_name": body.customer_name,
           "gender": body.gender, "phone_masked": masked, "phone_hash": digest, "masked_only": digest is None,
           "status": "accepted", "expires_at": rules.expires_at(now, branch.settings), "protection_until": None,
           "first_visit_at": None, "lead_id": None, "reason": None, "created_at": now}
    lead = await _open_lead(ctx, branch.id, digest, masked, body.customer_name)
    office = not lead and await known.known_before(ctx, branch.id, digest, masked, body.customer_name, now)
    holder = None if lead or office else await _take_claims(
        ctx, rules.claim_keys(branch.id, digest, masked, body.customer_name), _id, now)
    if lead or office or holder:
        reason = "open_lead" if lead else CUSTOMER_KNOWN if office else "reported_first"
        doc |= {"status": "rejected", "reason": reason}
        data = ChannelReportRejected(report_id=_id, partner_id=partner_id, expires_at=doc["expires_at"], reason=reason)
    else:
        data = ChannelReportAccepted(report_id=_id, partner_id=partner_id, expires_at=doc["expires_at"])
    doc = await ctx.aggregate("channel_reports").insert(doc, event(data, branch.id, _id))
    if office:
        raise Conflict("customer-known", "the office already has this customer: booked or seen at the front desk "
                       "before this report", report_id=_id, reason=CUSTOMER_KNOWN)
    if doc["status"] == "rejected":
        raise Conflict("report-conflict", "the customer already has an open lead or a live report in the branch",
                       report_id=_id, reason=doc["reason"])
    return doc


async def confirm(ctx: ServiceContext, branch: Branch, report: dict, visit_at: datetime, visit_id: str, lead_id: str) -> dict | None:
    """A visit within validity confirms the report and starts protection; idempotent per visit."""
    if report["status"] == "confirmed":
        return report
    if not rules.confirms(report, visit_at):
        return None
    until = rules.protection_until(visit_at, branch.settings)
    env = event(ChannelReportConfirmed(report_id=report["_id"], partner_id=report["partner_id"], lead_id=lead_id,
                                       expires_at=report["expires_at"], protection_until=until), branch.id, report["_id"])
    reports = ctx.aggregate("channel_reports")
    return await reports.update(
        {"_id": report["_id"], "status": "accepted"},
        {"$set": {"status": "confirmed", "protection_until": until, "first_visit_at": visit_at, "visit_id": visit_id,
                  "lead_id": lead_id}}, env,
    ) or await reports.find_one({"_id": report["_id"]})


async def expire(ctx: ServiceContext, now: datetime) -> int:
    """Accepted reports past validity expire and free the customer."""
    count = 0
    reports = ctx.aggregate("channel_reports")
    async for doc in reports.find({"status": "accepted", "expires_at": {"$lte": now}}):
        env = event(ChannelReportExpired(report_id=doc["_id"], partner_id=doc["partner_id"], lead_id=doc.get("lead_id"),
                                         expires_at=doc["expires_at"]), doc["branch_id"], doc["_id"])
        done = await reports.update({"_id": doc["_id"], "status": "accepted"}, {"$set": {"status": "expired"}}, env)
        if done is not None:
            count += 1
            await release_claims(ctx, doc)
    return count
