"""Deals (成交): 认购 (subscribed, the unit reserved) → 签约 (signed, the unit sold) → 回款 until the agreed price is
paid (paid); 退房 (cancelled, the unit available again) and 换房 (the deal moves to another unit, keeping its
history and attribution).

One live deal per unit under any concurrency: the unit is reserved by one conditional update before the
deal is stored (`units.service.reserve`); a lost race writes nothing. One live deal per lead: a lock on
deals' copy of the lead. If a later write of a subscription fails, the earlier ones are undone at once;
if the process dies between them, the reconcile timer frees what no stored deal holds.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.errors import Conflict, Invalid, NotFound, Stale
from crm_shared.events import Envelope
from crm_shared.events.deals import (Attribution, DealAttributionChanged, DealCancelled, DealPaid, DealPaymentReceived,
                                     DealPriceApproved, DealPriceRejected, DealSigned, DealSubscribed, DealUnitChanged)
from crm_shared.events.reception import SealedVisitor
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext
from crm_shared.timers import AGAIN

from crm_deals.deals import contracts, rules
from crm_deals.deals.models import (APPROVAL_NAMES, METHOD_NAMES, STAGE_NAMES, STATUS_NAMES, ApprovalIn, AttributionOut,
                                    CancellationOut, CancelIn, ChangeUnitIn, DealIn, DealOut, DealSettingsIn,
                                    DealSettingsOut, PaymentIn, PaymentOut, SignIn, StageOut)
from crm_deals.leads import service as leads
from crm_deals.settings import CancelReason
from crm_deals.units import service as units
from crm_deals.units.rules import from_fen, label, to_fen

log = logging.getLogger(__name__)
DEALS, SETTINGS = "deals", "deal_settings"
MAX_PAYMENTS = 500
RETRIES = 4
RECONCILE_BATCH = 200


# -- branch settings ------------------------------------------------------------------------------------------

async def branch_settings(ctx: ServiceContext, branch_id: str) -> dict:
    """The branch's deal settings, the service defaults (`DealsSettings`) where it set none."""
    doc = await ctx.db[SETTINGS].find_one({"_id": branch_id})
    if doc:
        return doc
    return {"_id": branch_id, "max_discount": str(ctx.config.max_discount),
            "cancel_reasons": [r.model_dump() for r in ctx.config.cancel_reasons], "version": 0}


def settings_out(doc: dict) -> DealSettingsOut:
    return DealSettingsOut(branch_id=doc["_id"], max_discount=str(Decimal(doc["max_discount"]).normalize()
                                                                  if Decimal(doc["max_discount"]) else "0"),
                           cancel_reasons=[CancelReason(**r) for r in doc["cancel_reasons"]], version=doc["version"],
                           updated_by=doc.get("updated_by"), updated_at=doc.get("updated_at"))


async def put_settings(ctx: ServiceContext, branch_id: str, body: DealSettingsIn, expected: int | None,
                       who: Principal) -> dict:
    """Replace the branch's settings; `If-Match` guards against a concurrent change (412)."""
    current = await branch_settings(ctx, branch_id)
    if expected is not None and expected != current["version"]:
        raise Stale(current["version"], expected)
    fields = {"max_discount": str(body.max_discount), "cancel_reasons": [r.model_dump() for r in body.cancel_reasons],
              "updated_by": who.sub, "updated_at": utcnow()}
    if current["version"] == 0:
        try:
            await ctx.db[SETTINGS].insert_one({"_id": branch_id, **fields, "version": 1})
        except DuplicateKeyError:
            raise Stale(1, 0) from None
    else:
        res = await ctx.db[SETTINGS].update_one({"_id": branch_id, "version": current["version"]},
                                                {"$set": fields, "$inc": {"version": 1}})
        if not res.matched_count:
            raise Stale(current["version"] + 1, current["version"])
    return await branch_settings(ctx, branch_id)


# -- answers ----------------------------------------------------------------------------------------------------

def _attribution(doc: dict) -> Attribution:
    return Attribution(**(doc.get("attribution") or {}))


