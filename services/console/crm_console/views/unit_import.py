"""Importing the unit sheet (销控表导入): a manager uploads the office's XLSX/CSV sheet to
`POST /v1/units/import` and reads the answer's per-row report (Excel's row number, 已导入/重复/无效, the
reason in Chinese). The import is synchronous: the report is the answer to the upload, nothing to follow.
`upload` and `refusal` are shared with the owners' import (archive_import.py)."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from crm_console import i18n
from crm_console.api import ApiError, _client
from crm_console.views.deals_common import PRODUCT_TYPES
from crm_console.views.customers_common import branch_screen
from crm_console.web import PREFIX, ConsoleRoute, Screen

router = APIRouter(prefix=f"{PREFIX}/units", route_class=ConsoleRoute, include_in_schema=False)
ROLES = ("manager", "admin")  # POST /v1/units/import
UPLOAD_TIMEOUT = httpx.Timeout(120.0)
SHOWN = 500  # rows on the page

i18n.register({
    "sheet.file": {"zh-CN": "Excel 表格（.xlsx）或 CSV 文件", "en": "Excel sheet (.xlsx) or CSV file"},
    "sheet.upload": {"zh-CN": "上传并导入", "en": "Upload and import"},
    "sheet.result": {"zh-CN": "导入结果：{file}", "en": "Result: {file}"},
    "sheet.total": {"zh-CN": "总行数", "en": "Rows"},
    "sheet.created": {"zh-CN": "已导入", "en": "Imported"},
    "sheet.duplicates": {"zh-CN": "重复", "en": "Duplicates"},
    "sheet.invalid": {"zh-CN": "无效", "en": "Invalid"},
    "sheet.col.row": {"zh-CN": "Excel 行号", "en": "Excel row"},
    "sheet.col.result": {"zh-CN": "结果", "en": "Result"},
    "sheet.col.reason": {"zh-CN": "说明", "en": "Notes"},
    "sheet.status.created": {"zh-CN": "已导入", "en": "Imported"},
    "sheet.status.duplicate": {"zh-CN": "重复", "en": "Duplicate"},
    "sheet.status.invalid": {"zh-CN": "无效", "en": "Invalid"},
    "sheet.ignored": {"zh-CN": "未识别、未导入的列：{cols}", "en": "Columns not recognised (not imported): {cols}"},
    "sheet.only_first": {"zh-CN": "行数较多：页面先列出需处理的行，共显示 {n} 行。",
                         "en": "Many rows: the rows to look at come first, {n} rows shown."},
    "sheet.err.no_file": {"zh-CN": "请选择要上传的文件。", "en": "Choose a file to upload."},
    "sheet.err.unreadable-file": {"zh-CN": "文件无法读取：请上传 Excel（.xlsx）或 CSV 文件。",
                                  "en": "The file cannot be read: upload .xlsx or .csv."},
    "sheet.err.missing-columns": {"zh-CN": "表格缺少必填列：{missing}。找到的表头：{headers}。",
                                  "en": "The sheet lacks required columns: {missing}. Headers found: {headers}."},
    "sheet.err.empty-sheet": {"zh-CN": "表格只有表头，没有数据行。", "en": "The sheet has a header but no rows."},
    "sheet.err.too-many-rows": {"zh-CN": "表格超过 {max_rows} 行，请拆分后分批导入。", "en": "More than {max_rows} rows: split the sheet."},
    "sheet.err.payload-too-large": {"zh-CN": "文件太大，请拆分后分批导入。", "en": "The file is too large: split it."},
    "uimp.title": {"zh-CN": "销控表导入", "en": "Import the unit sheet"},
    "uimp.link": {"zh-CN": "导入销控表", "en": "Import the unit sheet"},
    "uimp.help": {"zh-CN": "表头可用中文：项目、楼栋、房号（必填）、业态（公寓、小高层、洋房、别墅、商铺、车位、其他）、建筑面积、"
                           "总价（必填，元或万元，如 2980000 或 298万）、楼层。表头上方可以有标题行。"
                           "本案场已有的房源（同一项目、楼栋、房号）记为重复，不会改动。",
                  "en": "Headers: project, building, unit number (required), product type, area, list price (required; "
                        "yuan, or 万 as in 298万), floor. A title row above the header is fine. Units already on the "
                        "sheet (same project, building and number) are duplicates and left unchanged."},
    "uimp.project": {"zh-CN": "表中未填项目时记为（可选）", "en": "Project for rows without one (optional)"},
    "uimp.product_type": {"zh-CN": "表中未填业态时记为（可选）", "en": "Product type for rows without one (optional)"},
    "uimp.none": {"zh-CN": "不指定", "en": "None"},
    "uimp.col.unit": {"zh-CN": "房源", "en": "Unit"},
    "uimp.col.unit_no": {"zh-CN": "房号", "en": "Unit number"},
    "uimp.col.list_price": {"zh-CN": "总价", "en": "List price"},
    "uimp.back": {"zh-CN": "返回销控表", "en": "Back to the unit board"},
})


def refusal(s: Screen, exc: ApiError, columns: dict[str, str]) -> str:
    """A refused upload in the user's words, naming what the sheet lacks (`columns`: field -> header) and what it has."""
    key = f"sheet.err.{exc.kind}"
    text = s.t(key)
    if text == key:
        if exc.status == 403:
            return s.t("error.forbidden")
        return f"{s.t('error.bad_input')}：{exc.message}" if exc.status == 422 else exc.message or s.t("common.error")
    missing = "、".join(columns.get(m, s.t("common.none")) for m in exc.body.get("missing") or [])
    headers = "、".join(str(h) for h in exc.body.get("headers") or []) or s.t("common.none")
    return text.format(missing=missing or s.t("common.none"), headers=headers, max_rows=exc.body.get("max_rows", ""))


