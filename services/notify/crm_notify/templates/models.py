"""Template request and response models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.events import BRANCH_ID_PATTERN
from crm_shared.text import Line, Paragraph

Locale = Literal["zh-CN", "en"]
ChannelName = Literal["sms", "email"]
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


class TemplateIn(BaseModel):
    """PUT /v1/templates/{key}: one channel and locale of a template, global or for one branch."""

    model_config = ConfigDict(extra="forbid")
    channel: ChannelName
    locale: Locale = "zh-CN"
    subject: Line(300) | None = Field(None, description="Email subject (Jinja2), one line.")
    body: Paragraph(5000) = Field(description="Jinja2 text, rendered in a sandbox; line breaks and tabs are kept.")
    branch_id: str | None = Field(None, pattern=BRANCH_ID_PATTERN, description="Override for one branch; omit for all.")


class TemplateOut(BaseModel):
    key: str
    channel: ChannelName
    locale: Locale
    subject: str | None
    body: str
    branch_id: str | None
    source: Literal["builtin", "global", "branch"]
    version: int = 0
    segments: int | None = Field(None, description="SMS parts of a render with sample data (signature counted).")
    warnings: list[str] = Field(default_factory=list)
