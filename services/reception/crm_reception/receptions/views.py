"""HTTP: business receptions (接待申请): request, approve, reject, feedback."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.ids import utcnow
from crm_reception.common import BRANCH_FIELD, MANAGERS, Ctx, IdPath, idempotent, visible
from crm_reception.receptions import service
from crm_reception.receptions.models import Approval, Feedback, ReceptionCreate, ReceptionPublic, Rejection

router = APIRouter(prefix="/v1/receptions", tags=["receptions"])


def public(doc: dict) -> ReceptionPublic:
    return ReceptionPublic.model_validate({"id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}})


async def _load(c: Ctx, reception_id: str, who: Principal) -> dict:
    return visible(await service.receptions(c).find_one({"_id": reception_id}), who, "reception")


@router.post("", status_code=201, summary="Request a business reception",
             description="Class A–D with the branch's class policy (budget per head, hotel, who accompanies, notice). "
                         "Too little notice for the class → 422 `notice-too-short` with the reason; a budget above the "
                         "class maximum → 422 `over-budget`; a resource already booked for the time → 409 `resource-clash`.")
async def request(body: ReceptionCreate, c: Ctx, response: Response,
                  who: Principal = require_roles("consultant", *MANAGERS),
                  key: str | None = Depends(idempotency_key)) -> ReceptionPublic:
    who.require_branch(body.branch_id)

    async def create() -> ReceptionPublic:
        return public(await service.request(c, body, who, utcnow()))

    return await idempotent(c, who, key, body, response, create)


@router.get("", summary="List receptions", description="Filter by branch and status.")
async def list_receptions(c: Ctx, who: CurrentPrincipal, page: PageParams = Depends(page_params),
                          branch_id: str | None = Query(None, **BRANCH_FIELD),
                          status: Literal["pending", "awaiting_general_manager", "approved", "rejected", "completed"] | None = None) -> dict:
    query: dict = who.branch_filter(branch_id)
    if status:
        query["status"] = status
    docs, nxt = await fetch_page(c.db[service.RECEPTIONS], query, page, projection=hidden())
    return {"items": [public(d).model_dump(mode="json", by_alias=True) for d in docs], "next_cursor": nxt}


@router.get("/{reception_id}", summary="One reception")
async def get_reception(reception_id: IdPath, c: Ctx, who: CurrentPrincipal) -> ReceptionPublic:
    return public(await _load(c, reception_id, who))


@router.post("/{reception_id}/approve", summary="Approve the current step",
             description="Department head first; class A then needs the general manager (a different manager). "
                         "`reception.approved` is published when the last step is approved.")
async def approve(reception_id: IdPath, c: Ctx, body: Approval | None = None, who: Principal = require_roles(*MANAGERS),
                  expected: int | None = Depends(if_match_version)) -> ReceptionPublic:
    doc = await _load(c, reception_id, who)
    return public(await service.approve(c, doc, body or Approval(), who, expected))


@router.post("/{reception_id}/reject", summary="Reject at any step, with a reason", description="Frees its resources.")
async def reject(reception_id: IdPath, body: Rejection, c: Ctx, who: Principal = require_roles(*MANAGERS),
                 expected: int | None = Depends(if_match_version)) -> ReceptionPublic:
    doc = await _load(c, reception_id, who)
    return public(await service.reject(c, doc, body.reason, who, expected))


@router.post("/{reception_id}/feedback", summary="File the feedback (接待信息反馈表)",
             description="By the host or a manager, after approval: summary, spend and follow-up tasks. Due within the "
                         "branch's `feedback_due_working_days` (default 2) working days after the visit; later raises "
                         "`reception.feedback_overdue`. Completes the reception (`reception.completed`).")
async def feedback(reception_id: IdPath, body: Feedback, c: Ctx,
                   who: Principal = require_roles("consultant", *MANAGERS)) -> ReceptionPublic:
    doc = await _load(c, reception_id, who)
    return public(await service.file_feedback(c, doc, body, who))
