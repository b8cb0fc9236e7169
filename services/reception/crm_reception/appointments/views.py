"""HTTP: appointments and showings (预约 / 带看)."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.errors import Forbidden, Invalid
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.reveals import mask_email, mask_phone
from crm_shared.text import Day, Line, Moment
from crm_reception import reveals
from crm_reception.appointments import service
from crm_reception.appointments.models import (
    AppointmentCreate, AppointmentPatch, AppointmentPublic, CancelIn, ContactOut, Status,
)
from crm_reception.common import BRANCH_FIELD, ID_FIELD, READERS, STAFF, Ctx, IdPath, idempotent, scoped

router = APIRouter(prefix="/v1/appointments", tags=["appointments"])
Reason = Annotated[Line(200) | None, Query(description="Why the number is needed (kept in the audit).")]


def public(doc: dict, who: Principal | None = None) -> AppointmentPublic:
    """The appointment as every role sees it: the customer's phone and email masked (issue 19); the full
    contact only from the audited `GET /v1/appointments/{id}/contact`."""
    customer = dict(doc["customer"])
    customer["phone"], customer["email"] = mask_phone(customer.get("phone")), mask_email(customer.get("email"))
    return AppointmentPublic(id=doc["_id"], customer=customer, checklist=service.checklist_lines(doc),
                             site_checklist=service.checklist_items(doc),
                             **{k: doc.get(k) for k in AppointmentPublic.model_fields
                                if k not in ("id", "customer", "checklist", "site_checklist")})


async def _readable(appointment_id: IdPath, c: Ctx, who: CurrentPrincipal) -> dict:
    return scoped(await service.appointments(c).find_one({"_id": appointment_id}), who, "appointment", READERS)


async def _changeable(appointment_id: IdPath, c: Ctx, who: CurrentPrincipal) -> dict:
    """The appointment for a caller who may change it: staff of its branch, and of consultants only
    its own consultant (reading colleagues' appointments stays open: the branch shares a calendar)."""
    doc = scoped(await service.appointments(c).find_one({"_id": appointment_id}), who, "appointment", STAFF)
    if who.role == "consultant" and doc["consultant_id"] != who.sub:
        raise Forbidden("a consultant changes, cancels or marks no-show only its own appointments")
    return doc


Readable = Annotated[dict, Depends(_readable)]
Changeable = Annotated[dict, Depends(_changeable)]


@router.post("", status_code=201, summary="Book an appointment or showing",
             description="Claims the consultant's time race-safely: of two overlapping bookings exactly one gets 201, "
                         "the other 409 `double-booking`. Times are rounded outward to 5-minute slots. A showing with "
                         "`on_site` carries the site checklist (hard hats, children/elderly wait, route). Staff only. "
                         "422 `unknown-consultant` (not an active consultant of the branch), `unknown-lead` (not a lead "
                         "reception has seen registered in the branch; one registered a moment ago may need a retry), "
                         "`start-in-past`.")
async def book(body: AppointmentCreate, c: Ctx, response: Response, who: Principal = require_roles(*STAFF),
               key: str | None = Depends(idempotency_key)) -> AppointmentPublic:
    who.require_branch(body.branch_id)
    return await idempotent(c, who, key, body, response, lambda: _create(c, body, who))


async def _create(c: Ctx, body: AppointmentCreate, who: Principal) -> AppointmentPublic:
    return public(await service.create(c, body), who)


@router.get("", summary="List appointments",
            description="Filters: branch, consultant, lead, start time range, status. Staff and integrators, the customer's "
                        "phone and email masked for every role; partners 403: the office's customers are not theirs to report.")
async def list_appointments(
    c: Ctx, page: PageParams = Depends(page_params), who: Principal = require_roles(*READERS),
    branch_id: str | None = Query(None, **BRANCH_FIELD), consultant_id: str | None = Query(None, **ID_FIELD),
    start_from: Annotated[Moment | None, Query(alias="from")] = None,
    start_to: Annotated[Moment | None, Query(alias="to")] = None,
    status: Status | None = None, lead_id: str | None = Query(None, **ID_FIELD),
) -> dict:
    query: dict = who.branch_filter(branch_id)
    if consultant_id:
        query["consultant_id"] = consultant_id
    if lead_id:
        query["lead_id"] = lead_id
    if status:
        query["status"] = status
    if start_from or start_to:
        query["start"] = {k: v for k, v in (("$gte", start_from), ("$lt", start_to)) if v}
    docs, nxt = await fetch_page(c.db[service.APPOINTMENTS], query, page, projection=hidden())
    return {"items": [public(d, who).model_dump(mode="json") for d in docs], "next_cursor": nxt}


@router.get("/availability", summary="A consultant's free and busy time on a day",
            description="Busy intervals (scheduled or arrived appointments) and free gaps within opening hours, branch time. "
                        "Staff and integrators. 422 `unknown-consultant` for anyone never a consultant of the branch.")
async def availability(
    c: Ctx, day: Annotated[Day, Query(alias="date", description="Branch-local date.")],
    who: Principal = require_roles(*READERS), branch_id: str = Query(**BRANCH_FIELD),
    consultant_id: str = Query(**ID_FIELD),
    opens: time = Query(time(9, 0), description="Opening time, branch-local."),
    closes: time = Query(time(18, 0), description="Closing time, branch-local."),
) -> dict:
    who.require_branch(branch_id)
    if opens.tzinfo is not None or closes.tzinfo is not None:
        raise Invalid("opens and closes are branch-local wall-clock times, without an offset",
                      errors=[{"loc": ["query", "opens" if opens.tzinfo else "closes"], "msg": "no UTC offset allowed"}])
    if closes <= opens:
        raise Invalid("closes must be after opens", errors=[{"loc": ["query", "closes"], "msg": "before opens"}])
    return await service.availability(c, branch_id, consultant_id, day, opens, closes)


@router.get("/audit", summary="Audit of full-contact reveals of appointments, newest first",
            description="Managers and admins: who saw which appointment's full phone and email, when and why "
                        "(`{id, branch_id, actor_id, actor_name, actor_role, action, object_type, object_id, "
                        "phone_masked, email_masked, reason, at}`; the masks, never the number).")
async def list_audit(c: Ctx, who: CurrentPrincipal, branch_id: str = Query(**BRANCH_FIELD),
                     appointment_id: str | None = Query(None, **ID_FIELD),
                     page: PageParams = Depends(page_params)) -> dict:
    return await reveals.audit_page(c, who, branch_id, "appointment", appointment_id, page)


@router.get("/{appointment_id}", summary="One appointment",
            description="Staff and integrators, the phone and email masked for every role; partners 403.")
async def get_appointment(doc: Readable, who: CurrentPrincipal) -> AppointmentPublic:
    return public(doc, who)


@router.get("/{appointment_id}/contact", summary="Reveal the customer's full phone and email (audited)",
            description="The appointment's own consultant, the front desk, managers and admins (another consultant "
                        "403, integrators and partners 403). The audit record (who, when, which appointment, the "
                        "masks, `?reason=`) is written before the contact is returned (`GET /v1/appointments/audit`). "
                        "409 `no-full-number` when no contact is on file.")
async def reveal_contact(doc: Readable, c: Ctx, who: CurrentPrincipal, reason: Reason = None) -> ContactOut:
    return ContactOut(**await reveals.reveal_contact(c, doc, who, reason))


@router.patch("/{appointment_id}", summary="Reschedule or hand over to another consultant",
              description="`start`+`end` move it, `consultant_id` hands it over; the new time is claimed before the old "
                          "is freed, so a clash leaves it unchanged (409). `If-Match` guards against stale edits (412). "
                          "A consultant changes only its own appointments (403); front desk and managers any of the branch.")
async def patch(doc: Changeable, body: AppointmentPatch, c: Ctx, who: CurrentPrincipal,
                expected: int | None = Depends(if_match_version)) -> AppointmentPublic:
    return public(await service.reschedule(c, doc, body, expected), who)


@router.post("/{appointment_id}/cancel", summary="Cancel (frees the slot)",
             description="A consultant cancels only its own appointments (403); front desk and managers any of the branch.")
async def cancel(doc: Changeable, c: Ctx, who: CurrentPrincipal, body: CancelIn | None = None,
                 expected: int | None = Depends(if_match_version)) -> AppointmentPublic:
    return public(await service.cancel(c, doc, body.reason if body else None, expected), who)


@router.post("/{appointment_id}/no-show", summary="Mark as no-show",
             description="Also happens automatically when nobody checked in within the branch's `no_show_grace_minutes`. "
                         "A consultant marks only its own appointments (403).")
async def no_show(doc: Changeable, c: Ctx, who: CurrentPrincipal,
                  expected: int | None = Depends(if_match_version)) -> AppointmentPublic:
    return public(await service.no_show(c, doc, expected), who)
