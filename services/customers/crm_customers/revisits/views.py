"""HTTP of revisits (回访): the task list and logging a revisit; the rules live in `rules.py` and `service.py`.

Scope: managers and admins see the tasks of their branches; a consultant only its own (it is the account
manager); the front desk, finance, partners and integrators none.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.http.auth import Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, idempotent
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.plugins import ServiceContext, context_of
from crm_shared.text import Day

from crm_customers.revisits import records, rules
from crm_customers.revisits.models import BRANCH_FIELD, ID_FIELD, IdPath, RevisitIn, RevisitTaskOut, TaskStatus
from crm_customers.revisits.service import TASKS

router = APIRouter(tags=["revisits"])
Ctx = Annotated[ServiceContext, Depends(context_of("customers"))]
HIDE = hidden()


async def _names(c: ServiceContext, docs: list[dict]) -> dict[str, str]:
    ids = sorted({i for d in docs for i in (d.get("assignee_id"), (d.get("log") or {}).get("logged_by")) if i})
    found = await c.db.staff.find({"_id": {"$in": ids}}, projection={"name": 1}).to_list() if ids else []
    return {f["_id"]: f.get("name") for f in found}


def public(doc: dict, names: dict[str, str]) -> RevisitTaskOut:
    log = doc.get("log")
    if log:
        log = {**log, "kind_name": rules.WAY_NAMES.get(log["kind"]), "logged_by_name": names.get(log["logged_by"])}
    return RevisitTaskOut(
        id=doc["_id"], **{k: doc.get(k) for k in ("branch_id", "archive_id", "archive_number", "customer_name", "kind",
                                                  "deal_id", "due_on", "due_at", "overdue_at", "status", "assignee_id",
                                                  "version")},
        kind_name=rules.KIND_NAMES.get(doc["kind"]), status_name=rules.STATUS_NAMES.get(doc["status"]),
        assignee_name=names.get(doc.get("assignee_id") or ""), log=log)


@router.get("/v1/revisits", summary="Revisit tasks (回访任务)",
            description="Managers and admins: the tasks of their branches; a consultant: its own. Default: the due "
            "and overdue tasks; `status` (`planned` `due` `overdue` `done` `cancelled`), `assignee_id`, `archive_id`, "
            "`due_before` (a branch-local date: due on or before it). In due order.")
async def list_revisits(
    c: Ctx, who: Principal = require_roles("consultant", *records.MANAGERS), page: PageParams = Depends(page_params),
    branch_id: Annotated[str | None, Query(**BRANCH_FIELD)] = None,
    assignee_id: Annotated[str | None, Query(**ID_FIELD)] = None,
    archive_id: Annotated[str | None, Query(**ID_FIELD)] = None,
    status: TaskStatus | None = None, due_before: Annotated[Day | None, Query()] = None,
) -> dict:
    query = who.branch_filter(branch_id)
    query["status"] = status or {"$in": ["due", "overdue"]}
    if who.role == "consultant":
        if assignee_id not in (None, who.sub):
            return {"items": [], "next_cursor": None}  # a consultant sees only its own tasks
        query["assignee_id"] = who.sub
    elif assignee_id:
        query["assignee_id"] = assignee_id
    if archive_id:
        query["archive_id"] = archive_id
    if due_before:
        query["due_on"] = {"$lte": due_before.isoformat()}
    docs, nxt = await fetch_page(c.db[TASKS], query, page, projection=HIDE)
    names = await _names(c, docs)
    return {"items": [public(d, names) for d in docs], "next_cursor": nxt}


@router.post("/v1/archives/{archive_id}/revisits", status_code=201, response_model=RevisitTaskOut,
             summary="Log a revisit (回访记录)",
             description="The archive's account manager or a manager: `kind`, `note`, `satisfaction` (1-5), `task_id?`. "
             "Closes the task (the one named, else the earliest due or overdue one) and publishes `revisit.logged` "
             "with `on_time`; 409 `archive-frozen` for a frozen archive. `Idempotency-Key` accepted.")
async def log_revisit(archive_id: IdPath, body: RevisitIn, c: Ctx, response: Response,
                      who: Principal = require_roles("consultant", "reception", "finance", *records.MANAGERS),
                      key: str | None = Depends(idempotency_key)) -> RevisitTaskOut:
    archive = await records.archive_for(c, archive_id, who)

    async def create() -> RevisitTaskOut:
        doc = await records.log(c, archive, body, who)
        return public(doc, await _names(c, [doc]))

    return await idempotent(c.db, who.sub, key, body, response, create)
