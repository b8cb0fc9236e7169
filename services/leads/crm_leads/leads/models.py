"""Lead request and response shapes (docs/contract.md "leads")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.events.leads import Channel, Grade

from crm_leads.context import BRANCH_FIELD, ID_FIELD

Status = Literal["new", "contacted", "visited", "negotiating", "won", "lost"]
OpenStatus = Literal["new", "contacted", "visited", "negotiating"]
Gender = Literal["male", "female", "other", "unknown"]
FollowUpKind = Literal["call", "sms", "wechat", "visit", "email", "other"]
EMAIL = dict(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, examples=["王先生"])
    phone: str = Field(min_length=3, max_length=40, examples=["13812345678"], description="Any format; stored as E.164.")
    gender: Gender | None = None
    email: str | None = Field(None, **EMAIL)
    birthday: date | None = None


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Channel
    campaign: str | None = Field(None, max_length=200)
    referrer: str | None = Field(None, max_length=200)
    partner_id: str | None = Field(None, **ID_FIELD)


class LeadCreate(BaseModel):
    """Register a lead (来电/来店客户登记)."""

    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    customer: CustomerIn
    source: SourceIn
    grade: Grade | None = None
    owner_id: str | None = Field(None, description="Default: the registering consultant, else the assigner.", **ID_FIELD)
    interest: str | None = Field(None, max_length=1000, description="What the customer is interested in.")


class CustomerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=100)
    gender: Gender | None = None
    email: str | None = Field(None, **EMAIL)
    birthday: date | None = None


class LeadPatch(BaseModel):
    """Change grade, status (not won/lost: use close), customer details or the next follow-up."""

    model_config = ConfigDict(extra="forbid")
    grade: Grade | None = None
    status: OpenStatus | None = None
    customer: CustomerPatch | None = None
    next_follow_up_at: datetime | None = None
    interest: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _aware(self) -> "LeadPatch":
        if self.next_follow_up_at is not None and self.next_follow_up_at.tzinfo is None:
            raise ValueError("next_follow_up_at needs a UTC offset")
        return self


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: FollowUpKind
    note: str = Field("", max_length=2000)
    outcome: str | None = Field(None, max_length=200)
    next_follow_up_at: datetime | None = Field(None, description="Default: the grade's cadence from now.")

    @model_validator(mode="after")
    def _aware(self) -> "FollowUpIn":
        if self.next_follow_up_at is not None and self.next_follow_up_at.tzinfo is None:
            raise ValueError("next_follow_up_at needs a UTC offset")
        return self


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner_id: str = Field(**ID_FIELD)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["won", "lost"]
    reason: str | None = Field(None, min_length=1, max_length=500)
    amount: float | None = Field(None, ge=0, le=1e12)

    @model_validator(mode="after")
    def _reason_for_lost(self) -> "CloseIn":
        if self.outcome == "lost" and not (self.reason or "").strip():
            raise ValueError("reason is required when the lead is lost")
        return self


class CustomerOut(BaseModel):
    name: str
    phone_masked: str
    gender: str | None = None
    email: str | None = None
    birthday: date | None = None


class LeadOut(BaseModel):
    """A lead. Phones are masked here; the full number comes only from the audited `/phone`."""

    id: str
    branch_id: str
    status: Status
    grade: Grade | None = None
    owner_id: str | None = None
    customer: CustomerOut
    source: dict
    interest: str | None = None
    next_follow_up_at: datetime | None = None
    overdue: bool = False
    missed_count: int = 0
    in_pool: bool
    contact_count: int = 0
    attribution: dict | None = None
    lost_reason: str | None = None
    amount: float | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
