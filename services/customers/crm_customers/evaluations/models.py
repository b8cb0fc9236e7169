"""Relationship evaluation (客户关系评估表) request and response shapes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.events.customers import Grade, Recommendation
from crm_shared.text import Line, Paragraph

from crm_customers.archives.models import ID_FIELD

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", examples=["satisfaction"])]
Score = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, examples=[85, "92.5"])]


class IndicatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Key
    name: Line(50) = Field(examples=["满意度"])
    weight: int = Field(ge=1, le=100, description="Percent; the weights of all indicators sum to 100.")


class EvaluationIn(BaseModel):
    """File an evaluation: a score 0–100 for every indicator of the group's table."""

    model_config = ConfigDict(extra="forbid")
    archive_id: str = Field(**ID_FIELD)
    scores: dict[Key, Score] = Field(max_length=40)
    recommendation: Recommendation | None = Field(None, description="Default by grade (A, B maintain; C improve; "
                                                  "D end); another only where the grade allows it.")
    note: Paragraph(1000) | None = None


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approved", "returned"]
    note: Paragraph(500) | None = None


class EvaluationOut(BaseModel):
    id: str
    branch_id: str
    archive_id: str
    number: str | None = None
    customer_name: str | None = None
    account_manager_id: str | None = None
    indicators: list[dict]
    scores: dict[str, str]
    score: str = Field(examples=["87.50"], description="Weighted sum, two decimals.")
    grade: Grade
    grade_name: str
    recommendation: Recommendation
    recommendation_name: str
    note: str | None = None
    status: Literal["submitted", "approved", "returned"]
    submitted_by: str
    review: dict | None = None
    version: int
    created_at: datetime
