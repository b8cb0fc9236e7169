"""HTTP: business receptions (接待申请): request, approve, reject, feedback."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.ids import utcnow
from crm_reception.common import BRANCH_FIELD, MANAGERS, READERS, Ctx, IdPath, idempotent, scoped
from crm_reception.receptions import service
from crm_reception.receptions.models import Approval, Feedback, ReceptionCreate, ReceptionPublic, Rejection

router = APIRouter(prefix="/v1/receptions", tags=["receptions"])


def public(doc: dict) -> ReceptionPublic:
    return ReceptionPublic.model_validate({"id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}})


def _reception(*roles: str):
    """Dependency: the path's reception; another branch's is 404 whatever the role, then 403 for other roles."""

    async def load(reception_id: IdPath, c: Ctx, who: CurrentPrincipal) -> dict:
        return scoped(await service.receptions(c).find_one({"_id": reception_id}), who, "reception", roles)

    return Depends(load)


Readable = Annotated[dict, _reception(*READERS)]
Decidable = Annotated[dict, _reception(*MANAGERS)]
Hosted = Annotated[dict, _reception(*service.HOSTS)]


@router.post("", status_code=201, summary="Request a business reception",
             description="Class A–D with the branch's class policy (budget per head, hotel, who accompanies, notice). "
                         "Too little notice for the class → 422 `notice-too-short` with the reason; a budget above the "
                         "class maximum → 422 `over-budget`; a resource already booked for the time → 409 `resource-clash`; "
                         "a `host_id` that is not an active consultant or manager of the branch → 422 `unknown-host`.")
async def request(body: ReceptionCreate, c: Ctx, response: Response,
                  who: Principal = require_roles(*service.HOSTS),
                  key: str | None = Depends(idempotency_key)) -> ReceptionPublic:
    who.require_branch(body.branch_id)

    async def create() -> ReceptionPublic:
        return public(await service.request(c, body, who, utcnow()))

    return await idempotent(c, who, key, body, response, create)


@router.get("", summary="List receptions", description="Filter by branch and status. Staff and integrators; partners 403.")
async def list_receptions(c: Ctx, page: PageParams = Depends(page_params), who: Principal = require_roles(*READERS),
                          branch_id: str | None = Query(None, **BRANCH_FIELD),
                          status: Literal["pending", "awaiting_general_manager", "approved", "rejected", "completed"] | None = None) -> dict:
    query: dict = who.branch_filter(branch_id)
    if status:
        query["status"] = status
    docs, nxt = await fetch_page(c.db[service.RECEPTIONS], query, page, projection=hidden())
    return {"items": [public(d).model_dump(mode="json", by_alias=True) for d in docs], "next_cursor": nxt}


@router.get("/{reception_id}", summary="One reception", description="Staff and integrators; partners 403.")
async def get_reception(doc: Readable) -> ReceptionPublic:
    return public(doc)


@router.post("/{reception_id}/approve", summary="Approve the current step",
             description="Department head first; class A then needs the general manager (a different manager). "
                         "`reception.approved` is published when the last step is approved.")
async def approve(doc: Decidable, c: Ctx, who: CurrentPrincipal, body: Approval | None = None,
                  expected: int | None = Depends(if_match_version)) -> ReceptionPublic:
    return public(await service.approve(c, doc, body or Approval(), who, expected))


@router.post("/{reception_id}/reject", summary="Reject at any step, with a reason", description="Frees its resources.")
async def reject(doc: Decidable, body: Rejection, c: Ctx, who: CurrentPrincipal,
                 expected: int | None = Depends(if_match_version)) -> ReceptionPublic:
    return public(await service.reject(c, doc, body.reason, who, expected))


@router.post("/{reception_id}/feedback", summary="File the feedback (接待信息反馈表)",
             description="By the host or a manager, after approval: summary, spend and follow-up tasks. Due within the "
                         "branch's `feedback_due_working_days` (default 2) working days after the visit; later raises "
                         "`reception.feedback_overdue`. Completes the reception (`reception.completed`). A follow-up's "
                         "`owner_id` is active staff of the branch (422 `unknown-owner`).")
async def feedback(doc: Hosted, body: Feedback, c: Ctx, who: CurrentPrincipal) -> ReceptionPublic:
    return public(await service.file_feedback(c, doc, body, who))
