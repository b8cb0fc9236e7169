"""Events produced by the customers service (docs/contract.md, "Events"): archives (顾客档案), key accounts,
revisits (回访), relationship evaluations (客户关系评估) and complaints (客户投诉), and greetings due.

Full numbers travel only sealed (`phone_sealed`); integrators see the masked number and the hash.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from crm_shared.events.envelope import EventData, event
from crm_shared.events.reception import SealedVisitor

SOURCE = "customers"
Category = Literal["owner", "prospect", "member"]
Tier = Literal["core", "key", "general"]
Grade = Literal["A", "B", "C", "D"]
Recommendation = Literal["improve", "maintain", "end"]
ComplaintCategory = Literal["quality", "service", "delivery", "sales_promise", "other"]
Severity = Literal["major", "normal"]
ComplaintStatus = Literal["received", "investigating", "responded", "closed", "reopened"]


class _ArchiveChange(EventData):
    archive_id: str
    number: str = Field(examples=["SZ-BAY-000123"])
    category: Category
    tier: Tier
    account_manager_id: str | None = None
    lead_id: str | None = None
    customer_name: str | None = Field(None, examples=["王先生"])
    status: Literal["pending_review", "active", "returned"] | None = None
    frozen: bool = False


@event("archive.opened", SOURCE)
class ArchiveOpened(_ArchiveChange):
    customer: SealedVisitor | None = None
    opened_by: str | None = Field(None, description="Staff id, `deal:<id>` or `import:<job>`.")
    deal_id: str | None = None


@event("archive.reviewed", SOURCE)
class ArchiveReviewed(_ArchiveChange):
    decision: Literal["approved", "returned"]
    reviewed_by: str | None = None
    note: str | None = None


@event("archive.tier_changed", SOURCE)
class ArchiveTierChanged(_ArchiveChange):
    previous_tier: Tier | None = None
    approved_by: str | None = None
    level: Literal["branch", "group"] | None = Field(None, description="Whose key-account list: the branch's "
                                                     "(approved by its manager) or the group's (by an admin).")


@event("archive.updated", SOURCE)
class ArchiveUpdated(_ArchiveChange):
    changes: list[str] = Field(default_factory=list, examples=[["card", "account_manager_id"]])


@event("archive.frozen", SOURCE)
class ArchiveFrozen(_ArchiveChange):
    reason: str | None = None


@event("archive.unfrozen", SOURCE)
class ArchiveUnfrozen(_ArchiveChange):
    reason: str | None = None


@event("archive.review_overdue", SOURCE)
class ArchiveReviewOverdue(_ArchiveChange):
    """A new archive not reviewed by its due time (branch-local end of day): one per archive and review round."""

    review_due_at: datetime | None = None


@event("archive.tier_requested", SOURCE)
class ArchiveTierRequested(_ArchiveChange):
    """An account manager asks for a tier (key-account list): the branch's manager (level `branch`) or an admin
    (level `group`) decides with `POST /v1/tier-requests/{id}/decision`."""

    request_id: str
    requested_tier: Tier
    level: Literal["branch", "group"]
    requested_by: str | None = None
    reason: str | None = None


class _RevisitChange(EventData):
    archive_id: str
    task_id: str | None = None
    assignee_id: str | None = None
    due_at: datetime | None = None
    kind: str | None = Field(None, examples=["after_sale_7d", "tier_cycle", "anniversary", "handover"])
    customer_name: str | None = None


@event("revisit.due", SOURCE)
class RevisitDue(_RevisitChange):
    pass


@event("revisit.overdue", SOURCE)
class RevisitOverdue(_RevisitChange):
    missed_count: int = 1


@event("revisit.logged", SOURCE)
class RevisitLogged(_RevisitChange):
    revisit_id: str | None = None
    satisfaction: int | None = Field(None, ge=1, le=5)
    on_time: bool | None = None
    logged_by: str | None = None


class _EvaluationChange(EventData):
    evaluation_id: str
    archive_id: str
    score: float = Field(ge=0, le=100, description="Weighted sum of the indicator scores, two decimals.")
    grade: Grade
    recommendation: Recommendation
    account_manager_id: str | None = None


@event("evaluation.submitted", SOURCE)
class EvaluationSubmitted(_EvaluationChange):
    pass


@event("evaluation.reviewed", SOURCE)
class EvaluationReviewed(_EvaluationChange):
    decision: Literal["approved", "returned"]
    reviewed_by: str | None = None


class _ComplaintChange(EventData):
    complaint_id: str
    number: str = Field(examples=["2611-001"], description="`YYMM-NNN`, per branch and month in branch time.")
    category: ComplaintCategory
    severity: Severity
    channel: str | None = Field(None, examples=["phone"])
    status: ComplaintStatus | None = None
    assignee_id: str | None = None
    archive_id: str | None = None
    lead_id: str | None = None
    deal_id: str | None = None
    report_due_at: datetime | None = None
    due_at: datetime | None = None
    customer_name: str | None = None
    summary: str | None = None


@event("complaint.received", SOURCE)
class ComplaintReceived(_ComplaintChange):
    """The customer gets the number by SMS (notify, from the sealed contact); a major one tells the manager."""

    customer: SealedVisitor | None = None
    received_by: str | None = None


@event("complaint.assigned", SOURCE)
class ComplaintAssigned(_ComplaintChange):
    previous_assignee_id: str | None = None


@event("complaint.report_filed", SOURCE)
class ComplaintReportFiled(_ComplaintChange):
    pass


@event("complaint.report_approved", SOURCE)
class ComplaintReportApproved(_ComplaintChange):
    approved_by: str | None = None


@event("complaint.action_done", SOURCE)
class ComplaintActionDone(_ComplaintChange):
    action_id: str
    action: str | None = None


@event("complaint.overdue", SOURCE)
class ComplaintOverdue(_ComplaintChange):
    """One per missed deadline: `deadline` names which (the investigation report's or the handling one)."""

    deadline: Literal["report", "handling"]
    missed_at: datetime | None = None
    escalated_to: list[str] = Field(default_factory=list, description="Manager staff ids told.")


@event("complaint.closed", SOURCE)
class ComplaintClosed(_ComplaintChange):
    customer_response: Literal["satisfied", "unsatisfied"]
    resolution: str | None = None
    resolution_kind: Literal["explanation", "apology", "repair", "compensation", "refund", "exchange", "other"] | None = (
        Field(None, description="How it was resolved; `refund` (退房) and `exchange` (换房) name the deal in `deal_id`."))
    received_at: datetime | None = None
    closed_at: datetime | None = None


@event("complaint.reopened", SOURCE)
class ComplaintReopened(_ComplaintChange):
    reason: str | None = None


@event("greeting.due", SOURCE)
class GreetingDue(EventData):
    """A greeting to send today (branch time): a birthday or important date from an archive, or a statutory
    holiday from the Chinese holiday calendar. Notify sends it with its greeting template, respecting consent
    and quiet hours; frozen archives never produce one."""

    greeting_id: str = Field(description="Stable per archive, occasion and date: a repeat is the same greeting.")
    archive_id: str
    occasion: Literal["birthday", "important_date", "holiday"]
    occasion_name: str = Field(examples=["生日", "春节"])
    on: date
    customer: SealedVisitor
    account_manager_id: str | None = None
    gift: bool = Field(False, description="A small gift is due too (key and core accounts' birthdays).")
    consent: bool = Field(False, description="The archive's marketing consent (同意接收节日问候/营销短信) when "
                          "published: true is consent for this branch and number in notify (opt-outs still win).")
    consent_at: datetime | None = Field(None, description="When the archive's consent was last recorded (given or "
                                        "withdrawn); None: never recorded (not given). The newer statement wins.")
