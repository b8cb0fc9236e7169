"""Archive (顾客档案) request and response shapes (docs/contract.md "customers")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from crm_shared.events.customers import Category, Tier
from crm_shared.text import Birthday, Day, Line, Paragraph

from crm_customers.archives import rules

ID_FIELD = dict(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
BRANCH_FIELD = dict(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63)
IdPath = Annotated[str, Path(**ID_FIELD)]
Level = Literal["branch", "group"]
Status = Literal["pending_review", "active", "returned"]
Decision = Literal["approved", "returned"]
CONSENT_TEXT = ("The customer agrees to receive greetings and marketing SMS (同意接收节日问候/营销短信); default not "
                "given. Greetings go out only with it (or notify's own consent), never past an opt-out.")


class ImportantDate(BaseModel):
    """A date worth a greeting: `MM-DD` (every year) or `YYYY-MM-DD` (e.g. a wedding day)."""

    model_config = ConfigDict(extra="forbid")
    name: Line(50) = Field(examples=["结婚纪念日"])
    date: str = Field(max_length=10, examples=["05-20", "2015-05-20"])

    @field_validator("date")
    @classmethod
    def _month_day(cls, v: str) -> str:
        rules.month_day(v)  # ValueError names the accepted forms
        return v


class CardIn(BaseModel):
    """The relationship card (客户关系卡): what an account manager knows about the customer."""

    model_config = ConfigDict(extra="forbid")
    employer: Line(100) | None = Field(None, examples=["深圳湾科技"])
    position: Line(100) | None = Field(None, examples=["财务总监"])
    address: Line(200) | None = None
    family: Paragraph(500) | None = Field(None, examples=["已婚，一子（8岁）"])
    preferences: Paragraph(500) | None = Field(None, examples=["喜欢打高尔夫，不喝酒"])
    important_dates: list[ImportantDate] | None = Field(None, max_length=20)
    handover_on: Day | None = Field(None, description="Handover of the home (交房), for the revisit at handover.")
    unit_no: Line(50) | None = Field(None, description="The owner's home (房号), as the office writes it.",
                                     examples=["3栋1202"])


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line(100) = Field(examples=["王先生"])
    phone: str = Field(min_length=3, max_length=40, examples=["13812345678"], description="Any format; stored sealed.")
    birthday: Birthday | None = None


class ArchiveIn(BaseModel):
    """Open an archive (建档) for a customer worth keeping."""

    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    lead_id: str | None = Field(None, **ID_FIELD)
    customer: CustomerIn
    category: Category
    tier: Tier | None = Field(None, description="`core`/`key` opened by a consultant become a tier request; "
                              "the archive starts `general` until the manager approves.")
    account_manager_id: str | None = Field(None, description="Default: who opens it.", **ID_FIELD)
    card: CardIn = Field(default_factory=CardIn)
    marketing_consent: StrictBool = Field(False, description=CONSENT_TEXT + " Recorded with who opens and when.")


class CustomerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line(100) | None = None
    birthday: Birthday | None = None


class ArchivePatch(BaseModel):
    """Card fields replace what they name; `tier` is a manager's direct change at branch level."""

    model_config = ConfigDict(extra="forbid")
    card: CardIn | None = None
    customer: CustomerPatch | None = None
    category: Category | None = None
    account_manager_id: str | None = Field(None, **ID_FIELD)
    tier: Tier | None = None
    marketing_consent: StrictBool | None = Field(None, description=CONSENT_TEXT + " A change records who and when.")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Decision
    note: Paragraph(500) | None = None


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Paragraph(500)


class TierIn(BaseModel):
    """A tier for the branch's (manager) or the group's (admin) key-account list, with its account manager."""

    model_config = ConfigDict(extra="forbid")
    tier: Tier
    level: Level = "branch"
    account_manager_id: str | None = Field(None, description="The dedicated account manager (专职客户经理); "
                                           "default: the archive's.", **ID_FIELD)
    reason: Paragraph(500) | None = None


class TierDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approved", "rejected"]
    note: Paragraph(500) | None = None


class ConsentOut(BaseModel):
    """The customer's marketing consent (同意接收节日问候/营销短信): given or not, when and by whom it was recorded."""

    given: bool = False
    at: datetime | None = None
    by: str | None = Field(None, description="Staff id (or `import:<job>`) who recorded it.")
    by_name: str | None = Field(None, examples=["李娜"])
    source: Literal["opening", "change", "import"] | None = None


class CustomerOut(BaseModel):
    name: str
    phone_masked: str
    birthday: date | None = None


class ArchiveOut(BaseModel):
    """An archive. The phone is masked; the full number comes only from the audited `/phone`."""

    id: str
    branch_id: str
    number: str = Field(examples=["DA-000123"])
    status: Status
    category: Category
    tier: Tier
    tier_name: str = Field(examples=["核心"])
    key_account: dict | None = Field(None, description="`{level, approved_by, approved_at}` on a key-account list.")
    account_manager_id: str | None = None
    account_manager_name: str | None = None
    customer: CustomerOut
    lead_id: str | None = None
    card: dict = Field(default_factory=dict)
    frozen: bool = False
    frozen_reason: str | None = None
    marketing_consent: ConsentOut = Field(default_factory=ConsentOut)
    review_due_at: datetime | None = None
    review_overdue: bool = False
    last_review: dict | None = None
    deals: list[dict] = Field(default_factory=list)
    latest_evaluation: dict | None = Field(None, description="`{id, score, grade, recommendation, status, at}`.")
    other_branches: list[str] | None = Field(None, description="Names of the other branches where the same person "
                                             "has an archive (their content is never shown); on `GET /{id}` only.")
    opened_by: str | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class OpenedOut(ArchiveOut):
    tier_request_id: str | None = Field(None, description="The tier request filed for a consultant's `core`/`key`.")
