"""HTTP: appointments and showings (预约 / 带看)."""

from __future__ import annotations

from datetime import date, time

from fastapi import APIRouter, Depends, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.errors import Invalid
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.phones import mask
from crm_reception.appointments import service
from crm_reception.appointments.models import AppointmentCreate, AppointmentPatch, AppointmentPublic, CancelIn, Status
from crm_reception.common import BRANCH_FIELD, ID_FIELD, AwareDatetime, Ctx, IdPath, idempotent, sane_date, visible

router = APIRouter(prefix="/v1/appointments", tags=["appointments"])
BOOKERS = ("consultant", "reception", "manager", "admin")
SEES_PHONE = ("consultant", "reception", "manager", "admin")


def public(doc: dict, who: Principal) -> AppointmentPublic:
    customer = dict(doc["customer"])
    if who.role not in SEES_PHONE and customer.get("phone"):
        customer["phone"] = mask(customer["phone"])
    return AppointmentPublic(id=doc["_id"], customer=customer,
                             **{k: doc.get(k) for k in AppointmentPublic.model_fields if k not in ("id", "customer")})


async def _load(c: Ctx, appointment_id: str, who: Principal) -> dict:
    return visible(await service.appointments(c).find_one({"_id": appointment_id}), who, "appointment")


@router.post("", status_code=201, summary="Book an appointment or showing",
             description="Claims the consultant's time race-safely: of two overlapping bookings exactly one gets 201, "
                         "the other 409 `double-booking`. Times are rounded outward to 5-minute slots. A showing with "
                         "`on_site` carries the site checklist (hard hats, children/elderly wait, route).")
async def book(body: AppointmentCreate, c: Ctx, response: Response, who: Principal = require_roles(*BOOKERS),
               key: str | None = Depends(idempotency_key)) -> AppointmentPublic:
    who.require_branch(body.branch_id)
    return await idempotent(c, who, key, body, response, lambda: _create(c, body, who))


async def _create(c: Ctx, body: AppointmentCreate, who: Principal) -> AppointmentPublic:
    return public(await service.create(c, body), who)


@router.get("", summary="List appointments", description="Filters: branch, consultant, lead, start time range, status.")
async def list_appointments(
    c: Ctx, who: CurrentPrincipal, page: PageParams = Depends(page_params),
    branch_id: str | None = Query(None, **BRANCH_FIELD), consultant_id: str | None = Query(None, **ID_FIELD),
    start_from: AwareDatetime | None = Query(None, alias="from"), start_to: AwareDatetime | None = Query(None, alias="to"),
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
            description="Busy intervals (scheduled or arrived appointments) and free gaps within opening hours, branch time.")
async def availability(
    c: Ctx, who: CurrentPrincipal, branch_id: str = Query(**BRANCH_FIELD), consultant_id: str = Query(**ID_FIELD),
    day: date = Query(alias="date", description="Branch-local date."),
    opens: time = Query(time(9, 0), description="Opening time, branch-local."),
    closes: time = Query(time(18, 0), description="Closing time, branch-local."),
) -> dict:
    who.require_branch(branch_id)
    if opens.tzinfo is not None or closes.tzinfo is not None:
        raise Invalid("opens and closes are branch-local wall-clock times, without an offset",
                      errors=[{"loc": ["query", "opens" if opens.tzinfo else "closes"], "msg": "no UTC offset allowed"}])
    if closes <= opens:
        raise Invalid("closes must be after opens", errors=[{"loc": ["query", "closes"], "msg": "before opens"}])
    return await service.availability(c, branch_id, consultant_id, sane_date(day), opens, closes)


@router.get("/{appointment_id}", summary="One appointment")
async def get_appointment(appointment_id: IdPath, c: Ctx, who: CurrentPrincipal) -> AppointmentPublic:
    return public(await _load(c, appointment_id, who), who)


@router.patch("/{appointment_id}", summary="Reschedule or hand over to another consultant",
              description="`start`+`end` move it, `consultant_id` hands it over; the new time is claimed before the old "
                          "is freed, so a clash leaves it unchanged (409). `If-Match` guards against stale edits (412).")
async def patch(appointment_id: IdPath, body: AppointmentPatch, c: Ctx, who: Principal = require_roles(*BOOKERS),
                expected: int | None = Depends(if_match_version)) -> AppointmentPublic:
    doc = await _load(c, appointment_id, who)
    return public(await service.reschedule(c, doc, body, expected), who)


@router.post("/{appointment_id}/cancel", summary="Cancel (frees the slot)")
async def cancel(appointment_id: IdPath, c: Ctx, who: Principal = require_roles(*BOOKERS),
                 body: CancelIn | None = None, expected: int | None = Depends(if_match_version)) -> AppointmentPublic:
    doc = await _load(c, appointment_id, who)
    return public(await service.cancel(c, doc, body.reason if body else None, expected), who)


@router.post("/{appointment_id}/no-show", summary="Mark as no-show",
             description="Also happens automatically when nobody checked in within the branch's `no_show_grace_minutes`.")
async def no_show(appointment_id: IdPath, c: Ctx, who: Principal = require_roles(*BOOKERS),
                  expected: int | None = Depends(if_match_version)) -> AppointmentPublic:
    doc = await _load(c, appointment_id, who)
    return public(await service.no_show(c, doc, expected), who)
