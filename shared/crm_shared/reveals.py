"""Every full number audited (客户信息保密, issue 19): the masks every answer carries, and the one
audit shape of reveals that reception (appointments, visits) and notify (messages) share.

Answers show a phone as `138****5678` and an email as `w***@example.com`, to every role; the full
value comes only from a reveal endpoint of one object, which writes its audit record first (no
record, no number). A record keeps who, when, which object, why and the masks, never the number.
Leads (`GET /v1/audit`) and archives (`GET /v1/archives/audit`) keep their own older shapes.
"""

from __future__ import annotations

from typing import Any

from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import mask

AUDIT = "reveal_audit"
FIELDS = ("branch_id", "actor_id", "actor_name", "actor_role", "action", "object_type", "object_id",
          "phone_masked", "email_masked", "reason", "at")


def mask_phone(value: str | None) -> str | None:
    """An E.164 number as its mask (`138****5678`); something that is not one is hidden whole."""
    if not value:
        return value
    try:
        return mask(value)
    except Exception:  # not a parsable number: show nothing of it
        return "****"


def mask_email(value: str | None) -> str | None:
    """`wang@example.com` -> `w***@example.com`: the first character of the mailbox and the domain."""
    if not value:
        return value
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_recipient(channel: str, to: str | None) -> str | None:
    """A message or opt-out recipient as its mask: a phone for SMS, an address for email."""
    if not to:
        return to
    return mask_email(to) if channel == "email" or "@" in to else mask_phone(to)


async def record(db: Any, who: Principal, *, branch_id: str, action: str, object_type: str, object_id: str,
                 phone: str | None = None, email: str | None = None, reason: str | None = None,
                 actor_name: str | None = None) -> dict:
    """The audit record of one reveal, written before the value is returned; it keeps the masks only."""
    doc = {"_id": uuid7(), "branch_id": branch_id, "actor_id": who.sub, "actor_name": actor_name,
           "actor_role": who.role, "action": action, "object_type": object_type, "object_id": object_id,
           "phone_masked": mask_phone(phone), "email_masked": mask_email(email), "reason": reason, "at": utcnow()}
    await db[AUDIT].insert_one(doc)
    return doc


def public(doc: dict) -> dict:
    return {"id": doc["_id"], **{k: doc.get(k) for k in FIELDS}}


def query(branch_id: str, object_type: str, object_id: str | None) -> dict:
    return {"branch_id": branch_id, "object_type": object_type} | ({"object_id": object_id} if object_id else {})


async def ensure_indexes(db: Any) -> None:
    await db[AUDIT].create_index([("branch_id", 1), ("object_type", 1), ("object_id", 1)])