def _change(doc: dict, **over: Any) -> dict[str, Any]:
    """The fields every deal.* event carries, from the deal as it is after the change."""
    d = doc | over
    return {"deal_id": d["_id"], "lead_id": d["lead_id"], "unit_id": d["unit_id"], "owner_id": d.get("owner_id"),
            "agreed_price": d["agreed_price"], "list_price": d.get("list_price"), "product_type": d.get("product_type"),
            "attribution": Attribution(**(d.get("attribution") or {})), "status": d["status"],
            "customer_name": d.get("customer_name"), "unit_label": d.get("unit_label")}


def _stage(stage: str, who: str | None, at: datetime, **detail: Any) -> dict:
    return {"stage": stage, "at": at, "by": who, "detail": {k: v for k, v in detail.items() if v is not None}}


async def public(ctx: ServiceContext, doc: dict, full: bool = True, names: dict[str, str] | None = None,
                 lead: dict | None = None) -> DealOut:
    """The deal as answers show it: amounts as decimal strings, names for ids; `full` adds payments and history."""
    attr = doc.get("attribution") or {}
    if names is None:
        names = await _names(ctx, [doc], full)
    cancel = doc.get("cancellation")
    reasons = {r["code"]: r["name"] for r in (await branch_settings(ctx, doc["branch_id"]))["cancel_reasons"]} \
        if cancel else {}
    return DealOut(
        id=doc["_id"], branch_id=doc["branch_id"], lead_id=doc["lead_id"], unit_id=doc["unit_id"],
        unit_label=doc.get("unit_label"), product_type=doc.get("product_type"), status=doc["status"],
        status_name=STATUS_NAMES[doc["status"]], price_approval=doc["price_approval"],
        price_approval_name=APPROVAL_NAMES[doc["price_approval"]], list_price=from_fen(doc["list_price"]),
        agreed_price=from_fen(doc["agreed_price"]), discount=from_fen(doc["list_price"] - doc["agreed_price"]),
        deposit=from_fen(doc.get("deposit", 0)), paid_total=from_fen(doc["paid_total"]),
        remaining=from_fen(max(doc["agreed_price"] - doc["paid_total"], 0)) if doc["status"] != "cancelled" else "0.00",
        owner_id=doc.get("owner_id"), owner_name=names.get(doc.get("owner_id") or ""),
        customer_name=(lead or {}).get("customer_name") or doc.get("customer_name"), phone_masked=doc.get("phone_masked"),
        attribution=AttributionOut(**{k: attr.get(k) for k in ("partner_id", "report_id", "referrer_id", "referrer_kind")},
                                   partner_name=names.get(attr.get("partner_id") or ""),
                                   referrer_name=names.get(attr.get("referrer_id") or "")),
        contract_no=doc.get("contract_no"), signed_at=doc.get("signed_at"), paid_at=doc.get("paid_at"),
        cancellation=CancellationOut(reason=cancel["reason"], reason_name=reasons.get(cancel["reason"], cancel["reason"]),
                                     refund=from_fen(cancel["refund"]), note=cancel.get("note")) if cancel else None,
        payments=[PaymentOut(id=p["id"], amount=from_fen(p["amount"]), paid_at=p["paid_at"], method=p["method"],
                             method_name=METHOD_NAMES.get(p["method"], p["method"]), reference=p.get("reference"),
                             recorded_by=p.get("by"), recorded_by_name=names.get(p.get("by") or ""),
                             recorded_at=p["at"]) for p in doc.get("payments", [])] if full else [],
        history=[StageOut(stage=h["stage"], stage_name=STAGE_NAMES.get(h["stage"], h["stage"]), at=h["at"], by=h.get("by"),
                          by_name=names.get(h.get("by") or ""), detail=h.get("detail") or {})
                 for h in doc.get("history", [])] if full else [],
        created_at=doc["created_at"], updated_at=doc.get("updated_at"), version=doc["version"])


