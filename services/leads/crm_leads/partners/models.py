"""Partner account (渠道账号) shapes: agencies and agents."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.text import Line

from crm_leads.context import BRANCH_FIELD, ID_FIELD

PartnerKind = Literal["agency", "agent"]


class PartnerIn(BaseModel):
    """Register a partner account of a branch: an agency (its manager signs in with it and sees its agents'
    reports and disputes) or an agent (of an agency, or on its own)."""

    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    name: Line(100) = Field(examples=["链家深圳湾店", "张经纪"])
    kind: PartnerKind
    agency_id: str | None = Field(None, description="An agent's agency: an `agency` account of the same branch.",
                                  **ID_FIELD)
    phone: str | None = Field(None, max_length=40, description="Contact number; normalised to E.164.")

    @model_validator(mode="after")
    def _agency_has_no_agency(self) -> "PartnerIn":
        if self.kind == "agency" and self.agency_id is not None:
            raise ValueError("an agency belongs to no agency: agency_id is for agents")
        return self


class ArrivalIn(BaseModel):
    """The desk records that this partner brought the visitor of a visit (带团直接进场)."""

    model_config = ConfigDict(extra="forbid")
    visit_id: str = Field(description="The visit (`POST /v1/visits`) of the customer the partner brought.", **ID_FIELD)


class PartnerOut(BaseModel):
    id: str
    branch_id: str
    name: str
    kind: PartnerKind
    agency_id: str | None = None
    agency_name: str | None = None
    phone: str | None = None
    active: bool = True
    created_at: datetime
    version: int


class ArrivalOut(BaseModel):
    branch_id: str
    partner_id: str
    visit_id: str
    recorded_by: str
    at: datetime
