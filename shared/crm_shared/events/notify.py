"""Events produced by the notify service (docs/contract.md, "Events")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crm_shared.events.envelope import EventData, event

SOURCE = "notify"


class _NotificationChange(EventData):
    message_id: str = Field(description="The message's id (notify service).")
    channel: Literal["sms", "email", "wecom"] = Field(description="`wecom`: a WeCom (企业微信) app message to staff.")
    template: str | None = Field(None, examples=["appointment_reminder"], description="The template the "
                                 "message was written from.")
    attempts: int = Field(0, ge=0, description="Sending attempts so far.")
    error: str | None = Field(None, description="The provider's error, when one failed.")


@event("notification.sent", SOURCE)
class NotificationSent(_NotificationChange):
    """A message (SMS, email, WeCom) was handed to its provider."""


@event("notification.delivered", SOURCE)
class NotificationDelivered(_NotificationChange):
    """The provider reported the message delivered."""


@event("notification.failed", SOURCE)
class NotificationFailed(_NotificationChange):
    """A message could not be sent or delivered (`error`), after its attempts."""