async def _names(ctx: ServiceContext, docs: list[dict], full: bool) -> dict[str, str]:
    staff = {d.get("owner_id") for d in docs}
    if full:
        staff |= {h.get("by") for d in docs for h in d.get("history", [])} | {p.get("by") for d in docs
                                                                              for p in d.get("payments", [])}
    attrs = [d.get("attribution") or {} for d in docs]
    return (await leads.names(ctx, "staff", staff)
            | await leads.names(ctx, leads.PARTNERS, {a.get("partner_id") for a in attrs})
            | await leads.names(ctx, leads.REFERRERS, {a.get("referrer_id") for a in attrs}))


async def public_many(ctx: ServiceContext, docs: list[dict]) -> list[DealOut]:
    names = await _names(ctx, docs, False)
    copies = await leads.leads_by_id(ctx, {d["lead_id"] for d in docs})
    return [await public(ctx, d, False, names, copies.get(d["lead_id"])) for d in docs]


async def visible(ctx: ServiceContext, deal_id: str, who: Principal) -> dict:
    """The deal, or 404 when missing, in another branch, or (for a consultant) another consultant's."""
    doc = await ctx.aggregate(DEALS).find_one({"_id": deal_id})
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("deal")
    if who.role == "consultant" and doc.get("owner_id") != who.sub:
        raise NotFound("deal")
    return doc


def list_query(who: Principal, branch_id: str | None, status: str | None, unit_id: str | None, lead_id: str | None,
               owner_id: str | None) -> dict:
    query = who.branch_filter(branch_id)
    if who.role == "consultant":
        if owner_id not in (None, who.sub):
            return {"_id": None}  # another consultant's deals: none of them are visible
        owner_id = who.sub
    for key, value in (("status", status), ("unit_id", unit_id), ("lead_id", lead_id), ("owner_id", owner_id)):
        if value:
            query[key] = value
    return query


# -- subscription ------------------------------------------------------------------------------------------------

async def subscribe(ctx: ServiceContext, body: DealIn, who: Principal) -> dict:
    """认购. 404 lead/unit (missing, another branch's, another consultant's lead); 409 `lead-lost`, `lead-has-deal`
    (with `holder_deal_id`), `unit-taken` (with `holder_deal_id`), `unit-unavailable` (held); 422 deposit."""
    lead = await leads.visible(ctx, body.lead_id, who)
    branch_id = lead["branch_id"]
    if lead.get("status") == "lost":
        raise Conflict("lead-lost", "该客户已标记流失，不能认购", lead_status="lost")
    if lead.get(leads.LIVE):
        raise Conflict("lead-has-deal", "该客户已有进行中的成交", holder_deal_id=lead[leads.LIVE])
    unit = await ctx.aggregate(units.UNITS).find_one({"_id": body.unit_id})
    if unit is None or unit["branch_id"] != branch_id:
        raise NotFound("unit")
    agreed, deposit = to_fen(body.agreed_price), to_fen(body.deposit)
    rules.check_deposit(agreed, deposit)
    settings = await branch_settings(ctx, branch_id)
    approval = "pending" if rules.needs_approval(unit["list_price"], agreed, Decimal(settings["max_discount"])) \
        else "not_needed"
    now = utcnow()
    facts = await ctx.state.branch(branch_id)  # the service's directory (PartedService)
    referrer = await leads.referrer(ctx, lead.get("referrer_id"))
    attribution = rules.attribution_at(lead, await leads.reports_of(ctx, lead["_id"]), (referrer or {}).get("kind"),
                                       facts.settings.protection_days, now)
    deal_id = uuid7()
    unit = await units.reserve(ctx, branch_id, unit["_id"], deal_id)  # the race is decided here
    if await leads.lock(ctx, lead["_id"], deal_id, now) is None:
        await units.free(ctx, branch_id, unit["_id"], deal_id)
        holder = (await leads.lead(ctx, lead["_id"]) or {}).get(leads.LIVE)
        raise Conflict("lead-has-deal", "该客户已有进行中的成交", holder_deal_id=holder)
    doc = {"_id": deal_id, "branch_id": branch_id, "lead_id": lead["_id"], "unit_id": unit["_id"],
           "unit_label": label(unit["project"], unit.get("building"), unit["unit_no"]),
           "product_type": unit["product_type"], "list_price": unit["list_price"], "agreed_price": agreed,
           "deposit": deposit, "paid_total": deposit, "payments": [], "status": "subscribed", "price_approval": approval,
           "owner_id": lead.get("owner_id"), "customer_name": lead.get("customer_name"),
           "phone_masked": lead.get("phone_masked"), "attribution": attribution,
           "decision_id": (lead.get("decision") or {}).get("dispute_id"), "decision_at": (lead.get("decision") or {}).get("at"),
           "note": body.note, "created_by": who.sub, "created_at": now,
           "updated_at": now,
           "history": [_stage("subscribed", who.sub, now, unit_id=unit["_id"], unit_label=label(
               unit["project"], unit.get("building"), unit["unit_no"]), agreed_price=from_fen(agreed),
               deposit=from_fen(deposit), price_approval=approval)]}
    env = event(DealSubscribed(**_change(doc), deposit=deposit, price_approval=approval), branch_id, deal_id)
    try:
        return await ctx.aggregate(DEALS).insert(doc, env)
    except BaseException:
        await units.free(ctx, branch_id, unit["_id"], deal_id)
        await leads.unlock(ctx, lead["_id"], deal_id)
        raise


