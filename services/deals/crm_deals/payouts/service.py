"""Payouts: commissions for the credited partner and rewards for the credited referrer of a deal.

Deals' events keep a copy of each deal (`payout_deals`: signed, paid, cancelled, price, unit,
credit; newer event wins for what can change), and after each one the deal's payouts are brought
to what `lifecycle` says it should have, one versioned write with its `payout.*` event each. A
manager approves what is due; finance (or a manager) records the payment with its reference.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.errors import Busy, Conflict, NotFound
from crm_shared.events.deals import (Beneficiary, PayoutApproved, PayoutDue, PayoutPaid, PayoutPending,
                                     PayoutVoided)
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

from crm_deals.payouts import lifecycle, rewards, rules
from crm_deals.payouts.lifecycle import Step, Want
from crm_deals.payouts.models import STATUS_NAMES

PAYOUTS = "payouts"
DEALS = "payout_deals"  # the payouts part's copy of each deal, from deals' events
NAMES = "payout_names"  # `partner:<id>` / `referrer:<id>` -> name, kind (from partner/referrer.registered)
PAID_DEALS = "referrer_paid_deals"  # `<branch>:<referrer>` -> the referrer's paid deals, in the order paid
EVENTS = {"pending": PayoutPending, "due": PayoutDue, "void": PayoutVoided, "clawback": PayoutVoided}
ATTEMPTS = 5


async def name_of(ctx: ServiceContext, beneficiary_type: str, beneficiary_id: str) -> dict:
    return await ctx.db[NAMES].find_one({"_id": f"{beneficiary_type}:{beneficiary_id}"}) or {}


def _payload(doc: dict, cls, name: str | None, **extra):
    return cls(payout_id=doc["_id"], kind=doc["kind"], deal_id=doc["deal_id"], amount=doc["amount"],
               status=doc["status"], reward_form=doc["reward_form"], product_type=doc.get("product_type"),
               customer_name=doc.get("customer_name"), unit_id=doc.get("unit_id"),
               beneficiary=Beneficiary(type=doc["beneficiary_type"], id=doc["beneficiary_id"], name=name), **extra)


async def _nth(ctx: ServiceContext, deal: dict, referrer_id: str | None, kind: str | None) -> int:
    """A public referrer's place for this deal among its paid deals; a paid deal is added once, in order."""
    if not referrer_id or kind != "public":
        return 1
    _id = f"{deal['branch_id']}:{referrer_id}"
    if deal.get("paid") and not deal.get("cancelled"):
        doc = await ctx.db[PAID_DEALS].find_one_and_update(
            {"_id": _id}, {"$addToSet": {"deals": deal["_id"]}}, upsert=True, return_document=ReturnDocument.AFTER)
    else:
        doc = await ctx.db[PAID_DEALS].find_one({"_id": _id}) or {}
    return rules.nth_paid(doc.get("deals") or [], deal["_id"])


async def settle(ctx: ServiceContext, deal_id: str) -> None:
    """Bring the deal's payouts to what the deal now calls for; a lost race with a manager or another
    event re-reads and tries again, so the result is the same whatever the order."""
    for _ in range(ATTEMPTS):
        if await _settle_once(ctx, deal_id):
            return
    raise Busy("payouts-contended", f"deal {deal_id}: payouts kept changing while being settled")


async def _settle_once(ctx: ServiceContext, deal_id: str) -> bool:
    deal = await ctx.db[DEALS].find_one({"_id": deal_id})
    if deal is None or "agreed_price" not in deal:
        return True
    credit = deal.get("attribution") or {}
    kind = credit.get("referrer_kind")
    if credit.get("referrer_id") and not kind:
        kind = (await name_of(ctx, "referrer", credit["referrer_id"])).get("kind")
    rule = await rewards.effective(ctx, deal["branch_id"])
    wants = lifecycle.wanted(deal, rule, kind, await _nth(ctx, deal, credit.get("referrer_id"), kind))
    existing = await ctx.aggregate(PAYOUTS).find({"deal_id": deal_id}).to_list()
    for doc in existing:
        want = wants.pop(doc["key"], None)
        move = lifecycle.step(doc, want, deal)
        if move is not None and not await _move(ctx, doc, move, deal, want):
            return False
    for want in wants.values():
        if not await _create(ctx, deal, want):
            return False
    return True


def _facts(deal: dict, want: Want) -> dict[str, Any]:
    return {"amount": want.amount, "reward_form": want.reward_form, "product_type": deal.get("product_type"),
            "agreed_price": deal["agreed_price"], "unit_id": deal.get("unit_id"), "customer_name": deal.get("customer_name"),
            "referrer_kind": want.referrer_kind, "nth": want.nth, "commission_percent": want.percent}


