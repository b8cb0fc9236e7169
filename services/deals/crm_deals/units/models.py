"""Unit (房源) shapes: what a manager or the unit sheet (销控表) adds, and what answers show."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.events.deals import ProductType, UnitStatus
from crm_shared.text import Line, Paragraph

BRANCH_FIELD = dict(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63)
ID_FIELD = dict(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
MAX_YUAN = Decimal("100000000000")  # 1e11 CNY: far above any unit, far below int64 fen

Money = Annotated[Decimal, Field(gt=0, lt=MAX_YUAN, decimal_places=2, allow_inf_nan=False,
                                 description="CNY: a JSON number or a decimal string, at most two decimal places.",
                                 examples=["2980000.00"])]
"""A positive amount of money in yuan (a JSON number or a decimal string, at most 2 places)."""
MoneyOrZero = Annotated[Decimal, Field(ge=0, lt=MAX_YUAN, decimal_places=2, allow_inf_nan=False,
                                       description="CNY: a JSON number or a decimal string, at most two decimal places.",
                                       examples=["50000.00"])]
Area = Annotated[Decimal, Field(gt=0, lt=Decimal("1000000"), decimal_places=2, allow_inf_nan=False,
                                description="Floor area in m² (a number or a decimal string).", examples=["89.50"])]

PRODUCT_NAMES: dict[str, str] = {"apartment": "公寓", "high_rise": "小高层", "garden_house": "洋房", "villa": "别墅",
                                 "shop": "商铺", "parking": "车位", "other": "其他"}
STATUS_NAMES: dict[str, str] = {"available": "可售", "held": "销控保留", "reserved": "已认购", "sold": "已售"}


class UnitIn(BaseModel):
    """Add a unit (房源) to the branch's unit control sheet (销控表); one per branch, project, building and unit number."""

    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    project: Line(100) = Field(examples=["湾区壹号"])
    building: Line(50) | None = Field(None, examples=["3栋"], description="Building (栋/幢); none for a single block.")
    unit_no: Line(50) = Field(examples=["1201"])
    product_type: ProductType
    area: Area | None = None
    list_price: Money
    floor: int | None = Field(None, ge=-10, le=300)


class HoldIn(BaseModel):
    """Why a manager holds a unit back (销控保留)."""

    model_config = ConfigDict(extra="forbid")
    reason: Paragraph(500) | None = Field(None, examples=["开发商保留"])


class UnitOut(BaseModel):
    id: str
    branch_id: str
    project: str
    building: str | None = None
    unit_no: str
    label: str = Field(description="The unit as people name it: project, building and number.", examples=["湾区壹号 3栋 1201"])
    product_type: ProductType
    product_type_name: str = Field(examples=["公寓"])
    area: str | None = Field(None, examples=["89.50"])
    floor: int | None = None
    list_price: str = Field(examples=["2980000.00"])
    status: UnitStatus
    status_name: str = Field(examples=["可售"])
    deal_id: str | None = Field(None, description="The live deal that reserved or bought the unit.")
    held_by: str | None = None
    hold_reason: str | None = None
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime | None = None
    version: int


UnitStatusFilter = Literal["available", "held", "reserved", "sold"]
