"""Request and response shapes of appointments (预约 / 带看)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from crm_shared.checklist import ChecklistItem
from crm_shared.text import Line, Moment, Paragraph, clean_line
from crm_reception.appointments.rules import interval_problem
from crm_reception.common import BRANCH_FIELD, ID_FIELD

Kind = Literal["showing", "office_visit", "signing"]
Status = Literal["scheduled", "arrived", "cancelled", "no_show"]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
                  AfterValidator(clean_line)]  # the pattern lets NUL and other control characters through


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line(100) = Field(examples=["王先生"])
    phone: str = Field(min_length=3, max_length=40, description="Any common format; stored as E.164.", examples=["13812345678"])
    email: Email | None = None


class AppointmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    consultant_id: str = Field(**ID_FIELD)
    lead_id: str | None = Field(None, **ID_FIELD)
    customer: CustomerIn
    kind: Kind
    start: Moment
    end: Moment
    party_size: int = Field(1, ge=1, le=50)
    notes: Paragraph(2000) | None = None
    on_site: bool = Field(False, description="A showing on a construction site: adds the safety checklist.")
    children: int = Field(0, ge=0, le=50, description="Children in the party (they wait at the sales office).")
    elderly: int = Field(0, ge=0, le=50, description="Elderly visitors in the party (they wait at the sales office).")
    route: Line(500) | None = Field(None, description="The planned route on site.")

    @model_validator(mode="after")
    def _check(self) -> "AppointmentCreate":
        if problem := interval_problem(self.start, self.end):
            raise ValueError(problem)
        if self.children + self.elderly > self.party_size:
            raise ValueError("children and elderly cannot exceed the party size")
        return self


class AppointmentPatch(BaseModel):
    """Reschedule (`start` and `end` together) and/or hand over to another consultant."""

    model_config = ConfigDict(extra="forbid")
    start: Moment | None = None
    end: Moment | None = None
    consultant_id: str | None = Field(None, **ID_FIELD)

    @model_validator(mode="after")
    def _check(self) -> "AppointmentPatch":
        if (self.start is None) != (self.end is None):
            raise ValueError("start and end change together")
        if self.start is None and self.consultant_id is None:
            raise ValueError("nothing to change: give start/end and/or consultant_id")
        if self.start and self.end and (problem := interval_problem(self.start, self.end)):
            raise ValueError(problem)
        return self


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Line(500) | None = None


class CustomerOut(BaseModel):
    name: str
    phone: str | None = Field(description="Masked (`138****5678`) for every role; the full number only from "
                              "`GET /v1/appointments/{id}/contact` (audited).")
    email: str | None = Field(None, description="Masked (`w***@example.com`) for every role.")


class ContactOut(BaseModel):
    """The full contact of an appointment's customer, from the audited reveal."""

    appointment_id: str
    name: str | None
    phone: str | None = Field(description="E.164.")
    email: str | None = None


class AppointmentPublic(BaseModel):
    id: str
    branch_id: str
    consultant_id: str
    lead_id: str | None
    customer: CustomerOut
    kind: Kind
    start: datetime
    end: datetime
    party_size: int
    notes: str | None
    checklist: list[str] = Field(description="The site-visit checklist in Chinese (工地参观须知), one line per point.")
    site_checklist: list[ChecklistItem] = Field(
        default_factory=list, description="The same checklist as data (codes and numbers) to render in another "
        "language (crm_shared.checklist).")
    status: Status
    visit_id: str | None = None
    version: int
    created_at: datetime
    updated_at: datetime
