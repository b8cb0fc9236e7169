"""Importing the office's customer sheet (客户导入): upload, watch the job, read and download the row report.

The upload goes to `POST /v1/leads/import` with the user's token; the job page follows
`GET /v1/leads/import/{id}` and its `/rows`, reloading itself while the job runs. Outcomes, reasons and headers come from the API in
the user's language (`lang`); consultants are shown by name."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import httpx
from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from crm_shared.words import CHANNELS as CHANNEL_WORDS

from crm_console import i18n
from crm_console.api import ApiError, _client
from crm_console.views.manager_common import staff_names
from crm_console.web import PREFIX, Answer, ConsoleRoute, Screen, render, screen

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
ROLES = ("reception", "manager", "admin")
SHOWN = 300  # rows on the page; the download has them all
FILTERS = ("problems", "invalid", "duplicate", "created", "all")
CHANNELS = ("import", "walk_in", "phone", "partner", "referral", "online", "event")  # a sheet's own come after `import`
UPLOAD_TIMEOUT = httpx.Timeout(120.0)

i18n.register({
    "nav.imports": {"zh-CN": "客户导入", "en": "Import"},
    "imp.title": {"zh-CN": "导入客户登记表", "en": "Import a customer sheet"},
    "imp.file": {"zh-CN": "Excel 表格（.xlsx）或 CSV 文件", "en": "Excel sheet (.xlsx) or CSV file"},
    "imp.channel": {"zh-CN": "未填来源渠道的客户记为", "en": "Channel for rows without one"},
    "imp.upload": {"zh-CN": "上传并导入", "en": "Upload and import"},
    "imp.help": {"zh-CN": "表头可用中文或英文，例如：客户姓名、手机号码、性别、意向等级（O/A/B/C）、置业顾问（填姓名）、"
                          f"来源渠道（{'、'.join(CHANNEL_WORDS['zh-CN'][c] for c in CHANNELS[1:])}）、登记日期、备注。表头上方可以有标题行。"
                          "每位客户按原登记日期计入报表；导入不会给顾问逐条发短信，完成后经理会收到一条汇总。",
                 "en": "Headers in Chinese or English, e.g. name, phone, gender, grade (O/A/B/C), owner (a colleague's name), "
                       "channel, date, notes; a title row above the header is fine. Each customer counts in the reports on "
                       "the original date; nobody gets a message per row, the managers get one summary."},
    "imp.recent": {"zh-CN": "最近的导入", "en": "Recent imports"},
    "imp.by": {"zh-CN": "上传人", "en": "By"},
    "imp.when": {"zh-CN": "上传时间", "en": "Uploaded"},
    "imp.file_name": {"zh-CN": "文件", "en": "File"},
    "imp.state": {"zh-CN": "状态", "en": "State"},
    "imp.state.running": {"zh-CN": "导入中", "en": "Importing"},
    "imp.state.done": {"zh-CN": "已完成", "en": "Done"},
    "imp.state.failed": {"zh-CN": "失败", "en": "Failed"},
    "imp.total": {"zh-CN": "总行数", "en": "Rows"},
    "imp.done": {"zh-CN": "已处理", "en": "Processed"},
    "imp.created": {"zh-CN": "新增客户", "en": "New customers"},
    "imp.duplicates": {"zh-CN": "重复", "en": "Duplicates"},
    "imp.invalid": {"zh-CN": "无效", "en": "Invalid"},
    "imp.warnings": {"zh-CN": "有提示", "en": "With notes"},
    "imp.progress": {"zh-CN": "已处理 {done} / {total} 行", "en": "{done} of {total} rows processed"},
    "imp.rows": {"zh-CN": "逐行结果", "en": "Row by row"},
    "imp.download_xlsx": {"zh-CN": "下载结果（Excel）", "en": "Download (Excel)"},
    "imp.download_csv": {"zh-CN": "下载结果（CSV）", "en": "Download (CSV)"},
    "imp.filter.problems": {"zh-CN": "需处理的行", "en": "Rows to look at"},
    "imp.filter.invalid": {"zh-CN": "无效", "en": "Invalid"},
    "imp.filter.duplicate": {"zh-CN": "重复", "en": "Duplicates"},
    "imp.filter.created": {"zh-CN": "已导入", "en": "Imported"},
    "imp.filter.all": {"zh-CN": "全部", "en": "All"},
    "imp.only_first": {"zh-CN": "页面只显示前 {n} 行，完整结果请下载。", "en": "Only the first {n} rows are shown; download for all."},
    "imp.ignored": {"zh-CN": "未识别、未导入的列：{cols}", "en": "Columns not recognised (not imported): {cols}"},
    "imp.none_problem": {"zh-CN": "没有需要处理的行。", "en": "No rows need attention."},
    "imp.back": {"zh-CN": "返回导入页", "en": "Back to imports"},
    "imp.started": {"zh-CN": "表格已上传，正在导入。", "en": "The sheet is uploaded and being imported."},
    "imp.finished": {"zh-CN": "表格已导入。", "en": "The sheet is imported."},
    "imp.err.no_file": {"zh-CN": "请选择要上传的文件。", "en": "Choose a file to upload."},
    "imp.err.unreadable-file": {"zh-CN": "文件无法读取：请上传 Excel（.xlsx）或 CSV 文件。", "en": "The file cannot be read: upload .xlsx or .csv."},
    "imp.err.missing-columns": {"zh-CN": "表格缺少必填列：{missing}。找到的表头：{headers}。",
                                "en": "The sheet lacks required columns: {missing}. Headers found: {headers}."},
    "imp.err.empty-sheet": {"zh-CN": "表格只有表头，没有客户行。", "en": "The sheet has a header but no rows."},
    "imp.err.too-many-rows": {"zh-CN": "表格超过 {max_rows} 行，请拆分后分批导入。", "en": "More than {max_rows} rows: split the sheet."},
    "imp.err.payload-too-large": {"zh-CN": "文件太大（最大 20 MB）。", "en": "The file is too large (20 MB at most)."},
    "imp.col.row": {"zh-CN": "行号", "en": "Row"},
    "imp.col.result": {"zh-CN": "结果", "en": "Result"},
    "imp.col.name": {"zh-CN": "客户姓名", "en": "Customer"},
    "imp.col.phone": {"zh-CN": "手机号码", "en": "Phone"},
    "imp.col.owner": {"zh-CN": "置业顾问", "en": "Consultant"},
    "imp.col.channel": {"zh-CN": "来源渠道", "en": "Channel"},
    "imp.col.date": {"zh-CN": "登记日期", "en": "Registered on"},
    "imp.col.reason": {"zh-CN": "说明", "en": "Notes"},
})


async def _screen(request: Request) -> Screen:
    s = await screen(request, *ROLES)
    if not s.user.branch_id:  # an admin of several branches picks one first
        raise Answer(render(request, "manager_branch.html", user=s.user, branch={}, branches=await s.api.items("/v1/branches")))
    return s


def _readable(s: Screen, exc: ApiError) -> str:
    """A refused upload in the user's words, naming what the sheet lacks and what it has."""
    key = f"imp.err.{exc.kind}"
    text = s.t(key)
    if text == key:
        return f"{s.t('error.bad_input')}：{exc.message}" if exc.status == 422 else exc.message or s.t("common.error")
    missing = "、".join(s.t(f"imp.col.{m}") for m in exc.body.get("missing") or [] if m in ("name", "phone"))
    headers = "、".join(str(h) for h in exc.body.get("headers") or []) or s.t("common.none")
    return text.format(missing=missing, headers=headers, max_rows=exc.body.get("max_rows", ""))


