"""Message request/response models; every string is bounded, every enum a Literal, what people
type is printable text (`crm_shared.text`) and times lie within the supported range."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from crm_shared.errors import Invalid
from crm_shared.events import BRANCH_ID_PATTERN
from crm_shared.phones import InvalidPhone, normalize
from crm_shared.text import Line, Moment, Paragraph, clean_paragraph
from crm_notify.templates.models import KEY_PATTERN, Locale

Channel = Literal["sms", "email"]
"""Channels a request may name; WeCom reaches staff only, from notify's own staff notices."""
SentChannel = Literal["sms", "email", "wecom"]
WECOM_USER_ID_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
Category = Literal["transactional", "marketing"]
Status = Literal["scheduled", "queued", "sent", "delivered", "failed", "cancelled", "suppressed"]
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")



def _template_text(value: str) -> str:
    """A template variable is printable text like any other; empty stays allowed (a name may be unknown)."""
    return value if value == "" else clean_paragraph(value)


DataKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Scalar = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_template_text)] | int | float | bool | None
DataValue = Scalar | Annotated[list[Annotated[str, StringConstraints(max_length=200), AfterValidator(_template_text)]],
                               Field(max_length=50)]


def normalize_recipient(channel: str, to: str, region: str = "CN") -> str:
    """E.164 for SMS, a lower-cased address for email, a WeCom userid as it is; ValueError otherwise."""
    if channel == "wecom":
        if not WECOM_USER_ID_RE.match(to):
            raise ValueError("`to` is not a WeCom userid")
        return to
    if channel == "sms":
        try:
            return normalize(to, region)
        except InvalidPhone as exc:
            raise ValueError(f"`to` is not a valid phone number: {exc}") from None
    address = to.strip()
    if len(address) > 254 or not EMAIL_RE.match(address):
        raise ValueError("`to` is not a valid email address")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def recipient_filter(channel: str | None, to: str) -> str:
    """A `?to=` filter as stored: the channel given, or guessed from the address; 422 on the `to` parameter."""
    try:
        return normalize_recipient(channel or ("email" if "@" in to else "sms"), to)
    except ValueError as exc:
        raise Invalid(str(exc), loc=["query", "to"]) from None


class MessageIn(BaseModel):
    """POST /v1/messages: a template with data, or a literal body."""

    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(pattern=BRANCH_ID_PATTERN)
    channel: Channel
    to: str = Field(min_length=3, max_length=254, description="E.164 phone (sms) or email address.")
    template: str | None = Field(None, max_length=64, pattern=KEY_PATTERN)
    data: dict[DataKey, DataValue] = Field(default_factory=dict, max_length=50)
    body: Paragraph(2000) | None = Field(None, description="Literal text instead of a template.")
    subject: Line(300) | None = Field(None, description="Email subject with a literal body.")
    category: Category = "transactional"
    locale: Locale = "zh-CN"
    send_at: Moment | None = Field(None, description="Schedule for later (UTC offset required; 2000-2200).")

    @model_validator(mode="after")
    def _check(self) -> "MessageIn":
        if (self.template is None) == (self.body is None):
            raise ValueError("give exactly one of `template` or `body`")
        self.to = normalize_recipient(self.channel, self.to)
        return self


class MessageOut(BaseModel):
    id: str
    branch_id: str
    kind: str
    entity: str | None = Field(None, description="The object the message is about (an appointment's id for its "
                               "confirmations and reminders); filter with `?entity=`.")
    channel: SentChannel = Field(description="`wecom`: a WeCom (企业微信) app message to a member of staff.")
    to: str = Field(description="Masked for every role (`138****8000`, `w***@example.com`); the full recipient only "
                    "from `GET /v1/messages/{id}/recipient` (managers, admins; audited).")
    template: str | None
    category: Category
    status: Status
    due_at: datetime
    attempts: int
    provider: str | None
    provider_message_ids: list[str]
    segments: int | None
    error: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class RecipientOut(BaseModel):
    """A message's full recipient, from the audited reveal."""

    message_id: str
    channel: SentChannel
    to: str = Field(description="E.164 phone (sms), email address, or WeCom userid (wecom).")


class Accepted(BaseModel):
    id: str
    status: Status
