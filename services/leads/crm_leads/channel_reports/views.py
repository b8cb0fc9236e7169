"""HTTP: channel reports (渠道报备) by partners; managers see every report of their branches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, idempotent
from crm_shared.http.pagination import PageParams, fetch_page, page_params

from crm_leads.channel_reports import service
from crm_leads.channel_reports.models import ReportIn, ReportOut, ReportStatus
from crm_leads.context import BRANCH_FIELD, MANAGERS, Ctx, IdPath, load_branch

router = APIRouter(tags=["channel reports"])
READERS = ("partner", *MANAGERS)


@router.post("/v1/channel-reports", status_code=201, response_model=ReportOut, summary="Report a customer (渠道报备)",
             description="Partner. Accepted only when no open lead and no live report names the customer in the "
             "branch (full numbers match on the number, masked `138****5678` on mask + name): first report wins. "
             "Otherwise 409 `/report-conflict` (the rejected report is kept). A customer the office already knew "
             "(an appointment booked or a visit before the report) is the office's: 409 `/customer-known`, the "
             "report kept as rejected with reason `customer_known`. Valid `report_valid_days`.",
             responses={409: {"description": "`/report-conflict` or `/customer-known`, with `report_id` and `reason`."}})
async def submit(body: ReportIn, c: Ctx, response: Response, who: CurrentPrincipal,
                 key: str | None = Depends(idempotency_key)) -> ReportOut:
    branch = await load_branch(c, body.branch_id, who)
    who.require_role("partner")

    async def create() -> ReportOut:
        return service.public(await service.submit(c, branch, body, who.sub))

    return await idempotent(c.db, who.sub, key, body, response, create)


@router.get("/v1/channel-reports", summary="List channel reports",
            description="A partner sees only its own reports; managers all reports of the branch. Phones masked.")
async def list_reports(
    c: Ctx, branch_id: Annotated[str, Query(**BRANCH_FIELD)], who: Principal = require_roles(*READERS),
    status: ReportStatus | None = None, page: PageParams = Depends(page_params),
) -> dict:
    who.require_branch(branch_id)
    query = {"branch_id": branch_id} | ({"partner_id": who.sub} if who.role == "partner" else {})
    if status:
        query["status"] = status
    docs, nxt = await fetch_page(c.db.channel_reports, query, page, descending=True, projection=hidden())
    return {"items": [service.public(d) for d in docs], "next_cursor": nxt}


@router.get("/v1/channel-reports/{report_id}", response_model=ReportOut, summary="One channel report",
            description="A partner reads only its own (another's is 404); managers every report of their branches.")
async def get_report(report_id: IdPath, c: Ctx, who: CurrentPrincipal) -> ReportOut:
    return service.public(await service.get_scoped(c, report_id, who, READERS))
