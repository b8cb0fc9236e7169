"""Referrer (全民营销) shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.text import Line, Paragraph

from crm_leads.context import BRANCH_FIELD

ReferrerKind = Literal["employee", "owner", "public"]


class ReferrerIn(BaseModel):
    """Register a referrer: a group employee outside sales (`employee`), an owner bringing a buyer (`owner`,
    老带新) or a member of the public who signed up (`public`)."""

    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    name: Line(100) = Field(examples=["李业主"])
    phone: str = Field(min_length=3, max_length=40, description="The referrer's own number; normalised to E.164. "
                       "One referrer per number and branch; the branch's own sales-office staff are refused.")
    kind: ReferrerKind
    note: Paragraph(500) | None = Field(None, examples=["集团财务部", "3栋1202业主"])


class ReferrerOut(BaseModel):
    id: str
    branch_id: str
    name: str
    kind: ReferrerKind
    phone_masked: str
    phone: str | None = Field(None, description="The full number, only in the answer to its registration; "
                              "afterwards from the audited `GET /v1/referrers/{id}/phone` (rewards are paid to it).")
    note: str | None = None
    registered_by: str
    created_at: datetime
    version: int
