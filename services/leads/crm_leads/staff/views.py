"""HTTP: POST /v1/staff, GET /v1/staff, POST /v1/staff/{id}/leave."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query

from crm_shared.aggregates import hidden
from crm_shared.errors import Invalid, NotFound
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.plugins import ServiceContext

from crm_leads.context import BRANCH_FIELD, MANAGERS, STAFF_READERS, Ctx, IdPath, load_branch
from crm_leads.pool import service as pool
from crm_leads.staff import service
from crm_leads.staff.models import LeaveOut, StaffIn, StaffLeave, StaffOut

router = APIRouter(tags=["staff"])


@router.post("/v1/staff", status_code=201, response_model=StaffOut, summary="Add a staff member",
             description="Admin or manager. Publishes `staff.joined` (with work email/phone for notify).")
async def add_staff(body: StaffIn, c: Ctx, who: CurrentPrincipal) -> StaffOut:
    await load_branch(c, body.branch_id, who)
    who.require_role(*MANAGERS)
    return await service.join(c, body)


@router.get("/v1/staff", summary="Staff of a branch", description="Anyone but partners (names and work phones "
            "are the office's, not a channel agency's).")
async def list_staff(
    c: Ctx, branch_id: Annotated[str, Query(**BRANCH_FIELD)], who: Principal = require_roles(*STAFF_READERS),
    page: PageParams = Depends(page_params),
) -> dict:
    who.require_branch(branch_id)
    docs, nxt = await fetch_page(c.db.staff, {"branch_id": branch_id}, page, projection=hidden())
    return {"items": [service.public(d) for d in docs], "next_cursor": nxt}


async def _scoped(c: ServiceContext, staff_id: str, who: Principal, *roles: str) -> dict:
    """The staff member if in the caller's branches (else 404, whatever the role), then the role (403)."""
    doc = await service.get(c, staff_id)
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("staff")
    who.require_role(*roles)
    return doc


@router.get("/v1/staff/{staff_id}", response_model=StaffOut, summary="One staff member",
            description="Anyone but partners.")
async def get_staff(staff_id: IdPath, c: Ctx, who: CurrentPrincipal) -> StaffOut:
    return service.public(await _scoped(c, staff_id, who, *STAFF_READERS))


@router.post(
    "/v1/staff/{staff_id}/leave", response_model=LeaveOut, summary="A staff member leaves",
    description="Deactivates them (`staff.left`); their open leads go to the public pool, or to `owner_id` "
    "when the manager chooses one. Repeatable: a repeat re-runs the orphan sweep.",
)
async def leave(
    staff_id: IdPath, c: Ctx, who: CurrentPrincipal, body: Annotated[StaffLeave | None, Body()] = None,
) -> LeaveOut:
    doc = await _scoped(c, staff_id, who, *MANAGERS)
    if body and body.owner_id == staff_id:
        raise Invalid("a leaver cannot inherit its own leads", kind="invalid-owner")
    heir = await service.active_consultant(c, body.owner_id, doc["branch_id"]) if body and body.owner_id else None
    doc = await service.leave(c, doc)
    released, reassigned = await pool.settle_orphans(c, doc["branch_id"], staff_id, heir["_id"] if heir else None, who.sub)
    return LeaveOut(staff=service.public(doc), leads_released=released, leads_reassigned=reassigned)
