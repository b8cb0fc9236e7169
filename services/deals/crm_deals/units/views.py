"""HTTP of units: POST/GET /v1/units, GET /v1/units/{id}, POST /v1/units/{id}/hold and /release (销控)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Response

from crm_shared.http.auth import CurrentPrincipal
from crm_shared.http.concurrency import idempotency_key, idempotent, if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.plugins import ServiceContext, context_of

from crm_deals.units import service
from crm_deals.units.models import BRANCH_FIELD, ID_FIELD, HoldIn, ProductType, UnitIn, UnitOut, UnitStatusFilter

router = APIRouter(tags=["units"])
Ctx = Annotated[ServiceContext, Depends(context_of("deals"))]
IdPath = Annotated[str, Path(**ID_FIELD)]
READERS = ("admin", "manager", "consultant", "reception", "finance", "integrator")
"""The unit control sheet is the office's: every staff role and integrators read it; partners never."""


@router.post("/v1/units", status_code=201, response_model=UnitOut, summary="Add a unit (房源)",
             responses={409: {"description": "`/unit-exists` with `existing_unit_id`."}},
             description="Manager or admin. `list_price` a JSON number or a decimal string (CNY); answers give decimal "
             "strings. 409 `unit-exists` for the same branch, project, building and unit number. Publishes "
             "`unit.created`. Accepts `Idempotency-Key`.")
async def add_unit(body: UnitIn, c: Ctx, response: Response, who: CurrentPrincipal,
                   key: str | None = Depends(idempotency_key)) -> UnitOut:
    who.require_branch(body.branch_id)
    who.require_role("manager", "admin")

    async def create() -> UnitOut:
        return service.public(await service.create(c, body, who.sub))

    return await idempotent(c.db, who.sub, key, body, response, create)


@router.get("/v1/units", summary="The unit control sheet (销控表)",
            description="Staff and integrators, within their branches; partners 403. Filters `branch_id` `status` "
            "`product_type` `project` `building`. Oldest first.")
async def list_units(
    c: Ctx, who: CurrentPrincipal,
    branch_id: Annotated[str | None, Query(**BRANCH_FIELD)] = None, status: UnitStatusFilter | None = None,
    product_type: ProductType | None = None, project: Annotated[str | None, Query(max_length=100)] = None,
    building: Annotated[str | None, Query(max_length=50)] = None, page: PageParams = Depends(page_params),
) -> dict:
    query = who.branch_filter(branch_id)
    who.require_role(*READERS)
    for field, value in (("status", status), ("product_type", product_type), ("project", project),
                         ("building", building)):
        if value:
            query[field] = value
    docs, nxt = await fetch_page(c.aggregate(service.UNITS), query, page)
    return {"items": [service.public(d) for d in docs], "next_cursor": nxt}


@router.get("/v1/units/{unit_id}", response_model=UnitOut, summary="One unit",
            description="Staff and integrators; partners 403; another branch's unit 404.")
async def get_unit(unit_id: IdPath, c: Ctx, who: CurrentPrincipal) -> UnitOut:
    doc = await service.visible(c, unit_id, who)
    who.require_role(*READERS)
    return service.public(doc)


@router.post("/v1/units/{unit_id}/hold", response_model=UnitOut, summary="Hold a unit (销控保留)",
             description="Manager. An available unit is kept off sale; 409 `wrong-status` otherwise. `If-Match`. "
             "Publishes `unit.status_changed`.")
async def hold_unit(unit_id: IdPath, c: Ctx, who: CurrentPrincipal,
                    expected: int | None = Depends(if_match_version),
                    body: Annotated[HoldIn | None, Body()] = None) -> UnitOut:
    doc = await service.visible(c, unit_id, who)
    who.require_role("manager")
    return service.public(await service.hold(c, doc, expected, who, body.reason if body else None))


@router.post("/v1/units/{unit_id}/release", response_model=UnitOut, summary="Release a held unit",
             description="Manager. A held unit is available again; 409 `wrong-status` unless held. `If-Match`. "
             "Publishes `unit.status_changed`.")
async def release_unit(unit_id: IdPath, c: Ctx, who: CurrentPrincipal,
                       expected: int | None = Depends(if_match_version)) -> UnitOut:
    doc = await service.visible(c, unit_id, who)
    who.require_role("manager")
    return service.public(await service.release(c, doc, expected))
