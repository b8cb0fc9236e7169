"""Check-in and visit end. Who serves a visitor: the appointment's consultant, else the owner of
the visitor's open lead (returning customer, no rotation turn used), else the rotation's next.
Nobody is turned away: a visitor nobody can take now is recorded at once and waits in the visitor
queue (crm_reception.visits.queue). The same person checked in again while their visit is waiting
or open gets that visit back (one visit, counted once)."""

from __future__ import annotations

from datetime import date

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import Aggregate, event
from crm_shared.branches import local_date
from crm_shared.errors import Conflict, Invalid, NotFound
from crm_shared.events.reception import SealedVisitor, VisitCheckedIn, VisitEnded
from crm_shared.ids import uuid7
from crm_shared.phones import InvalidPhone, mask, normalize, phone_hash
from crm_shared.plugins import ServiceContext
from crm_reception.appointments import service as appointments
from crm_reception.projections.service import open_lead
from crm_reception.rotation import rules as rotation_rules
from crm_reception.rotation import service as rotation
from crm_reception.visits import queue, rules
from crm_reception.visits.models import VisitCreate, VisitEnd
from crm_reception.visits.queue import VISITS, visits

__all__ = ["VISITS", "check_in", "end", "visits"]


async def _appointment(ctx: ServiceContext, branch_id: str, appointment_id: str) -> dict:
    doc = await appointments.appointments(ctx).find_one({"_id": appointment_id})
    if doc is None or doc["branch_id"] != branch_id:
        raise NotFound("appointment")
    return doc


async def _live(ctx: ServiceContext, key: str, day: date) -> dict | None:
    """The person's visit in progress today; a live visit left over from an earlier day is closed first."""
    doc = await visits(ctx).find_one({"span_key": key})
    if doc is None or doc["status"] not in rules.LIVE:
        return None
    if rules.stale(doc, day):
        try:
            closed = await _close(ctx, doc, VisitEnd(), ended_by="next-day")
        except Conflict:  # ended meanwhile
            return None
        await rotation.apply(ctx, closed["branch_id"], date.fromisoformat(closed["rotation_day"]),
                             lambda s: (rotation_rules.release(s, closed["_id"]), None))
        return None
    return doc


async def _owner(ctx: ServiceContext, branch_id: str, lead: dict | None, day: date) -> dict:
    """The returning customer's lead owner: id, name and whether they are on duty today. Only a consultant
    owner is routed to (a manager's customer goes to the rotation, as a walk-in would); an owner the
    directory has not heard of yet has no status rather than a false alarm."""
    owner_id = (lead or {}).get("owner_id")
    if not owner_id:
        return {}
    member = await ctx.state.directory.member(owner_id, active_only=False)
    if member is None or member.get("role") != "consultant":
        return {"owner_id": owner_id, "owner_name": (member or {}).get("name"), "owner_status": None}
    active = bool(member.get("active")) and member.get("branch_id") == branch_id
    state = rotation_rules.RotationState.of(await rotation.load(ctx, branch_id, day, create=False))
    return {"owner_id": owner_id, "owner_name": member.get("name"),
            "owner_status": rules.owner_status(active, owner_id in state.queue)}


async def _seat(ctx: ServiceContext, branch_id: str, day: date, visit_id: str, plan: rules.Plan) -> str | None:
    """Who takes the visitor now (rotation or named consultant), or None: the visitor waits."""
    def change(s):
        if plan.consultant_id is not None:
            return rotation_rules.claim(s, plan.consultant_id, visit_id, on_duty=plan.on_duty)
        return rotation_rules.take_turn(s, visit_id)

    _, consultant = await rotation.apply(ctx, branch_id, day, change)
    if consultant is None and await queue.free_finished(ctx, branch_id, day):
        _, consultant = await rotation.apply(ctx, branch_id, day, change)
    return consultant


