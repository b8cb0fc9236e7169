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
LEAD_ID = "The lead's id (leads service): one customer's registration with the branch."
OWNER_ID = "Staff id of the lead's owner, its consultant; null while the lead is in the public pool."
CUSTOMER_NAME = "The customer's name, for notices that name the customer (notify), never the id."


class MaskedCustomer(BaseModel):
    """A customer as events show it: the name, the partner mask and the hash for everyone; the full number only
    sealed, for the services (deals hands a buyer's contact on to customers)."""

    name: str = Field(examples=["王先生"], description="The customer's name as registered.")
    phone_masked: str = Field(examples=["138****5678"], description="The mobile number masked (first 3 and last 4 "
                              "digits), for display.")
    phone_hash: str = Field(description="HMAC-SHA256 of the E.164 number with the group key.")
    phone_sealed: str | None = Field(
        None, max_length=200,
        description="The full number sealed for the services (crm_shared.phones.seal, AES-256-GCM with "
        "CRM_PHONE_SEAL_KEY); set on `lead.registered`. Opaque to integrators: only services holding the key read it.")


class LeadSource(BaseModel):
    channel: Channel = Field(description="Where the customer came from.")
    campaign: str | None = Field(None, examples=["国庆看房团"], description="The campaign named at registration, as "
                                 "typed.")
    referrer: str | None = Field(None, examples=["李业主"], description="Who referred the customer, as typed (free "
                                 "text; a registered referrer is `referrer_id`).")
    partner_id: str | None = Field(None, description="The channel partner (`partner.registered`) who brought the "
                                   "customer, for channel leads.")
    referrer_id: str | None = Field(None, description="A registered referrer (全民营销, `POST /v1/referrers`) the "
                                    "lead names; credited when the lead was the customer's first registration.")


@event("branch.configured", SOURCE)
class BranchConfigured(EventData):
    """A branch (office, sales site) was created or its settings changed: the full effective settings."""

    branch_id: str = Field(examples=["sz-bay"], description="The branch configured (as the envelope's).")
    name: str | None = Field(None, examples=["深圳湾营销中心"], description="The branch's display name.")
    timezone: str = Field(examples=["Asia/Shanghai"], description="IANA time zone of the branch: its local dates and "
                          "working days.")
    settings: dict[str, Any] = Field(description="Effective settings after defaults.",
                                      examples=[{"timezone": "Asia/Shanghai", "protection_days": 30}])


class _StaffChange(EventData):
    staff_id: str = Field(description="The staff member's id, as other events name staff (`owner_id`, "
                          "`consultant_id`, ...).")
    role: Literal["admin", "consultant", "manager", "reception", "finance"] = Field(
        description="The member's CRM role; `admin`, a group administrator, only from `crm bootstrap-admin`.")
    name: str = Field(examples=["张伟"], description="The member's name.")
    email: str | None = Field(None, description="For notify: assignment notices, escalations, digests.")
    phone: str | None = Field(None, description="Staff work phone, E.164 (staff, not customer, data).")
    wecom_user_id: str | None = Field(
        None, examples=["LiNa"], description="The member's WeCom (企业微信) userid: notify sends their notices as WeCom "
        "app messages when a WeCom provider is configured (staff, not customer, data). Absent in events before it.")
    changed: list[str] | None = Field(
        None, examples=[["name", "phone"]],
        description="Set when the event re-publishes a member's facts after `PATCH /v1/staff/{id}` (`staff.joined` "
        "while active, `staff.left` once gone): the fields that changed. Directory copies apply it like any other "
        "staff event, the newer event winning.")


@event("staff.joined", SOURCE)
class StaffJoined(_StaffChange):
    """A staff member joined the branch, or an active member's facts changed (`changed`)."""


@event("staff.left", SOURCE)
class StaffLeft(_StaffChange):
    """A staff member left the branch (their open leads go back to the pool or to a colleague)."""