async def upload(s: Screen, path: str, file: UploadFile | None, fields: dict[str, str]) -> tuple[dict | None, ApiError | None]:
    """The sheet sent on to the API as multipart with the user's token: (the report, None) or (None, the refusal)."""
    content = await file.read() if file is not None else b""
    if not content:
        return None, ApiError(422, "no file", s.t("sheet.err.no_file"), "no_file")
    try:
        async with _client(s.request, s.user.token) as client:
            r = await client.post(path, timeout=UPLOAD_TIMEOUT, data={k: v for k, v in fields.items() if v},
                                  files={"file": (file.filename or "sheet", content, file.content_type or "application/octet-stream")})
    except httpx.HTTPError as exc:
        raise ApiError(503, "service unreachable", type(exc).__name__) from None
    if r.status_code >= 400:
        try:
            body = r.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        return None, ApiError(r.status_code, str(body.get("title", "")), str(body.get("detail", "")), str(body.get("type", "")),
                              body.get("errors") or [], body)
    return r.json(), None


def error_text(s: Screen, exc: ApiError, columns: dict[str, str]) -> str:
    return s.t("sheet.err.no_file") if exc.type == "no_file" else refusal(s, exc, columns)


def shown_rows(rows: list[dict]) -> tuple[list[dict], bool]:
    """The rows in sheet order; a sheet too long for the page lists its problem rows first."""
    if len(rows) <= SHOWN:
        return rows, False
    return ([r for r in rows if r["status"] != "created"] + [r for r in rows if r["status"] == "created"])[:SHOWN], True


def unit_rows(report: dict[str, Any]) -> list[dict]:
    """The answer's rows as the page lists them: `{row, status, status_name, what, reason, link}`."""
    return [{"row": r.get("row"), "status": r.get("status"), "status_name": r.get("status_name") or "",
             "what": r.get("label") or "", "reason": r.get("reason") or "",
             "link": f"{PREFIX}/units?unit={r['unit_id']}" if r.get("unit_id") else ""} for r in report.get("rows", [])]


async def _page(s: Screen, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("form", {})
    return s.render("sheet_import.html", status_code=status_code, kind="units", title=s.t("uimp.title"),
                    help=s.t("uimp.help"), action=f"{PREFIX}/units/import", back=f"{PREFIX}/units",
                    back_text=s.t("uimp.back"), product_types=PRODUCT_TYPES, what_head=s.t("uimp.col.unit"),
                    shown=SHOWN, **context)


@router.get("/import")
async def unit_import(request: Request) -> Response:
    return await _page(await branch_screen(request, *ROLES))


@router.post("/import")
async def unit_upload(request: Request, file: Annotated[UploadFile | None, File()] = None,
                      project: Annotated[str, Form(max_length=100)] = "",
                      product_type: Annotated[str, Form(max_length=20)] = "") -> Response:
    s = await branch_screen(request, *ROLES)
    form = {"project": project.strip(), "product_type": product_type if product_type in PRODUCT_TYPES else ""}
    report, exc = await upload(s, "/v1/units/import", file, {"branch_id": s.user.branch_id, **form})
    if exc is not None:
        columns = {"unit_no": s.t("uimp.col.unit_no"), "list_price": s.t("uimp.col.list_price")}
        return await _page(s, exc.status if 400 <= exc.status < 500 else 502, form=form, error=error_text(s, exc, columns))
    rows, more = shown_rows(unit_rows(report))
    counts = {"total": report.get("total", 0), "created": report.get("created", 0),
              "duplicates": report.get("duplicates", 0), "invalid": report.get("invalid", 0)}
    return await _page(s, form=form, report=report, counts=counts, rows=rows, more=more,
                       file_name=report.get("file_name") or (file.filename if file else ""), ignored=[])
