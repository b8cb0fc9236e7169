"""Channel report (渠道报备) shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.text import Line

from crm_leads.context import BRANCH_FIELD
from crm_leads.leads.models import Gender

ReportStatus = Literal["accepted", "confirmed", "expired", "rejected"]


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    customer_name: Line(100)
    gender: Gender | None = None
    phone: str = Field(min_length=3, max_length=40, description="Full number, or masked 3+4 like `138****5678`.",
                       examples=["13812345678", "138****5678"])


class ReportOut(BaseModel):
    """A report as partners see it: the phone is always masked."""

    id: str
    branch_id: str
    partner_id: str
    customer_name: str
    gender: str | None = None
    phone_masked: str
    status: ReportStatus
    expires_at: datetime
    protection_until: datetime | None = None
    first_visit_at: datetime | None = None
    lead_id: str | None = None
    reason: str | None = None
    created_at: datetime
    version: int
