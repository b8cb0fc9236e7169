"""HTTP: POST /v1/leads/import (CSV or XLSX upload)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from crm_shared.events.leads import Channel
from crm_shared.http.auth import CurrentPrincipal

from crm_leads.context import BRANCH_FIELD, MANAGERS, Ctx, load_branch
from crm_leads.imports import service

router = APIRouter(tags=["import"])


@router.post("/v1/leads/import", summary="Import leads from a CSV or XLSX sheet",
             description="Multipart: `file` (.csv UTF-8 or .xlsx, header row first; columns such as "
             "name/姓名, phone/电话/手机, gender/性别, grade/等级, owner_id, channel/渠道, interest/备注), "
             "`branch_id`, optional `channel` (default `import`). Every row goes through registration's rules; "
             "the answer lists each row as created, duplicate (with `existing_lead_id`) or invalid (with why).")
async def import_leads(
    c: Ctx, file: Annotated[UploadFile, File(description="The sheet.")],
    who: CurrentPrincipal, branch_id: Annotated[str, Form(**BRANCH_FIELD)], channel: Annotated[Channel, Form()] = "import",
) -> dict:
    branch = await load_branch(c, branch_id, who)
    who.require_role("consultant", "reception", *MANAGERS)
    head = await file.read(4)
    await file.seek(0)
    name = (file.filename or "").lower()
    rows = service.xlsx_rows(file.file) if head.startswith(b"PK") or name.endswith(".xlsx") else service.csv_rows(file.file)
    return await service.import_rows(c, branch, rows, channel, who)
