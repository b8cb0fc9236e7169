"""Appointment lifecycle: book (claims first, then the document with its event), reschedule,
hand over, cancel, no-show (explicit and timed), arrival, availability."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from crm_shared import checklist
from crm_shared.aggregates import Aggregate, event
from crm_shared.branches import at_local
from crm_shared.errors import Conflict, Invalid, Stale
from crm_shared.events.reception import (
    AppointmentCancelled, AppointmentNoShow, AppointmentRescheduled, AppointmentScheduled, Contact,
)
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import InvalidPhone, normalize
from crm_shared.plugins import ServiceContext
from crm_reception.appointments import claims, rules
from crm_reception.appointments.models import AppointmentCreate, AppointmentPatch
from crm_reception.common import require_member, utc
from crm_reception.projections.service import lead_of_branch

APPOINTMENTS = "appointments"


def appointments(ctx: ServiceContext) -> Aggregate:
    return ctx.aggregate(APPOINTMENTS)


async def sealed_contact(ctx: ServiceContext, doc: dict) -> Contact:
    """The contact the appointment's events carry (`schema_version` 2, issue 19): masks, the phone hash and seals
    under the customer's data key, never the number or the email in clear (the document keeps them for the
    audited reveal). Sealed before anything is claimed or written: a key store that does not answer is a 503."""
    c = doc["customer"]
    return await Contact.seal(ctx.keys, c["name"], c.get("phone"), c.get("email"))


def event_data(cls: type, doc: dict, contact: Contact, **extra: Any):
    return cls(appointment_id=doc["_id"], consultant_id=doc["consultant_id"], lead_id=doc.get("lead_id"),
               customer=contact,
               start=doc["start"], end=doc["end"], kind=doc["kind"], party_size=doc.get("party_size"),
               checklist=checklist_lines(doc), site_checklist=checklist_items(doc), **extra)


def checklist_items(doc: dict) -> list[dict]:
    """The stored checklist as data; an appointment from before the items has English lines to recover."""
    if "site_checklist" in doc:
        return doc["site_checklist"]
    recovered = checklist.from_legacy(doc.get("checklist") or [])
    return [i.model_dump(exclude_none=True) for i in recovered or []]


def checklist_lines(doc: dict, locale: str = checklist.DEFAULT_LOCALE) -> list[str]:
    """The checklist as lines in `locale` (Chinese unless asked otherwise)."""
    return checklist.lines_for({"site_checklist": checklist_items(doc), "checklist": doc.get("checklist")}, locale)


async def _require_consultant(ctx: ServiceContext, branch_id: str, consultant_id: str) -> None:
    await require_member(ctx, branch_id, consultant_id, "unknown-consultant", ["body", "consultant_id"])


async def _require_lead(ctx: ServiceContext, branch_id: str, lead_id: str) -> None:
    """Only a lead of the appointment's branch: another branch's would list the appointment under it."""
    if await lead_of_branch(ctx, branch_id, lead_id) is None:
        raise Invalid("not a lead of this branch (unknown, or registered a moment ago and not yet known here)",
                      kind="unknown-lead", loc=["body", "lead_id"], lead_id=lead_id)


async def create(ctx: ServiceContext, body: AppointmentCreate) -> dict:
    try:
        phone = normalize(body.customer.phone, ctx.settings.default_region)
    except InvalidPhone as exc:
        raise Invalid("the request has invalid fields",
                      errors=[{"loc": ["body", "customer", "phone"], "msg": str(exc)}]) from None
    _id, now = uuid7(), utcnow()
    _not_past(body.start, now)
    await _require_consultant(ctx, body.branch_id, body.consultant_id)
    if body.lead_id is not None:
        await _require_lead(ctx, body.branch_id, body.lead_id)
    customer = {"name": body.customer.name, "phone": phone, "email": body.customer.email}
    contact = await sealed_contact(ctx, {"customer": customer})
    slot_ids = rules.claim_ids(body.consultant_id, body.start, body.end)
    await claims.claim(ctx, body.branch_id, body.consultant_id, slot_ids, _id)
    doc = {
        "_id": _id, "branch_id": body.branch_id, "consultant_id": body.consultant_id, "lead_id": body.lead_id,
        "customer": customer,
        "kind": body.kind, "start": body.start, "end": body.end, "party_size": body.party_size, "notes": body.notes,
        "site_checklist": rules.site_checklist(body.kind, body.on_site, body.party_size, body.children, body.elderly,
                                               body.route),
        "status": "scheduled", "visit_id": None, "created_at": now, "updated_at": now,
    }
    try:
        return await appointments(ctx).insert(doc, event(event_data(AppointmentScheduled, doc, contact), body.branch_id, _id))
    except Exception:
        await claims.release(ctx, slot_ids, _id)
        raise


async def _change(ctx: ServiceContext, doc: dict, expected: int | None, fields: dict, data) -> dict:
    """One guarded write of the change and its event; `Stale` if someone changed it first."""
    return await appointments(ctx).change(doc, expected, {"$set": {**fields, "updated_at": utcnow()}},
                                          event(data, doc["branch_id"], doc["_id"]))


def _not_past(start: datetime, now: datetime) -> None:
    if start < now:
        raise Invalid("an appointment cannot start in the past", kind="start-in-past",
                      errors=[{"loc": ["body", "start"], "msg": "in the past"}])


def _require_status(doc: dict, *allowed: str, expected: int | None = None) -> None:
    if expected is not None and expected != doc["version"]:
        raise Stale(doc["version"], expected)
    if doc["status"] not in allowed:
        raise Conflict("wrong-status", f"the appointment is {doc['status']}", status_now=doc["status"])


async def reschedule(ctx: ServiceContext, doc: dict, patch: AppointmentPatch, expected: int | None) -> dict:
    _require_status(doc, "scheduled", expected=expected)
    start, end = patch.start or utc(doc["start"]), patch.end or utc(doc["end"])
    if patch.start is not None:
        _not_past(start, utcnow())
    consultant = patch.consultant_id or doc["consultant_id"]
    if consultant != doc["consultant_id"]:
        await _require_consultant(ctx, doc["branch_id"], consultant)
    contact = await sealed_contact(ctx, doc)
    old_ids = rules.claim_ids(doc["consultant_id"], utc(doc["start"]), utc(doc["end"]))
    new_ids = rules.claim_ids(consultant, start, end)
    await claims.claim(ctx, doc["branch_id"], consultant, new_ids, doc["_id"], frozenset(old_ids))
    moved = {**doc, "consultant_id": consultant, "start": start, "end": end}
    data = event_data(AppointmentRescheduled, moved, contact, previous_start=doc["start"],
                      previous_consultant_id=doc["consultant_id"] if consultant != doc["consultant_id"] else None)
    try:
        updated = await _change(ctx, doc, expected, {"consultant_id": consultant, "start": start, "end": end}, data)
    except Stale:  # changed meanwhile: give back the new time, keep the old
        await claims.release(ctx, [i for i in new_ids if i not in old_ids], doc["_id"])
        raise
    await claims.release(ctx, [i for i in old_ids if i not in new_ids], doc["_id"])
    return updated


async def cancel(ctx: ServiceContext, doc: dict, reason: str | None, expected: int | None) -> dict:
    _require_status(doc, "scheduled", expected=expected)
    updated = await _change(ctx, doc, expected, {"status": "cancelled", "cancel_reason": reason},
                            event_data(AppointmentCancelled, doc, await sealed_contact(ctx, doc), reason=reason))
    await claims.release(ctx, rules.claim_ids(doc["consultant_id"], utc(doc["start"]), utc(doc["end"])), doc["_id"])
    return updated


async def no_show(ctx: ServiceContext, doc: dict, expected: int | None, reason: str = "manual") -> dict:
    _require_status(doc, "scheduled", expected=expected)
    return await _change(ctx, doc, expected, {"status": "no_show"},
                         event_data(AppointmentNoShow, doc, await sealed_contact(ctx, doc), reason=reason))


async def arrive(ctx: ServiceContext, doc: dict, visit_id: str) -> dict:
    """The customer checked in at the front desk; a late arrival after an automatic no-show still counts."""
    _require_status(doc, "scheduled", "no_show")
    updated = await appointments(ctx).update(
        {"_id": doc["_id"], "status": {"$in": ["scheduled", "no_show"]}},
        {"$set": {"status": "arrived", "visit_id": visit_id, "updated_at": utcnow()}},
    )
    if updated is None:
        raise Conflict("wrong-status", "the appointment changed while checking in; retry")
    return updated


async def undo_arrival(ctx: ServiceContext, doc: dict, visit_id: str) -> None:
    """Back to the status before `arrive` (nobody could take the visitor), unless it changed since."""
    await appointments(ctx).update({"_id": doc["_id"], "visit_id": visit_id},
                                   {"$set": {"status": doc["status"], "visit_id": None}})


async def mark_no_shows(ctx: ServiceContext, now: datetime) -> int:
    """Timer pass: scheduled appointments nobody checked in for within the branch's grace become no-shows."""
    count, grace = 0, {}
    async for doc in appointments(ctx).find({"status": "scheduled", "start": {"$lt": now}}):
        b = doc["branch_id"]
        if b not in grace:
            grace[b] = (await ctx.state.directory.branch(b)).settings.no_show_grace_minutes
        if rules.no_show_due(utc(doc["start"]), grace[b], now):
            try:
                await no_show(ctx, doc, None, reason="automatic")
                count += 1
            except Stale:
                pass  # checked in or changed meanwhile: nothing to do
    return count


