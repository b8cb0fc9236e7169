"""HTTP: POST /v1/referrers, GET /v1/referrers[/{id}], the audited reveal of a referrer's number (全民营销)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crm_shared.aggregates import hidden
from crm_shared.errors import NotFound
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.text import Line

from crm_leads.audit import service as audit
from crm_leads.context import BRANCH_FIELD, MANAGERS, Ctx, IdPath, load_branch
from crm_leads.referrers import service
from crm_leads.referrers.models import ReferrerIn, ReferrerKind, ReferrerOut

router = APIRouter(tags=["referrers"])
READERS = ("consultant", "reception", "finance", *MANAGERS)
"""Who registers referral leads reads the referrers to name one, finance the beneficiaries of the referral
rewards it pays; numbers masked for all (the full one from the audited reveal)."""


@router.post("/v1/referrers", status_code=201, response_model=ReferrerOut, summary="Register a referrer (全民营销)",
             responses={409: {"description": "`/duplicate-referrer` with `existing_referrer_id`."}},
             description="Manager or admin. `kind` `employee` (group staff outside sales), `owner` (老带新) or `public`. "
             "422 `sales-staff` for a number of the branch's own staff; 409 `duplicate-referrer` for a number "
             "already registered in the branch. Publishes `referrer.registered`.")
async def register(body: ReferrerIn, c: Ctx, who: CurrentPrincipal) -> ReferrerOut:
    await load_branch(c, body.branch_id, who)
    who.require_role(*MANAGERS)
    return service.public(await service.register(c, body, who), echo=True)


@router.get("/v1/referrers", summary="Referrers of a branch",
            description="Staff but integrators (a referral lead names one); filter `kind`. Oldest first.")
async def list_referrers(
    c: Ctx, branch_id: Annotated[str, Query(**BRANCH_FIELD)], who: Principal = require_roles(*READERS),
    kind: ReferrerKind | None = None, page: PageParams = Depends(page_params),
) -> dict:
    who.require_branch(branch_id)
    query = {"branch_id": branch_id} | ({"kind": kind} if kind else {})
    docs, nxt = await fetch_page(c.db.referrers, query, page, projection=hidden())
    return {"items": [service.public(d) for d in docs], "next_cursor": nxt}


@router.get("/v1/referrers/{referrer_id}", response_model=ReferrerOut, summary="One referrer",
            description="Staff but integrators.")
async def get_referrer(referrer_id: IdPath, c: Ctx, who: CurrentPrincipal) -> ReferrerOut:
    doc = await c.aggregate("referrers").find_one({"_id": referrer_id})
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("referrer")
    who.require_role(*READERS)
    return service.public(doc)


@router.get("/v1/referrers/{referrer_id}/phone", summary="Reveal a referrer's full number (audited)",
            description="Managers, admins and finance (a reward is paid to the referrer). Every reveal writes an audit "
            "record (`GET /v1/audit`) before the number is returned.")
async def reveal_referrer_phone(
    referrer_id: IdPath, c: Ctx, who: CurrentPrincipal,
    reason: Annotated[Line(200) | None, Query(description="Why the number is needed.")] = None,
) -> dict:
    doc = await c.aggregate("referrers").find_one({"_id": referrer_id})
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("referrer")
    who.require_role("finance", *MANAGERS)
    await audit.record_reveal(c, who, "referrer_phone.reveal", doc["branch_id"], doc["phone_masked"], reason,
                              referrer_id=referrer_id)
    return {"referrer_id": referrer_id, "phone": doc["phone"]}
