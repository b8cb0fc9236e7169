"""The `messages` collection is the durable due-queue: one document per planned send.

`_id` is derived from the send's key (entity, kind, channel, recipient, occurrence), so a
redelivered event or a retried request lands on the document that already exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from crm_shared.bus.outbox import new_document
from crm_shared.events import new_event
from crm_shared.events.notify import NotificationFailed
from crm_shared.ids import utcnow
from crm_shared.observability import correlation_id
from crm_shared.phones import mask
from crm_notify.messages.slots import PENDING, SLOT_FIELD, slot_for
from crm_notify.triggers.rules import message_id

MESSAGES = "messages"


def new_message(
    *, key: str, kind: str, branch_id: str, channel: str, to: str | None, category: str, due_at: datetime,
    now: datetime, template: str | None = None, data: dict | None = None, locale: str = "zh-CN",
    body: str | None = None, subject: str | None = None, entity: str | None = None, _id: str | None = None,
    error: str | None = None, **extra: Any,
) -> dict:
    """A due-queue document: `scheduled` while in the future, `queued` once due; pending ones carry their slot."""
    status = "failed" if error else ("scheduled" if due_at > now else "queued")
    return {
        "_id": _id or message_id(key), "key": key, "kind": kind, "entity": entity, "branch_id": branch_id,
        "channel": channel, "to": to, "category": category, "template": template, "data": data or {},
        "locale": locale, "body": body, "subject": subject, "status": status, "due_at": due_at,
        SLOT_FIELD: slot_for(status, due_at, now), "version": 1, "attempts": 0, "lease_owner": None, "lease_until": None,
        "provider": None, "provider_message_ids": [], "segments": None, "parts": None, "delivered_parts": [], "error": error,
        "created_at": now, "updated_at": now, "correlation_id": correlation_id.get(), **extra,
    }


async def plan(db: Any, doc: dict) -> bool:
    """Insert once; False when the same key was planned before (redelivery, replay, race)."""
    try:
        await db[MESSAGES].insert_one(doc)
        return True
    except DuplicateKeyError:
        return False


def with_failure_event(settings: Any, doc: dict) -> dict:
    """A message planned as failed (e.g. nobody to send to) announces it like any other failure."""
    event = NotificationFailed(message_id=doc["_id"], channel=doc["channel"], template=doc.get("template"),
                               attempts=0, error=doc.get("error"))
    env = new_event(event, branch_id=doc["branch_id"], subject=doc["_id"], correlation_id=doc.get("correlation_id"))
    return new_document(settings, doc, env)


async def plan_many(db: Any, docs: list[dict], settings: Any = None) -> int:
    """Insert many; with `settings`, planned failures carry their notification.failed event."""
    if not docs:
        return 0
    if settings is not None:
        docs = [with_failure_event(settings, d) if d["status"] == "failed" else d for d in docs]
    try:
        result = await db[MESSAGES].insert_many(docs, ordered=False)
        return len(result.inserted_ids)
    except BulkWriteError as exc:
        return exc.details.get("nInserted", 0)


async def cancel(db: Any, ids: list[str], reason: str, now: datetime | None = None) -> int:
    """Cancel those still waiting and not in a dispatcher's hands."""
    now = now or utcnow()
    cancelled = 0
    for _id in ids:
        r = await db[MESSAGES].update_one(
            {"_id": _id, "status": {"$in": list(PENDING)}, "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
            {"$set": {"status": "cancelled", "error": reason, SLOT_FIELD: None, "updated_at": now}, "$inc": {"version": 1}},
        )
        cancelled += r.modified_count
    return cancelled


def public(doc: dict, reveal: bool) -> dict:
    to = doc.get("to") or ""
    if not reveal and doc.get("channel") == "sms" and to.startswith("+"):
        try:
            to = mask(to)
        except Exception:
            to = "****"
    return {
        "id": doc["_id"], "branch_id": doc["branch_id"], "kind": doc["kind"], "channel": doc["channel"], "to": to,
        "template": doc.get("template"), "category": doc["category"], "status": doc["status"], "due_at": doc["due_at"],
        "attempts": doc.get("attempts", 0), "provider": doc.get("provider"),
        "provider_message_ids": doc.get("provider_message_ids", []), "segments": doc.get("segments"),
        "error": doc.get("error"), "version": doc.get("version", 1), "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
    }
