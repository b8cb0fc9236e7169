"""HTTP of complaints (客户投诉): request parsing, scope and roles; the rules live in `service.py` and `rules.py`.

Scope: managers and admins see every complaint of their branches; the other staff (consultants, the front desk,
finance) those they received or are assigned; partners and integrators none.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.events.customers import ComplaintCategory, ComplaintStatus, Severity
from crm_shared.http.auth import Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, idempotent, if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext, context_of

from crm_customers.complaints import service
from crm_customers.complaints.models import (BRANCH_FIELD, ID_FIELD, ActionDoneIn, ActionIn, ApprovalIn, AssignIn,
                                             CloseIn, ComplaintIn, ComplaintOut, IdPath, ReopenIn, ReportIn)
from crm_customers.complaints.service import COMPLAINTS, MANAGERS, STAFF
from crm_customers.complaints.shapes import public, staff_names

router = APIRouter(tags=["complaints"])
Ctx = Annotated[ServiceContext, Depends(context_of("customers"))]
Expected = Annotated[int | None, Depends(if_match_version)]
LIST_FIELDS = hidden({"history": 0, "earlier": 0})


async def _load(c: ServiceContext, complaint_id: str, who: Principal) -> dict:
    return service.visible(await c.aggregate(COMPLAINTS).find_one({"_id": complaint_id}), who)


async def _answer(c: ServiceContext, doc: dict, history: bool = True) -> ComplaintOut:
    return public(doc, await staff_names(c, [doc]), history=history)


@router.post("/v1/complaints", status_code=201, response_model=ComplaintOut, summary="Receive a complaint (受理投诉)",
             description="Any staff of the branch (managers, consultants, the front desk, finance). Numbered "
             "`YYMM-NNN` per branch and branch-local month, without gaps or repeats. The report is due in 3 days, "
             "the handling by severity (major 3, normal 7 days). Publishes `complaint.received` with the customer's "
             "number sealed (notify texts the customer the number). `Idempotency-Key` accepted.")
async def receive(body: ComplaintIn, c: Ctx, response: Response, who: Principal = require_roles(*STAFF),
                  key: str | None = Depends(idempotency_key)) -> ComplaintOut:
    who.require_branch(body.branch_id)

    async def create() -> ComplaintOut:
        return await _answer(c, await service.intake(c, body, who), history=False)

    return await idempotent(c.db, who.sub, key, body, response, create)


@router.get("/v1/complaints", summary="Complaints of a branch",
            description="Managers and admins: every complaint of their branches; other staff: those they received or "
                        "are assigned. Filters `status`, `category`, `severity`, `assignee_id`, `overdue=true` (a "
                        "deadline past and unmet now). Newest first.")
async def list_complaints(
    c: Ctx, who: Principal = require_roles(*STAFF), page: PageParams = Depends(page_params),
    branch_id: Annotated[str | None, Query(**BRANCH_FIELD)] = None,
    status: ComplaintStatus | None = None, category: ComplaintCategory | None = None, severity: Severity | None = None,
    assignee_id: Annotated[str | None, Query(**ID_FIELD)] = None, overdue: Literal["true", "false"] | None = None,
) -> dict:
    query = who.branch_filter(branch_id)
    query |= {k: v for k, v in (("status", status), ("category", category), ("severity", severity),
                                ("assignee_id", assignee_id)) if v}
    clauses = []
    if who.role not in MANAGERS:
        clauses.append({"$or": [{"received_by": who.sub}, {"assignee_id": who.sub}]})
    now = utcnow()
    if overdue == "true":
        clauses.append({"status": {"$ne": "closed"}, "$or": [
            {"report_filed_at": None, "report_due_at": {"$lt": now}}, {"due_at": {"$lt": now}}]})
    elif overdue == "false":
        clauses.append({"$or": [{"status": "closed"}, {"due_at": {"$gte": now},
                                                       "$or": [{"report_filed_at": {"$ne": None}},
                                                               {"report_due_at": {"$gte": now}}]}]})
    if clauses:
        query = {"$and": [query, *clauses]}
    docs, nxt = await fetch_page(c.db[COMPLAINTS], query, page, descending=True, projection=LIST_FIELDS)
    names = await staff_names(c, docs)
    return {"items": [public(d, names, now=now) for d in docs], "next_cursor": nxt}


@router.get("/v1/complaints/{complaint_id}", response_model=ComplaintOut, summary="One complaint with its history")
async def get_complaint(complaint_id: IdPath, c: Ctx, who: Principal = require_roles(*STAFF)) -> ComplaintOut:
    return await _answer(c, await _load(c, complaint_id, who))


@router.post("/v1/complaints/{complaint_id}/assign", response_model=ComplaintOut, summary="Assign the investigation",
             description="Manager. `assignee_id` an active staff member of the branch; the complaint goes "
             "`investigating`. Publishes `complaint.assigned`. `If-Match` accepted.")
async def assign(complaint_id: IdPath, body: AssignIn, c: Ctx, expected: Expected,
                 who: Principal = require_roles(*STAFF)) -> ComplaintOut:
    doc = await _load(c, complaint_id, who)
    who.require_role(*MANAGERS)
    return await _answer(c, await service.assign(c, doc, expected, body, who))


@router.post("/v1/complaints/{complaint_id}/report", response_model=ComplaintOut,
             summary="File the investigation report (调查报告)",
             description="The assignee or a manager: `cause`, `responsibility`, `proposal`. Meets the report deadline; "
             "needs a manager's approval. Publishes `complaint.report_filed`.")
async def file_report(complaint_id: IdPath, body: ReportIn, c: Ctx, expected: Expected,
                      who: Principal = require_roles(*STAFF)) -> ComplaintOut:
    doc = await _load(c, complaint_id, who)
    return await _answer(c, await service.file_report(c, doc, expected, body, who))


@router.post("/v1/complaints/{complaint_id}/report/approve", response_model=ComplaintOut,
             summary="Approve the investigation report",
             description="Manager. The complaint goes `responded`. Publishes `complaint.report_approved`.")
async def approve_report(complaint_id: IdPath, body: ApprovalIn, c: Ctx, expected: Expected,
                         who: Principal = require_roles(*STAFF)) -> ComplaintOut:
    doc = await _load(c, complaint_id, who)
    who.require_role(*MANAGERS)
    return await _answer(c, await service.approve_report(c, doc, expected, body, who))


@router.post("/v1/complaints/{complaint_id}/actions", status_code=201, response_model=ComplaintOut,
             summary="Add an improvement action (整改措施)",
             description="The assignee or a manager: `what`, `owner_id` (staff of the branch), `due` (a date).")
async def add_action(complaint_id: IdPath, body: ActionIn, c: Ctx, expected: Expected,
                     who: Principal = require_roles(*STAFF)) -> ComplaintOut:
    doc = await _load(c, complaint_id, who)
    return await _answer(c, await service.add_action(c, doc, expected, body, who))


@router.post("/v1/complaints/{complaint_id}/actions/{action_id}/done", response_model=ComplaintOut,
             summary="Mark an improvement action done",
             description="The assignee or a manager, also after closing. Publishes `complaint.action_done`.")
async def action_done(complaint_id: IdPath, action_id: IdPath, body: ActionDoneIn, c: Ctx, expected: Expected,
                      who: Principal = require_roles(*STAFF)) -> ComplaintOut:
    doc = await _load(c, complaint_id, who)
    return await _answer(c, await service.action_done(c, doc, expected, action_id, body, who))


@router.post("/v1/complaints/{complaint_id}/close", response_model=ComplaintOut, summary="Close (结案)",
             description="Manager, once the report is approved: `customer_response` (`satisfied` `unsatisfied`), "
             "`resolution{kind, note}`; `deal_id` (a deal of the branch) required for a `refund` or `exchange`. "
             "Publishes `complaint.closed`.")
async def close(complaint_id: IdPath, body: CloseIn, c: Ctx, expected: Expected,
                who: Principal = require_roles(*STAFF)) -> ComplaintOut:
    doc = await _load(c, complaint_id, who)
    who.require_role(*MANAGERS)
    return await _answer(c, await service.close(c, doc, expected, body, who))


@router.post("/v1/complaints/{complaint_id}/reopen", response_model=ComplaintOut, summary="Reopen",
             description="Manager: `reason`. New report and handling deadlines from now; a new report is needed. "
             "Publishes `complaint.reopened`.")
async def reopen(complaint_id: IdPath, body: ReopenIn, c: Ctx, expected: Expected,
                 who: Principal = require_roles(*STAFF)) -> ComplaintOut:
    doc = await _load(c, complaint_id, who)
    who.require_role(*MANAGERS)
    return await _answer(c, await service.reopen(c, doc, expected, body, who))
