"""What the customers service keeps about a customer, and what an erasure (`customer.erased`) does to it
(crm_shared.erasure).

- archives (顾客档案) of the phone hash, with their revisit tasks, greetings, tier requests and evaluations:
  deleted; the reveal audit of those archives kept without the mask;
- complaints: kept (numbered `YYMM-NNN` without gaps, counted in reports), the complainant anonymised;
- the copies of the customer's leads and deals: deleted.
Erasure requests themselves keep only the phone hash.
"""

from __future__ import annotations

from crm_shared import erasure
from crm_shared.erasure import Kind, Spec, Subject, anonymised
from crm_shared.plugins import ServiceContext

from crm_customers.archives.privacy import AUDIT
from crm_customers.complaints.service import COMPLAINTS
from crm_customers.greetings.service import GREETINGS
from crm_customers.leads import LEAD_COPIES
from crm_customers.revisits.service import DEAL_COPIES, TASKS

ARCHIVES, TIER_REQUESTS, EVALUATIONS = "archives", "tier_requests", "evaluations"


async def _prepare(ctx: ServiceContext, who: Subject) -> None:
    copies = await ctx.db[LEAD_COPIES].find({"customer.phone_hash": who.phone_hash}, projection={"_id": 1}).to_list(None)
    who.lead_ids = list(dict.fromkeys([*who.lead_ids, *(d["_id"] for d in copies)]))
    archives = await ctx.db[ARCHIVES].find({"phone_hash": who.phone_hash}, projection={"_id": 1}).to_list(None)
    who.found["archives"] = [d["_id"] for d in archives]


def _of_archives(w: Subject) -> dict | None:
    return {"archive_id": {"$in": w.ids("archives")}} if w.ids("archives") else None


SPEC = erasure.register(Spec("customers", prepare=_prepare, kinds=(
    Kind("revisit_tasks", "回访任务", TASKS, _of_archives, shown=("branch_id", "kind", "status", "due_at")),
    Kind("greetings", "节日问候", GREETINGS, _of_archives, shown=("branch_id", "occasion", "created_at")),
    Kind("tier_requests", "重点客户申请", TIER_REQUESTS, _of_archives, shown=("branch_id", "status")),
    Kind("evaluations", "客户关系评估", EVALUATIONS, _of_archives, shown=("branch_id", "score", "grade")),
    Kind("archive_audit", "档案号码查看记录", AUDIT, _of_archives, anonymised(cleared=("phone_masked",)),
         shown=("branch_id", "actor_id", "action", "at")),
    Kind("archives", "顾客档案", ARCHIVES, lambda w: {"phone_hash": w.phone_hash},
         shown=("branch_id", "number", "category", "tier", "customer.name", "customer.phone_masked", "created_at")),
    Kind("complaints", "客户投诉（保留，投诉人匿名）", COMPLAINTS, lambda w: {"customer.phone_hash": w.phone_hash},
         anonymised("customer.name", cleared=("customer.phone_masked", "customer.phone_sealed"), versioned=True),
         shown=("branch_id", "number", "category", "status", "customer.name", "received_at")),
    Kind("deal_copies", "成交副本", DEAL_COPIES, lambda w: {"lead_id": {"$in": w.lead_ids}} if w.lead_ids else None,
         shown=("branch_id", "status")),
    Kind("lead_copies", "线索副本", LEAD_COPIES, lambda w: {"customer.phone_hash": w.phone_hash},
         shown=("branch_id", "customer.name", "customer.phone_masked")),
)))

on_customer_erased = erasure.on_erased(SPEC)
