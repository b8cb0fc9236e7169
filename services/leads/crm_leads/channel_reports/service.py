"""Channel reports: first report wins, the office's own customers are not claimable, same-day
arrivals confirm on report, validity window, confirmation by visit (overtaking the customer's
other reports), expiry."""

from __future__ import annotations

from datetime import datetime

from crm_shared.aggregates import event
from crm_shared.errors import Conflict, Invalid, NotFound
from crm_shared.events.leads import (ChannelReportAccepted, ChannelReportConfirmed, ChannelReportExpired,
                                     ChannelReportRejected)
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import InvalidPhone, core_of, mask, normalize, parse_mask, pattern_of, patterns_agree, phone_hash
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports import known, matching, rules, upkeep
from crm_leads.channel_reports.matching import CUSTOMER_KNOWN, Phone, release_claims
from crm_leads.channel_reports.models import ReportIn, ReportOut
from crm_leads.context import OPEN_STATUSES, Branch
from crm_leads.leads import dedup
from crm_leads.partners import service as partners

LEAD_FACTS = {"customer": 1, "phone_hash": 1, "visits": 1, "visited_at": 1, "created_by": 1, "attribution": 1}
CONFIRMED_OTHER = "confirmed_other"


def public(doc: dict, who: Principal | None = None) -> ReportOut:
    shown = {k: doc.get(k) for k in ReportOut.model_fields if k != "id"}
    shown |= {"same_day": bool(doc.get("same_day")), "follow_up_count": len(doc.get("follow_ups") or []),
              "renewal_count": len(doc.get("renewals") or [])}
    if who is not None and who.role == "partner":
        shown["conflict_report_id"] = None  # another partner's report is not the partner's to know
    return ReportOut(id=doc["_id"], **shown)


async def get_scoped(ctx: ServiceContext, report_id: str, who: Principal, roles: tuple[str, ...] = ()) -> dict:
    """The report if in the caller's branches (else 404, whatever the role), then the role (403, when
    `roles` are given); a partner sees its own and, an agency, its agents' (another partner's is 404)."""
    doc = await ctx.aggregate("channel_reports").find_one({"_id": report_id})
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("channel report")
    if roles:
        who.require_role(*roles)
    if who.role == "partner" and not partners.sees(doc["partner_id"], doc.get("agency_id"), who):
        raise NotFound("channel report")
    return doc


def _phone(ctx: ServiceContext, text: str) -> tuple[Phone, str]:
    """A full or masked number as matching needs it, and as the report shows it."""
    if pattern := parse_mask(text):
        return Phone(None, core_of(pattern), pattern), pattern
    try:
        e164 = normalize(text, ctx.settings.default_region)
    except InvalidPhone as exc:
        raise Invalid(str(exc), loc=["body", "phone"]) from None
    shown = mask(e164)
    return Phone(phone_hash(e164, ctx.settings.phone_hash_key), shown, pattern_of(e164) or shown), shown


async def _open_lead(ctx: ServiceContext, branch_id: str, phone: Phone, name: str) -> dict | None:
    """The open lead of the customer: a full number's by its hash; a mask's by core and name, unless the digits
    the mask shows differ from the lead's number."""
    if phone.hash:
        return await dedup.holder(ctx, branch_id, phone.hash)
    key = rules.name_key(name)
    async for lead in ctx.aggregate("leads").find({"branch_id": branch_id, "customer.phone_masked": phone.core,
                                                   "status": {"$in": list(OPEN_STATUSES)}}, LEAD_FACTS):
        full = lead["customer"].get("phone")
        if rules.name_key(lead["customer"]["name"]) == key and (not full or patterns_agree(pattern_of(full), phone.pattern)):
            return lead
    return None


async def _arrival(ctx: ServiceContext, branch: Branch, lead: dict, partner_id: str, agency_id: str | None,
                   now: datetime) -> bool:
    """May this partner still report the customer its first visit just made a lead of (带团直接进场)?"""
    if not lead.get("visited_at") or _protected(lead, now) or await known.known_before(
            ctx, branch.id, lead.get("phone_hash"), lead["customer"]["phone_masked"], lead["customer"]["name"], lead["visited_at"]):
        return False
    recorded = await partners.brought(ctx, branch.id, list(lead.get("visits") or []), partner_id, agency_id)
    return rules.same_day_arrival(lead, recorded, now, branch.settings, branch.timezone)


def _protected(lead: dict, now: datetime) -> str | None:
    """The report whose protection the customer's lead is under, if any (the customer is that partner's)."""
    a = lead.get("attribution") or {}
    return a.get("report_id") if a.get("partner_id") and a.get("protection_until") and now < a["protection_until"] else None


