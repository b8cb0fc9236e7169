"""Request and response shapes of front-desk visits (来访登记)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.text import Line, Paragraph
from crm_reception.common import BRANCH_FIELD, ID_FIELD
from crm_reception.visits.rules import AssignedBy, IfOwnerOffDuty, OwnerStatus


class VisitorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line(100) = Field(examples=["李女士"])
    phone: str | None = Field(None, min_length=3, max_length=40, description=(
        "Normalised to E.164; answers show its mask and hash (the number itself is kept sealed for the audited "
        "`GET /v1/visits/{id}/phone`). May be left out for an appointment's arrival: the appointment's number."))


class VisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    appointment_id: str | None = Field(None, description="Set when the visitor arrives for an appointment.", **ID_FIELD)
    visitor: VisitorIn
    party_size: int = Field(1, ge=1, le=50)
    if_owner_off_duty: IfOwnerOffDuty = Field(
        "wait", description="A returning customer whose lead's owner is not in today's rotation: `wait` for the owner "
        "(the visitor waits and goes to the owner when they join the rotation; the desk may still hand over), or "
        "`rotation` (the next free consultant now). The answer says `owner_off_duty` either way.")

    @model_validator(mode="after")
    def _phone(self) -> "VisitCreate":
        if self.visitor.phone is None and self.appointment_id is None:
            raise ValueError("the visitor's phone is required unless the visitor arrives for an appointment")
        return self


class VisitAssign(BaseModel):
    """Hand a visitor to a named consultant (with the reason), or a waiting one to the rotation."""

    model_config = ConfigDict(extra="forbid")
    consultant_id: str | None = Field(
        ..., description="An active consultant of the branch; null hands a waiting visitor to the rotation (the "
        "next free consultant, or the rotation's queue).", **ID_FIELD)
    reason: Line(200) | None = Field(None, examples=["归属顾问休假，由同组顾问代接"],
                                     description="Why; required when naming a consultant.")

    @model_validator(mode="after")
    def _reason(self) -> "VisitAssign":
        if self.consultant_id is not None and not self.reason:
            raise ValueError("a hand-over to a named consultant needs a reason")
        return self


class VisitEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Line(100) | None = Field(None, examples=["interested", "deposit", "not_interested"])
    note: Paragraph(2000) | None = None


class VisitorOut(BaseModel):
    name: str
    phone_masked: str = Field(description="The only form of the number in visit answers, for every role.")
    phone_hash: str


class VisitorPhoneOut(BaseModel):
    """A visitor's full number, from the audited reveal."""

    visit_id: str
    phone: str = Field(description="E.164.")


class HandoverOut(BaseModel):
    from_consultant_id: str | None = Field(description="Who had the visitor (none while waiting).")
    to_consultant_id: str | None = Field(description="The named consultant; none: to the rotation.")
    reason: str | None
    by: str = Field(description="Staff id of the desk or manager who handed over.")
    at: datetime


class VisitPublic(BaseModel):
    id: str
    branch_id: str
    consultant_id: str | None = Field(description="Who serves the visitor; null while waiting.")
    returning: bool
    lead_id: str | None
    appointment_id: str | None
    visitor: VisitorOut
    party_size: int
    assigned_by: AssignedBy = Field(description="Why this consultant got (or will get) the visitor: the appointment, "
                                    "the lead's owner, the rotation (轮排), or a hand-over by the desk.")
    status: Literal["waiting", "open", "ended"] = Field(
        description="`waiting`: in the visitor queue, nobody could take them yet; `open`: with a consultant.")
    queue_position: int | None = Field(
        None, description="While waiting: 1 for the longest-waiting of the visitors waiting for the same consultant "
        "(`waiting_for`), or for the rotation.")
    waiting_for: str | None = Field(None, description="While waiting: the consultant they wait for; null: the rotation.")
    waited_seconds: int = Field(0, description="From check-in until a consultant took the visitor (while waiting: so far).")
    owner_id: str | None = Field(None, description="A returning customer's lead owner.")
    owner_name: str | None = None
    owner_status: OwnerStatus | None = Field(None, description="The owner at check-in: in today's rotation "
                                             "(`on_duty`), not (`off_duty`), or gone from the company (`left`).")
    owner_off_duty: bool = Field(False, description="Warning for the desk: the owner is not there (off duty or left).")
    handovers: list[HandoverOut] = Field(default_factory=list)
    repeat: bool = Field(False, description="This answer is the person's visit already in progress (a repeated "
                         "check-in within the visit's span: 200, nothing new recorded or counted).")
    outcome: str | None = None
    note: str | None = None
    checked_in_at: datetime
    assigned_at: datetime | None = None
    ended_at: datetime | None = None
    version: int
