"""Attribution dispute (判客争议) shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.text import Paragraph

from crm_leads.context import ID_FIELD


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report_id: str | None = Field(None, **ID_FIELD)
    lead_id: str | None = Field(None, **ID_FIELD)
    claim: Paragraph(2000) = Field(description="What the disputing party claims and why.")

    @model_validator(mode="after")
    def _target(self) -> "DisputeIn":
        if not (self.report_id or self.lead_id):
            raise ValueError("give report_id or lead_id")
        return self


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    winner: str | None = Field(description="The partner credited, or null for nobody (the office).", **ID_FIELD)
    reason: Paragraph(2000)


class DisputeOut(BaseModel):
    id: str
    branch_id: str
    report_id: str | None
    lead_id: str | None
    claim: str
    raised_by: str
    raised_by_role: str
    status: Literal["open", "decided"]
    deadline: datetime
    winner: str | None = None
    reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    created_at: datetime
    version: int
