"""Lead request and response shapes (docs/contract.md "leads")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crm_shared.events.leads import Channel, Grade
from crm_shared.text import Birthday, Day, Line, Moment, Paragraph

from crm_leads.context import BRANCH_FIELD, ID_FIELD, Email
from crm_leads.deals.money import Money

Status = Literal["new", "contacted", "visited", "negotiating", "won", "lost"]
OpenStatus = Literal["new", "contacted", "visited", "negotiating"]
Gender = Literal["male", "female", "other", "unknown"]
FollowUpKind = Literal["call", "sms", "wechat", "visit", "email", "other"]


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line(100) = Field(examples=["王先生"])
    phone: str = Field(min_length=3, max_length=40, examples=["13812345678"], description="Any format; stored as E.164.")
    gender: Gender | None = None
    email: Email | None = None
    birthday: Birthday | None = None


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Channel
    campaign: Line(200) | None = None
    referrer: Line(200) | None = None
    partner_id: str | None = Field(None, **ID_FIELD)
    referrer_id: str | None = Field(None, description="Channel `referral`: a registered referrer of the branch "
                                    "(全民营销, `POST /v1/referrers`), credited when this is the customer's first "
                                    "registration (422 `unknown-referrer`).", **ID_FIELD)

    @model_validator(mode="after")
    def _referrer_of_referrals(self) -> "SourceIn":
        if self.referrer_id is not None and self.channel != "referral":
            raise ValueError("referrer_id names the referrer of a `referral` lead")
        return self


class LeadCreate(BaseModel):
    """Register a lead (来电/来店客户登记)."""

    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    customer: CustomerIn
    source: SourceIn
    grade: Grade | None = None
    owner_id: str | None = Field(None, description="Default: the registering consultant, else the assigner.", **ID_FIELD)
    interest: Paragraph(1000) | None = Field(None, description="What the customer is interested in.")


class CustomerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line(100) | None = None
    gender: Gender | None = None
    email: Email | None = None
    birthday: Birthday | None = None


class LeadPatch(BaseModel):
    """Change grade, status (not won/lost: use close), customer details or the next follow-up."""

    model_config = ConfigDict(extra="forbid")
    grade: Grade | None = None
    status: OpenStatus | None = None
    customer: CustomerPatch | None = None
    next_follow_up_at: Moment | None = None
    interest: Paragraph(1000) | None = None


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: FollowUpKind
    note: Paragraph(2000) | Literal[""] = Field("", description="What was said; empty or blank is no note.")
    outcome: Line(200) | None = None
    next_follow_up_at: Moment | None = Field(None, description="Default: the grade's cadence from now.")

    @field_validator("note", mode="before")
    @classmethod
    def _blank_note(cls, v: object) -> object:
        """Forms send an empty note as "" (or spaces): that is no note, not a bad one."""
        return "" if isinstance(v, str) and not v.strip() else v


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner_id: str = Field(**ID_FIELD)
    reason: Line(200) | None = Field(None, description="Why, in the manager's words (event `lead.assigned.note`).")


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["won", "lost"]
    reason: Line(500) | None = Field(None, examples=["price"], description="Lost: a code of the branch's "
                                     "`settings.lost_reasons` (422 `unknown-lost-reason` otherwise).")
    note: Paragraph(1000) | None = Field(None, description="Lost: required by reasons marked `note_required` (其他).")
    amount: Money | None = Field(None, description="Won: CNY, a JSON number or a decimal string (stored in fen).")

    @model_validator(mode="after")
    def _reason_for_lost(self) -> "CloseIn":
        if self.outcome == "lost" and not self.reason:
            raise ValueError("reason is required when the lead is lost")
        return self


class CustomerOut(BaseModel):
    name: str
    phone_masked: str
    gender: str | None = None
    email: str | None = None
    birthday: date | None = None


class DealOut(BaseModel):
    """A deal of the lead's customer as leads last heard of it from deals (money as decimal strings, CNY)."""

    deal_id: str
    status: Literal["subscribed", "signed", "paid", "cancelled"]
    contract_no: str | None = None
    agreed_price: str | None = Field(None, examples=["2980000.00"])
    unit_id: str | None = None
    unit_label: str | None = Field(None, examples=["湾区壹号 3栋 1201"])
    signed_at: datetime | None = None
    paid_total: str | None = None
    paid_at: datetime | None = None
    refund: str | None = Field(None, description="What went back to the customer on cancellation (退房).")
    cancel_reason: str | None = None
    cancelled_at: datetime | None = None


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
    lost_reason: str | None = Field(None, description="A code of the branch's `lost_reasons`.")
    lost_note: str | None = None
    amount: str | None = Field(None, examples=["2980000.00"], description="Won: CNY with two places (the deal's "
                               "agreed price, or the amount given when closed by hand).")
    deal: DealOut | None = Field(None, description="The deal that won the lead (deal.signed), else its latest deal.")
    deals: list[DealOut] = Field(default_factory=list, description="Every deal of the lead, oldest first (a "
                                 "cancelled one keeps its refund).")
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    registered_at: datetime | None = Field(None, description="When the customer first registered with the office, "
                                           "when earlier than `created_at` (an imported sheet's 登记日期).")