# -- changes -------------------------------------------------------------------------------------------------------

async def decide_price(ctx: ServiceContext, doc: dict, body: ApprovalIn, expected: int | None, who: Principal) -> dict:
    """价格核定: a manager approves or rejects a price below the branch's discount limit (a rejection may be
    reconsidered while the deal is not signed)."""
    if doc["status"] != "subscribed" or doc["price_approval"] not in ("pending", "rejected"):
        raise Conflict("no-approval-pending", "该成交没有待核定的价格", price_approval=doc["price_approval"],
                       status_now=doc["status"])
    if body.decision == "rejected" and not body.reason:
        raise Invalid("驳回价格须说明原因", loc=["body", "reason"])
    now = utcnow()
    after = doc | {"price_approval": body.decision}
    if body.decision == "approved":
        data = DealPriceApproved(**_change(after), decided_by=who.sub, reason=body.reason,
                                 discount=doc["list_price"] - doc["agreed_price"])
    else:
        data = DealPriceRejected(**_change(after), decided_by=who.sub, reason=body.reason)
    stage = _stage("price_approved" if body.decision == "approved" else "price_rejected", who.sub, now,
                   reason=body.reason, agreed_price=from_fen(doc["agreed_price"]))
    return await ctx.aggregate(DEALS).change(
        doc, expected, {"$set": {"price_approval": body.decision, "approval": {"by": who.sub, "at": now,
                                                                               "reason": body.reason},
                                 "updated_at": now}, "$push": {"history": stage}},
        event(data, doc["branch_id"], doc["_id"]))


async def sign(ctx: ServiceContext, doc: dict, body: SignIn, expected: int | None, who: Principal) -> dict:
    """签约: the unit is sold. 409 `approval-required` while the price waits for (or was refused) approval."""
    if doc["status"] != "subscribed":
        raise Conflict("wrong-status", f"成交{STATUS_NAMES[doc['status']]}，不能签约", status_now=doc["status"])
    if doc["price_approval"] in ("pending", "rejected"):
        raise Conflict("approval-required", "成交价低于折扣权限，须经理核定后才能签约"
                       if doc["price_approval"] == "pending" else "成交价已被驳回，不能签约",
                       price_approval=doc["price_approval"])
    now = utcnow()
    lead = await leads.lead(ctx, doc["lead_id"]) or {}
    customer = SealedVisitor(name=lead.get("customer_name") or doc.get("customer_name") or "",
                             phone_masked=lead["phone_masked"], phone_hash=lead["phone_hash"],
                             phone_sealed=lead.get("phone_sealed")) if lead.get("phone_hash") else None
    signed_at = body.signed_at or now
    after = doc | {"status": "signed"}
    env = event(DealSigned(**_change(after), contract_no=body.contract_no, signed_at=signed_at, customer=customer),
                doc["branch_id"], doc["_id"])
    if expected is not None and expected != doc["version"]:
        raise Stale(doc["version"], expected)
    update = {"$set": {"status": "signed", "contract_no": body.contract_no, "signed_at": signed_at, "updated_at": now},
              "$push": {"history": _stage("signed", who.sub, now, contract_no=body.contract_no)}}
    done = await contracts.sign_under(
        ctx, DEALS, doc, body.contract_no, now,
        lambda key: ctx.aggregate(DEALS).change(doc, expected, update | {"$set": update["$set"] | key}, env))
    await units.sell(ctx, doc["branch_id"], doc["unit_id"], doc["_id"])
    return done


