"""Claims on customers: who holds a customer's live report, taken atomically (first report wins).

A report claims its customer under keys of `report_claims`. A full number holds its hash key
alone (`<branch>:h:<hash>`). Every report also joins the core key (`<branch>:m:<3+4 core>:<name>`)
among its *holders*: reports of one core and name whose shown digits differ (a 4+5 mask
`1381**45678` and `1382**45678`) are different customers and hold it side by side; one whose
digits agree with a live holder's names the same customer and is refused. The holder list is
changed by compare-and-set on `v`, so two reports of one customer never both win.

A live report found to name a customer the office knew before it was filed (the appointment's
event reached leads after the report) is rejected on sight (`customer_known`): it never
confirms, attributes or protects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_shared import batching
from crm_shared.aggregates import event
from crm_shared.errors import Busy
from crm_shared.events.leads import ChannelReportRejected
from crm_shared.phones import core_of
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports import known, rules

CLAIMS = "report_claims"
CUSTOMER_KNOWN = "customer_known"
CAS_ATTEMPTS = 20


@dataclass(frozen=True)
class Phone:
    """A reported or seen number as matching needs it: the hash (full numbers only), the core (3+4 form, the
    keys), the pattern (the digits shown: a mask as given, a full mobile number's first 4 and last 5)."""

    hash: str | None
    core: str
    pattern: str | None


def of_report(report: dict) -> Phone:
    """A stored report's number (reports from before both forms kept only the 3+4 mask)."""
    core = report.get("core") or report["phone_masked"]
    return Phone(report.get("phone_hash"), core, report.get("pattern") or core)


def holders(claim: dict | None) -> list[dict]:
    """The reports holding a claim (a claim written before holders names one report)."""
    if not claim:
        return []
    if "holders" in claim:
        return list(claim["holders"])
    return [{"report_id": claim["report_id"], "hash": None, "pattern": None}] if claim.get("report_id") else []


async def live_report(ctx: ServiceContext, branch_id: str, phone_hash: str | None, phone_masked: str, name: str,
                      now: datetime, pattern: str | None = None) -> dict | None:
    """The live report naming a customer: a full report on the hash, any report on core + name whose shown
    digits agree with `pattern` (when given; a caller with only the 3+4 mask matches every holder of its core).

    Every registration asks, so the claim keys of the registrations in flight are looked up
    together: one `_id` `$in` per batch (an index lookup on MongoDB and on the dev store).
    """
    core = core_of(phone_masked)
    keys = rules.claim_keys(branch_id, phone_hash, core, name)
    found = await batching.find_by_ids(ctx.db[CLAIMS], keys)
    for key in keys:
        by_hash = key.startswith(f"{branch_id}:h:")
        for h in holders(found.get(key)):
            if not by_hash and not rules.same_customer(phone_hash, pattern or core, h.get("hash"), h.get("pattern")):
                continue
            report = await ctx.aggregate("channel_reports").find_one({"_id": h["report_id"]})
            if report is not None and rules.is_live(report, now) and not await overruled(ctx, report):
                return report
    return None


async def overruled(ctx: ServiceContext, report: dict) -> bool:
    """An accepted report for a customer the office knew before it: rejected now, claims freed."""
    phone = of_report(report)
    if report["status"] != "accepted" or not await known.known_before(
            ctx, report["branch_id"], phone.hash, phone.core, report["customer_name"], report["created_at"]):
        return False
    await reject(ctx, report, CUSTOMER_KNOWN)
    return True


async def reject(ctx: ServiceContext, report: dict, reason: str, **sets: object) -> dict | None:
    """An accepted report refused after the fact (`customer_known`, `confirmed_other`): claims freed."""
    env = event(ChannelReportRejected(report_id=report["_id"], partner_id=report["partner_id"], expires_at=report["expires_at"],
                                      reason=reason, agency_id=report.get("agency_id")), report["branch_id"], report["_id"])
    done = await ctx.aggregate("channel_reports").update({"_id": report["_id"], "status": "accepted"},
                                                          {"$set": {"status": "rejected", "reason": reason, **sets}}, env)
    if done is not None:
        await release_claims(ctx, report)
    return done


async def take(ctx: ServiceContext, branch_id: str, phone: Phone, name: str, report_id: str, now: datetime) -> dict | None:
    """Claim the customer for a new report; the live report already holding it wins (returned)."""
    hash_key = rules.hash_key(branch_id, phone.hash) if phone.hash else None
    if hash_key and (holder := await _take_alone(ctx, hash_key, report_id, now)):
        return holder
    holder = await _join(ctx, rules.mask_key(branch_id, phone.core, name), phone, report_id, now)
    if holder and hash_key:
        await ctx.db[CLAIMS].delete_many({"_id": hash_key, "report_id": report_id})
    return holder


async def _take_alone(ctx: ServiceContext, key: str, report_id: str, now: datetime) -> dict | None:
    while True:
        try:
            await ctx.db[CLAIMS].insert_one({"_id": key, "report_id": report_id, "at": now})
            return None
        except DuplicateKeyError:
            claim = await ctx.db[CLAIMS].find_one({"_id": key})
        if claim is None:
            continue
        holder = await ctx.aggregate("channel_reports").find_one({"_id": claim["report_id"]})
        if holder is not None and rules.is_live(holder, now):
            return holder
        if await ctx.db[CLAIMS].find_one_and_update({"_id": key, "report_id": claim["report_id"]},
                                                   {"$set": {"report_id": report_id, "at": now}}):
            return None


async def _join(ctx: ServiceContext, key: str, phone: Phone, report_id: str, now: datetime) -> dict | None:
    me = {"report_id": report_id, "hash": phone.hash, "pattern": phone.pattern}
    claims = ctx.db[CLAIMS]
    for _ in range(CAS_ATTEMPTS):
        claim = await claims.find_one({"_id": key})
        if claim is None:
            try:
                await claims.insert_one({"_id": key, "holders": [me], "v": 1, "at": now})
                return None
            except DuplicateKeyError:
                continue
        keep = []
        for h in holders(claim):
            report = await ctx.aggregate("channel_reports").find_one({"_id": h["report_id"]})
            if report is None or not rules.is_live(report, now):
                continue
            if rules.same_customer(phone.hash, phone.pattern, h.get("hash"), h.get("pattern")):
                return report
            keep.append(h)
        done = await claims.update_one({"_id": key, "v": claim.get("v")},
                                       {"$set": {"holders": keep + [me], "v": (claim.get("v") or 0) + 1, "at": now},
                                        "$unset": {"report_id": ""}})
        if done.matched_count:
            return None
    raise Busy("busy-customer", "the customer's claim kept changing; retry")


async def release_claims(ctx: ServiceContext, report: dict) -> None:
    """A report no longer live frees the keys it holds."""
    phone = of_report(report)
    claims = ctx.db[CLAIMS]
    if phone.hash:
        await claims.delete_many({"_id": rules.hash_key(report["branch_id"], phone.hash), "report_id": report["_id"]})
    key = rules.mask_key(report["branch_id"], phone.core, report["customer_name"])
    for _ in range(CAS_ATTEMPTS):
        claim = await claims.find_one({"_id": key})
        left = [h for h in holders(claim) if h["report_id"] != report["_id"]]
        if claim is None or len(left) == len(holders(claim)):
            return
        done = await claims.update_one({"_id": key, "v": claim.get("v")},
                                       {"$set": {"holders": left, "v": (claim.get("v") or 0) + 1}, "$unset": {"report_id": ""}})
        if done.matched_count:
            return


async def same_customer_reports(ctx: ServiceContext, report: dict, now: datetime) -> list[dict]:
    """Other live accepted reports naming the customer of `report` (by the digits both show)."""
    phone = of_report(report)
    claim = await ctx.db[CLAIMS].find_one({"_id": rules.mask_key(report["branch_id"], phone.core, report["customer_name"])})
    out = []
    for h in holders(claim):
        if h["report_id"] == report["_id"] or not rules.same_customer(phone.hash, phone.pattern, h.get("hash"), h.get("pattern")):
            continue
        other = await ctx.aggregate("channel_reports").find_one({"_id": h["report_id"]})
        if other is not None and other["status"] == "accepted" and rules.is_live(other, now):
            out.append(other)
    return out


async def link_lead(ctx: ServiceContext, report: dict, lead_id: str) -> None:
    await ctx.db.channel_reports.update_one({"_id": report["_id"], "lead_id": None}, {"$set": {"lead_id": lead_id}})
