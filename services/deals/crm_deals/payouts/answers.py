"""What a payout answer shows: money as decimal strings, the beneficiary by name, statuses and forms in
Chinese words next to their codes. Never a customer's number (payouts hold none)."""

from __future__ import annotations

from crm_shared.plugins import ServiceContext

from crm_deals.payouts import rules, service
from crm_deals.payouts.models import FORM_NAMES, KIND_NAMES, STATUS_NAMES, BeneficiaryOut, PayoutOut


def public(doc: dict, name: str | None) -> PayoutOut:
    price = doc.get("agreed_price")
    return PayoutOut(
        id=doc["_id"], branch_id=doc["branch_id"], kind=doc["kind"], kind_name=KIND_NAMES[doc["kind"]],
        beneficiary=BeneficiaryOut(type=doc["beneficiary_type"], id=doc["beneficiary_id"], name=name,
                                   referrer_kind=doc.get("referrer_kind")),
        deal_id=doc["deal_id"], unit_id=doc.get("unit_id"), customer_name=doc.get("customer_name"),
        amount=rules.from_fen(doc["amount"]), status=doc["status"], status_name=STATUS_NAMES[doc["status"]],
        reward_form=doc["reward_form"], reward_form_name=FORM_NAMES[doc["reward_form"]],
        product_type=doc.get("product_type"), agreed_price=None if price is None else rules.from_fen(price),
        commission_percent=doc.get("commission_percent"), nth_paid_deal=doc.get("nth"), reason=doc.get("reason"),
        reference=doc.get("reference"), approved_by=doc.get("approved_by"), approved_at=doc.get("approved_at"),
        paid_by=doc.get("paid_by"), paid_at=doc.get("paid_at"), due_at=doc.get("due_at"),
        created_at=doc["created_at"], updated_at=doc.get("updated_at"), version=doc["version"])


async def public_many(ctx: ServiceContext, docs: list[dict]) -> list[PayoutOut]:
    keys = list({f"{d['beneficiary_type']}:{d['beneficiary_id']}" for d in docs})
    names = {n["_id"]: n.get("name") for n in await ctx.db[service.NAMES].find({"_id": {"$in": keys}}).to_list()} if keys else {}
    return [public(d, names.get(f"{d['beneficiary_type']}:{d['beneficiary_id']}")) for d in docs]


async def public_one(ctx: ServiceContext, doc: dict) -> PayoutOut:
    return (await public_many(ctx, [doc]))[0]