async def pay(ctx: ServiceContext, doc: dict, body: PaymentIn, expected: int | None, who: Principal) -> tuple[dict, dict]:
    """回款: one payment; the deal is `paid` when payments (with the deposit) reach the agreed price. A payment
    beyond what remains is refused (409 `overpayment` naming the remaining amount). Returns (deal, payment)."""
    amount = to_fen(body.amount)
    for attempt in range(RETRIES):
        rules.check_payment(doc["status"], doc["agreed_price"], doc["paid_total"], amount)
        if len(doc.get("payments", [])) >= MAX_PAYMENTS:
            raise Conflict("too-many-payments", f"一笔成交最多登记 {MAX_PAYMENTS} 笔回款")
        now, total = utcnow(), doc["paid_total"] + amount
        payment = {"id": uuid7(), "amount": amount, "paid_at": body.paid_at, "method": body.method,
                   "reference": body.reference, "by": who.sub, "at": now}
        paid = rules.reached(doc["agreed_price"], total)
        after = doc | {"status": "paid" if paid else doc["status"], "paid_total": total}
        envs = [event(DealPaymentReceived(**_change(after), payment_id=payment["id"], amount=amount, paid_total=total,
                                          paid_at=body.paid_at, method=body.method), doc["branch_id"], doc["_id"])]
        history = [_stage("payment", who.sub, now, amount=from_fen(amount), paid_total=from_fen(total),
                          method=body.method)]
        sets: dict[str, Any] = {"paid_total": total, "updated_at": now}
        if paid:
            sets |= {"status": "paid", "paid_at": body.paid_at}
            envs.append(event(DealPaid(**_change(after), paid_total=total, paid_at=body.paid_at), doc["branch_id"],
                              doc["_id"]))
            history.append(_stage("paid", who.sub, now, paid_total=from_fen(total)))
        try:
            done = await ctx.aggregate(DEALS).change(
                doc, expected, {"$set": sets, "$push": {"payments": payment, "history": {"$each": history}}}, *envs)
            return done, payment
        except Stale:
            if expected is not None or attempt == RETRIES - 1:
                raise
            doc = await ctx.aggregate(DEALS).find_one({"_id": doc["_id"]}) or doc  # another payment first: re-check
    raise AssertionError("unreachable")


async def cancel(ctx: ServiceContext, doc: dict, body: CancelIn, expected: int | None, who: Principal) -> dict:
    """退房: the deal is cancelled with a reason of the branch's list and a refund of at most what was paid; the
    unit is available again and the lead may buy again."""
    if doc["status"] not in rules.CANCELLABLE:
        raise Conflict("wrong-status", "该成交已退房", status_now=doc["status"])
    settings = await branch_settings(ctx, doc["branch_id"])
    reasons = {r["code"]: r["name"] for r in settings["cancel_reasons"]}
    if body.reason not in reasons:
        raise Invalid("退房原因不在本项目的原因列表中", kind="unknown-reason", loc=["body", "reason"],
                      allowed=[{"code": c, "name": n} for c, n in reasons.items()])
    refund = to_fen(body.refund)
    rules.check_refund(doc["paid_total"], refund)
    now = utcnow()
    after = doc | {"status": "cancelled"}
    env = event(DealCancelled(**_change(after), reason=body.reason, reason_name=reasons[body.reason], refund=refund,
                              paid_total=doc["paid_total"], previous_status=doc["status"]), doc["branch_id"], doc["_id"])
    done = await ctx.aggregate(DEALS).change(
        doc, expected, {"$set": {"status": "cancelled", "cancellation": {"reason": body.reason, "refund": refund,
                                                                         "note": body.note},
                                 "cancelled_at": now, "updated_at": now},
                        "$push": {"history": _stage("cancelled", who.sub, now, reason=body.reason,
                                                    reason_name=reasons[body.reason], refund=from_fen(refund),
                                                    previous_status=doc["status"])}}, env)
    await units.free(ctx, doc["branch_id"], doc["unit_id"], doc["_id"])
    await leads.unlock(ctx, doc["lead_id"], doc["_id"])
    return done


