"""Request and response shapes of front-desk visits (来访登记)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.text import Line, Paragraph
from crm_reception.common import BRANCH_FIELD, ID_FIELD


class VisitorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line(100) = Field(examples=["李女士"])
    phone: str = Field(min_length=3, max_length=40, description="Normalised to E.164; only its mask and hash are kept.")


class VisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    appointment_id: str | None = Field(None, description="Set when the visitor arrives for an appointment.", **ID_FIELD)
    visitor: VisitorIn
    party_size: int = Field(1, ge=1, le=50)


class VisitEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Line(100) | None = Field(None, examples=["interested", "deposit", "not_interested"])
    note: Paragraph(2000) | None = None


class VisitorOut(BaseModel):
    name: str
    phone_masked: str
    phone_hash: str


class VisitPublic(BaseModel):
    id: str
    branch_id: str
    consultant_id: str | None
    returning: bool
    lead_id: str | None
    appointment_id: str | None
    visitor: VisitorOut
    party_size: int
    assigned_by: Literal["appointment", "owner", "rotation"] = Field(description="Why this consultant got the visitor.")
    status: Literal["open", "ended"]
    outcome: str | None = None
    note: str | None = None
    checked_in_at: datetime
    ended_at: datetime | None = None
    version: int
