"""Helpers every trigger uses: reach a staff member, build a keyed due-queue document, a notice to staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_notify.messages.service import new_message
from crm_notify.triggers.rules import message_key


def staff_channel(staff: dict | None, prefer: str = "sms") -> tuple[str, str | None]:
    """The channel and address to reach a staff member by, preferring `prefer`."""
    if not staff:
        return prefer, None
    order = ("sms", "email") if prefer == "sms" else ("email", "sms")
    for channel in order:
        to = staff.get("phone") if channel == "sms" else staff.get("email")
        if to:
            return channel, to
    return prefer, None


def keyed(
    *, kind: str, template: str, entity: str, channel: str, to: str | None, recipient: str, occurrence: str,
    branch_id: str, due_at: datetime, now: datetime, data: dict[str, Any], category: str = "transactional",
    locale: str = "zh-CN",
) -> dict:
    """A document whose `_id` follows from (kind, entity, channel, recipient, occurrence)."""
    key = message_key(kind, entity, channel, recipient, occurrence)
    error = None if to else f"no {channel} contact for recipient {recipient}"
    return new_message(key=key, kind=kind, branch_id=branch_id, channel=channel, to=to, category=category,
                       due_at=due_at, now=now, template=template, data=data, locale=locale, entity=entity,
                       occurrence=occurrence, error=error)


def staff_notice(
    member: dict | None, staff_id: str, *, kind: str, entity: str, occurrence: str, branch_id: str, now: datetime,
    data: dict[str, Any], prefer: str = "sms",
) -> dict:
    """A notice to one member of staff by `prefer` (else their other contact), the template named like the kind;
    `recipient_name` is their name. No contact at all: a failed message that says so."""
    channel, to = staff_channel(member, prefer)
    return keyed(kind=kind, template=kind, entity=entity, channel=channel, to=to, recipient=staff_id,
                 occurrence=occurrence, branch_id=branch_id, due_at=now, now=now,
                 data={"recipient_name": (member or {}).get("name", ""), **data})