async def change_unit(ctx: ServiceContext, doc: dict, body: ChangeUnitIn, expected: int | None, who: Principal) -> dict:
    """换房: reserve (or, on a signed deal, sell) the new unit first, move the deal, then free the old unit. The
    deal keeps its history and attribution; the price is approved again against the new unit's list price."""
    if doc["status"] not in rules.CHANGEABLE:
        raise Conflict("wrong-status", f"成交{STATUS_NAMES[doc['status']]}，不能换房", status_now=doc["status"])
    if expected is not None and expected != doc["version"]:
        raise Stale(doc["version"], expected)
    if body.unit_id == doc["unit_id"]:
        raise Invalid("新房源与原房源相同", kind="same-unit", loc=["body", "unit_id"])
    unit = await ctx.aggregate(units.UNITS).find_one({"_id": body.unit_id})
    if unit is None or unit["branch_id"] != doc["branch_id"]:
        raise NotFound("unit")
    agreed = to_fen(body.agreed_price) if body.agreed_price is not None else doc["agreed_price"]
    if doc["paid_total"] > agreed:
        raise Conflict("paid-exceeds-price", f"已收房款 {from_fen(doc['paid_total'])} 元超过新成交价",
                       paid_total=from_fen(doc["paid_total"]))
    settings = await branch_settings(ctx, doc["branch_id"])
    low = rules.needs_approval(unit["list_price"], agreed, Decimal(settings["max_discount"]))
    if low and doc["status"] == "signed":
        raise Conflict("approval-required", "已签约的成交换房，成交价须在折扣权限内（最低 "
                       f"{rules.lowest_without_approval(unit['list_price'], Decimal(settings['max_discount']))} 元）",
                       price_approval="pending")
    approval = "pending" if low else "not_needed"
    unit = await units.reserve(ctx, doc["branch_id"], unit["_id"], doc["_id"])
    now = utcnow()
    new_label = label(unit["project"], unit.get("building"), unit["unit_no"])
    sets: dict[str, Any] = {"unit_id": unit["_id"], "unit_label": new_label, "product_type": unit["product_type"],
                            "list_price": unit["list_price"], "agreed_price": agreed, "price_approval": approval,
                            "updated_at": now}
    after = doc | sets
    envs: list[Envelope] = []
    history = [_stage("unit_changed", who.sub, now, from_unit_id=doc["unit_id"], from_unit_label=doc.get("unit_label"),
                      to_unit_id=unit["_id"], to_unit_label=new_label, agreed_price=from_fen(agreed),
                      previous_agreed_price=from_fen(doc["agreed_price"]), reason=body.reason,
                      price_approval=approval)]
    if doc["status"] == "signed" and rules.reached(agreed, doc["paid_total"]):
        sets |= {"status": "paid", "paid_at": now}
        after = doc | sets
        history.append(_stage("paid", who.sub, now, paid_total=from_fen(doc["paid_total"])))
    envs.append(event(DealUnitChanged(**_change(after), previous_unit_id=doc["unit_id"],
                                      previous_agreed_price=doc["agreed_price"],
                                      previous_product_type=doc.get("product_type"),
                                      previous_unit_label=doc.get("unit_label"), reason=body.reason),
                      doc["branch_id"], doc["_id"]))
    if after["status"] == "paid":
        envs.append(event(DealPaid(**_change(after), paid_total=doc["paid_total"], paid_at=now), doc["branch_id"],
                          doc["_id"]))
    try:
        if doc["status"] == "signed":
            await units.sell(ctx, doc["branch_id"], unit["_id"], doc["_id"])
        done = await ctx.aggregate(DEALS).change(doc, doc["version"], {"$set": sets,
                                                                       "$push": {"history": {"$each": history}}}, *envs)
    except BaseException:
        await units.free(ctx, doc["branch_id"], unit["_id"], doc["_id"])
        raise
    await units.free(ctx, doc["branch_id"], doc["unit_id"], doc["_id"])
    return done


