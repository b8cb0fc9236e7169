"""HTTP: POST /v1/branches, GET /v1/branches, GET /v1/branches/{id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from crm_shared.aggregates import hidden
from crm_shared.errors import NotFound
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.pagination import PageParams, fetch_page, page_params

from crm_leads.branches import service
from crm_leads.branches.models import BranchIn, BranchOut
from crm_leads.context import Ctx, IdPath

router = APIRouter(tags=["branches"])


@router.post(
    "/v1/branches", status_code=201, response_model=BranchOut,
    summary="Create or update a branch",
    description="Admin only. Settings not given take the handbook defaults; publishes `branch.configured` "
    "with the full effective settings. 201 when created, 200 when updated.",
)
async def configure_branch(body: BranchIn, c: Ctx, response: Response, who: Principal = require_roles("admin")) -> BranchOut:
    who.require_branch(body.id)
    branch, created = await service.configure(c, body)
    response.status_code = 201 if created else 200
    return branch


@router.get("/v1/branches", summary="The caller's branches",
            description="Every branch the token's `branches` claim covers (all of them for `[\"*\"]`), by id.")
async def list_branches(c: Ctx, who: CurrentPrincipal, page: PageParams = Depends(page_params)) -> dict:
    scope = {} if "*" in who.branches else {"_id": {"$in": who.branches}}
    docs, nxt = await fetch_page(c.db.branches, scope, page, projection=hidden())
    return {"items": [service.public(d) for d in docs], "next_cursor": nxt}


@router.get("/v1/branches/{branch_id}", response_model=BranchOut, summary="A branch and its effective settings")
async def get_branch(branch_id: IdPath, c: Ctx, who: CurrentPrincipal) -> BranchOut:
    doc = await c.aggregate("branches").find_one({"_id": branch_id}) if who.sees_branch(branch_id) else None
    if doc is None:
        raise NotFound("branch")
    return service.public(doc)
