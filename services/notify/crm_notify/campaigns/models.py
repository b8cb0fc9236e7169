"""Campaign request models: a marketing template to an explicit list or to every consented contact."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.events import BRANCH_ID_PATTERN
from crm_shared.text import Line, Moment
from crm_notify.messages.models import Channel, DataKey, DataValue, normalize_recipient
from crm_notify.templates.models import KEY_PATTERN, Locale

MAX_AUDIENCE = 10_000


class Audience(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: list[str] | None = Field(None, max_length=MAX_AUDIENCE, description="Explicit recipients.")
    consented_contacts: bool = Field(False, description="Every contact of the branch who consented on the channel.")

    @model_validator(mode="after")
    def _one(self) -> "Audience":
        if bool(self.to) == self.consented_contacts:
            raise ValueError("give either `to` or `consented_contacts: true`")
        if self.to and any(not isinstance(t, str) or len(t) > 254 for t in self.to):
            raise ValueError("recipients are strings of at most 254 characters")
        return self


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(pattern=BRANCH_ID_PATTERN)
    name: Line(100) = "campaign"
    template: str = Field(max_length=64, pattern=KEY_PATTERN, examples=["holiday_greeting"])
    channel: Channel = "sms"
    locale: Locale = "zh-CN"
    data: dict[DataKey, DataValue] = Field(default_factory=dict, max_length=50)
    audience: Audience
    send_at: Moment = Field(description="When to send (UTC offset required; 2000-2200).")

    @model_validator(mode="after")
    def _recipients(self) -> "CampaignIn":
        if self.audience.to:
            self.audience.to = sorted({normalize_recipient(self.channel, t) for t in self.audience.to})
        return self


class CampaignOut(BaseModel):
    id: str
    status: Literal["scheduled"]
    recipients: int