async def apply_decision(ctx: ServiceContext, branch_id: str, lead_id: str, decision: dict) -> int:
    """A dispute decided after subscription moves the credit of the lead's live deals (`deal.attribution_changed`);
    a repeat or an older decision changes nothing. Returns how many deals changed."""
    changed = 0
    for doc in await ctx.aggregate(DEALS).find({"lead_id": lead_id, "branch_id": branch_id}).to_list():
        for _ in range(RETRIES):
            if doc["status"] not in rules.LIVE or doc.get("decision_id") == decision["dispute_id"] \
                    or doc.get("decision_at") and doc["decision_at"] >= decision["at"]:
                break
            previous = doc.get("attribution") or dict(rules.EMPTY)
            moved = rules.decided_attribution(previous, decision)
            sets = {"attribution": moved, "decision_at": decision["at"], "decision_id": decision["dispute_id"]}
            if moved == {**rules.EMPTY, **previous}:
                await ctx.aggregate(DEALS).update({"_id": doc["_id"], "version": doc["version"]}, {"$set": sets})
                break
            now = utcnow()
            env = event(DealAttributionChanged(**_change(doc | {"attribution": moved}),
                                               previous_attribution=Attribution(**previous),
                                               dispute_id=decision["dispute_id"]), branch_id, doc["_id"])
            stage = _stage("attribution_changed", None, now, dispute_id=decision["dispute_id"],
                           partner_id=moved.get("partner_id"), previous_partner_id=previous.get("partner_id"))
            done = await ctx.aggregate(DEALS).update({"_id": doc["_id"], "version": doc["version"]},
                                                     {"$set": sets | {"updated_at": now}, "$push": {"history": stage}},
                                                     env)
            if done is not None:
                changed += 1
                break
            doc = await ctx.aggregate(DEALS).find_one({"_id": doc["_id"]}) or doc
    return changed



async def apply_late_report(ctx: ServiceContext, branch_id: str, lead_id: str) -> int:
    """A partner's confirmation that happened before a subscription but reached this service after it (events of
    two services race): the deal is credited as it would have been at subscription (`deal.attribution_changed`).
    Only reports confirmed at or before the subscription count, so a confirmation made after it never takes a
    deal; a deal already credited to a partner or decided by a dispute is left alone. Returns how many changed."""
    changed = 0
    lead = await leads.lead(ctx, lead_id) or {}
    if lead.get("decision"):
        return 0
    deals = await ctx.aggregate(DEALS).find({"lead_id": lead_id, "branch_id": branch_id}).to_list()
    if not deals:
        return 0
    reports = await leads.reports_of(ctx, lead_id)
    facts = await ctx.state.branch(branch_id)
    referrer = await leads.referrer(ctx, lead.get("referrer_id"))
    for doc in deals:
        previous = doc.get("attribution") or dict(rules.EMPTY)
        if doc["status"] not in rules.LIVE or previous.get("partner_id") or doc.get("decision_id"):
            continue
        subscribed = doc["created_at"]
        known = [r for r in reports if r.get("as_of") and r["as_of"] <= subscribed]
        moved = rules.attribution_at(lead, known, (referrer or {}).get("kind"), facts.settings.protection_days,
                                     subscribed)
        if not moved.get("partner_id"):
            continue
        now = utcnow()
        env = event(DealAttributionChanged(**_change(doc | {"attribution": moved}),
                                           previous_attribution=Attribution(**previous)), branch_id, doc["_id"])
        stage = _stage("attribution_changed", None, now, partner_id=moved["partner_id"], previous_partner_id=None)
        done = await ctx.aggregate(DEALS).update({"_id": doc["_id"], "version": doc["version"]},
                                                 {"$set": {"attribution": moved, "updated_at": now},
                                                  "$push": {"history": stage}}, env)
        changed += done is not None  # a concurrent change: the next confirmation event or redelivery looks again
    return changed

