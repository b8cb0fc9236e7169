"""Complaint (客户投诉) request and response shapes (docs/contract.md "customers")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.events.customers import ComplaintCategory, ComplaintStatus, Severity
from crm_shared.text import Day, Line, Paragraph

ID_FIELD = dict(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
BRANCH_FIELD = dict(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63)
IdPath = Annotated[str, Path(**ID_FIELD)]
Channel = Literal["phone", "visit", "wechat", "letter", "online", "other"]
Resolution = Literal["explanation", "apology", "repair", "compensation", "refund", "exchange", "other"]


class ComplainantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line(100) = Field(examples=["王先生"])
    phone: str = Field(min_length=3, max_length=40, examples=["13812345678"],
                       description="Any format; stored and published only sealed, answered masked.")


class ComplaintIn(BaseModel):
    """Receive a complaint (受理投诉): from an archive, or a customer named here (and optionally the lead)."""

    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    archive_id: str | None = Field(None, description="The customer's archive in this branch; its contact is used "
                                   "unless `customer` is given.", **ID_FIELD)
    lead_id: str | None = Field(None, description="The customer's lead in this branch; its contact is used when "
                                "neither `archive_id` nor `customer` is given.", **ID_FIELD)
    customer: ComplainantIn | None = Field(None, description="Required without `archive_id` and `lead_id`.")
    channel: Channel = Field(description="phone 电话, visit 来访, wechat 微信, letter 信函, online 网络, other 其他.")
    category: ComplaintCategory = Field(description="quality 质量, service 服务, delivery 交付, sales_promise 销售承诺, other.")
    severity: Severity = Field(description="major 重大 (the managers are told at once; 3 days), normal 一般 (7 days).")
    summary: Paragraph(2000) = Field(examples=["交房时发现客厅墙面开裂，要求维修"])
    deal_id: str | None = Field(None, description="The deal the complaint is about: one of this branch's.", **ID_FIELD)

    @model_validator(mode="after")
    def _someone(self) -> "ComplaintIn":
        if self.archive_id is None and self.lead_id is None and self.customer is None:
            raise ValueError("name the customer: `archive_id`, `lead_id` or `customer{name, phone}`")
        return self


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee_id: str = Field(description="An active staff member of the complaint's branch.", **ID_FIELD)
    note: Paragraph(1000) | None = None


class ReportIn(BaseModel):
    """The investigation report (调查报告)."""

    model_config = ConfigDict(extra="forbid")
    cause: Paragraph(4000) = Field(examples=["墙面抹灰层养护不足"])
    responsibility: Paragraph(2000) = Field(examples=["施工单位"])
    proposal: Paragraph(4000) = Field(examples=["重新抹灰并赔偿清洁费用"])


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Paragraph(1000) | None = None


class ActionIn(BaseModel):
    """An improvement action (整改措施)."""

    model_config = ConfigDict(extra="forbid")
    what: Paragraph(1000) = Field(examples=["交房前增加墙面验收环节"])
    owner_id: str = Field(description="Who carries it out: an active staff member of the branch.", **ID_FIELD)
    due: Day = Field(description="Branch-local date it is due.")


class ActionDoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Paragraph(1000) | None = None


class ResolutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Resolution = Field(description="explanation 解释说明, apology 致歉, repair 维修整改, compensation 补偿, "
                             "refund 退款退房, exchange 换房, other. `refund` and `exchange` need `deal_id`.")
    note: Paragraph(2000) = Field(examples=["已完成墙面修复，客户确认"])


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_response: Literal["satisfied", "unsatisfied"]
    resolution: ResolutionIn
    deal_id: str | None = Field(None, description="Required for a `refund` or `exchange` resolution: the deal "
                                "refunded (退房) or moved (换房), one of this branch's.", **ID_FIELD)

    @model_validator(mode="after")
    def _deal_for_money(self) -> "CloseIn":
        if self.resolution.kind in ("refund", "exchange") and self.deal_id is None:
            raise ValueError("a refund or exchange resolution names the deal (`deal_id`)")
        return self


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Paragraph(1000) = Field(examples=["客户反映问题复发"])


class CustomerOut(BaseModel):
    name: str
    phone_masked: str | None = None


class ReportOut(BaseModel):
    cause: str
    responsibility: str
    proposal: str
    filed_by: str
    filed_by_name: str | None = None
    filed_at: datetime
    on_time: bool
    approved_by: str | None = None
    approved_at: datetime | None = None


class ActionOut(BaseModel):
    id: str
    what: str
    owner_id: str
    owner_name: str | None = None
    due: date
    done_at: datetime | None = None
    done_by: str | None = None
    note: str | None = None


class HistoryOut(BaseModel):
    at: datetime
    what: str = Field(description="received, assigned, report_filed, report_approved, action_added, action_done, "
                      "overdue, closed, reopened.")
    what_name: str | None = Field(None, description="The step in Chinese.")
    by: str | None = Field(None, description="Staff id, or `system` for a missed deadline.")
    by_name: str | None = None
    status: str | None = None
    note: str | None = None


class ClosingOut(BaseModel):
    customer_response: Literal["satisfied", "unsatisfied"]
    resolution: str
    resolution_name: str | None = None
    note: str | None = None
    deal_id: str | None = None
    closed_by: str
    closed_at: datetime


class ComplaintOut(BaseModel):
    id: str
    branch_id: str
    number: str = Field(examples=["2611-001"])
    status: ComplaintStatus
    status_name: str | None = None
    channel: Channel
    channel_name: str | None = None
    category: ComplaintCategory
    category_name: str | None = None
    severity: Severity
    severity_name: str | None = None
    summary: str
    customer: CustomerOut
    archive_id: str | None = None
    lead_id: str | None = None
    deal_id: str | None = None
    received_by: str
    received_by_name: str | None = None
    received_at: datetime
    assignee_id: str | None = None
    assignee_name: str | None = None
    report_due_at: datetime
    due_at: datetime
    overdue: list[Literal["report", "handling"]] = Field(default_factory=list, description="Deadlines past and unmet now.")
    report_overdue_at: datetime | None = None
    handling_overdue_at: datetime | None = None
    report: ReportOut | None = None
    actions: list[ActionOut] = Field(default_factory=list)
    closing: ClosingOut | None = None
    reopened_count: int = 0
    history: list[HistoryOut] | None = Field(None, description="Every step, oldest first (in `GET /v1/complaints/{id}`).")
    version: int
    updated_at: datetime | None = None
