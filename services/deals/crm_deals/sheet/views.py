"""HTTP of sheet: `POST /v1/units/import`, the office's unit sheet (销控表) → a per-row report."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile

from crm_shared.errors import Invalid
from crm_shared.events.deals import ProductType
from crm_shared.http.auth import Principal, require_roles
from crm_shared.plugins import ServiceContext, context_of
from crm_shared.sheets import read
from crm_shared.text import clean_line

from crm_deals.sheet import service
from crm_deals.sheet.columns import COLUMNS
from crm_deals.sheet.models import BRANCH_FIELD, ImportReport

router = APIRouter(tags=["sheet"])
Ctx = Annotated[ServiceContext, Depends(context_of("deals"))]
UPLOAD = (
    "Manager or admin. Multipart: `file` (.xlsx, or .csv in UTF-8 or GBK; the header row may sit below a title row), "
    "`branch_id`, optional `project` (for a sheet without a 项目 column) and `product_type` (for rows without 业态). "
    "Chinese headers: 项目/楼盘, 楼栋/栋号, 房号, 业态/产品类型 (公寓 小高层 洋房 别墅 商铺 车位 其他), 面积/建筑面积, "
    "总价/表价/标价 in 元 (commas and ¥ allowed) or 万元 (`298万`, or a column headed 总价(万元)), 楼层. Every row is "
    "`created` (a unit, `unit.created`), `duplicate` (already on the branch's sheet, or repeated in the file: nothing "
    "changes) or `invalid` (the reason in Chinese), with its Excel row number. 422 `unreadable-file`, "
    "`missing-columns` (with `missing`, `headers`), `empty-sheet`, `too-many-rows` (more than 10,000).")


def _file_name(raw: str | None) -> str:
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    try:
        return clean_line(name)
    except ValueError:
        return ""


def _optional_line(value: str | None, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        text = clean_line(value)
    except ValueError as exc:
        raise Invalid(str(exc), loc=["body", "project"]) from None
    if len(text) > limit:
        raise Invalid(f"at most {limit} characters", loc=["body", "project"])
    return text


@router.post("/v1/units/import", response_model=ImportReport, summary="Import the unit sheet (销控表导入)",
             description=UPLOAD)
async def import_units(
    c: Ctx, file: Annotated[UploadFile, File(description="The unit sheet.")],
    branch_id: Annotated[str, Form(**BRANCH_FIELD)],
    project: Annotated[str | None, Form(max_length=200, description="项目 for rows without one.")] = None,
    product_type: Annotated[ProductType | None, Form(description="业态 for rows without one.")] = None,
    who: Principal = require_roles("manager", "admin"),
) -> ImportReport:
    who.require_branch(branch_id)
    default_project = _optional_line(project, 100)
    name = _file_name(file.filename)
    sheet = await asyncio.to_thread(read, await file.read(), name, COLUMNS)
    report = await service.run(c, sheet, branch_id, who.sub, default_project, product_type)
    return ImportReport(file_name=name or None, **report)
