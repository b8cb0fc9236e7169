"""Request shapes of lead exports: the list's filters (`GET /v1/leads`) plus the export's own fields."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.events.leads import Channel, Grade
from crm_shared.exports import ExportBase
from crm_shared.text import Line

from crm_leads.context import ID_FIELD
from crm_leads.leads.models import Status


class LeadFilters(BaseModel):
    """The filters of `GET /v1/leads`; none means every lead the caller may export in the branch."""

    model_config = ConfigDict(extra="forbid")
    status: Status | None = None
    grade: Grade | None = None
    owner_id: str | None = Field(None, **ID_FIELD)
    channel: Channel | None = Field(None, description="`source.channel`.")
    overdue: bool | None = None
    pool: bool | None = None
    q: Line(100) | None = Field(None, description="Last four digits, a mask, a full number, or part of the name.")


class LeadExportIn(ExportBase):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["leads"] = "leads"
    filters: LeadFilters = Field(default_factory=LeadFilters)
