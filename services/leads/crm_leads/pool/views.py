"""HTTP: assign (one lead, or many from the list), release to the public pool, claim from it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from crm_shared.http.auth import CurrentPrincipal
from crm_shared.http.concurrency import if_match_version

from crm_leads.context import MANAGERS, Ctx, IdPath, load_branch
from crm_leads.leads import service
from crm_leads.leads.changes import require_editor
from crm_leads.leads.models import AssignIn, LeadOut
from crm_leads.pool import service as pool
from crm_leads.pool.models import BulkAssignIn, BulkAssignOut
from crm_leads.staff.service import active_consultant

router = APIRouter(tags=["pool"])
Expected = Annotated[int | None, Depends(if_match_version)]


@router.post("/v1/leads/assign", response_model=BulkAssignOut, summary="Give several leads to a consultant (批量分配)",
             description="Manager. Up to 200 leads of `branch_id` to `owner_id` (an active consultant of the branch, "
             "else 422 `invalid-owner`); each lead is its own versioned write with its own `lead.assigned` (`reason` "
             "manual, `note` the manager's `reason`), and its own outcome: a lead changed meanwhile is judged again, "
             "one that is closed, already the owner's or not in the branch is reported and left alone.")
async def assign_many(body: BulkAssignIn, c: Ctx, who: CurrentPrincipal) -> BulkAssignOut:
    branch = await load_branch(c, body.branch_id, who)
    who.require_role(*MANAGERS)
    owner = await active_consultant(c, body.owner_id, branch.id)
    items = await pool.assign_many(c, branch, body.lead_ids, owner["_id"], body.reason)
    return BulkAssignOut(owner_id=owner["_id"], assigned=sum(i["outcome"] == "assigned" for i in items), items=items)


@router.post("/v1/leads/{lead_id}/assign", response_model=LeadOut, summary="Give a lead to a consultant",
             description="Manager. Also the way to adopt a leaver's orphans from the pool (认养孤儿). `reason` (the "
             "manager's words) travels as `lead.assigned.note`.")
async def assign(lead_id: IdPath, body: AssignIn, c: Ctx, expected: Expected, who: CurrentPrincipal) -> LeadOut:
    doc = await service.get_scoped(c, lead_id, who)
    who.require_role(*MANAGERS)
    branch = await load_branch(c, doc["branch_id"])
    owner = await active_consultant(c, body.owner_id, branch.id)
    return service.public(await pool.assign(c, branch, doc, owner["_id"], "manual", expected, note=body.reason))


@router.post("/v1/leads/{lead_id}/release", response_model=LeadOut, summary="Release to the public pool (公海)",
             description="Owner or manager. The previous owner cannot claim it back within `reclaim_after_days`.")
async def release(lead_id: IdPath, c: Ctx, expected: Expected, who: CurrentPrincipal) -> LeadOut:
    doc = await service.get_scoped(c, lead_id, who)
    require_editor(doc, who)
    branch = await load_branch(c, doc["branch_id"])
    return service.public(await pool.release(c, branch, doc, "manual", expected))


@router.post("/v1/leads/{lead_id}/claim", response_model=LeadOut, summary="Claim a lead from the pool",
             description="Consultant, at most `pool_claims_per_day` per branch-local day; 409 when not claimable "
             "(not in the pool, lost by you to the pool recently, claimed concurrently, or over the limit).")
async def claim(lead_id: IdPath, c: Ctx, who: CurrentPrincipal) -> LeadOut:
    doc = await service.get_scoped(c, lead_id, who)
    who.require_role("consultant")
    branch = await load_branch(c, doc["branch_id"])
    return service.public(await pool.claim(c, branch, doc, who.sub))
