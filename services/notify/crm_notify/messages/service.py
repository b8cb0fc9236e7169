"""The `messages` collection is the durable due-queue: one document per planned send.

`_id` is derived from the send's key (entity, kind, channel, recipient, occurrence), so a
redelivered event or a retried request lands on the document that already exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.events import Envelope, EventData
from crm_shared.events.notify import NotificationFailed
from crm_shared.ids import utcnow
from crm_shared.observability import correlation_id
from crm_shared.plugins import ServiceContext
from crm_shared.reveals import mask_recipient
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


def message_event(data: EventData, doc: dict) -> Envelope:
    """An event about a message, in the correlation of the request or event that planned it."""
    env = event(data, doc["branch_id"], doc["_id"])
    return env.model_copy(update={"correlation_id": doc.get("correlation_id")})


async def plan(db: Any, doc: dict) -> bool:
    """Insert once; False when the same key was planned before (redelivery, replay, race)."""
    try:
        await db[MESSAGES].insert_one(doc)
        return True
    except DuplicateKeyError:
        return False


async def plan_many(ctx: ServiceContext, docs: list[dict]) -> int:
    """Insert many, each once; a message planned as failed (nobody to send to) announces it with
    notification.failed like any other failure."""
    planned = 0
    pending = [d for d in docs if d["status"] != "failed"]
    if pending:
        try:
            planned += len((await ctx.db[MESSAGES].insert_many(pending, ordered=False)).inserted_ids)
        except BulkWriteError as exc:
            planned += exc.details.get("nInserted", 0)
    for doc in docs:
        if doc["status"] == "failed":
            failed = NotificationFailed(message_id=doc["_id"], channel=doc["channel"], template=doc.get("template"),
                                        attempts=0, error=doc.get("error"))
            try:
                await ctx.aggregate(MESSAGES).insert(doc, message_event(failed, doc))
                planned += 1
            except DuplicateKeyError:
                pass
    return planned


async def cancel(ctx: ServiceContext, ids: list[str], reason: str, now: datetime | None = None) -> int:
    """Cancel those still waiting and not in a dispatcher's hands."""
    now = now or utcnow()
    cancelled = 0
    for _id in ids:
        done = await ctx.aggregate(MESSAGES).update(
            {"_id": _id, "status": {"$in": list(PENDING)}, "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
            {"$set": {"status": "cancelled", "error": reason, SLOT_FIELD: None, "updated_at": now}},
        )
        cancelled += done is not None
    return cancelled


def shown_recipient(channel: str, to: str | None) -> str:
    """A recipient as every answer shows it, to every role: `138****8000`, `w***@example.com` (issue 19)."""
    return mask_recipient(channel, to) or ""


def public(doc: dict) -> dict:
    """A message as every role sees it: the recipient masked; the full one from the audited
    `GET /v1/messages/{id}/recipient` (managers, admins)."""
    to = shown_recipient(doc["channel"], doc.get("to"))
    return {
        "id": doc["_id"], "branch_id": doc["branch_id"], "kind": doc["kind"], "entity": doc.get("entity"),
        "channel": doc["channel"], "to": to,
        "template": doc.get("template"), "category": doc["category"], "status": doc["status"], "due_at": doc["due_at"],
        "attempts": doc.get("attempts", 0), "provider": doc.get("provider"),
        "provider_message_ids": doc.get("provider_message_ids", []), "segments": doc.get("segments"),
        "error": doc.get("error"), "version": doc.get("version", 1), "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
    }
