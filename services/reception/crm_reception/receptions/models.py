"""Request and response shapes of business receptions (接待申请)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.text import Line, Moment, Paragraph
from crm_reception.common import BRANCH_FIELD, ID_FIELD
from crm_reception.receptions.rules import MAX_DURATION

ReceptionClass = Literal["A", "B", "C", "D"]
Status = Literal["pending", "awaiting_general_manager", "approved", "rejected", "completed"]


class Guest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line(100)
    title: Line(100) | None = Field(None, examples=["副局长"])


class GuestOut(BaseModel):
    """A guest as stored: shown as it is, never validated again (a rule tightened later must not break reads)."""

    name: str
    title: str | None = None


class Resource(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["meeting_room", "car", "projector"]
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", examples=["room-1"])

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


class ReceptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    branch_id: str = Field(**BRANCH_FIELD)
    reception_class: ReceptionClass = Field(alias="class", description="A VIP/government/top management; B major or "
                                            "likely-to-sign; C regular, early stage; D vendors, general.")
    guests: list[Guest] = Field(min_length=1, max_length=100)
    arrive_at: Moment
    leave_at: Moment
    purpose: Paragraph(2000)
    resources: list[Resource] = Field(default_factory=list, max_length=10)
    budget_per_head: float | None = Field(None, ge=0, le=100000, description="CNY; defaults to the class maximum.")
    host_id: str | None = Field(None, description="Who hosts; the requester by default.", **ID_FIELD)

    @model_validator(mode="after")
    def _check(self) -> "ReceptionCreate":
        if self.leave_at <= self.arrive_at:
            raise ValueError("leave_at must be after arrive_at")
        if self.leave_at - self.arrive_at > MAX_DURATION:
            raise ValueError("a reception may last at most 3 days")
        if len({r.key for r in self.resources}) != len(self.resources):
            raise ValueError("a resource is listed twice")
        return self


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Paragraph(1000) | None = None


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Paragraph(1000)


class FollowUpTask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Line(200)
    owner_id: str | None = Field(None, description="Staff of the reception's branch.", **ID_FIELD)
    due: Moment | None = None


class Feedback(BaseModel):
    """接待信息反馈表: what happened, what it cost, what follows."""

    model_config = ConfigDict(extra="forbid")
    summary: Paragraph(4000)
    spent: float | None = Field(None, ge=0, le=10_000_000, description="Total spent, CNY.")
    follow_ups: list[FollowUpTask] = Field(default_factory=list, max_length=20)


class ReceptionPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
    id: str
    branch_id: str
    reception_class: ReceptionClass = Field(alias="class")
    status: Status
    host_id: str
    requested_by: str
    guests: list[GuestOut]
    arrive_at: datetime
    leave_at: datetime
    purpose: str
    resources: list[Resource]
    budget_per_head: float
    policy: dict = Field(description="The class policy applied: budget range, hotel, who accompanies, notice.")
    approvals: list[dict] = Field(description="Steps approved so far: step, by, at, note.")
    rejection: dict | None = None
    feedback: dict | None = None
    feedback_due_at: datetime
    feedback_overdue: bool = False
    version: int
    created_at: datetime
