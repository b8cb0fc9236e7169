"""HTTP: partner accounts (渠道账号) of a branch, and the desk's record of a partner bringing a visitor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crm_shared.aggregates import hidden
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.pagination import PageParams, fetch_page, page_params

from crm_leads.context import BRANCH_FIELD, ID_FIELD, MANAGERS, Ctx, IdPath, load_branch
from crm_leads.partners import service
from crm_leads.partners.models import ArrivalIn, ArrivalOut, PartnerIn, PartnerKind, PartnerOut

router = APIRouter(tags=["partners"])
READERS = ("consultant", "reception", "finance", "partner", *MANAGERS)
"""Staff read the branch's partners (names on cards and reports, the desk's arrival record; finance the
beneficiaries of the commissions it pays); a partner reads itself and, an agency, its agents."""
DESK = ("reception", *MANAGERS)


@router.post("/v1/partners", status_code=201, response_model=PartnerOut, summary="Register a partner account",
             description="Manager or admin. `kind` `agency` (中介公司: its manager's account, which sees the reports "
             "and disputes of the agency's agents) or `agent` (经纪人, with the `agency_id` of an agency of the branch, "
             "or none). The account id is what the partner's token names (`sub`). Publishes `partner.registered`. "
             "422 `unknown-agency`.")
async def register(body: PartnerIn, c: Ctx, who: CurrentPrincipal) -> PartnerOut:
    await load_branch(c, body.branch_id, who)
    who.require_role(*MANAGERS)
    doc = await service.register(c, body)
    return service.public(doc, (await service.names(c, {doc.get("agency_id")})).get(doc.get("agency_id") or ""))


@router.get("/v1/partners", summary="Partner accounts of a branch",
            description="Staff but integrators: every account of the branch, filters `kind` and `agency_id`. A "
            "partner: its own account and, an agency, its agents'. Oldest first.")
async def list_partners(
    c: Ctx, branch_id: Annotated[str, Query(**BRANCH_FIELD)], who: Principal = require_roles(*READERS),
    kind: PartnerKind | None = None, agency_id: Annotated[str | None, Query(**ID_FIELD)] = None,
    page: PageParams = Depends(page_params),
) -> dict:
    who.require_branch(branch_id)
    query: dict = {"branch_id": branch_id} | {k: v for k, v in (("kind", kind), ("agency_id", agency_id)) if v}
    if who.role == "partner":
        query |= service.partner_filter(who, owner="_id")
    docs, nxt = await fetch_page(c.db.partners, query, page, projection=hidden())
    agencies = await service.names(c, {d.get("agency_id") for d in docs})
    return {"items": [service.public(d, agencies.get(d.get("agency_id") or "")) for d in docs], "next_cursor": nxt}


@router.get("/v1/partners/{partner_id}", response_model=PartnerOut, summary="One partner account",
            description="Staff but integrators; a partner only itself and, an agency, its agents (others 404).")
async def get_partner(partner_id: IdPath, c: Ctx, who: CurrentPrincipal) -> PartnerOut:
    doc = await service.scoped(c, partner_id, who)
    who.require_role(*READERS)
    return service.public(doc, (await service.names(c, {doc.get("agency_id")})).get(doc.get("agency_id") or ""))


@router.post("/v1/partners/{partner_id}/arrivals", status_code=201, response_model=ArrivalOut,
             summary="Record that a partner brought a visitor (带团直接进场)",
             description="Front desk or manager, at or after the check-in: this partner brought the visitor of "
             "`visit_id`. On the day of that first visit the partner (or an agent of the agency) may then report "
             "the customer, and the report confirms at once. Idempotent per visit and partner.")
async def record_arrival(partner_id: IdPath, body: ArrivalIn, c: Ctx, who: CurrentPrincipal) -> ArrivalOut:
    doc = await service.scoped(c, partner_id, who)
    who.require_role(*DESK)
    return ArrivalOut(**await service.record_arrival(c, doc, body.visit_id, who))
