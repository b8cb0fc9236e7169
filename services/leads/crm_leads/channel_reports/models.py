"""Channel report (渠道报备) shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.text import Line, Moment, Paragraph

from crm_leads.context import BRANCH_FIELD
from crm_leads.leads.models import Gender

ReportStatus = Literal["accepted", "confirmed", "expired", "rejected"]
Reason = Literal["open_lead", "customer_known", "reported_first", "confirmed_other", "no_follow_up"]


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    customer_name: Line(100)
    gender: Gender | None = None
    phone: str = Field(min_length=3, max_length=40, description="Full number, or masked in either form the trade uses: "
                       "first 3 + last 4 (`138****5678`) or first 4 + last 5 (`1381**45678`).",
                       examples=["13812345678", "138****5678", "1381**45678"])


class FollowUpIn(BaseModel):
    """The partner followed the customer up (持续跟进): keeps the report live another `report_lapse_days`."""

    model_config = ConfigDict(extra="forbid")
    note: Paragraph(2000) = Field(examples=["电话回访，客户周六再来看样板间"])
    at: Moment | None = Field(None, description="When it happened (default now); not in the future, not before the report.")


class FollowUpOut(BaseModel):
    report_id: str
    at: datetime
    note: str
    by: str = Field(description="The partner account that logged it.")
    recorded_at: datetime
    follow_up_due_at: datetime | None = Field(None, description="The report lapses then without another follow-up.")


class ReportOut(BaseModel):
    """A report as partners see it: the phone is always masked (a mask as given, a full number as 3+4)."""

    id: str
    branch_id: str
    partner_id: str
    agency_id: str | None = Field(None, description="The reporting agent's agency, when registered.")
    customer_name: str
    gender: str | None = None
    phone_masked: str
    status: ReportStatus
    reason: Reason | None = Field(None, description="Why it was refused or ended early: `open_lead` (the office "
                                  "follows the customer), `customer_known` (booked or seen before the report), "
                                  "`reported_first` (another report holds the customer), `confirmed_other` (another "
                                  "partner's report of the customer was confirmed by the visit), `no_follow_up` (no "
                                  "follow-up within `report_lapse_days`: report again).")
    expires_at: datetime
    protection_until: datetime | None = None
    first_visit_at: datetime | None = None
    same_day: bool = Field(False, description="Confirmed on report (带团直接进场).")
    follow_up_due_at: datetime | None = Field(None, description="While live: lapses then without a partner follow-up.")
    last_follow_up_at: datetime | None = None
    follow_up_count: int = 0
    renewable_from: datetime | None = Field(None, description="Confirmed: the renewal window (its last "
                                            "`renewal_window_days`) opens then.")
    renewal_count: int = 0
    lead_id: str | None = None
    conflict_report_id: str | None = Field(None, description="Managers only: the report that held the customer.")
    created_at: datetime
    version: int


class MatchOut(BaseModel):
    """The live report naming a visitor, as the front desk sees it at check-in (渠道客户)."""

    report_id: str
    partner_id: str
    partner_name: str | None = None
    agency_id: str | None = None
    agency_name: str | None = None
    status: ReportStatus
    reported_at: datetime
    expires_at: datetime
    protection_until: datetime | None = None
    first_visit_at: datetime | None = None
