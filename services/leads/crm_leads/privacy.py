"""What leads keeps about a customer, and what an erasure (`customer.erased`) does to it
(crm_shared.erasure; docs/architecture.md "Personal data and erasure").

- leads of the phone hash, with their follow-ups (kept inside the lead): deleted;
- the reveal audit of those leads: kept (who saw a number, when), the mask dropped;
- partners' channel reports of the number: the customer's name anonymised (the report, its partner and its
  dates stay: commissions were decided on them);
- a referrer with that number (全民营销): name anonymised, number dropped.
"""

from __future__ import annotations

from crm_shared import erasure
from crm_shared.erasure import Kind, Spec, Subject, anonymised
from crm_shared.plugins import ServiceContext


async def _leads_of(ctx: ServiceContext, who: Subject) -> None:
    own = await ctx.db.leads.find({"phone_hash": who.phone_hash}, projection={"_id": 1}).to_list(None)
    who.lead_ids = list(dict.fromkeys([*who.lead_ids, *(d["_id"] for d in own)]))


SPEC = erasure.register(Spec("leads", prepare=_leads_of, kinds=(
    Kind("leads", "线索及跟进记录", "leads", lambda w: {"phone_hash": w.phone_hash},
         shown=("branch_id", "status", "customer.name", "customer.phone_masked", "owner_id", "created_at")),
    Kind("audit", "号码查看记录", "audit", lambda w: {"lead_id": {"$in": w.lead_ids}} if w.lead_ids else None,
         anonymised(cleared=("phone_masked",)), shown=("branch_id", "actor_id", "lead_id", "at")),
    Kind("channel_reports", "渠道报备", "channel_reports", lambda w: {"phone_hash": w.phone_hash},
         anonymised("customer_name", cleared=("gender",), versioned=True),
         shown=("branch_id", "partner_id", "customer_name", "phone_masked", "status", "created_at")),
    Kind("referrers", "推荐人", "referrers", lambda w: {"phone_hash": w.phone_hash},
         anonymised("name", cleared=("phone",)), shown=("branch_id", "name", "kind", "phone_masked")),
)))

on_customer_erased = erasure.on_erased(SPEC)
