"""Events produced by the customers service (docs/contract.md, "Events"): archives (顾客档案), key accounts,
revisits (回访), relationship evaluations (客户关系评估) and complaints (客户投诉), and greetings due.

Full numbers travel only sealed (`phone_sealed`); integrators see the masked number and the hash.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from crm_shared.events.envelope import EventData, event
from crm_shared.events.leads import LEAD_ID
from crm_shared.events.reception import SealedVisitor

SOURCE = "customers"
Category = Literal["owner", "prospect", "member"]
Tier = Literal["core", "key", "general"]
Grade = Literal["A", "B", "C", "D"]
Recommendation = Literal["improve", "maintain", "end"]
ComplaintCategory = Literal["quality", "service", "delivery", "sales_promise", "other"]
Severity = Literal["major", "normal"]
ComplaintStatus = Literal["received", "investigating", "responded", "closed", "reopened"]
ARCHIVE_ID = "The customer archive's id (顾客档案, customers service)."
STAFF_ID = "Staff id of who did it."
MANAGER_ID = "Staff id of the archive's account manager (客户经理)."
CUSTOMER_NAME = "The customer's name."
REASON = "Why, as typed."


class _ArchiveChange(EventData):
    archive_id: str = Field(description=ARCHIVE_ID)
    number: str = Field(examples=["SZ-BAY-000123"], description="The archive's number, per branch.")
    category: Category = Field(description="An owner (bought), a prospect or a member.")
    tier: Tier = Field(description="Key-account tier: core, key or general.")
    account_manager_id: str | None = Field(None, description=MANAGER_ID)
    lead_id: str | None = Field(None, description=LEAD_ID)
    customer_name: str | None = Field(None, examples=["王先生"], description=CUSTOMER_NAME)
    status: Literal["pending_review", "active", "returned"] | None = Field(
        None, description="The archive's review status: a new archive waits for review; returned ones are corrected.")
    frozen: bool = Field(False, description="A frozen archive gets no revisits or greetings.")


@event("archive.opened", SOURCE)
class ArchiveOpened(_ArchiveChange):
    """A customer archive was opened: by hand, from a signed deal or by the sheet import."""

    customer: SealedVisitor | None = Field(None, description="The customer: name, masked number, hash, sealed "
                                           "number.")
    opened_by: str | None = Field(None, description="Staff id, `deal:<id>` or `import:<job>`.")
    deal_id: str | None = Field(None, description="The signed deal it was opened from.")


@event("archive.reviewed", SOURCE)
class ArchiveReviewed(_ArchiveChange):
    """A manager reviewed a new archive: approved, or returned for correction."""

    decision: Literal["approved", "returned"] = Field(description="The review's outcome.")
    reviewed_by: str | None = Field(None, description=STAFF_ID)
    note: str | None = Field(None, description="The reviewer's note, as typed.")


@event("archive.tier_changed", SOURCE)
class ArchiveTierChanged(_ArchiveChange):
    """An archive's key-account tier changed (approved by the branch's manager or an admin)."""

    previous_tier: Tier | None = Field(None, description="The tier before.")
    approved_by: str | None = Field(None, description=STAFF_ID)
    level: Literal["branch", "group"] | None = Field(None, description="Whose key-account list: the branch's "
                                                     "(approved by its manager) or the group's (by an admin).")


@event("archive.updated", SOURCE)
class ArchiveUpdated(_ArchiveChange):
    """An archive's facts changed (`changes` names the fields)."""

    changes: list[str] = Field(default_factory=list, examples=[["card", "account_manager_id"]],
                                    description="The fields that changed.")


@event("archive.frozen", SOURCE)
class ArchiveFrozen(_ArchiveChange):
    """An archive was frozen: no revisits or greetings until it is unfrozen."""

    reason: str | None = Field(None, description=REASON)


@event("archive.unfrozen", SOURCE)
class ArchiveUnfrozen(_ArchiveChange):
    """A frozen archive was unfrozen."""

    reason: str | None = Field(None, description=REASON)


@event("archive.review_overdue", SOURCE)
class ArchiveReviewOverdue(_ArchiveChange):
    """A new archive not reviewed by its due time (branch-local end of day): one per archive and review round."""

    review_due_at: datetime | None = Field(None, description="The review's due time that passed, UTC.")


