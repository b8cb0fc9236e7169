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


class Side(BaseModel):
    """One report in a dispute, as the manager weighs it: who reported, when, and what became of it."""

    report_id: str
    role: Literal["disputing", "competing"] = Field(description="`disputing`: the report the dispute is about; "
                                                     "`competing`: a report that held the customer against it.")
    partner_id: str
    partner_name: str | None = None
    agency_id: str | None = None
    agency_name: str | None = None
    customer_name: str
    phone_masked: str
    status: str
    reason: str | None = None
    reported_at: datetime
    first_visit_at: datetime | None = None
    protection_until: datetime | None = None


class DisputeOut(BaseModel):
    id: str
    branch_id: str
    report_id: str | None
    lead_id: str | None
    claim: str
    raised_by: str
    raised_by_role: str
    agency_id: str | None = Field(None, description="The raising agent's agency: its manager sees the dispute too.")
    status: Literal["open", "decided"]
    deadline: datetime
    winner: str | None = None
    reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    created_at: datetime
    version: int
    sides: list[Side] | None = Field(None, description="Managers only: both sides' reports, with their dates.")