# -- repair ----------------------------------------------------------------------------------------------------------

async def _scan(ctx: ServiceContext, name: str, col: Any, stamp: str, query: dict, grace: datetime) -> list[dict]:
    """The next batch of `col` written (by `stamp`) after the pass's mark and before `grace`; advances the mark.
    A pass looks only at what changed since the last one, not at every unit sold since the start."""
    state = await ctx.db.reconcile_marks.find_one({"_id": name}) or {}
    mark, mark_id = state.get("at"), state.get("last_id")
    since: dict = {}
    if mark is not None:
        since = {"$or": [{stamp: {"$gt": mark}}, {stamp: mark, "_id": {"$gt": mark_id}}]}
    docs = await col.find({**query, **since, stamp: {"$lte": grace}}).sort([(stamp, 1), ("_id", 1)]) \
        .limit(RECONCILE_BATCH).to_list()
    if docs:
        await ctx.db.reconcile_marks.update_one({"_id": name}, {"$set": {"at": docs[-1][stamp], "last_id": docs[-1]["_id"]}},
                                                upsert=True)
    return docs


async def reconcile(ctx: ServiceContext, now: datetime) -> object:
    """Timer pass: what a crash between two writes left behind is put right.

    - a unit reserved or sold for a deal that does not hold it (never stored, cancelled, moved away) is freed;
    - a unit reserved for a signed or paid deal is sold;
    - a lead locked by a deal that is not live is unlocked.
    Only records last written more than `reconcile_grace_seconds` ago are looked at, so a request in flight is
    never undone; each pass starts where the last one stopped.
    """
    grace = now - timedelta(seconds=ctx.config.reconcile_grace_seconds)
    fixed = 0
    taken = await _scan(ctx, "units", ctx.db[units.UNITS], "updated_at", {}, grace)
    holders = {d["_id"]: d for d in await ctx.aggregate(DEALS).find(
        {"_id": {"$in": [u["deal_id"] for u in taken if u.get("deal_id")]}}, {"status": 1, "unit_id": 1}).to_list()}
    for unit in taken:
        if unit["status"] not in ("reserved", "sold"):
            continue
        deal = holders.get(unit.get("deal_id"))
        if deal is None or deal["status"] == "cancelled" or deal["unit_id"] != unit["_id"]:
            fixed += await units.free(ctx, unit["branch_id"], unit["_id"], unit.get("deal_id")) is not None
        elif unit["status"] == "reserved" and deal["status"] in ("signed", "paid"):
            fixed += await units.sell(ctx, unit["branch_id"], unit["_id"], deal["_id"]) is not None
    locked = await _scan(ctx, "leads", ctx.db[leads.LEADS], "live_deal_at", {leads.LIVE: {"$ne": None}}, grace)
    live = {d["_id"]: d for d in await ctx.aggregate(DEALS).find(
        {"_id": {"$in": [lead[leads.LIVE] for lead in locked]}}, {"status": 1}).to_list()}
    for lead in locked:
        deal = live.get(lead[leads.LIVE])
        if deal is None or deal["status"] not in rules.LIVE:
            await leads.unlock(ctx, lead["_id"], lead[leads.LIVE])
            fixed += 1
    if fixed:
        log.info("deals reconciled", extra={"fixed": fixed})
    return AGAIN if RECONCILE_BATCH in (len(taken), len(locked)) else fixed


async def ensure_indexes(ctx: ServiceContext) -> None:
    await ctx.db[DEALS].create_index([("branch_id", 1), ("status", 1)])
    await ctx.db[DEALS].create_index([("lead_id", 1)])
    await ctx.db[DEALS].create_index([("unit_id", 1)])
    await ctx.db[DEALS].create_index([("owner_id", 1)])
    await contracts.ensure_index(ctx, DEALS)
    await leads.ensure_indexes(ctx)
