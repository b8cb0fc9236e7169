"""Importing the owners' sheet (老业主档案导入): a manager uploads the office's XLSX/CSV of existing owners to
`POST /v1/archives/import` and reads the per-row report — Excel's row number, 已导入 (the archive opened, by
its number) / 重复 (the person already has an archive here, or appears earlier in the sheet) / 无效, and the
reason or the cells left empty, in Chinese. Linked from the archives list (archives.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, Response, UploadFile

from crm_console import i18n
from crm_console.views.customers_common import archive_link, branch_screen
from crm_console.views.unit_import import SHOWN, error_text, shown_rows, upload
from crm_console.web import PREFIX, ConsoleRoute, Screen

router = APIRouter(prefix=f"{PREFIX}/archives", route_class=ConsoleRoute, include_in_schema=False)
ROLES = ("manager", "admin")  # POST /v1/archives/import
STATUS = {"opened": "created", "exists": "duplicate", "duplicate_in_sheet": "duplicate", "invalid": "invalid"}

i18n.register({
    "aimp.title": {"zh-CN": "老业主档案导入", "en": "Import existing owners"},
    "aimp.link": {"zh-CN": "导入老业主档案", "en": "Import existing owners"},
    "aimp.help": {"zh-CN": "表头可用中文：姓名、电话（必填）、生日、房号、类别（业主、意向客户、会员）、等级（核心、重点、一般）、"
                           "客户经理（填同事姓名）、工作单位、职务、地址、家庭、爱好、交房日期、同意营销短信（是/否）。"
                           "表头上方可以有标题行。本案场已有档案的客户记为重复，不会改动。",
                  "en": "Headers: name, phone (required), birthday, unit, category (owner, prospect, member), tier (core, "
                        "key, general), account manager (a colleague's name), employer, position, address, family, "
                        "preferences, handover date, marketing consent (yes/no). A title row above the header is fine. "
                        "Customers who already have an archive here are duplicates and left unchanged."},
    "aimp.col.customer": {"zh-CN": "客户 / 档案", "en": "Customer / archive"},
    "aimp.col.name": {"zh-CN": "姓名", "en": "Name"},
    "aimp.col.phone": {"zh-CN": "电话", "en": "Phone"},
    "aimp.archive": {"zh-CN": "档案 {number}", "en": "Archive {number}"},
    "aimp.back": {"zh-CN": "返回顾客档案", "en": "Back to the archives"},
})


def archive_rows(s: Screen, report: dict[str, Any]) -> list[dict]:
    """The answer's rows as the page lists them: the outcome as 已导入/重复/无效, the error and warnings as the reason."""
    out = []
    for r in report.get("rows", []):
        status = STATUS.get(r.get("outcome"), "invalid")
        notes = [w.get("message") for w in [r.get("error") or {}, *(r.get("warnings") or [])] if w and w.get("message")]
        if r.get("outcome") == "opened" and r.get("message"):
            notes.insert(0, r["message"])
        number = r.get("number")
        what = " ".join(x for x in (r.get("customer_name") or "", s.t("aimp.archive").format(number=number) if number else "") if x)
        out.append({"row": r.get("n"), "status": status, "status_name": s.t(f"sheet.status.{status}"), "what": what,
                    "reason": "；".join(notes), "link": archive_link(r["archive_id"]) if r.get("archive_id") else ""})
    return out


async def _page(s: Screen, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("form", {})
    return s.render("sheet_import.html", status_code=status_code, kind="archives", title=s.t("aimp.title"),
                    help=s.t("aimp.help"), action=f"{PREFIX}/archives/import", back=f"{PREFIX}/archives",
                    back_text=s.t("aimp.back"), what_head=s.t("aimp.col.customer"), shown=SHOWN, **context)


@router.get("/import")
async def archive_import(request: Request) -> Response:
    return await _page(await branch_screen(request, *ROLES))


@router.post("/import")
async def archive_upload(request: Request, file: Annotated[UploadFile | None, File()] = None) -> Response:
    s = await branch_screen(request, *ROLES)
    report, exc = await upload(s, "/v1/archives/import", file, {"branch_id": s.user.branch_id})
    if exc is not None:
        columns = {"name": s.t("aimp.col.name"), "phone": s.t("aimp.col.phone")}
        return await _page(s, exc.status if 400 <= exc.status < 500 else 502, error=error_text(s, exc, columns))
    rows, more = shown_rows(archive_rows(s, report))
    counts = {"total": report.get("total", 0), "created": report.get("opened", 0),
              "duplicates": report.get("exists", 0) + report.get("duplicate_in_sheet", 0), "invalid": report.get("invalid", 0)}
    return await _page(s, report=report, counts=counts, rows=rows, more=more, file_name=file.filename if file else "",
                       ignored=report.get("ignored_columns") or [])
