"""HTTP: register, list, read, patch, follow-ups and close of leads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from crm_shared.events.leads import Channel
from crm_shared.http.auth import CurrentPrincipal
from crm_shared.http.concurrency import idempotency_key, idempotent, if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.ids import utcnow
from crm_shared.text import Line

from crm_leads.context import BRANCH_FIELD, ID_FIELD, MANAGERS, OPEN_STATUSES, Ctx, IdPath, load_branch
from crm_leads.leads import changes, search, service
from crm_leads.leads.models import CloseIn, FollowUpIn, Grade, LeadCreate, LeadOut, LeadPatch, Status

router = APIRouter(tags=["leads"])
Expected = Annotated[int | None, Depends(if_match_version)]
DUPLICATE = {409: {"description": "`/duplicate-lead` with `existing_lead_id`."}}


@router.post("/v1/leads", status_code=201, response_model=LeadOut, responses=DUPLICATE, summary="Register a lead",
             description="Dedup on the E.164 phone: an open lead with the phone in the branch gives 409 "
             "`/duplicate-lead` naming it, and the contact is counted on it. Without `owner_id` a consultant's "
             "lead is its own; otherwise the configured assigner picks. Accepts `Idempotency-Key`.")
async def register(body: LeadCreate, c: Ctx, response: Response, who: CurrentPrincipal,
                   key: str | None = Depends(idempotency_key)) -> LeadOut:
    branch = await load_branch(c, body.branch_id, who)
    who.require_role("consultant", "reception", *MANAGERS)

    async def create() -> LeadOut:
        return service.public(await service.register(c, branch, body, who))

    return await idempotent(c.db, who.sub, key, body, response, create)


@router.get("/v1/leads", summary="List leads", description="Newest first; scoped to the caller's branches, and for a "
            "consultant to its own leads and the public pool (another consultant's leads are not listed). `q` matches "
            "four digits against the end of the number, a partner mask (`138****5678`) or a full number exactly, "
            "else part of the name.")
async def list_leads(
    c: Ctx, who: CurrentPrincipal, page: PageParams = Depends(page_params),
    branch_id: Annotated[str | None, Query(**BRANCH_FIELD)] = None,
    status: Status | None = None, grade: Grade | None = None,
    owner_id: Annotated[str | None, Query(**ID_FIELD)] = None,
    channel: Annotated[Channel | None, Query(description="`source.channel`.")] = None,
    overdue: bool | None = None, pool: bool | None = None,
    q: Annotated[Line(100) | None, Query(description="Last four digits, a mask, a full phone number, or part of the name.")] = None,
) -> dict:
    query = who.branch_filter(branch_id)
    service.require_lead_reader(who)
    query |= {k: v for k, v in (("status", status), ("grade", grade), ("owner_id", owner_id), ("source.channel", channel))
              if v is not None}
    if pool is not None:
        query["in_pool"] = pool
    now = utcnow()
    if overdue:
        query |= {"next_follow_up_at": {"$lt": now}, "owner_id": owner_id or {"$ne": None}}
        query.setdefault("status", {"$in": list(OPEN_STATUSES)})
    if q:
        query |= search.text_query(c, q)
    query = search.scope(query, who, owner_id, pool)
    if query is None:
        return {"items": [], "next_cursor": None}
    docs, nxt = await fetch_page(c.db.leads, query, page, descending=True, projection=service.LISTED)
    return {"items": [service.public(d, now) for d in docs], "next_cursor": nxt}


@router.get("/v1/leads/{lead_id}", response_model=LeadOut, summary="One lead (phone masked)")
async def get_lead(lead_id: IdPath, c: Ctx, who: CurrentPrincipal) -> LeadOut:
    return service.public(await service.get_scoped(c, lead_id, who))


@router.patch("/v1/leads/{lead_id}", response_model=LeadOut, summary="Change a lead",
              description="Owner or manager. Grade, status (not won/lost), customer details, next follow-up. "
              "A new grade resets the follow-up date by the branch cadence. `If-Match: <version>` → 412 when stale.")
async def patch_lead(lead_id: IdPath, body: LeadPatch, c: Ctx, expected: Expected, who: CurrentPrincipal) -> LeadOut:
    doc = await service.get_scoped(c, lead_id, who)
    branch = await load_branch(c, doc["branch_id"])
    return service.public(await changes.patch(c, branch, doc, body, expected, who))


@router.post("/v1/leads/{lead_id}/follow-ups", status_code=201, summary="Log a follow-up",
             description="Owner or manager. Moves `next_follow_up_at` (given, or by the grade's cadence) and "
             "restarts the reclaim clock.")
async def add_follow_up(lead_id: IdPath, body: FollowUpIn, c: Ctx, expected: Expected, who: CurrentPrincipal) -> dict:
    doc = await service.get_scoped(c, lead_id, who)
    branch = await load_branch(c, doc["branch_id"])
    return await changes.follow_up(c, branch, doc, body, expected, who)


@router.get("/v1/leads/{lead_id}/follow-ups", summary="Follow-up log, newest first")
async def list_follow_ups(lead_id: IdPath, c: Ctx, who: CurrentPrincipal) -> dict:
    doc = await service.get_scoped(c, lead_id, who)
    return {"items": list(reversed(doc.get("follow_ups") or [])), "next_cursor": None}


@router.post("/v1/leads/{lead_id}/close", response_model=LeadOut, summary="Close as won or lost",
             description="Owner or manager. Lost takes `reason`, a code of the branch's `settings.lost_reasons` "
             "(422 `unknown-lost-reason` naming the `allowed` codes), and `note` where the reason asks for one (422 "
             "`note-required`, e.g. `other`). A deal inside a confirmed channel report's protection credits the "
             "partner (`lead.won.partner_id`). Frees the phone for new leads.")
async def close_lead(lead_id: IdPath, body: CloseIn, c: Ctx, expected: Expected, who: CurrentPrincipal) -> LeadOut:
    doc = await service.get_scoped(c, lead_id, who)
    branch = await load_branch(c, doc["branch_id"])
    return service.public(await changes.close(c, branch, doc, body, expected, who))
