"""Request shapes of archive exports: the list's filters (`GET /v1/archives`) plus the export's own fields."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.events.customers import Category, Tier
from crm_shared.exports import ExportBase
from crm_shared.text import Line

from crm_customers.archives.models import ID_FIELD, Level, Status


class ArchiveFilters(BaseModel):
    """The filters of `GET /v1/archives`; none means every archive the caller may export in the branch."""

    model_config = ConfigDict(extra="forbid")
    tier: Tier | None = None
    category: Category | None = None
    status: Status | None = None
    account_manager_id: str | None = Field(None, **ID_FIELD)
    frozen: bool | None = None
    key_account: Level | None = None
    q: Line(100) | None = Field(None, description="Last four digits, a mask, a full number, or part of the name.")


class ArchiveExportIn(ExportBase):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["archives"] = "archives"
    filters: ArchiveFilters = Field(default_factory=ArchiveFilters)