@event("lead.registered", SOURCE)
class LeadRegistered(EventData):
    """A customer registered with the branch: a new lead (walk-in, phone, partner, referral, online, import)."""

    lead_id: str = Field(description=LEAD_ID)
    customer: MaskedCustomer = Field(description="The customer: name, masked number, hash, "
                                     "sealed number.")
    source: LeadSource = Field(description="Where the lead came from.")
    owner_id: str | None = Field(None, description=OWNER_ID)
    grade: Grade | None = Field(None, description="Purchase intent, O (highest) to C, when graded "
                                "at registration.")
    status: str = Field("new", description="The lead's status at registration, `new`.")
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
    """A lead's facts changed (contact, source, a deal's stage shown on the lead, a reopening)."""

    lead_id: str = Field(description=LEAD_ID)
    changes: dict[str, Any] = Field(description="Changed fields and new values (phones masked).",
                                     examples=[{"customer_name": "王小明"}])


@event("lead.graded", SOURCE)
class LeadGraded(EventData):
    """A lead's grade (purchase intent, O A B C) changed."""

    lead_id: str = Field(description=LEAD_ID)
    grade: Grade = Field(description="The new grade, O (highest) to C.")
    previous_grade: Grade | None = Field(None, description="The grade before; null when ungraded.")
    owner_id: str | None = Field(None, description=OWNER_ID)


class _OwnerChange(EventData):
    lead_id: str = Field(description=LEAD_ID)
    owner_id: str | None = Field(None, description="New owner; null when released to the pool.")
    previous_owner_id: str | None = Field(None, description="The owner before; null when it was in the pool.")
    reason: str | None = Field(None, examples=["manual", "pool_claim", "staff_left", "no_follow_up"],
                              description="Why the owner changed: `manual` (a manager), `pool_claim`, `staff_left`, "
                              "`no_follow_up` (reclaimed to the pool).")
    customer_name: str | None = Field(None, examples=["王先生"], description=CUSTOMER_NAME)
    note: str | None = Field(None, description="The manager's words when assigning by hand (e.g. 客户要求换顾问).")


@event("lead.assigned", SOURCE)
class LeadAssigned(_OwnerChange):
    """A lead was given an owner: assigned by a manager or the assigner."""


@event("lead.released", SOURCE)
class LeadReleased(_OwnerChange):
    """A lead went back to the branch's public pool (公共池): `owner_id` is null."""


@event("lead.claimed", SOURCE)
class LeadClaimed(_OwnerChange):
    """A consultant claimed a lead from the public pool."""


@event("lead.followed_up", SOURCE)
class LeadFollowedUp(EventData):
    """The owner logged a follow-up (call, visit, WeChat ...) on a lead."""

    lead_id: str = Field(description=LEAD_ID)
    owner_id: str | None = Field(None, description=OWNER_ID)
    kind: Literal["call", "sms", "wechat", "visit", "email", "other"] = Field(description="How the customer was "
                                                                              "reached.")
    next_follow_up_at: datetime | None = Field(None, description="When the next follow-up is due, UTC.")


@event("lead.follow_up_overdue", SOURCE)
class LeadFollowUpOverdue(EventData):
    """A lead's follow-up is overdue: one event per missed due time."""

    lead_id: str = Field(description=LEAD_ID)
    owner_id: str | None = Field(None, description=OWNER_ID)
    due_at: datetime = Field(description="The follow-up due time that was missed, UTC.")
    missed_count: int = Field(ge=1, description="Follow-ups missed in a row on this lead.")
    customer_name: str | None = Field(None, examples=["王先生"], description=CUSTOMER_NAME)


