"""HTTP: front desk check-in (来访登记), the visitor queue, hand-over, visit end."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.errors import Forbidden
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.plugins import ServiceContext
from crm_shared.text import Day, Line
from crm_reception import reveals
from crm_reception.common import BRANCH_FIELD, ID_FIELD, MANAGERS, READERS, STAFF, Ctx, IdPath, idempotent, scoped, utc
from crm_reception.visits import queue, rules, service
from crm_reception.visits.models import VisitAssign, VisitCreate, VisitEnd, VisitorPhoneOut, VisitPublic

router = APIRouter(prefix="/v1/visits", tags=["visits"])
DESK = ("reception", *MANAGERS)
NOT_COPIED = ("id", "queue_position", "waited_seconds", "repeat", "handovers", "owner_off_duty")


async def public(c: ServiceContext, doc: dict, repeat: bool = False) -> VisitPublic:
    """The visit as callers see it; a waiting visitor with their place in the queue and time waited so far."""
    waiting = doc["status"] == "waiting"
    waited = rules.waited_seconds(utc(doc["checked_in_at"]), c.state.clock()) if waiting else doc.get("waited_seconds") or 0
    return VisitPublic(
        id=doc["_id"], queue_position=await queue.position(c, doc), waited_seconds=waited, repeat=repeat,
        handovers=doc.get("handovers") or [], owner_off_duty=bool(doc.get("owner_off_duty")),
        **{k: doc.get(k) for k in VisitPublic.model_fields if k not in NOT_COPIED})


async def _readable(visit_id: IdPath, c: Ctx, who: CurrentPrincipal) -> dict:
    return scoped(await service.visits(c).find_one({"_id": visit_id}), who, "visit", READERS)


async def _endable(visit_id: IdPath, c: Ctx, who: CurrentPrincipal) -> dict:
    doc = scoped(await service.visits(c).find_one({"_id": visit_id}), who, "visit", STAFF)
    if who.role == "consultant" and doc.get("consultant_id") != who.sub:
        raise Forbidden("a consultant may end only their own visits")
    return doc


async def _assignable(visit_id: IdPath, c: Ctx, who: CurrentPrincipal) -> dict:
    return scoped(await service.visits(c).find_one({"_id": visit_id}), who, "visit", DESK)


@router.post("", status_code=201, summary="Check a visitor in",
             description="Never turns a visitor away. An appointment arrival goes to its consultant; a returning "
                         "customer (phone matches an open lead) to the lead's owner with `returning: true`, using "
                         "nobody's turn; anyone else to the next free consultant in today's rotation. When that "
                         "consultant is busy, or nobody in the rotation is free, the visit is recorded at once with "
                         "`status: \"waiting\"`, `consultant_id: null` and its `queue_position`; it is assigned "
                         "(`visit.assigned`) as soon as a consultant may take it, longest-waiting first. A returning "
                         "customer whose owner is not in today's rotation is flagged `owner_off_duty` (with "
                         "`owner_name`, `owner_status`) and, per `if_owner_off_duty`, waits for the owner (default) or "
                         "goes to the rotation; the desk may hand over with `POST /v1/visits/{id}/assign`. The same "
                         "phone checked in again while its visit is waiting or open gets that visit back: 200, "
                         "`repeat: true`, nothing recorded or counted twice.")
async def check_in(body: VisitCreate, c: Ctx, response: Response, who: Principal = require_roles(*DESK),
                   key: str | None = Depends(idempotency_key)) -> VisitPublic:
    who.require_branch(body.branch_id)

    async def create() -> VisitPublic:
        doc, fresh = await service.check_in(c, body)
        if not fresh:
            response.status_code = 200
        return await public(c, doc, repeat=not fresh)

    return await idempotent(c, who, key, body, response, create)


@router.post("/{visit_id}/assign", summary="Hand a visitor to a named consultant",
             description="Reception and managers. `consultant_id` (an active consultant of the branch) with a "
                         "`reason`: the consultant takes the visitor now if free, else the visitor waits for them. The "
                         "consultant who had the visitor gets their rotation turn and place back; a new customer uses "
                         "the named consultant's turn. `consultant_id: null` hands a waiting visitor to the rotation "
                         "(e.g. the owner is off duty). Event `visit.assigned` when a consultant takes the visitor. "
                         "409 `wrong-status` once ended; 422 `unknown-consultant`, `consultant-required` (null for a "
                         "visitor who already has a consultant). If-Match.")
async def assign(doc: Annotated[dict, Depends(_assignable)], body: VisitAssign, c: Ctx, who: CurrentPrincipal,
                 expected: int | None = Depends(if_match_version)) -> VisitPublic:
    return await public(c, await queue.hand_over(c, doc, body.consultant_id, body.reason, who.sub, expected))


@router.post("/{visit_id}/end", summary="End a visit with its outcome",
             description="Frees the consultant in the rotation, who takes the longest-waiting visitor they may serve; "
                         "a waiting visitor who left is ended the same way. A consultant may end only their own visits.")
async def end_visit(doc: Annotated[dict, Depends(_endable)], c: Ctx, body: VisitEnd | None = None) -> VisitPublic:
    return await public(c, await service.end(c, doc, body or VisitEnd()))


@router.get("", summary="List visits (the visitor queue with `status=waiting`)",
            description="Filter by branch, status (`waiting` `open` `ended`), branch-local `date` of check-in and "
                        "lead; in order of arrival, waiting visitors with `queue_position` and `waited_seconds` so "
                        "far. Staff and integrators; partners 403.")
async def list_visits(c: Ctx, page: PageParams = Depends(page_params), who: Principal = require_roles(*READERS),
                      branch_id: str | None = Query(None, **BRANCH_FIELD),
                      status: Literal["waiting", "open", "ended"] | None = None,
                      day: Annotated[Day | None, Query(alias="date", description="Branch-local day of check-in.")] = None,
                      lead_id: str | None = Query(None, **ID_FIELD)) -> dict:
    query: dict = who.branch_filter(branch_id)
    if status:
        query["status"] = status
    if day:
        query["rotation_day"] = day.isoformat()
    if lead_id:
        query["lead_id"] = lead_id
    docs, nxt = await fetch_page(c.db[service.VISITS], query, page, projection=hidden())
    return {"items": [(await public(c, d)).model_dump(mode="json") for d in docs], "next_cursor": nxt}


@router.get("/audit", summary="Audit of full-number reveals of visitors, newest first",
            description="Managers and admins: who saw which visitor's full phone, when and why (the shape of "
                        "`GET /v1/appointments/audit`).")
async def list_audit(c: Ctx, who: CurrentPrincipal, branch_id: str = Query(**BRANCH_FIELD),
                     visit_id: str | None = Query(None, **ID_FIELD), page: PageParams = Depends(page_params)) -> dict:
    return await reveals.audit_page(c, who, branch_id, "visit", visit_id, page)


@router.get("/{visit_id}", summary="One visit", description="Staff and integrators (the phone masked for every role); "
            "partners 403.")
async def get_visit(doc: Annotated[dict, Depends(_readable)], c: Ctx) -> VisitPublic:
    return await public(c, doc)


@router.get("/{visit_id}/phone", summary="Reveal the visitor's full phone (audited)",
            description="The visit's consultant, the front desk, managers and admins (another consultant, "
                        "integrators and partners 403). The audit record is written before the number is returned "
                        "(`GET /v1/visits/audit`). 409 `no-full-number` for a visit recorded before numbers were kept "
                        "sealed.")
async def reveal_phone(doc: Annotated[dict, Depends(_readable)], c: Ctx, who: CurrentPrincipal,
                       reason: Annotated[Line(200) | None, Query(description="Why the number is needed.")] = None,
                       ) -> VisitorPhoneOut:
    return VisitorPhoneOut(**await reveals.reveal_visitor(c, doc, who, reason))
