"""Branch request and response shapes; settings are the shared BranchSettings contract."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crm_shared.branches import BranchSettings, valid_timezone
from crm_shared.text import Line

from crm_leads.context import BRANCH_FIELD


class BranchIn(BaseModel):
    """Create or update a branch (a sales office, showroom or store)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="Slug, e.g. `sz-bay`.", examples=["sz-bay"], **BRANCH_FIELD)
    name: Line(200) = Field(examples=["深圳湾售楼处"])
    timezone: str | None = Field(None, max_length=64, examples=["Asia/Shanghai"],
                                 description="IANA zone; daily rules use it. Omitted: `CRM_DEFAULT_TIMEZONE` (Asia/Shanghai).")
    settings: BranchSettings = Field(default_factory=BranchSettings, description="Missing fields take defaults.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str:
        if v is None:  # only a given value is validated: an explicit null is not a zone
            raise ValueError("timezone must be an IANA zone name")
        return valid_timezone(v)


class BranchOut(BaseModel):
    id: str
    name: str
    timezone: str
    settings: BranchSettings
    version: int