async def _create(ctx: ServiceContext, deal: dict, want: Want) -> bool:
    now, _id = utcnow(), uuid7()
    status = "due" if deal.get("paid") else "pending"
    doc = {"_id": _id, "key": want.key, "branch_id": deal["branch_id"], "deal_id": deal["_id"],
           "lead_id": deal.get("lead_id"), "kind": want.kind, "beneficiary_type": want.beneficiary_type,
           "beneficiary_id": want.beneficiary_id, "status": status, **_facts(deal, want), "created_at": now,
           "updated_at": now, "due_at": now if status == "due" else None}
    name = (await name_of(ctx, want.beneficiary_type, want.beneficiary_id)).get("name")
    try:
        await ctx.aggregate(PAYOUTS).insert(doc, event(_payload(doc, EVENTS[status], name), deal["branch_id"], _id))
    except DuplicateKeyError:
        return False  # made meanwhile by a redelivery: settle again
    return True


async def _move(ctx: ServiceContext, doc: dict, move: Step, deal: dict, want: Want | None) -> bool:
    now = utcnow()
    fields: dict[str, Any] = {"status": move.status, "updated_at": now}
    fields |= _facts(deal, want) if want is not None else {"amount": move.amount}
    if move.status in ("void", "clawback"):
        fields |= {"reason": move.reason, "voided_at": now}
    else:
        fields |= {"reason": None}
        if move.status == "due":
            fields |= {"due_at": doc.get("due_at") or now, "approved_by": None, "approved_at": None}
    after = doc | fields
    name = (await name_of(ctx, doc["beneficiary_type"], doc["beneficiary_id"])).get("name")
    extra = {"reason": move.reason} if move.status in ("void", "clawback") else {}
    env = event(_payload(after, EVENTS[move.status], name, **extra), doc["branch_id"], doc["_id"])
    done = await ctx.aggregate(PAYOUTS).update({"_id": doc["_id"], "version": doc["version"]}, {"$set": fields}, env)
    return done is not None


async def visible(ctx: ServiceContext, payout_id: str, who: Principal) -> dict:
    """The payout, or 404 outside the caller's branches or, for a partner, not its own commission."""
    doc = await ctx.aggregate(PAYOUTS).find_one({"_id": payout_id})
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("payout")
    if who.role == "partner" and not (doc["beneficiary_type"] == "partner" and doc["beneficiary_id"] == who.sub):
        raise NotFound("payout")
    return doc


def _wrong(doc: dict, wanted: str) -> Conflict:
    detail = {"pending": "房款未全部到帐，尚未到结算条件"}.get(doc["status"], f"该笔{STATUS_NAMES[doc['status']]}")
    return Conflict("wrong-status", f"{detail}，不能{wanted}", status_now=doc["status"])


async def approve(ctx: ServiceContext, doc: dict, expected: int | None, who: Principal, note: str | None) -> dict:
    """`due → approved` by a manager; 409 `wrong-status` otherwise (nothing is due before full payment)."""
    if doc["status"] != "due":
        raise _wrong(doc, "审批")
    now = utcnow()
    after = doc | {"status": "approved"}
    name = (await name_of(ctx, doc["beneficiary_type"], doc["beneficiary_id"])).get("name")
    env = event(_payload(after, PayoutApproved, name, approved_by=who.sub), doc["branch_id"], doc["_id"])
    return await ctx.aggregate(PAYOUTS).change(doc, expected, {"$set": {
        "status": "approved", "approved_by": who.sub, "approved_at": now, "approval_note": note, "updated_at": now}}, env)


async def pay(ctx: ServiceContext, doc: dict, expected: int | None, who: Principal, reference: str,
              paid_at, note: str | None) -> dict:
    """`approved → paid` with the payment's reference; 409 `wrong-status` otherwise."""
    if doc["status"] != "approved":
        raise _wrong(doc, "支付")
    now = utcnow()
    after = doc | {"status": "paid"}
    name = (await name_of(ctx, doc["beneficiary_type"], doc["beneficiary_id"])).get("name")
    env = event(_payload(after, PayoutPaid, name, reference=reference, paid_by=who.sub), doc["branch_id"], doc["_id"])
    return await ctx.aggregate(PAYOUTS).change(doc, expected, {"$set": {
        "status": "paid", "paid_by": who.sub, "paid_at": paid_at or now, "reference": reference,
        "payment_note": note, "updated_at": now}}, env)


async def ensure_indexes(ctx: ServiceContext) -> None:
    await ctx.db[PAYOUTS].create_index([("key", 1)], unique=True, name="one_payout_per_deal_kind_beneficiary")
    await ctx.db[PAYOUTS].create_index([("deal_id", 1)])
    await ctx.db[PAYOUTS].create_index([("branch_id", 1), ("status", 1)])
    await ctx.db[PAYOUTS].create_index([("beneficiary_id", 1)])
