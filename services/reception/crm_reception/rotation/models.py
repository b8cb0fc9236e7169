"""Request and response shapes of the rotation endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from crm_reception.common import ID_FIELD


class QueueChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    consultant_id: str = Field(description="Staff id of the consultant joining or leaving today's queue.", **ID_FIELD)


class RotationPublic(BaseModel):
    branch_id: str
    date: str = Field(description="Branch-local day of this queue.")
    queue: list[str] = Field(description="Present consultants, longest-waiting first.")
    next: str | None = Field(description="Who gets the next walk-in: the first in `queue` without a visitor.")
    busy: list[str] = Field(description="Consultants with a visitor right now (skipped, keeping their place).")
    turns: dict[str, int] = Field(description="Walk-ins handed out by the rotation today, per consultant.")
    version: int
