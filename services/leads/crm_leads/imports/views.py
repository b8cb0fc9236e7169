"""HTTP: upload a sheet (`POST /v1/leads/import`), follow its job, download the per-row result."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from crm_shared.events.leads import Channel
from crm_shared.http.auth import CurrentPrincipal
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.text import clean_line

from crm_leads.context import BRANCH_FIELD, Ctx, IdPath, load_branch
from crm_leads.imports import report, service, sheets
from crm_leads.imports.messages import word
from crm_leads.imports.models import ImportJobOut, public

router = APIRouter(tags=["import"])
Lang = Annotated[Literal["zh-CN", "en"], Query(description="Language of the row report's words (Chinese by default).")]
UPLOAD = (
    "Multipart: `file` (.xlsx, or .csv in UTF-8 or GBK, comma- or tab-separated; the header row may sit below a "
    "title row), `branch_id`, optional `channel` (default `import`) for rows without a recognised 来源渠道. Headers in "
    "Chinese or English (客户姓名/name, 手机号码/phone, 意向等级/grade, 置业顾问/owner (a colleague's name), 来源渠道/channel "
    "(来电, 自然到访, 渠道, 老带新, 网络, 活动, ...), 登记日期/date, 性别, 邮箱, 生日, 活动, 推荐人, 备注; the full table is in "
    "docs/contract.md). Every row becomes a lead (its original 登记日期 kept), a duplicate (an open lead has the phone; "
    "nothing changes on it) or an invalid row (why). Nobody is notified per row; `lead_import.finished` sums the import "
    "up. A sheet of at most 200 rows is imported before the answer: 200 with the job and `rows`; a bigger one answers "
    "202 `{job_id, ...}` at once and runs in the background: follow `GET /v1/leads/import/{job_id}`. Front desk and "
    "managers. 422 `unreadable-file`, `missing-columns` (with `missing`, `headers`), `empty-sheet`, `too-many-rows` "
    "(more than 10,000).")


async def _names(c: Ctx, branch_id: str) -> dict[str, str]:
    staff = await c.aggregate("staff").find({"branch_id": branch_id}, {"_id": 1, "name": 1}).to_list()
    return {s["_id"]: s.get("name") or s["_id"] for s in staff}


def _file_name(raw: str | None) -> str:
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    try:
        return clean_line(name)
    except ValueError:
        return ""


@router.post("/v1/leads/import", summary="Import leads from an office's sheet (CSV or XLSX)", description=UPLOAD,
             status_code=202, responses={200: {"description": "A small sheet, imported: the job with `rows`."}})
async def import_leads(
    c: Ctx, who: CurrentPrincipal, response: Response, file: Annotated[UploadFile, File(description="The sheet.")],
    branch_id: Annotated[str, Form(**BRANCH_FIELD)], channel: Annotated[Channel, Form()] = "import", lang: Lang = "zh-CN",
) -> dict:
    branch = await load_branch(c, branch_id, who)
    service.require_importer(who)
    name = _file_name(file.filename)
    sheet = await asyncio.to_thread(sheets.read, await file.read(), name)
    job, chunks = await service.start(c, branch, sheet, name, channel, who)
    if job["total"] > service.INLINE_ROWS:
        c.spawn(service.in_background(c, job, chunks), name=f"import:{job['_id']}")
        response.headers["Location"] = f"/v1/leads/import/{job['_id']}"
        return public(job).model_dump(mode="json")
    job = await service.run(c, job, chunks)
    response.status_code = 200
    names = await _names(c, branch.id)
    rows = [report.item(r, names, lang, branch.timezone) for r in await service.results(c, job["_id"])]
    return public(job).model_dump(mode="json") | {"rows": rows}


@router.get("/v1/leads/import", summary="Import jobs of a branch, newest first",
            description="Managers see every import of the branch, the front desk its own.")
async def list_imports(c: Ctx, who: CurrentPrincipal, branch_id: Annotated[str, Query(**BRANCH_FIELD)],
                       page: PageParams = Depends(page_params)) -> dict:
    who.require_branch(branch_id)
    service.require_importer(who)
    query = {"branch_id": branch_id} | ({"created_by": who.sub} if who.role == "reception" else {})
    docs, nxt = await fetch_page(c.db[service.JOBS], query, page, descending=True)
    return {"items": [public(d) for d in docs], "next_cursor": nxt}


@router.get("/v1/leads/import/{job_id}", summary="An import job's progress", response_model=ImportJobOut,
            description="`state` (`running`, `done`, `failed`), `total`, `done`, `created`, `duplicates`, `invalid`, "
            "`warnings`. The uploader (front desk) or the branch's managers.")
async def get_import(job_id: IdPath, c: Ctx, who: CurrentPrincipal) -> ImportJobOut:
    return public(await service.get_scoped(c, job_id, who))


@router.get("/v1/leads/import/{job_id}/rows", summary="An import's per-row result (JSON, CSV or XLSX)",
            description="One line per sheet row with an outcome so far: row number (as in Excel), result (已导入/重复/"
            "无效), customer, masked phone, consultant by name (or 公海), channel, registration date, and why (a "
            "duplicate names the customer and consultant it repeats). `format=csv` (UTF-8 with BOM) or `xlsx` to "
            "download, headers in `lang`; `status` keeps one outcome.")
async def import_rows(
    job_id: IdPath, c: Ctx, who: CurrentPrincipal, lang: Lang = "zh-CN",
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="`json` (default), `csv` or `xlsx`.")] = "json",
    status: Annotated[Literal["created", "duplicate", "invalid"] | None, Query(description="Only this outcome.")] = None,
) -> Response:
    job = await service.get_scoped(c, job_id, who)
    branch = await load_branch(c, job["branch_id"])
    rows = [r for r in await service.results(c, job_id) if status is None or r["status"] == status]
    names = await _names(c, job["branch_id"])
    if format == "json":
        items = [report.item(r, names, lang, branch.timezone) for r in rows]
        return JSONResponse(jsonable_encoder({"job_id": job_id, "state": job["state"], "items": items, "next_cursor": None}))
    headers, body = report.table(rows, names, lang, branch.timezone)
    title = word("sheet.title", lang)
    stem = (job.get("file_name") or "").rsplit(".", 1)[0]
    filename = f"{title}-{stem}.{format}" if stem else f"{title}.{format}"
    disposition = f"attachment; filename=\"import-{job_id}.{format}\"; filename*=UTF-8''{quote(filename)}"
    content = report.to_csv(headers, body) if format == "csv" else await asyncio.to_thread(report.to_xlsx, title, headers, body)
    return Response(content, media_type=report.CSV_MEDIA if format == "csv" else report.XLSX_MEDIA,
                    headers={"Content-Disposition": disposition})