async def check_in(ctx: ServiceContext, body: VisitCreate) -> tuple[dict, bool]:
    """The visit and whether it is new (False: the person's visit already in progress)."""
    booked_appointment = None
    raw_phone = body.visitor.phone
    if raw_phone is None:  # an appointment's arrival: the number on file, which nobody at the desk needs to see
        booked_appointment = await _appointment(ctx, body.branch_id, body.appointment_id)  # type: ignore[arg-type]
        raw_phone = (booked_appointment.get("customer") or {}).get("phone")
        if not raw_phone:
            raise Invalid("the appointment has no phone on file: give the visitor's phone",
                          errors=[{"loc": ["body", "visitor", "phone"], "msg": "required"}])
    try:
        e164 = normalize(raw_phone, ctx.settings.default_region)
    except InvalidPhone as exc:
        raise Invalid("the request has invalid fields",
                      errors=[{"loc": ["body", "visitor", "phone"], "msg": str(exc)}]) from None
    hashed = phone_hash(e164, ctx.settings.phone_hash_key)
    now = ctx.state.clock()
    directory = ctx.state.directory
    day = local_date(now, (await directory.branch(body.branch_id)).timezone)
    key = rules.span_key(body.branch_id, hashed)
    if (live := await _live(ctx, key, day)) is not None:
        return live, False
    appointment = booked_appointment or (
        await _appointment(ctx, body.branch_id, body.appointment_id) if body.appointment_id else None)
    lead = await open_lead(ctx, body.branch_id, hashed)
    owner = await _owner(ctx, body.branch_id, lead, day)
    booked = (appointment or {}).get("consultant_id")
    booked = booked if booked and await directory.is_active(body.branch_id, booked, "consultant") else None
    plan = rules.plan(booked, owner.get("owner_id"), owner.get("owner_status"), body.if_owner_off_duty)
    visit_id = uuid7()
    if appointment is not None:
        await appointments.arrive(ctx, appointment, visit_id)
    consultant = await _seat(ctx, body.branch_id, day, visit_id, plan)
    lead_id = (appointment or {}).get("lead_id") or (lead or {}).get("_id")
    status = "open" if consultant else "waiting"
    doc = {
        "_id": visit_id, "branch_id": body.branch_id, "consultant_id": consultant, "lead_id": lead_id,
        "returning": lead is not None, "appointment_id": body.appointment_id, "party_size": body.party_size,
        "visitor": {"name": body.visitor.name, "phone_masked": mask(e164), "phone_hash": hashed,
                    "phone_sealed": await ctx.keys.seal(e164)},  # for the audited reveal only
        "assigned_by": plan.assigned_by, "status": status, "rotation_day": day.isoformat(), "span_key": key,
        "waiting_for": None if consultant else plan.consultant_id, "checked_in_at": now,
        "assigned_at": now if consultant else None, "waited_seconds": 0, "handovers": [],
        **owner, "owner_off_duty": owner.get("owner_status") in ("off_duty", "left"),
    }
    env = event(VisitCheckedIn(visit_id=visit_id, consultant_id=consultant, lead_id=lead_id,
                               visitor=SealedVisitor(**doc["visitor"]),
                               returning=doc["returning"], appointment_id=body.appointment_id,
                               party_size=body.party_size, status=status, waiting_for=doc["waiting_for"]),
                body.branch_id, visit_id)
    try:
        stored = await visits(ctx).insert(doc, env)
    except Exception as exc:
        await _undo(ctx, body.branch_id, day, visit_id, consultant, appointment)
        if isinstance(exc, DuplicateKeyError) and (live := await _live(ctx, key, day)) is not None:
            return live, False  # the same person checked in at the same instant elsewhere
        raise
    if status == "waiting":  # someone may have become free while this visitor was being recorded
        await queue.dispatch(ctx, body.branch_id, day)
        stored = await visits(ctx).find_one({"_id": visit_id}) or stored
    return stored, True


async def _undo(ctx: ServiceContext, branch_id: str, day: date, visit_id: str, consultant: str | None,
                appointment: dict | None) -> None:
    """The visit was not stored: give the consultant (and turn) back, and the appointment its status."""
    if consultant is not None:
        await rotation.apply(ctx, branch_id, day, lambda s: (rotation_rules.revoke(s, visit_id, consultant), None))
    if appointment is not None:
        await appointments.undo_arrival(ctx, appointment, visit_id)


async def _close(ctx: ServiceContext, doc: dict, body: VisitEnd, ended_by: str | None = None) -> dict:
    """One guarded write: the visit ends (waiting or open), frees the person's span; retried on a race."""
    for _ in range(5):
        if doc["status"] not in rules.LIVE:
            raise Conflict("wrong-status", "the visit has already ended")
        env = event(VisitEnded(visit_id=doc["_id"], consultant_id=doc.get("consultant_id"), lead_id=doc.get("lead_id"),
                               outcome=body.outcome), doc["branch_id"], doc["_id"])
        updated = await visits(ctx).update(
            {"_id": doc["_id"], "version": doc["version"]},
            {"$set": {"status": "ended", "outcome": body.outcome, "note": body.note, "ended_at": ctx.state.clock(),
                      "ended_by": ended_by, "span_key": rules.ended_key(doc["_id"]), "waiting_for": None}}, env)
        if updated is not None:
            return updated
        doc = await visits(ctx).find_one({"_id": doc["_id"]}) or doc
    raise Conflict("wrong-status", "the visit kept changing; retry")


async def end(ctx: ServiceContext, doc: dict, body: VisitEnd) -> dict:
    """Close the visit (a waiting visitor may leave too), then free the consultant in the rotation of the
    day they checked in, who takes the longest-waiting visitor they may serve."""
    updated = await _close(ctx, doc, body)
    day = date.fromisoformat(updated["rotation_day"])
    await rotation.apply(ctx, updated["branch_id"], day, lambda s: (rotation_rules.release(s, updated["_id"]), None))
    await queue.dispatch(ctx, updated["branch_id"], day)
    return updated
