"""Revisit (回访) request and response shapes (docs/contract.md "customers")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from crm_shared.text import Paragraph

ID_FIELD = dict(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
BRANCH_FIELD = dict(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63)
IdPath = Annotated[str, Path(**ID_FIELD)]
Way = Literal["phone", "visit", "wechat", "gift", "other"]
TaskStatus = Literal["planned", "due", "overdue", "done", "cancelled"]


class RevisitIn(BaseModel):
    """A revisit made (回访记录): how, what was said, how satisfied the customer is."""

    model_config = ConfigDict(extra="forbid")
    kind: Way = Field(description="phone 电话, visit 上门拜访, wechat 微信, gift 赠礼, other 其他.")
    note: Paragraph(2000) = Field(examples=["客户对物业服务满意，提出车位紧张"])
    satisfaction: int = Field(ge=1, le=5, description="1 (very unsatisfied) to 5 (very satisfied).")
    task_id: str | None = Field(None, description="The task it fulfils; without it the archive's earliest due or "
                                "overdue task is closed, or, when none is due, it is logged as unplanned.", **ID_FIELD)


class LogOut(BaseModel):
    kind: Way
    kind_name: str | None = None
    note: str
    satisfaction: int
    on_time: bool
    logged_by: str
    logged_by_name: str | None = None
    logged_at: datetime


class RevisitTaskOut(BaseModel):
    id: str
    branch_id: str
    archive_id: str
    archive_number: str | None = None
    customer_name: str | None = None
    kind: str = Field(description="tier_cycle, after_sale, handover, anniversary, unplanned.")
    kind_name: str | None = None
    deal_id: str | None = None
    due_on: date
    due_at: datetime
    overdue_at: datetime | None = None
    status: TaskStatus
    status_name: str | None = None
    assignee_id: str | None = None
    assignee_name: str | None = None
    log: LogOut | None = None
    version: int
