"""Events produced by the leads service (docs/contract.md, "Events")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from crm_shared.events.envelope import EventData, event

Channel = Literal["walk_in", "phone", "partner", "referral", "online", "import", "event"]
Grade = Literal["O", "A", "B", "C"]
SOURCE = "leads"


class MaskedCustomer(BaseModel):
    name: str = Field(examples=["王先生"])
    phone_masked: str = Field(examples=["138****5678"])
    phone_hash: str = Field(description="HMAC-SHA256 of the E.164 number with the group key.")


class LeadSource(BaseModel):
    channel: Channel
    campaign: str | None = None
    referrer: str | None = None
    partner_id: str | None = None


@event("branch.configured", SOURCE)
class BranchConfigured(EventData):
    branch_id: str = Field(examples=["sz-bay"])
    name: str | None = None
    timezone: str = Field(examples=["Asia/Shanghai"])
    settings: dict[str, Any] = Field(description="Effective settings after defaults.")


class _StaffChange(EventData):
    staff_id: str
    role: Literal["consultant", "manager", "reception"]
    name: str
    email: str | None = Field(None, description="For notify: assignment notices, escalations, digests.")
    phone: str | None = Field(None, description="Staff work phone, E.164 (staff, not customer, data).")


@event("staff.joined", SOURCE)
class StaffJoined(_StaffChange):
    pass


@event("staff.left", SOURCE)
class StaffLeft(_StaffChange):
    pass


@event("lead.registered", SOURCE)
class LeadRegistered(EventData):
    lead_id: str
    customer: MaskedCustomer
    source: LeadSource
    owner_id: str | None = None
    grade: Grade | None = None
    status: str = "new"
    registered_by: str | None = Field(
        None, description="Staff id of who registered it, or `visit:<id>` when the front desk's check-in did."
    )


@event("lead.updated", SOURCE)
class LeadUpdated(EventData):
    lead_id: str
    changes: dict[str, Any] = Field(description="Changed fields and new values (phones masked).")


@event("lead.graded", SOURCE)
class LeadGraded(EventData):
    lead_id: str
    grade: Grade
    previous_grade: Grade | None = None
    owner_id: str | None = None


class _OwnerChange(EventData):
    lead_id: str
    owner_id: str | None = Field(None, description="New owner; null when released to the pool.")
    previous_owner_id: str | None = None
    reason: str | None = Field(None, examples=["manual", "pool_claim", "staff_left", "no_follow_up"])


@event("lead.assigned", SOURCE)
class LeadAssigned(_OwnerChange):
    pass


@event("lead.released", SOURCE)
class LeadReleased(_OwnerChange):
    pass


@event("lead.claimed", SOURCE)
class LeadClaimed(_OwnerChange):
    pass


@event("lead.followed_up", SOURCE)
class LeadFollowedUp(EventData):
    lead_id: str
    owner_id: str | None = None
    kind: Literal["call", "sms", "wechat", "visit", "email", "other"]
    next_follow_up_at: datetime | None = None


@event("lead.follow_up_overdue", SOURCE)
class LeadFollowUpOverdue(EventData):
    lead_id: str
    owner_id: str | None = None
    due_at: datetime
    missed_count: int = Field(ge=1)


@event("lead.won", SOURCE)
class LeadWon(EventData):
    lead_id: str
    owner_id: str | None = None
    amount: float | None = None
    partner_id: str | None = Field(None, description="Credited channel partner, when protected.")


@event("lead.lost", SOURCE)
class LeadLost(EventData):
    lead_id: str
    owner_id: str | None = None
    reason: str
    status_before: str | None = None


class _ReportChange(EventData):
    report_id: str
    partner_id: str
    lead_id: str | None = None
    expires_at: datetime | None = None
    protection_until: datetime | None = None
    reason: str | None = None


@event("channel_report.accepted", SOURCE)
class ChannelReportAccepted(_ReportChange):
    pass


@event("channel_report.rejected", SOURCE)
class ChannelReportRejected(_ReportChange):
    pass


@event("channel_report.confirmed", SOURCE)
class ChannelReportConfirmed(_ReportChange):
    pass


@event("channel_report.expired", SOURCE)
class ChannelReportExpired(_ReportChange):
    pass


class _DisputeChange(EventData):
    dispute_id: str
    report_id: str | None = None
    lead_id: str | None = None
    winner: str | None = None
    reason: str | None = None


@event("attribution.disputed", SOURCE)
class AttributionDisputed(_DisputeChange):
    pass


@event("attribution.decided", SOURCE)
class AttributionDecided(_DisputeChange):
    pass


@event("lead.reclaim_warning", SOURCE)
class LeadReclaimWarning(EventData):
    """The lead will go to the public pool at `reclaim_at` unless it is followed up."""

    lead_id: str
    owner_id: str | None = None
    reclaim_at: datetime


@event("attribution.dispute_overdue", SOURCE)
class AttributionDisputeOverdue(_DisputeChange):
    """A dispute was not decided within its working-day deadline."""

    deadline: datetime | None = None