async def availability(ctx: ServiceContext, branch_id: str, consultant_id: str, day, opens: time, closes: time) -> dict:
    """Busy and free time of a consultant of the branch (one who left still has a past to show)."""
    await require_member(ctx, branch_id, consultant_id, "unknown-consultant", ["query", "consultant_id"], active=False)
    b = await ctx.state.directory.branch(branch_id)
    open_at, close_at = at_local(day, opens, b.timezone), at_local(day, closes, b.timezone)
    docs = await appointments(ctx).find({
        "branch_id": branch_id, "consultant_id": consultant_id, "status": {"$in": list(rules.BUSY_STATUSES)},
        "start": {"$lt": close_at + timedelta(hours=12)}, "end": {"$gt": open_at - timedelta(hours=12)},
    }).to_list()
    busy = sorted((utc(d["start"]), utc(d["end"]), d["_id"]) for d in docs
                  if rules.overlaps(utc(d["start"]), utc(d["end"]), open_at, close_at))
    free = rules.free_intervals(open_at, close_at, [(s, e) for s, e, _ in busy])
    return {
        "branch_id": branch_id, "consultant_id": consultant_id, "date": day.isoformat(), "timezone": b.timezone,
        "busy": [{"start": s, "end": e, "appointment_id": i} for s, e, i in busy],
        "free": [{"start": s, "end": e} for s, e in free],
    }
