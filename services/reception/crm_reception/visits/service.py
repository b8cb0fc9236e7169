"""Check-in and visit end. Who serves a visitor: the appointment's consultant, else the owner of
the visitor's open lead (returning customer, no rotation turn used), else the rotation's next."""

from __future__ import annotations

from datetime import date

from crm_shared.aggregates import Aggregate, event
from crm_shared.branches import local_date
from crm_shared.errors import Conflict, Invalid, NotFound
from crm_shared.events.reception import SealedVisitor, VisitCheckedIn, VisitEnded
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import InvalidPhone, mask, normalize, phone_hash, seal
from crm_shared.plugins import ServiceContext
from crm_reception.appointments import service as appointments
from crm_reception.projections.service import open_lead
from crm_reception.rotation import rules as rotation_rules
from crm_reception.rotation import service as rotation
from crm_reception.visits.models import VisitCreate, VisitEnd

VISITS = "visits"


def visits(ctx: ServiceContext) -> Aggregate:
    return ctx.aggregate(VISITS)


async def _appointment(ctx: ServiceContext, branch_id: str, appointment_id: str) -> dict:
    doc = await appointments.appointments(ctx).find_one({"_id": appointment_id})
    if doc is None or doc["branch_id"] != branch_id:
        raise NotFound("appointment")
    return doc


async def _free_finished(ctx: ServiceContext, branch_id: str, day: date) -> bool:
    """Free consultants still marked busy by visits that have ended (a crash between the two writes of `end`)."""
    doc = await rotation.load(ctx, branch_id, day)
    freed = False
    for entry in doc.get("busy", []):
        visit = await visits(ctx).find_one({"_id": entry["visit_id"]}, projection={"status": 1})
        if visit is not None and visit["status"] == "ended":
            await rotation.apply(ctx, branch_id, day, lambda s, v=entry["visit_id"]: (rotation_rules.release(s, v), None))
            freed = True
    return freed


async def check_in(ctx: ServiceContext, body: VisitCreate) -> dict:
    try:
        e164 = normalize(body.visitor.phone, ctx.settings.default_region)
    except InvalidPhone as exc:
        raise Invalid("the request has invalid fields",
                      errors=[{"loc": ["body", "visitor", "phone"], "msg": str(exc)}]) from None
    hashed = phone_hash(e164, ctx.settings.phone_hash_key)
    visit_id, now = uuid7(), utcnow()
    directory = ctx.state.directory
    day = local_date(now, (await directory.branch(body.branch_id)).timezone)
    appointment = await _appointment(ctx, body.branch_id, body.appointment_id) if body.appointment_id else None
    lead = await open_lead(ctx, body.branch_id, hashed)
    consultant, assigned_by = None, "rotation"
    if appointment is not None:
        await appointments.arrive(ctx, appointment, visit_id)
    if appointment is not None and await directory.is_active(body.branch_id, appointment["consultant_id"], "consultant"):
        consultant, assigned_by = appointment["consultant_id"], "appointment"
    elif lead and lead.get("owner_id") and await directory.is_active(body.branch_id, lead["owner_id"], "consultant"):
        consultant, assigned_by = lead["owner_id"], "owner"
    if consultant is not None:
        await rotation.apply(ctx, body.branch_id, day, lambda s: (rotation_rules.occupy(s, consultant, visit_id), None))
    else:
        _, consultant = await rotation.apply(ctx, body.branch_id, day, lambda s: rotation_rules.take_turn(s, visit_id))
        if consultant is None and await _free_finished(ctx, body.branch_id, day):
            _, consultant = await rotation.apply(ctx, body.branch_id, day, lambda s: rotation_rules.take_turn(s, visit_id))
        if consultant is None:
            if appointment is not None:  # nobody could take the visitor
                await appointments.undo_arrival(ctx, appointment, visit_id)
            raise Conflict("no-consultant-available", "no consultant in today's rotation is free; retry shortly")
    lead_id = (appointment or {}).get("lead_id") or (lead or {}).get("_id")
    doc = {
        "_id": visit_id, "branch_id": body.branch_id, "consultant_id": consultant, "lead_id": lead_id,
        "returning": lead is not None, "appointment_id": body.appointment_id, "party_size": body.party_size,
        "visitor": {"name": body.visitor.name, "phone_masked": mask(e164), "phone_hash": hashed},
        "assigned_by": assigned_by, "status": "open", "rotation_day": day.isoformat(),
        "checked_in_at": now,
    }
    env = event(VisitCheckedIn(visit_id=visit_id, consultant_id=consultant, lead_id=lead_id,
                               visitor=SealedVisitor(**doc["visitor"], phone_sealed=seal(e164, ctx.settings.phone_seal_key)),
                               returning=doc["returning"],
                               appointment_id=body.appointment_id, party_size=body.party_size),
                body.branch_id, visit_id)
    try:
        return await visits(ctx).insert(doc, env)
    except Exception:
        await rotation.apply(ctx, body.branch_id, day, lambda s: (rotation_rules.release(s, visit_id), None))
        raise


async def end(ctx: ServiceContext, doc: dict, body: VisitEnd) -> dict:
    """Close the visit, then free the consultant in the rotation of the day they checked in."""
    if doc["status"] != "open":
        raise Conflict("wrong-status", "the visit has already ended")
    env = event(VisitEnded(visit_id=doc["_id"], consultant_id=doc["consultant_id"], lead_id=doc.get("lead_id"),
                           outcome=body.outcome), doc["branch_id"], doc["_id"])
    updated = await visits(ctx).update(
        {"_id": doc["_id"], "status": "open"},
        {"$set": {"status": "ended", "outcome": body.outcome, "note": body.note, "ended_at": utcnow()}}, env)
    if updated is None:
        raise Conflict("wrong-status", "the visit has already ended")
    day = date.fromisoformat(doc["rotation_day"])
    await rotation.apply(ctx, doc["branch_id"], day, lambda s: (rotation_rules.release(s, doc["_id"]), None))
    return updated
