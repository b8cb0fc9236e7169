"""Events produced by the notify service (docs/contract.md, "Events")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crm_shared.events.envelope import EventData, event

SOURCE = "notify"


class _NotificationChange(EventData):
    message_id: str
    channel: Literal["sms", "email"]
    template: str | None = None
    attempts: int = Field(0, ge=0)
    error: str | None = None


@event("notification.sent", SOURCE)
class NotificationSent(_NotificationChange):
    pass


@event("notification.delivered", SOURCE)
class NotificationDelivered(_NotificationChange):
    pass


@event("notification.failed", SOURCE)
class NotificationFailed(_NotificationChange):
    pass