@event("lead.won", SOURCE)
class LeadWon(EventData):
    """The lead is won: by a signed deal (`deal_id`, from `deal.signed`) or closed won by hand (offices without deals)."""

    lead_id: str = Field(description=LEAD_ID)
    owner_id: str | None = Field(None, description="The consultant credited: the deal's when a deal won "
                                 "the lead, else the lead's owner.")
    amount: float | None = Field(None, description="CNY in yuan, as events before `amount_fen` carried it; still "
                                 "written (= amount_fen / 100) for their readers. New readers use `fen()`.")
    partner_id: str | None = Field(None, description="Credited channel partner, when protected.")
    amount_fen: int | None = Field(None, ge=0, description="CNY in fen (分), an integer: the deal's agreed price, or "
                                   "the amount given when closing by hand.", examples=[298000000])
    deal_id: str | None = Field(None, description="The signed deal that won the lead; none when closed by hand.")
    contract_no: str | None = Field(None, examples=["HT-2026-0001"], description="The signed deal's contract number.")
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
    """A lead was closed as lost, with one of the branch's lost reasons."""

    lead_id: str = Field(description=LEAD_ID)
    owner_id: str | None = Field(None, description=OWNER_ID)
    reason: str = Field(examples=["price"], description="A code of the branch's `lost_reasons` (events written "
                        "before the list existed carry free text).")
    status_before: str | None = Field(None, examples=["contacted"], description="The lead's status before it "
                                      "was lost.")
    note: str | None = Field(None, description="The closer's note; required by reasons such as `other`.")


class _ReportChange(EventData):
    report_id: str = Field(description="The channel report's id (a partner's 报备 of a customer).")
    partner_id: str = Field(description="The reporting partner (`partner.registered`).")
    lead_id: str | None = Field(None, description="The lead the report is about, once there is one.")
    expires_at: datetime | None = Field(None, description="An unconfirmed report lapses at this time, UTC.")
    protection_until: datetime | None = Field(None, description="A confirmed report protects the partner's "
                                              "credit until this time, UTC.")
    reason: str | None = Field(None, examples=["reported_first", "no_follow_up"], description="Why a report was "
                               "refused or ended early: `open_lead`, `customer_known`, `reported_first`, "
                               "`confirmed_other` (another partner's report of the customer was confirmed), "
                               "`no_follow_up` (no partner follow-up within `report_lapse_days`: report again).")
    agency_id: str | None = Field(None, description="The agency (中介公司) of the reporting agent, when registered.")
    same_day: bool | None = Field(None, description="Confirmed on report: a customer the partner brought straight to "
                                  "the site (带团直接进场), reported on the day of the first visit.")


@event("channel_report.accepted", SOURCE)
class ChannelReportAccepted(_ReportChange):
    """A partner's report of a customer (报备) was accepted: it waits for the customer's visit."""


@event("channel_report.rejected", SOURCE)
class ChannelReportRejected(_ReportChange):
    """A partner's report was refused (`reason`)."""


@event("channel_report.confirmed", SOURCE)
class ChannelReportConfirmed(_ReportChange):
    """A partner's report was confirmed by the customer's visit: the partner is credited while it is protected."""


@event("channel_report.expired", SOURCE)
class ChannelReportExpired(_ReportChange):
    """A partner's report lapsed (not confirmed in time, or no partner follow-up)."""


@event("channel_report.followed_up", SOURCE)
class ChannelReportFollowedUp(_ReportChange):
    """The partner logged a follow-up on its report: it stays live until `follow_up_due_at`."""

    at: datetime | None = Field(None, description="When the partner followed up, UTC.")
    follow_up_due_at: datetime | None = Field(None, description="The next partner follow-up is due by this "
                                              "time, UTC.")


@event("channel_report.renewed", SOURCE)
class ChannelReportRenewed(_ReportChange):
    """A confirmation (确认书) renewed in its last days: protected until the new `protection_until`."""

    previous_protection_until: datetime | None = Field(None, description="The protection's end before the "
                                                       "renewal, UTC.")


