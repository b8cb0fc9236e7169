"""HTTP: channel reports (渠道报备) by partners, their follow-ups and renewals; managers see every report of
their branches; the front desk asks which partner reported a visitor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, idempotent
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.ids import utcnow
from crm_shared.text import Line

from crm_leads.channel_reports import matching, service, upkeep
from crm_leads.channel_reports.models import FollowUpIn, FollowUpOut, MatchOut, ReportIn, ReportOut, ReportStatus
from crm_leads.context import BRANCH_FIELD, ID_FIELD, MANAGERS, Ctx, IdPath, load_branch
from crm_leads.partners import service as partners

router = APIRouter(tags=["channel reports"])
READERS = ("partner", *MANAGERS)
DESK = ("reception", *MANAGERS)


@router.post("/v1/channel-reports", status_code=201, response_model=ReportOut, summary="Report a customer (渠道报备)",
             description="Partner. Accepted only when no open lead and no live report names the customer in the "
             "branch: first report wins. Full numbers match on the number; masks in either form (`138****5678`, "
             "`1381**45678`) on name and the digits both sides show. Otherwise 409 `/report-conflict` with `reason` "
             "`open_lead` or `reported_first` (the rejected report is kept). A customer the office already knew "
             "(an appointment booked or a visit before the report) is the office's: 409 `/customer-known`, the "
             "report kept as rejected with reason `customer_known`. 带团直接进场: a customer whose first visit just "
             "opened the lead may be reported by the partner who brought them, the same day when the desk recorded "
             "the partner on the visit (`POST /v1/partners/{id}/arrivals`) or within `same_day_grace_minutes` of the "
             "check-in: the report confirms at once. Valid `report_valid_days`; live while followed up.",
             responses={409: {"description": "`/report-conflict` or `/customer-known`, with `report_id` and `reason`."}})
async def submit(body: ReportIn, c: Ctx, response: Response, who: CurrentPrincipal,
                 key: str | None = Depends(idempotency_key)) -> ReportOut:
    branch = await load_branch(c, body.branch_id, who)
    who.require_role("partner")

    async def create() -> ReportOut:
        return service.public(await service.submit(c, branch, body, who.sub), who)

    return await idempotent(c.db, who.sub, key, body, response, create)


@router.get("/v1/channel-reports", summary="List channel reports",
            description="A partner sees its own reports and, an agency, its agents'; managers all reports of the "
            "branch (filters `partner_id`, `agency_id`). Phones masked. Newest first.")
async def list_reports(
    c: Ctx, branch_id: Annotated[str, Query(**BRANCH_FIELD)], who: Principal = require_roles(*READERS),
    status: ReportStatus | None = None, partner_id: Annotated[str | None, Query(**ID_FIELD)] = None,
    agency_id: Annotated[str | None, Query(**ID_FIELD)] = None, page: PageParams = Depends(page_params),
) -> dict:
    who.require_branch(branch_id)
    query: dict = {"branch_id": branch_id}
    query |= {k: v for k, v in (("status", status), ("partner_id", partner_id), ("agency_id", agency_id)) if v}
    if who.role == "partner":
        query |= partners.partner_filter(who)
    docs, nxt = await fetch_page(c.db.channel_reports, query, page, descending=True, projection=hidden())
    return {"items": [service.public(d, who) for d in docs], "next_cursor": nxt}


@router.get("/v1/channel-reports/match", response_model=MatchOut | None, summary="Which partner reported a visitor",
            description="Front desk or manager, at check-in: the live report naming the customer (`phone_hash` and "
            "`phone_masked` as the visit shows them, and the name), with the partner's and agency's names; null when "
            "none (渠道客户 or not).")
async def match(
    c: Ctx, branch_id: Annotated[str, Query(**BRANCH_FIELD)], phone_masked: Annotated[str, Query(min_length=3, max_length=20)],
    customer_name: Annotated[Line(100), Query()], who: Principal = require_roles(*DESK),
    phone_hash: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
) -> MatchOut | None:
    who.require_branch(branch_id)
    doc = await matching.live_report(c, branch_id, phone_hash, phone_masked, customer_name, utcnow())
    if doc is None:
        return None
    names = await partners.names(c, {doc["partner_id"], doc.get("agency_id")})
    return MatchOut(report_id=doc["_id"], partner_id=doc["partner_id"], partner_name=names.get(doc["partner_id"]),
                    agency_id=doc.get("agency_id"), agency_name=names.get(doc.get("agency_id") or ""),
                    status=doc["status"], reported_at=doc["created_at"], expires_at=doc["expires_at"],
                    protection_until=doc.get("protection_until"), first_visit_at=doc.get("first_visit_at"))


@router.get("/v1/channel-reports/{report_id}", response_model=ReportOut, summary="One channel report",
            description="A partner reads its own and, an agency, its agents' (another's is 404); managers every "
            "report of their branches.")
async def get_report(report_id: IdPath, c: Ctx, who: CurrentPrincipal) -> ReportOut:
    return service.public(await service.get_scoped(c, report_id, who, READERS), who)


@router.post("/v1/channel-reports/{report_id}/follow-ups", status_code=201, response_model=FollowUpOut,
             summary="Log a partner follow-up (持续跟进)",
             description="Partner (its own report; an agency also its agents'). Keeps the report live "
             "`report_lapse_days` (5) from `at`; without one it lapses (`channel_report.expired`, reason "
             "`no_follow_up`) and the customer must be reported again. 409 `report-not-live`.")
async def follow_up(report_id: IdPath, body: FollowUpIn, c: Ctx, who: CurrentPrincipal) -> FollowUpOut:
    doc = await service.get_scoped(c, report_id, who, ("partner",))
    branch = await load_branch(c, doc["branch_id"])
    return FollowUpOut(**await upkeep.follow_up(c, branch, doc, body, who))


@router.get("/v1/channel-reports/{report_id}/follow-ups", summary="The partner's follow-up log of a report",
            description="Partner (its own, an agency its agents') or manager; newest first.")
async def follow_ups(report_id: IdPath, c: Ctx, who: CurrentPrincipal) -> dict:
    doc = await service.get_scoped(c, report_id, who, READERS)
    entries = sorted(doc.get("follow_ups") or [], key=lambda e: e["at"], reverse=True)
    return {"items": [FollowUpOut(report_id=doc["_id"], **e) for e in entries]}


@router.post("/v1/channel-reports/{report_id}/renew", response_model=ReportOut, summary="Renew a confirmation (续签)",
             description="Partner (its own report; an agency also its agents'), in the confirmation's last "
             "`renewal_window_days` (10): protected another `confirmation_months` (2), and the lead with it. "
             "409 `renewal-too-early` (with `renewable_from`), `not-renewable`.")
async def renew(report_id: IdPath, c: Ctx, who: CurrentPrincipal) -> ReportOut:
    doc = await service.get_scoped(c, report_id, who, ("partner",))
    return service.public(await upkeep.renew(c, doc, who), who)
