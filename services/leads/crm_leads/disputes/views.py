"""HTTP: raise an attribution dispute; a manager decides it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crm_shared.aggregates import hidden
from crm_shared.errors import Invalid, NotFound
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports import service as reports
from crm_leads.context import BRANCH_FIELD, MANAGERS, Ctx, IdPath, load_branch
from crm_leads.disputes import service
from crm_leads.disputes.models import DecisionIn, DisputeIn, DisputeOut
from crm_leads.leads import search
from crm_leads.partners import service as partners

router = APIRouter(tags=["attribution disputes"])
RAISERS = ("partner", *MANAGERS)


@router.post("/v1/attribution-disputes", status_code=201, response_model=DisputeOut, summary="Dispute an attribution",
             description="Partner (on its own report; an agency also on its agents') or manager. The decision is due within "
             "`dispute_decision_working_days` working days of the branch. Both ids must exist in one branch "
             "of the caller's (404 otherwise); a `lead_id` beside a `report_id` must be that report's lead once "
             "it has one, and for a partner always (422 `lead-mismatch`).")
async def open_dispute(body: DisputeIn, c: Ctx, who: CurrentPrincipal) -> DisputeOut:
    if who.role == "partner" and not body.report_id:  # a rule of the request's shape: says nothing of any lead
        raise Invalid("a partner disputes through its own report: give report_id", kind="report-required")
    report = await reports.get_scoped(c, body.report_id, who) if body.report_id else None
    lead = await c.db.leads.find_one({"_id": body.lead_id}, projection={"branch_id": 1, "owner_id": 1, "in_pool": 1}) \
        if body.lead_id else None
    if body.lead_id and (lead is None or not who.sees_branch(lead["branch_id"]) or not search.visible(lead, who)
                         or (report and lead["branch_id"] != report["branch_id"])):
        raise NotFound("lead")
    who.require_role(*RAISERS)
    linked = report.get("lead_id") if report else None
    if report and body.lead_id and body.lead_id != linked and (linked or who.role == "partner"):  # partners see no leads
        raise Invalid("lead_id is not the lead of this report", kind="lead-mismatch", loc=["body", "lead_id"])
    branch = await load_branch(c, (report or lead)["branch_id"], who)
    lead_id = body.lead_id or (report or {}).get("lead_id")
    return await _shown(c, await service.raise_dispute(c, branch, report, lead_id, body.claim, who), who)


async def _shown(c: ServiceContext, doc: dict, who: Principal) -> DisputeOut:
    """A dispute as the caller reads it: managers with both sides' reports."""
    return service.public(doc, await service.sides(c, doc) if who.role in MANAGERS else None)


@router.get("/v1/attribution-disputes", summary="Disputes of a branch",
            description="A partner: those it raised and, an agency, its agents'; managers every dispute of the branch, "
            "with both sides' reports (`sides`). Newest first.")
async def list_disputes(c: Ctx, branch_id: Annotated[str, Query(**BRANCH_FIELD)],
                        who: Principal = require_roles(*RAISERS), page: PageParams = Depends(page_params)) -> dict:
    who.require_branch(branch_id)
    query = {"branch_id": branch_id} | (partners.partner_filter(who, owner="raised_by") if who.role == "partner" else {})
    docs, nxt = await fetch_page(c.db.disputes, query, page, descending=True, projection=hidden())
    return {"items": [await _shown(c, d, who) for d in docs], "next_cursor": nxt}


async def _scoped(c: ServiceContext, dispute_id: str, who: Principal, *roles: str) -> dict:
    """The dispute if in the caller's branches (else 404, whatever the role), then the role (403);
    a partner sees only those it raised and, an agency, its agents' (404)."""
    doc = await c.aggregate("disputes").find_one({"_id": dispute_id})
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("dispute")
    who.require_role(*roles)
    if who.role == "partner" and not partners.sees(doc["raised_by"], doc.get("agency_id"), who):
        raise NotFound("dispute")
    return doc


@router.get("/v1/attribution-disputes/{dispute_id}", response_model=DisputeOut, summary="One dispute")
async def get_dispute(dispute_id: IdPath, c: Ctx, who: CurrentPrincipal) -> DisputeOut:
    return await _shown(c, await _scoped(c, dispute_id, who, *RAISERS), who)


@router.post("/v1/attribution-disputes/{dispute_id}/decision", response_model=DisputeOut, summary="Decide a dispute",
             description="Manager: `winner` (partner id, or null for nobody) and `reason`; records who and when, "
             "and moves the lead's attribution to the winner.")
async def decide(dispute_id: IdPath, body: DecisionIn, c: Ctx, who: CurrentPrincipal) -> DisputeOut:
    doc = await _scoped(c, dispute_id, who, *MANAGERS)
    branch = await load_branch(c, doc["branch_id"])
    return await _shown(c, await service.decide(c, branch, doc, body, who), who)
