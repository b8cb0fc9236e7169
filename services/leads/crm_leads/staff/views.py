"""HTTP: POST /v1/staff, GET /v1/staff[/{id}], PATCH /v1/staff/{id}, POST /v1/staff/{id}/leave."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query

from crm_shared.aggregates import hidden
from crm_shared.errors import Invalid, NotFound
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.concurrency import if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.plugins import ServiceContext

from crm_leads.context import BRANCH_FIELD, MANAGERS, STAFF_READERS, Ctx, IdPath, load_branch
from crm_leads.pool import service as pool
from crm_leads.staff import service
from crm_leads.staff.models import LeaveOut, StaffIn, StaffLeave, StaffOut, StaffPatch, StaffRole

router = APIRouter(tags=["staff"])


@router.post("/v1/staff", status_code=201, response_model=StaffOut, summary="Add a staff member",
             responses={409: {"description": "`/duplicate-staff` with `existing_staff_id`, `existing_name`."}},
             description="Admin or manager. Publishes `staff.joined` (with work email, phone and WeCom userid for "
             "notify). An active member of the branch with the same phone is the same person: 409 `duplicate-staff`.")
async def add_staff(body: StaffIn, c: Ctx, who: CurrentPrincipal) -> StaffOut:
    await load_branch(c, body.branch_id, who)
    who.require_role(*MANAGERS)
    return await service.join(c, body)


@router.get("/v1/staff", summary="Staff of a branch", description="Anyone but partners (names and work phones "
            "are the office's, not a channel agency's). Filters `role` and `active`.")
async def list_staff(
    c: Ctx, branch_id: Annotated[str, Query(**BRANCH_FIELD)], who: Principal = require_roles(*STAFF_READERS),
    page: PageParams = Depends(page_params), role: StaffRole | None = None, active: bool | None = None,
) -> dict:
    who.require_branch(branch_id)
    query = {"branch_id": branch_id} | {k: v for k, v in (("role", role), ("active", active)) if v is not None}
    docs, nxt = await fetch_page(c.db.staff, query, page, projection=hidden())
    return {"items": [service.public(d) for d in docs], "next_cursor": nxt}


async def _scoped(c: ServiceContext, staff_id: str, who: Principal, *roles: str) -> dict:
    """The staff member if in the caller's branches (else 404, whatever the role), then the role (403)."""
    doc = await service.get(c, staff_id)
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("staff")
    who.require_role(*roles)
    return doc


async def _admins_record(c: ServiceContext, staff_id: str, who: Principal) -> dict:
    """A member a manager may change: an admin's record (`crm bootstrap-admin`) only an admin changes (403)."""
    doc = await _scoped(c, staff_id, who, *MANAGERS)
    if doc["role"] == "admin":
        who.require_role("admin")
    return doc


@router.get("/v1/staff/{staff_id}", response_model=StaffOut, summary="One staff member",
            description="Anyone but partners.")
async def get_staff(staff_id: IdPath, c: Ctx, who: CurrentPrincipal) -> StaffOut:
    return service.public(await _scoped(c, staff_id, who, *STAFF_READERS))


@router.patch("/v1/staff/{staff_id}", response_model=StaffOut, summary="Correct a staff member",
              responses={409: {"description": "`/duplicate-staff` (the phone is another active member's), "
                                              "`/owns-open-leads` (a role that may not own leads)."}},
              description="Admin or manager (an admin's record: admins only, and its role stays; 422 `admin-role`): `name`, `role`, `phone`, `email`, `wecom_user_id` (null clears phone, email "
              "or WeCom userid). "
              "`If-Match: <version>` → 412 when stale. Re-publishes the member's facts as `staff.joined` (active) or "
              "`staff.left` (gone) with `changed`, which every directory copy applies (the newer event wins). A "
              "member who owns open leads cannot become front desk (409 `owns-open-leads`).")
async def patch_staff(staff_id: IdPath, body: StaffPatch, c: Ctx, who: CurrentPrincipal,
                      expected: Annotated[int | None, Depends(if_match_version)] = None) -> StaffOut:
    doc = await _admins_record(c, staff_id, who)
    if doc["role"] == "admin" and body.role is not None:
        raise Invalid("an admin's role is not changed here: admins are made by `crm bootstrap-admin` and the identity "
                      "provider's role claim", kind="admin-role", loc=["body", "role"])
    return service.public(await service.patch(c, doc, body, expected))


@router.post(
    "/v1/staff/{staff_id}/leave", response_model=LeaveOut, summary="A staff member leaves",
    description="Deactivates them (`staff.left`); their open leads go to the public pool, or to `owner_id` "
    "when the manager chooses one. Repeatable: a repeat re-runs the orphan sweep.",
)
async def leave(
    staff_id: IdPath, c: Ctx, who: CurrentPrincipal, body: Annotated[StaffLeave | None, Body()] = None,
) -> LeaveOut:
    doc = await _admins_record(c, staff_id, who)
    if body and body.owner_id == staff_id:
        raise Invalid("a leaver cannot inherit its own leads", kind="invalid-owner")
    heir = await service.active_consultant(c, body.owner_id, doc["branch_id"]) if body and body.owner_id else None
    doc = await service.leave(c, doc)
    released, reassigned = await pool.settle_orphans(c, doc["branch_id"], staff_id, heir["_id"] if heir else None, who.sub)
    return LeaveOut(staff=service.public(doc), leads_released=released, leads_reassigned=reassigned)
