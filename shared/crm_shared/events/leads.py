"""Events produced by the leads service (docs/contract.md, "Events")."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from crm_shared.events.envelope import EventData, event

Channel = Literal["walk_in", "phone", "partner", "referral", "online", "import", "event"]
Grade = Literal["O", "A", "B", "C"]
SOURCE = "leads"


class MaskedCustomer(BaseModel):
    """A customer as events show it: the name, the partner mask and the hash for everyone; the full number only
    sealed, for the services (deals hands a buyer's contact on to customers)."""

    name: str = Field(examples=["王先生"])
    phone_masked: str = Field(examples=["138****5678"])
    phone_hash: str = Field(description="HMAC-SHA256 of the E.164 number with the group key.")
    phone_sealed: str | None = Field(
        None, max_length=200,
        description="The full number sealed for the services (crm_shared.phones.seal, AES-256-GCM with "
        "CRM_PHONE_SEAL_KEY); set on `lead.registered`. Opaque to integrators: only services holding the key read it.")


class LeadSource(BaseModel):
    channel: Channel
    campaign: str | None = None
    referrer: str | None = None
    partner_id: str | None = None
    referrer_id: str | None = Field(None, description="A registered referrer (全民营销, `POST /v1/referrers`) the "
                                    "lead names; credited when the lead was the customer's first registration.")


@event("branch.configured", SOURCE)
class BranchConfigured(EventData):
    branch_id: str = Field(examples=["sz-bay"])
    name: str | None = None
    timezone: str = Field(examples=["Asia/Shanghai"])
    settings: dict[str, Any] = Field(description="Effective settings after defaults.")


class _StaffChange(EventData):
    staff_id: str
    role: Literal["consultant", "manager", "reception", "finance"]
    name: str
    email: str | None = Field(None, description="For notify: assignment notices, escalations, digests.")
    phone: str | None = Field(None, description="Staff work phone, E.164 (staff, not customer, data).")
    changed: list[str] | None = Field(
        None, examples=[["name", "phone"]],
        description="Set when the event re-publishes a member's facts after `PATCH /v1/staff/{id}` (`staff.joined` "
        "while active, `staff.left` once gone): the fields that changed. Directory copies apply it like any other "
        "staff event, the newer event winning.")


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
    import_id: str | None = Field(
        None, description="The import job that registered it (the sheet import): notify sends no notice per row, "
        "one summary to the manager when the job ends.")
    registered_at: datetime | None = Field(
        None, description="When the customer first registered with the office, when that is earlier than this event "
        "(an imported sheet's 登记日期): reports count the lead on this date, not on the day of the import.")


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
    customer_name: str | None = Field(None, examples=["王先生"], description="The customer's name, for notices "
                                      "that name the customer (notify), never the id.")
    note: str | None = Field(None, description="The manager's words when assigning by hand (e.g. 客户要求换顾问).")


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
    customer_name: str | None = Field(None, examples=["王先生"], description="The customer's name, for notices "
                                      "that name the customer (notify), never the id.")


@event("lead.won", SOURCE)
class LeadWon(EventData):
    """The lead is won: by a signed deal (`deal_id`, from `deal.signed`) or closed won by hand (offices without deals)."""

    lead_id: str
    owner_id: str | None = None
    amount: float | None = Field(None, description="CNY in yuan, as events before `amount_fen` carried it; still "
                                 "written (= amount_fen / 100) for their readers. New readers use `fen()`.")
    partner_id: str | None = Field(None, description="Credited channel partner, when protected.")
    amount_fen: int | None = Field(None, ge=0, description="CNY in fen (分), an integer: the deal's agreed price, or "
                                   "the amount given when closing by hand.", examples=[298000000])
    deal_id: str | None = Field(None, description="The signed deal that won the lead; none when closed by hand.")
    contract_no: str | None = Field(None, examples=["HT-2026-0001"])
    signed_at: datetime | None = Field(None, description="When the deal that won the lead was signed (its "
                                       "`deal.signed.signed_at`): reports count the win on that date, as the sales "
                                       "report counts the signing.")

    def fen(self) -> int | None:
        """The amount in fen, from `amount_fen`, or from the yuan `amount` of an older event (no float arithmetic)."""
        if self.amount_fen is not None:
            return self.amount_fen
        if self.amount is None:
            return None
        return int((Decimal(str(self.amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@event("lead.lost", SOURCE)
class LeadLost(EventData):
    lead_id: str
    owner_id: str | None = None
    reason: str = Field(examples=["price"], description="A code of the branch's `lost_reasons` (events written "
                        "before the list existed carry free text).")
    status_before: str | None = None
    note: str | None = Field(None, description="The closer's note; required by reasons such as `other`.")


class _ReportChange(EventData):
    report_id: str
    partner_id: str
    lead_id: str | None = None
    expires_at: datetime | None = None
    protection_until: datetime | None = None
    reason: str | None = Field(None, examples=["reported_first", "no_follow_up"], description="Why a report was "
                               "refused or ended early: `open_lead`, `customer_known`, `reported_first`, "
                               "`confirmed_other` (another partner's report of the customer was confirmed), "
                               "`no_follow_up` (no partner follow-up within `report_lapse_days`: report again).")
    agency_id: str | None = Field(None, description="The agency (中介公司) of the reporting agent, when registered.")
    same_day: bool | None = Field(None, description="Confirmed on report: a customer the partner brought straight to "
                                  "the site (带团直接进场), reported on the day of the first visit.")


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


@event("channel_report.followed_up", SOURCE)
class ChannelReportFollowedUp(_ReportChange):
    """The partner logged a follow-up on its report: it stays live until `follow_up_due_at`."""

    at: datetime | None = None
    follow_up_due_at: datetime | None = None


@event("channel_report.renewed", SOURCE)
class ChannelReportRenewed(_ReportChange):
    """A confirmation (确认书) renewed in its last days: protected until the new `protection_until`."""

    previous_protection_until: datetime | None = None


@event("partner.registered", SOURCE)
class PartnerRegistered(EventData):
    """A channel partner account (`POST /v1/partners`): an agency (中介公司, its manager's account) or an agent
    (经纪人), of an agency or on its own."""

    partner_id: str
    kind: Literal["agency", "agent"]
    name: str = Field(examples=["链家深圳湾店"])
    agency_id: str | None = None


@event("referrer.registered", SOURCE)
class ReferrerRegistered(EventData):
    """Someone who is not a partner and brings customers (全民营销): a group employee outside sales, an owner
    (老带新) or a registered member of the public."""

    referrer_id: str
    kind: Literal["employee", "owner", "public"]
    name: str = Field(examples=["李业主"])
    phone_masked: str | None = Field(None, examples=["139****0001"])


class _DisputeChange(EventData):
    dispute_id: str
    report_id: str | None = None
    lead_id: str | None = None
    winner: str | None = None
    reason: str | None = None
    customer_name: str | None = Field(None, examples=["王先生"], description="The customer's name, for notices "
                                      "that name the customer (notify), never the id.")


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
    customer_name: str | None = Field(None, examples=["王先生"], description="The customer's name, for notices "
                                      "that name the customer (notify), never the id.")


@event("attribution.dispute_overdue", SOURCE)
class AttributionDisputeOverdue(_DisputeChange):
    """A dispute was not decided within its working-day deadline."""

    deadline: datetime | None = None


@event("lead_import.finished", SOURCE)
class LeadImportFinished(EventData):
    """A sheet import ended (`POST /v1/leads/import`): one summary for the branch's managers instead of a notice per row."""

    job_id: str
    state: Literal["done", "failed"] = Field(description="`failed`: the job stopped after repeated errors; rows "
                                             "not reached were not imported.")
    file_name: str = Field("", examples=["客户登记表.xlsx"])
    uploaded_by: str = Field(description="Staff id of who uploaded the sheet.")
    total: int = Field(ge=0, description="Rows in the sheet.")
    created: int = Field(ge=0, description="New leads.")
    duplicates: int = Field(ge=0, description="Rows whose phone already had an open lead (nothing changed on it).")
    invalid: int = Field(ge=0, description="Rows not imported (no name, a bad phone or date, ...).")
    warnings: int = Field(0, ge=0, description="Imported rows with a value left out (e.g. an unknown consultant: "
                          "the customer went to the pool).")
    started_at: datetime
    finished_at: datetime
