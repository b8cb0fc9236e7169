"""HTTP of relationship evaluations (客户关系评估表): the group's indicators, filing, review and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.http.auth import Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, idempotent, if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.plugins import ServiceContext, context_of

from crm_customers.archives import service as archives
from crm_customers.archives.models import BRANCH_FIELD, ID_FIELD, IdPath
from crm_customers.evaluations import service
from crm_customers.evaluations.models import EvaluationIn, EvaluationOut, IndicatorIn, ReviewIn

router = APIRouter(tags=["evaluations"])
Ctx = Annotated[ServiceContext, Depends(context_of("customers"))]
Expected = Annotated[int | None, Depends(if_match_version)]
Readers = Annotated[Principal, require_roles(*archives.READERS)]
Managers = Annotated[Principal, require_roles(*archives.MANAGERS)]


def _table(doc: dict) -> dict:
    return {"items": [{k: i[k] for k in ("key", "name", "weight")} for i in doc["items"]], "version": doc["version"],
            "updated_by": doc.get("updated_by"), "updated_at": doc.get("updated_at")}


@router.get("/v1/evaluation-indicators", summary="The group's evaluation indicators and weights",
            description="Staff who evaluate or review (consultants, managers, admins). The defaults until an admin "
            "sets the table: 购买金额 30, 推荐成交 20, 沟通配合 15, 满意度 20, 投诉记录 15.")
async def get_indicators(c: Ctx, who: Readers) -> dict:
    return _table(await service.indicators(c))


@router.put("/v1/evaluation-indicators", summary="Set the group's indicators (admin)",
            description="`[{key, name, weight}]`, 1–20 indicators, distinct keys, integer weights summing to 100 "
            "(else 422 `weights-not-100`). Evaluations keep the table they were scored with. `If-Match: <version>`.")
async def put_indicators(c: Ctx, expected: Expected, who: Annotated[Principal, require_roles("admin")],
                         body: Annotated[list[IndicatorIn], Body(min_length=1, max_length=20)]) -> dict:
    return _table(await service.set_indicators(c, [i.model_dump() for i in body], expected, who))


@router.post("/v1/evaluations", status_code=201, response_model=EvaluationOut, summary="File an evaluation",
             description="The archive's account manager or a manager: a score 0–100 for every indicator (422 "
             "`scores-mismatch`). Score = weighted sum (two decimals); grade A ≥ 85, B ≥ 70, C ≥ 55, D; the "
             "recommendation defaults by grade (A/B maintain, C improve, D end) and may be changed within the grade "
             "(B improve; C maintain or end; D improve; else 422). Status `submitted`. Accepts `Idempotency-Key`.")
async def submit(body: EvaluationIn, c: Ctx, response: Response, who: Readers,
                 key: str | None = Depends(idempotency_key)) -> EvaluationOut:
    async def create() -> EvaluationOut:
        return service.public(await service.submit(c, body, who))

    return await idempotent(c.db, who.sub, key, body, response, create)


@router.get("/v1/evaluations", summary="Evaluations, newest first (an archive's history with `archive_id`)",
            description="In the caller's branches; a consultant sees those of the archives it manages.")
async def list_evaluations(c: Ctx, who: Readers, page: PageParams = Depends(page_params),
                           archive_id: Annotated[str | None, Query(**ID_FIELD)] = None,
                           branch_id: Annotated[str | None, Query(**BRANCH_FIELD)] = None,
                           status: Annotated[str | None, Query(pattern="^(submitted|approved|returned)$")] = None) -> dict:
    query = who.branch_filter(branch_id)
    if archive_id:
        await archives.get_scoped(c, archive_id, who)
        query["archive_id"] = archive_id
    elif who.role == "consultant":
        query["account_manager_id"] = who.sub
    if status:
        query["status"] = status
    docs, nxt = await fetch_page(c.aggregate(service.EVALUATIONS).collection, query, page, descending=True,
                                 projection=hidden())
    return {"items": [service.public(d).model_dump(mode="json") for d in docs], "next_cursor": nxt}


@router.get("/v1/evaluations/{evaluation_id}", response_model=EvaluationOut, summary="One evaluation")
async def get_evaluation(evaluation_id: IdPath, c: Ctx, who: Readers) -> EvaluationOut:
    return service.public(await service.get_scoped(c, evaluation_id, who))


@router.post("/v1/evaluations/{evaluation_id}/review", response_model=EvaluationOut, summary="Review an evaluation",
             description="Manager: `approved` or `returned` (the account manager files a new one), `note`. 409 "
             "`wrong-status` once reviewed.")
async def review(evaluation_id: IdPath, body: ReviewIn, c: Ctx, expected: Expected, who: Managers) -> EvaluationOut:
    doc = await service.get_scoped(c, evaluation_id, who)
    return service.public(await service.review(c, doc, body.decision, body.note, expected, who))
