"""appointment.* -> confirmation now, reminders 7d/2d/evening before; moved on reschedule, cancelled on cancel.

A small `appointments` document per appointment remembers the newest event applied and the
messages planned, so late or repeated events never resurrect cancelled reminders.

The customer's contact: `schema_version` 2 events carry it sealed under the customer's data key, opened here
(`Contact.opened(ctx.keys)`) only to address the messages; version-1 events (from before issue 19, still in the
stream) carry it in clear and are read as they are. A contact that no longer opens (the customer was erased) plans
no message to the customer. Every message to the customer carries the phone hash as its person (`PERSON`), so an
erasure finds the email ones too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared.checklist import lines_for
from crm_shared.directory import BranchFacts, Directory
from crm_shared.events import Envelope
from crm_shared.events.reception import AppointmentCancelled, AppointmentScheduled
from crm_shared.ids import utcnow
from crm_shared.phones import phone_hash
from crm_shared.plugins import ServiceContext
from crm_notify.messages.service import MESSAGES, cancel, plan_many
from crm_notify.templates.words import KINDS, pick
from crm_notify.triggers.freezes import PERSON
from crm_notify.triggers.planner import keyed
from crm_notify.triggers.rules import lead_time_label, local_text, reminder_plan

APPOINTMENTS = "appointments"
LOCALE = "zh-CN"


async def _advance(db: Any, env: Envelope, appointment_id: str, fields: dict) -> bool:
    """Apply an event newer than the last one (or the same one again); False for a stale event."""
    try:
        await db[APPOINTMENTS].update_one(
            {"_id": appointment_id, "$or": [
                {"event_id": env.id},
                {"status": {"$ne": "cancelled"}, "event_time": None},
                {"status": {"$ne": "cancelled"}, "event_time": {"$lt": env.time}},
            ]},
            {"$set": {**fields, "event_time": env.time, "event_id": env.id}, "$setOnInsert": {"message_ids": []}},
            upsert=True,
        )
        return True
    except DuplicateKeyError:
        return False


async def _data(directory: Directory, info: BranchFacts, data: AppointmentScheduled) -> dict:
    consultant = await directory.member(data.consultant_id) or {}
    return {"customer_name": data.customer.name, "start_local": local_text(data.start, info.timezone, LOCALE),
            "kind": data.kind, "kind_label": pick(KINDS, LOCALE, data.kind), "branch_name": info.name,
            "consultant_name": consultant.get("name") or "", "consultant_phone": consultant.get("phone") or "",
            "checklist": lines_for(data, LOCALE), "party_size": data.party_size or 1}


class Reach:
    """Where the customer of an appointment event is reached: (channel, address) pairs, and who they are."""

    def __init__(self, channels: list[tuple[str, str]], person: str | None) -> None:
        self.channels, self.person = channels, person

    def mark(self, docs: list[dict]) -> list[dict]:
        for doc in docs:
            doc[PERSON] = self.person
        return docs


async def _reach(ctx: ServiceContext, data: AppointmentScheduled) -> Reach:
    """The customer's phone and email, opened from the seals (version 2) or as a version-1 event carried them."""
    phone, email = await data.customer.opened(ctx.keys)
    person = data.customer.phone_hash
    if person is None and phone:  # version 1: the hash of the number in clear
        person = phone_hash(phone, ctx.settings.phone_hash_key)
    return Reach([(c, to) for c, to in (("sms", phone), ("email", email)) if to], person)


def _plan(env: Envelope, data: AppointmentScheduled, reach: Reach, base: dict, info: BranchFacts, now: datetime,
          notice: str) -> list[dict]:
    occurrence = data.start.isoformat()
    channels = reach.channels
    common = dict(entity=data.appointment_id, recipient="customer", occurrence=occurrence, branch_id=env.branch_id, now=now)
    docs = [keyed(kind=notice, template=notice, channel=c, to=to, due_at=now, data=base, **common) for c, to in channels]
    first = channels[:1]  # reminders by SMS when there is a phone, else email
    for kind, due in reminder_plan(data.start, now, info.timezone).items():
        payload = base | {"lead_time": lead_time_label(kind, LOCALE)}
        docs += [keyed(kind=kind, template="appointment_reminder", channel=c, to=to, due_at=due, data=payload, **common)
                 for c, to in first]
    return reach.mark(docs)


async def _remember(db: Any, appointment_id: str, docs: list[dict]) -> None:
    if docs:
        await db[APPOINTMENTS].update_one({"_id": appointment_id}, {"$addToSet": {"message_ids": {"$each": [d["_id"] for d in docs]}}})


async def on_scheduled(ctx: ServiceContext, env: Envelope, data: AppointmentScheduled) -> None:
    if not await _advance(ctx.db, env, data.appointment_id, {"start": data.start, "status": "scheduled", "branch_id": env.branch_id}):
        return
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    docs = _plan(env, data, await _reach(ctx, data), await _data(directory, info, data), info, utcnow(),
                 "appointment_confirmation")
    await _remember(ctx.db, data.appointment_id, docs)
    await plan_many(ctx, docs)
    ctx.wake("dispatch")


async def on_rescheduled(ctx: ServiceContext, env: Envelope, data: AppointmentScheduled) -> None:
    """Whatever is still pending for the old time (reminders, an unsent confirmation) is cancelled;
    new reminders follow the new time."""
    if not await _advance(ctx.db, env, data.appointment_id, {"start": data.start, "status": "scheduled", "branch_id": env.branch_id}):
        return
    state = await ctx.db[APPOINTMENTS].find_one({"_id": data.appointment_id}) or {}
    occurrence = data.start.isoformat()
    stale = [d["_id"] for d in await _messages(ctx.db, state.get("message_ids", [])) if d.get("occurrence") != occurrence]
    await cancel(ctx, stale, f"moved: appointment rescheduled to {occurrence}")
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    docs = _plan(env, data, await _reach(ctx, data), await _data(directory, info, data), info, utcnow(),
                 "appointment_rescheduled")
    await _remember(ctx.db, data.appointment_id, docs)
    await plan_many(ctx, docs)
    ctx.wake("dispatch")


async def on_cancelled(ctx: ServiceContext, env: Envelope, data: AppointmentCancelled) -> None:
    if not await _advance(ctx.db, env, data.appointment_id, {"start": data.start, "status": "cancelled", "branch_id": env.branch_id}):
        return
    state = await ctx.db[APPOINTMENTS].find_one({"_id": data.appointment_id}) or {}
    await cancel(ctx, list(state.get("message_ids", [])), "appointment cancelled")
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    base, reach = await _data(directory, info, data), await _reach(ctx, data)
    docs = reach.mark([keyed(kind="appointment_cancelled", template="appointment_cancelled", entity=data.appointment_id,
                             channel=c, to=to, recipient="customer", occurrence=data.start.isoformat(),
                             branch_id=env.branch_id, due_at=now, now=now, data=base) for c, to in reach.channels[:1]])
    await plan_many(ctx, docs)
    ctx.wake("dispatch")


async def _messages(db: Any, ids: list[str]) -> list[dict]:
    return [d for d in [await db[MESSAGES].find_one({"_id": i}) for i in ids] if d]
