"""Helpers every trigger uses: reach a staff member, build a keyed due-queue document, a notice to staff.

Staff are reached by WeCom (企业微信) when the office has a WeCom provider and the member a WeCom userid, else
by SMS or email as the notice prefers; customers never by WeCom.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_shared.plugins import ServiceContext
from crm_notify.messages.service import new_message
from crm_notify.triggers.rules import message_key


def sends_wecom(ctx: ServiceContext) -> bool:
    """The office sends WeCom app messages: a `wecom` provider is configured and started."""
    return "wecom" in ctx.state.providers


def staff_channel(staff: dict | None, prefer: str = "sms", *, wecom: bool) -> tuple[str, str | None]:
    """The channel and address to reach a staff member by: WeCom when the office sends by it (`wecom`) and the
    member has a WeCom userid, else `prefer`, else their other contact."""
    if not staff:
        return prefer, None
    if wecom and staff.get("wecom_user_id"):
        return "wecom", staff["wecom_user_id"]
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
    data: dict[str, Any], wecom: bool, prefer: str = "sms",
) -> dict:
    """A notice to one member of staff by WeCom when `wecom` and they have a userid, else by `prefer` (else their
    other contact), the template named like the kind; `recipient_name` is their name. No contact at all: a
    failed message that says so."""
    channel, to = staff_channel(member, prefer, wecom=wecom)
    return keyed(kind=kind, template=kind, entity=entity, channel=channel, to=to, recipient=staff_id,
                 occurrence=occurrence, branch_id=branch_id, due_at=now, now=now,
                 data={"recipient_name": (member or {}).get("name", ""), **data})