async def submit(ctx: ServiceContext, branch: Branch, body: ReportIn, partner_id: str, now: datetime | None = None) -> dict:
    """Accept the report (confirmed at once for a same-day arrival), or store it as rejected and raise 409:
    `/report-conflict` (an open lead or a live report names the customer) or `/customer-known` (booked or seen
    by the office before now)."""
    now = now or utcnow()
    phone, shown = _phone(ctx, body.phone)
    agency_id = await partners.agency_of(ctx, partner_id, branch.id)
    _id = uuid7()
    doc = {"_id": _id, "branch_id": branch.id, "partner_id": partner_id, "agency_id": agency_id,
           "customer_name": body.customer_name, "gender": body.gender, "phone_masked": shown, "core": phone.core,
           "pattern": phone.pattern, "phone_hash": phone.hash, "masked_only": phone.hash is None, "status": "accepted",
           "expires_at": rules.expires_at(now, branch.settings), "protection_until": None, "first_visit_at": None,
           "follow_up_due_at": rules.follow_up_due(now, branch.settings), "last_follow_up_at": None, "follow_ups": [],
           "renewals": [], "lead_id": None, "reason": None, "created_at": now}
    lead = await _open_lead(ctx, branch.id, phone, body.customer_name)
    arrival = lead is not None and await _arrival(ctx, branch, lead, partner_id, agency_id, now)
    office = lead is None and await known.known_before(ctx, branch.id, phone.hash, phone.core, body.customer_name, now)
    holder = None if (lead and not arrival) or office else await matching.take(ctx, branch.id, phone, body.customer_name, _id, now)
    change = dict(report_id=_id, partner_id=partner_id, agency_id=agency_id, expires_at=doc["expires_at"])
    if lead and not arrival and not holder and (taken := _protected(lead, now)):
        holder = await ctx.aggregate("channel_reports").find_one({"_id": taken}) or {"_id": taken}
    if (lead and not arrival) or office or holder:
        reason = CUSTOMER_KNOWN if office else "reported_first" if holder else "open_lead"
        doc |= {"status": "rejected", "reason": reason, "follow_up_due_at": None,
                "conflict_report_id": holder["_id"] if holder else None, "conflict_lead_id": lead["_id"] if lead else None}
        envs = [event(ChannelReportRejected(**change, reason=reason), branch.id, _id)]
    elif arrival:
        visited_at, until = lead["visited_at"], rules.protection_until(lead["visited_at"], branch.settings)
        doc |= {"status": "confirmed", "first_visit_at": visited_at, "protection_until": until, "lead_id": lead["_id"],
                "visit_id": (lead.get("visits") or [None])[0], "same_day": True}
        doc["renewable_from"] = rules.renewable_from(doc, branch.settings)
        envs = [event(ChannelReportAccepted(**change), branch.id, _id),
                event(ChannelReportConfirmed(**change, lead_id=lead["_id"], protection_until=until, same_day=True), branch.id, _id)]
    else:
        envs = [event(ChannelReportAccepted(**change), branch.id, _id)]
    doc = await ctx.aggregate("channel_reports").insert(doc, *envs)
    if doc["status"] == "confirmed":
        await upkeep.attribute_lead(ctx, doc, now, source=True)
    if office:
        raise Conflict("customer-known", "the office already has this customer: booked or seen at the front desk "
                       "before this report", report_id=_id, reason=CUSTOMER_KNOWN)
    if doc["status"] == "rejected":
        detail = ("another partner reported this customer first" if holder else
                  "the customer already has an open lead in the branch")
        raise Conflict("report-conflict", detail, report_id=_id, reason=doc["reason"])
    return doc


async def confirm(ctx: ServiceContext, branch: Branch, report: dict, visit_at: datetime, visit_id: str, lead_id: str) -> dict | None:
    """A visit within validity confirms the report and starts protection; the customer's other accepted reports
    are refused (`confirmed_other`). Idempotent per visit."""
    if report["status"] == "confirmed":
        return report
    if not rules.confirms(report, visit_at):
        return None
    until = rules.protection_until(visit_at, branch.settings)
    sets = {"status": "confirmed", "protection_until": until, "first_visit_at": visit_at, "visit_id": visit_id,
            "lead_id": lead_id, "renewable_from": rules.renewable_from({"status": "confirmed", "protection_until": until},
                                                                       branch.settings)}
    if report.get("follow_up_due_at"):  # the visit is progress: the follow-up clock starts again
        sets["follow_up_due_at"] = max(report["follow_up_due_at"], rules.follow_up_due(visit_at, branch.settings))
    env = event(ChannelReportConfirmed(report_id=report["_id"], partner_id=report["partner_id"], lead_id=lead_id,
                                       agency_id=report.get("agency_id"), expires_at=report["expires_at"],
                                       protection_until=until), branch.id, report["_id"])
    reports = ctx.aggregate("channel_reports")
    done = await reports.update({"_id": report["_id"], "status": "accepted"}, {"$set": sets}, env)
    if done is not None:
        for other in await matching.same_customer_reports(ctx, done, visit_at):
            await matching.reject(ctx, other, CONFIRMED_OTHER, conflict_report_id=done["_id"])
    return done or await reports.find_one({"_id": report["_id"]})


async def expire(ctx: ServiceContext, now: datetime) -> int:
    """Accepted reports past validity expire and free the customer."""
    count = 0
    reports = ctx.aggregate("channel_reports")
    async for doc in reports.find({"status": "accepted", "expires_at": {"$lte": now}}):
        env = event(ChannelReportExpired(report_id=doc["_id"], partner_id=doc["partner_id"], lead_id=doc.get("lead_id"),
                                         agency_id=doc.get("agency_id"), expires_at=doc["expires_at"]), doc["branch_id"], doc["_id"])
        done = await reports.update({"_id": doc["_id"], "status": "accepted"}, {"$set": {"status": "expired"}}, env)
        if done is not None:
            count += 1
            await release_claims(ctx, doc)
    return count
