"""HTTP: front desk check-in (来访登记) and visit end."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.errors import Forbidden
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.concurrency import idempotency_key
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_reception.common import BRANCH_FIELD, ID_FIELD, MANAGERS, READERS, STAFF, Ctx, IdPath, idempotent, scoped
from crm_reception.visits import service
from crm_reception.visits.models import VisitCreate, VisitEnd, VisitPublic

router = APIRouter(prefix="/v1/visits", tags=["visits"])


def public(doc: dict) -> VisitPublic:
    return VisitPublic(id=doc["_id"], **{k: doc.get(k) for k in VisitPublic.model_fields if k != "id"})


async def _readable(visit_id: IdPath, c: Ctx, who: CurrentPrincipal) -> dict:
    return scoped(await service.visits(c).find_one({"_id": visit_id}), who, "visit", READERS)


async def _endable(visit_id: IdPath, c: Ctx, who: CurrentPrincipal) -> dict:
    doc = scoped(await service.visits(c).find_one({"_id": visit_id}), who, "visit", STAFF)
    if who.role == "consultant" and doc["consultant_id"] != who.sub:
        raise Forbidden("a consultant may end only their own visits")
    return doc


@router.post("", status_code=201, summary="Check a visitor in",
             description="An appointment arrival goes to its consultant; a returning customer (phone matches an open "
                         "lead) to the lead's owner with `returning: true`, using nobody's turn; anyone else to the next "
                         "free consultant in today's rotation. 409 `no-consultant-available` when nobody is free.")
async def check_in(body: VisitCreate, c: Ctx, response: Response,
                   who: Principal = require_roles("reception", *MANAGERS),
                   key: str | None = Depends(idempotency_key)) -> VisitPublic:
    who.require_branch(body.branch_id)

    async def create() -> VisitPublic:
        return public(await service.check_in(c, body))

    return await idempotent(c, who, key, body, response, create)


@router.post("/{visit_id}/end", summary="End a visit with its outcome",
             description="Frees the consultant in the rotation; a consultant may end only their own visits.")
async def end_visit(doc: Annotated[dict, Depends(_endable)], c: Ctx, body: VisitEnd | None = None) -> VisitPublic:
    return public(await service.end(c, doc, body or VisitEnd()))


@router.get("", summary="List visits", description="Filter by branch, status and lead. Staff and integrators; partners 403.")
async def list_visits(c: Ctx, page: PageParams = Depends(page_params), who: Principal = require_roles(*READERS),
                      branch_id: str | None = Query(None, **BRANCH_FIELD),
                      status: Literal["open", "ended"] | None = None,
                      lead_id: str | None = Query(None, **ID_FIELD)) -> dict:
    query: dict = who.branch_filter(branch_id)
    if status:
        query["status"] = status
    if lead_id:
        query["lead_id"] = lead_id
    docs, nxt = await fetch_page(c.db[service.VISITS], query, page, projection=hidden())
    return {"items": [public(d).model_dump(mode="json") for d in docs], "next_cursor": nxt}


@router.get("/{visit_id}", summary="One visit", description="Staff and integrators; partners 403.")
async def get_visit(doc: Annotated[dict, Depends(_readable)]) -> VisitPublic:
    return public(doc)