@event("archive.tier_requested", SOURCE)
class ArchiveTierRequested(_ArchiveChange):
    """An account manager asks for a tier (key-account list): the branch's manager (level `branch`) or an admin
    (level `group`) decides with `POST /v1/tier-requests/{id}/decision`."""

    request_id: str = Field(description="The tier request's id.")
    requested_tier: Tier = Field(description="The tier asked for.")
    level: Literal["branch", "group"] = Field(description="Whose list: the branch's (its manager decides) or "
                                              "the group's (an admin decides).")
    requested_by: str | None = Field(None, description=STAFF_ID)
    reason: str | None = Field(None, description=REASON)


class _RevisitChange(EventData):
    archive_id: str = Field(description=ARCHIVE_ID)
    task_id: str | None = Field(None, description="The revisit task's id.")
    assignee_id: str | None = Field(None, description="Staff id of who is to call the customer.")
    due_at: datetime | None = Field(None, description="When the revisit is due, UTC.")
    kind: str | None = Field(None, examples=["after_sale_7d", "tier_cycle", "anniversary", "handover"],
                                description="Why the revisit is due.")
    customer_name: str | None = Field(None, description=CUSTOMER_NAME)


@event("revisit.due", SOURCE)
class RevisitDue(_RevisitChange):
    """A revisit (回访) of a customer is due."""


@event("revisit.overdue", SOURCE)
class RevisitOverdue(_RevisitChange):
    """A revisit was not logged by its due time."""

    missed_count: int = Field(1, description="Times this task's revisit was missed.")


@event("revisit.logged", SOURCE)
class RevisitLogged(_RevisitChange):
    """A revisit was logged (the call took place)."""

    revisit_id: str | None = Field(None, description="The logged revisit's id.")
    satisfaction: int | None = Field(None, ge=1, le=5, examples=[5], description="The customer's satisfaction, 1 to 5.")
    on_time: bool | None = Field(None, description="Logged by the due time.")
    logged_by: str | None = Field(None, description=STAFF_ID)


class _EvaluationChange(EventData):
    evaluation_id: str = Field(description="The evaluation's id (客户关系评估表).")
    archive_id: str = Field(description=ARCHIVE_ID)
    score: float = Field(ge=0, le=100, examples=[86.5],
                         description="Weighted sum of the indicator scores, two decimals.")
    grade: Grade = Field(description="The relationship's grade, A (best) to D.")
    recommendation: Recommendation = Field(description="Improve, maintain or end the relationship.")
    account_manager_id: str | None = Field(None, description=MANAGER_ID)


@event("evaluation.submitted", SOURCE)
class EvaluationSubmitted(_EvaluationChange):
    """An account manager submitted a relationship evaluation (客户关系评估) for review."""


@event("evaluation.reviewed", SOURCE)
class EvaluationReviewed(_EvaluationChange):
    """A manager reviewed a relationship evaluation."""

    decision: Literal["approved", "returned"] = Field(description="The review's outcome.")
    reviewed_by: str | None = Field(None, description=STAFF_ID)


class _ComplaintChange(EventData):
    complaint_id: str = Field(description="The complaint's id (客户投诉).")
    number: str = Field(examples=["2611-001"], description="`YYMM-NNN`, per branch and month in branch time.")
    category: ComplaintCategory = Field(description="What the complaint is about.")
    severity: Severity = Field(description="`major` complaints are told to the manager at once.")
    channel: str | None = Field(None, examples=["phone"], description="How the complaint came in.")
    status: ComplaintStatus | None = Field(None, description="The complaint's status after this event.")
    assignee_id: str | None = Field(None, description="Staff id of who handles it.")
    archive_id: str | None = Field(None, description=ARCHIVE_ID)
    lead_id: str | None = Field(None, description=LEAD_ID)
    deal_id: str | None = Field(None, description="The deal concerned, when one is.")
    report_due_at: datetime | None = Field(None, description="The investigation report is due by this time, UTC.")
    due_at: datetime | None = Field(None, description="Handling is due by this time, UTC.")
    customer_name: str | None = Field(None, description=CUSTOMER_NAME)
    summary: str | None = Field(None, examples=["交房延期"], description="The complaint in a few words, as typed.")


