"""The unit sheet import's answer: counts and one line per sheet row."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

BRANCH_FIELD = dict(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63)


class RowOutcome(BaseModel):
    row: int = Field(description="The row number as Excel shows it.")
    status: Literal["created", "duplicate", "invalid"]
    status_name: str = Field(examples=["已导入", "重复", "无效"])
    label: str | None = Field(None, examples=["湾区壹号 3栋 1201"])
    unit_id: str | None = Field(None, description="The new unit, or the one already on the sheet.")
    reason: str | None = Field(None, examples=["业态「写字楼」无法识别（可填：公寓、小高层、洋房、别墅、商铺、车位、其他）"])


class ImportReport(BaseModel):
    branch_id: str
    file_name: str | None = None
    total: int
    created: int
    duplicates: int
    invalid: int
    rows: list[RowOutcome]