@event("partner.registered", SOURCE)
class PartnerRegistered(EventData):
    """A channel partner account (`POST /v1/partners`): an agency (中介公司, its manager's account) or an agent
    (经纪人), of an agency or on its own."""

    partner_id: str = Field(description="The partner account's id.")
    kind: Literal["agency", "agent"] = Field(description="An agency (中介公司) or an agent (经纪人).")
    name: str = Field(examples=["链家深圳湾店"], description="The agency's or the agent's name.")
    agency_id: str | None = Field(None, description="An agent's agency, when it works for one.")


@event("referrer.registered", SOURCE)
class ReferrerRegistered(EventData):
    """Someone who is not a partner and brings customers (全民营销): a group employee outside sales, an owner
    (老带新) or a registered member of the public."""

    referrer_id: str = Field(description="The referrer's id, as leads name it (`source.referrer_id`).")
    kind: Literal["employee", "owner", "public"] = Field(description="A group employee, an owner (老带新) or a "
                                                         "member of the public.")
    name: str = Field(examples=["李业主"], description="The referrer's name.")
    phone_masked: str | None = Field(None, examples=["139****0001"], description="The referrer's number, masked.")


class _DisputeChange(EventData):
    dispute_id: str = Field(description="The attribution dispute's id.")
    report_id: str | None = Field(None, description="The channel report disputed, when one is.")
    lead_id: str | None = Field(None, description=LEAD_ID)
    winner: str | None = Field(None, description="Decided: the partner id credited, or `office` when no "
                               "partner is.")
    reason: str | None = Field(None, description="The dispute's grounds, or the decision's, as typed.")
    customer_name: str | None = Field(None, examples=["王先生"], description=CUSTOMER_NAME)


@event("attribution.disputed", SOURCE)
class AttributionDisputed(_DisputeChange):
    """A partner disputed who is credited for a customer (渠道争议)."""


@event("attribution.decided", SOURCE)
class AttributionDecided(_DisputeChange):
    """A manager decided an attribution dispute (`winner`)."""


@event("lead.reclaim_warning", SOURCE)
class LeadReclaimWarning(EventData):
    """The lead will go to the public pool at `reclaim_at` unless it is followed up."""

    lead_id: str = Field(description=LEAD_ID)
    owner_id: str | None = Field(None, description=OWNER_ID)
    reclaim_at: datetime = Field(description="When the lead goes to the pool unless followed up, UTC.")
    customer_name: str | None = Field(None, examples=["王先生"], description=CUSTOMER_NAME)


@event("attribution.dispute_overdue", SOURCE)
class AttributionDisputeOverdue(_DisputeChange):
    """A dispute was not decided within its working-day deadline."""

    deadline: datetime | None = Field(None, description="The decision's deadline that passed, UTC.")


@event("lead_import.finished", SOURCE)
class LeadImportFinished(EventData):
    """A sheet import ended (`POST /v1/leads/import`): one summary for the branch's managers instead of a notice per row."""

    job_id: str = Field(description="The import job (the `import_id` of the leads it registered).")
    state: Literal["done", "failed"] = Field(description="`failed`: the job stopped after repeated errors; rows "
                                             "not reached were not imported.")
    file_name: str = Field("", examples=["客户登记表.xlsx"], description="The uploaded sheet's file name.")
    uploaded_by: str = Field(description="Staff id of who uploaded the sheet.")
    total: int = Field(ge=0, examples=[120], description="Rows in the sheet.")
    created: int = Field(ge=0, examples=[112], description="New leads.")
    duplicates: int = Field(ge=0, examples=[6], description="Rows whose phone already had an open lead (nothing changed on it).")
    invalid: int = Field(ge=0, examples=[2], description="Rows not imported (no name, a bad phone or date, ...).")
    warnings: int = Field(0, ge=0, examples=[1], description="Imported rows with a value left out (e.g. an unknown consultant: "
                          "the customer went to the pool).")
    started_at: datetime = Field(description="When the job started, UTC.")
    finished_at: datetime = Field(description="When it ended, UTC.")
