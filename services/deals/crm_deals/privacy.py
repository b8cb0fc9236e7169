"""What deals keeps about a customer, and what an erasure (`customer.erased`) does to it
(crm_shared.erasure; docs/architecture.md "Personal data and erasure").

A deal is the company's record of a sale: it keeps its money, unit, stages and attribution; the buyer's name
becomes `已删除` and the mask goes, on the deal, on the payouts part's copies and payouts (which name the
buyer for finance), and on deals' copy of the customer's leads (whose sealed number is dropped too).
"""

from __future__ import annotations

from crm_shared import erasure
from crm_shared.erasure import Kind, Spec, Subject, anonymised
from crm_shared.plugins import ServiceContext

from crm_deals.deals.service import DEALS
from crm_deals.leads.service import LEADS
from crm_deals.payouts.service import DEALS as PAYOUT_DEALS, PAYOUTS


async def _prepare(ctx: ServiceContext, who: Subject) -> None:
    own = await ctx.db[LEADS].find({"phone_hash": who.phone_hash}, projection={"_id": 1}).to_list(None)
    who.lead_ids = list(dict.fromkeys([*who.lead_ids, *(d["_id"] for d in own)]))
    deals = await ctx.db[DEALS].find({"lead_id": {"$in": who.lead_ids}}, projection={"_id": 1}).to_list(None) \
        if who.lead_ids else []
    who.found["deals"] = [d["_id"] for d in deals]


def _of_leads(w: Subject) -> dict | None:
    return {"lead_id": {"$in": w.lead_ids}} if w.lead_ids else None


def _of_deals(w: Subject) -> dict | None:
    return {"deal_id": {"$in": w.ids("deals")}} if w.ids("deals") else None


SPEC = erasure.register(Spec("deals", prepare=_prepare, kinds=(
    Kind("deals", "成交（保留金额与房源，买受人匿名）", DEALS, _of_leads,
         anonymised("customer_name", cleared=("phone_masked",), versioned=True),
         shown=("branch_id", "status", "customer_name", "unit_label", "agreed_price", "created_at")),
    Kind("payout_deals", "结佣成交副本", PAYOUT_DEALS, lambda w: {"_id": {"$in": w.ids("deals")}} if w.ids("deals") else None,
         anonymised("customer_name"), shown=("branch_id", "customer_name")),
    Kind("payouts", "佣金及奖励", PAYOUTS, _of_deals, anonymised("customer_name", versioned=True),
         shown=("branch_id", "kind", "status", "customer_name", "amount")),
    Kind("lead_copies", "线索副本", LEADS, lambda w: {"phone_hash": w.phone_hash},
         anonymised("customer_name", cleared=("phone_masked", "phone_sealed", "phone_hash")),
         shown=("branch_id", "customer_name", "phone_masked")),
)))

on_customer_erased = erasure.on_erased(SPEC)