async def _home(s: Screen, status_code: int = 200, error: str = "", channel: str = "import") -> Response:
    jobs = (await s.api.get("/v1/leads/import", branch_id=s.user.branch_id, limit=20))["items"]
    return s.render("imports.html", status_code=status_code, jobs=jobs, names=await staff_names(s), error=error,
                    channels=CHANNELS, channel=channel)


@router.get("/imports")
async def imports(request: Request) -> Response:
    return await _home(await _screen(request))


@router.post("/imports")
async def upload(request: Request, file: Annotated[UploadFile | None, File()] = None,
                 channel: Annotated[str, Form(max_length=20)] = "import") -> Response:
    s = await _screen(request)
    channel = channel if channel in CHANNELS else "import"
    content = await file.read() if file is not None else b""
    if not content:
        return await _home(s, 422, s.t("imp.err.no_file"), channel)
    try:
        async with _client(request, s.user.token) as client:
            r = await client.post("/v1/leads/import", params={"lang": s.locale}, timeout=UPLOAD_TIMEOUT,
                                  data={"branch_id": s.user.branch_id, "channel": channel},
                                  files={"file": (file.filename or "sheet", content, file.content_type or "application/octet-stream")})
    except httpx.HTTPError as exc:
        raise ApiError(503, "service unreachable", type(exc).__name__) from None
    if r.status_code >= 400:
        body = r.json() if r.headers.get("content-type", "").endswith("json") else {}
        exc = ApiError(r.status_code, body.get("title", ""), body.get("detail", ""), body.get("type", ""),
                       body.get("errors") or [], body)
        return await _home(s, exc.status if exc.status < 500 else 502, _readable(s, exc), channel)
    done = r.status_code == 200  # a small sheet is imported before the answer
    return s.redirect(f"{PREFIX}/imports/{quote(r.json()['job_id'], safe='')}", flash=s.t("imp.finished" if done else "imp.started"))


async def _job(s: Screen, job_id: str, show: str) -> dict:
    path = f"/v1/leads/import/{quote(job_id, safe='')}"
    job = await s.api.get(path)
    status = show if show in ("invalid", "duplicate", "created") else None
    rows = (await s.api.get(f"{path}/rows", lang=s.locale, status=status))["items"]
    if show == "problems":
        rows = [r for r in rows if r["status"] != "created" or r["warnings"]]
    return {"job": job, "rows": rows[:SHOWN], "more": len(rows) > SHOWN, "show": show, "shown": SHOWN,
            "names": await staff_names(s), "filters": FILTERS}


@router.get("/imports/{job_id}")
async def job_page(request: Request, job_id: str, show: str = "problems") -> Response:
    s = await _screen(request)
    return s.render("imports_job.html", **await _job(s, job_id, show if show in FILTERS else "problems"))


@router.get("/imports/{job_id}/rows.{fmt}")
async def download(request: Request, job_id: str, fmt: str) -> Response:
    s = await _screen(request)
    if fmt not in ("csv", "xlsx"):
        return s.render("error.html", status_code=404, message=s.t("error.not_found"))
    r = await s.api.call("GET", f"/v1/leads/import/{quote(job_id, safe='')}/rows", params={"format": fmt, "lang": s.locale},
                         raw=True)
    return Response(r.content, media_type=r.headers.get("content-type"),
                    headers={"Content-Disposition": r.headers.get("content-disposition", "attachment")})