@event("complaint.received", SOURCE)
class ComplaintReceived(_ComplaintChange):
    """The customer gets the number by SMS (notify, from the sealed contact); a major one tells the manager."""

    customer: SealedVisitor | None = Field(None, description="The complainant: name, masked number, hash, "
                                           "sealed number.")
    received_by: str | None = Field(None, description=STAFF_ID)


@event("complaint.assigned", SOURCE)
class ComplaintAssigned(_ComplaintChange):
    """A complaint was given to someone to handle."""

    previous_assignee_id: str | None = Field(None, description="Who handled it before.")


@event("complaint.report_filed", SOURCE)
class ComplaintReportFiled(_ComplaintChange):
    """The investigation report of a complaint was filed."""


@event("complaint.report_approved", SOURCE)
class ComplaintReportApproved(_ComplaintChange):
    """A manager approved a complaint's investigation report."""

    approved_by: str | None = Field(None, description=STAFF_ID)


@event("complaint.action_done", SOURCE)
class ComplaintActionDone(_ComplaintChange):
    """One corrective action of a complaint was done."""

    action_id: str = Field(description="The action's id.")
    action: str | None = Field(None, description="The action, as typed.")


@event("complaint.overdue", SOURCE)
class ComplaintOverdue(_ComplaintChange):
    """One per missed deadline: `deadline` names which (the investigation report's or the handling one)."""

    deadline: Literal["report", "handling"] = Field(description="Which deadline was missed.")
    missed_at: datetime | None = Field(None, description="The deadline that passed, UTC.")
    escalated_to: list[str] = Field(default_factory=list, description="Manager staff ids told.",
                                         examples=[["0193c2a0-7d1e-7f00-8a00-000000000001"]])


@event("complaint.closed", SOURCE)
class ComplaintClosed(_ComplaintChange):
    """A complaint was closed with the customer's response."""

    customer_response: Literal["satisfied", "unsatisfied"] = Field(description="The customer's response to the "
                                                                   "handling.")
    resolution: str | None = Field(None, description="How it was resolved, as typed.")
    resolution_kind: Literal["explanation", "apology", "repair", "compensation", "refund", "exchange", "other"] | None = (
        Field(None, description="How it was resolved; `refund` (退房) and `exchange` (换房) name the deal in `deal_id`."))
    received_at: datetime | None = Field(None, description="When the complaint came in, UTC.")
    closed_at: datetime | None = Field(None, description="When it was closed, UTC.")


@event("complaint.reopened", SOURCE)
class ComplaintReopened(_ComplaintChange):
    """A closed complaint was reopened."""

    reason: str | None = Field(None, description=REASON)


@event("greeting.due", SOURCE)
class GreetingDue(EventData):
    """A greeting to send today (branch time): a birthday or important date from an archive, or a statutory
    holiday from the Chinese holiday calendar. Notify sends it with its greeting template, respecting consent
    and quiet hours; frozen archives never produce one."""

    greeting_id: str = Field(description="Stable per archive, occasion and date: a repeat is the same greeting.")
    archive_id: str = Field(description=ARCHIVE_ID)
    occasion: Literal["birthday", "important_date", "holiday"] = Field(description="What the greeting is for.")
    occasion_name: str = Field(examples=["生日", "春节"], description="The occasion as people name it.")
    on: date = Field(description="The greeting's day, branch-local.")
    customer: SealedVisitor = Field(description="Who to greet: name, masked number, hash, sealed number.")
    account_manager_id: str | None = Field(None, description=MANAGER_ID)
    gift: bool = Field(False, description="A small gift is due too (key and core accounts' birthdays).")
    consent: bool = Field(False, description="The archive's marketing consent (同意接收节日问候/营销短信) when "
                          "published: true is consent for this branch and number in notify (opt-outs still win).")
    consent_at: datetime | None = Field(None, description="When the archive's consent was last recorded (given or "
                                        "withdrawn); None: never recorded (not given). The newer statement wins.")
