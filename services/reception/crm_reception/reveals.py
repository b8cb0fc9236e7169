"""Audited reveals of reception's full numbers (客户信息保密): an appointment's contact and a visitor's
phone. Every list and item shows masks to every role; the full value comes from
`GET /v1/appointments/{id}/contact` or `GET /v1/visits/{id}/phone`, to those who serve the customer
(the object's own consultant, the front desk, managers; integrators and partners never), each reveal
audited before the value is returned (`crm_shared.reveals`, listed by `GET /v1/appointments/audit`
and `GET /v1/visits/audit`)."""

from __future__ import annotations

from crm_shared.errors import Conflict, Forbidden
from crm_shared.http.auth import Principal
from crm_shared.http.pagination import PageParams, fetch_page
from crm_shared.plugins import ServiceContext
from crm_shared import reveals
from crm_reception.common import MANAGERS

REVEALERS = ("consultant", "reception", *MANAGERS)
"""Who may ask for a full number: of consultants only the object's own (the customer it serves)."""


def require_revealer(doc: dict, who: Principal, what: str) -> None:
    """403 for a role that never sees full numbers, and for a consultant the object is not for (撞单)."""
    who.require_role(*REVEALERS)
    if who.role == "consultant" and doc.get("consultant_id") != who.sub:
        raise Forbidden(f"a consultant sees the full number only of its own {what}")


async def _actor_name(ctx: ServiceContext, who: Principal) -> str | None:
    member = await ctx.state.directory.member(who.sub, active_only=False)
    return (member or {}).get("name")


async def reveal_contact(ctx: ServiceContext, doc: dict, who: Principal, reason: str | None) -> dict:
    """An appointment's phone and email in full, after its audit record."""
    require_revealer(doc, who, "appointments")
    customer = doc.get("customer") or {}
    if not customer.get("phone") and not customer.get("email"):
        raise Conflict("no-full-number", "no contact is on file for this appointment")
    await reveals.record(ctx.db, who, branch_id=doc["branch_id"], action="appointment.contact.reveal",
                         object_type="appointment", object_id=doc["_id"], phone=customer.get("phone"),
                         email=customer.get("email"), reason=reason, actor_name=await _actor_name(ctx, who))
    return {"appointment_id": doc["_id"], "name": customer.get("name"), "phone": customer.get("phone"),
            "email": customer.get("email")}


async def reveal_visitor(ctx: ServiceContext, doc: dict, who: Principal, reason: str | None) -> dict:
    """A visitor's phone in full (the sealed copy the visit keeps), after its audit record."""
    require_revealer(doc, who, "visits")
    visitor = doc.get("visitor") or {}
    phone = await ctx.keys.unseal(visitor.get("phone_sealed"))
    if not phone:
        raise Conflict("no-full-number", "only the masked number is on file for this visit")
    await reveals.record(ctx.db, who, branch_id=doc["branch_id"], action="visit.phone.reveal", object_type="visit",
                         object_id=doc["_id"], phone=phone, reason=reason, actor_name=await _actor_name(ctx, who))
    return {"visit_id": doc["_id"], "phone": phone}


async def audit_page(ctx: ServiceContext, who: Principal, branch_id: str, object_type: str, object_id: str | None,
                     page: PageParams) -> dict:
    """Managers' view of the reveals of one kind of object in a branch, newest first."""
    who.require_branch(branch_id)
    who.require_role(*MANAGERS)
    docs, nxt = await fetch_page(ctx.db[reveals.AUDIT], reveals.query(branch_id, object_type, object_id), page,
                                 descending=True)
    return {"items": [reveals.public(d) for d in docs], "next_cursor": nxt}
