"""Shapes of a manager's bulk assignment (批量分配) from the lead list."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crm_shared.text import Line

from crm_leads.context import BRANCH_FIELD, ID_FIELD

MAX_BULK = 200
Outcome = Literal["assigned", "unchanged", "not_found", "closed", "busy"]


class BulkAssignIn(BaseModel):
    """Give several leads of one branch to one consultant; each lead is its own versioned write."""

    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    lead_ids: list[str] = Field(min_length=1, max_length=MAX_BULK, description=f"At most {MAX_BULK}, distinct.")
    owner_id: str = Field(**ID_FIELD)
    reason: Line(200) | None = Field(None, description="Why, in the manager's words (event `lead.assigned.note`).")

    @field_validator("lead_ids")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        for lead_id in v:
            if not 1 <= len(lead_id) <= 64 or not all(ch.isalnum() or ch in "_.:-" for ch in lead_id) or not lead_id.isascii():
                raise ValueError("lead ids are 1-64 characters of A-Z a-z 0-9 _ . : -")
        return list(dict.fromkeys(v))


class AssignOutcome(BaseModel):
    lead_id: str
    outcome: Outcome = Field(description="`assigned`; `unchanged` (already the owner's); `not_found` (no such lead "
                             "in this branch); `closed` (won or lost: nothing to assign); `busy` (it kept changing "
                             "concurrently: send it again).")
    owner_id: str | None = Field(None, description="The lead's owner after the request.")
    version: int | None = None


class BulkAssignOut(BaseModel):
    owner_id: str
    assigned: int = Field(description="How many leads changed hands.")
    items: list[AssignOutcome] = Field(description="One outcome per distinct lead id, in the order given.")
