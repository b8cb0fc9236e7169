"""Manager board (经理看板): the seven reports for a date range as tables and charts, with CSV/XLSX
downloads; the browser has no bearer token, so charts and files come through console routes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from crm_shared.words import CHANNELS as CHANNEL_WORDS
from crm_shared.words import LEAD_STATUSES

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.lead_card import lost_reasons
from crm_console.views.manager_common import board, failure, page, staff_names
from crm_console.views.report_books import BOOKS, book_context, book_file, funnel_stages, sales_group, with_deal_stages
from crm_console.web import PREFIX, ConsoleRoute, Screen

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
REPORTS = ("daily-traffic", "funnel", "partners", "follow-up-compliance", "lost-reasons", "grades", "receptions") + BOOKS
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
CHARTS = {"svg": "image/svg+xml", "png": "image/png"}
DEFAULT_DAYS, MAX_DAYS = 7, 366
PERCENT = ("_rate", "share", "_ratio")
MONEY = ("amount", "budget", "spent")
KPIS = ("new_leads", "calls", "visits", "appointments", "deals")

_COLUMNS = {
    "date": ("日期", "Date"), "new_leads": ("新增客户", "New leads"), "visits": ("到访", "Visits"),
    "appointments": ("预约", "Appointments"), "calls": ("来电", "Calls"), "walk_ins": ("自然到访", "Walk-ins"),
    "walk_in_leads": ("到访登记", "Walk-in leads"), "appointment_arrivals": ("预约到访", "Appointment arrivals"),
    "returning_visits": ("复访", "Returning visits"), "follow_ups": ("跟进", "Follow-ups"), "deals": ("成交", "Deals"),
    "appointments_cancelled": ("预约取消", "Cancelled"), "no_shows": ("爽约", "No-shows"),
    "by_channel": ("渠道", "Channel"), "by_consultant": ("置业顾问", "Consultant"),
    "visits_by_consultant": ("接待顾问", "Visits by consultant"), "group": ("分组", "Group"), "name": ("姓名", "Name"),
    "leads": ("客户数", "Leads"), "visited": ("到访数", "Visited"), "won": ("成交数", "Won"), "lost": ("流失数", "Lost"),
    "visit_rate": ("到访率", "Visit rate"), "win_rate": ("到访成交率", "Win rate"),
    "conversion_rate": ("转化率", "Conversion"), "grade": ("等级", "Grade"), "share": ("占比", "Share"),
    "moved_in": ("升入", "Moved in"), "moved_out": ("转出", "Moved out"), "net": ("净变化", "Net"),
    "consultant_id": ("顾问", "Consultant"), "overdue": ("逾期次数", "Overdue"), "newly_overdue": ("新逾期", "Newly overdue"),
    "max_missed": ("最多漏跟", "Max missed"), "missed": ("漏跟次数", "Missed"), "age": ("逾期天数", "Days overdue"),
    "compliance_rate": ("跟进及时率", "Compliance"), "reason": ("流失原因", "Reason"), "count": ("数量", "Count"),
    "by_stage": ("阶段", "Stage"), "partner_id": ("渠道商", "Partner"), "reports": ("报备", "Reports"),
    "accepted": ("有效报备", "Accepted"), "rejected": ("驳回", "Rejected"), "confirmed": ("确认到访", "Confirmed"),
    "expired": ("过期", "Expired"), "amount": ("成交金额", "Amount"), "credit_moved": ("归属变更", "Credit moved"),
    "accept_rate": ("有效率", "Accept rate"),
    "deal_rate": ("成交率", "Deal rate"), "rejection_reasons": ("驳回原因", "Rejection reasons"),
    "class": ("接待级别", "Class"), "requested": ("申请", "Requested"), "approved": ("批准", "Approved"),
    "completed": ("完成", "Completed"), "budget": ("预算", "Budget"), "spent": ("实际花费", "Spent"),
    "spend_ratio": ("预算执行率", "Spend ratio"), "over_budget": ("超预算", "Over budget"),
    "feedback_on_time": ("按时反馈", "Feedback on time"), "feedback_late": ("逾期反馈", "Feedback late"),
    "on_time_rate": ("反馈及时率", "On-time rate"), "unassigned": ("未分配", "Unassigned"),
}
_COLUMNS |= {s: (LEAD_STATUSES["zh-CN"][s], LEAD_STATUSES["en"][s]) for s in ("new", "contacted", "negotiating")}  # a stage
_COLUMNS |= {c: (CHANNEL_WORDS["zh-CN"][c], CHANNEL_WORDS["en"][c]) for c in CHANNEL_WORDS["zh-CN"]}  # a channel key
i18n.register({f"mgr.col.{k}": {"zh-CN": zh, "en": en} for k, (zh, en) in _COLUMNS.items()})
i18n.register({
    "mgr.report.daily-traffic": {"zh-CN": "客流量统计", "en": "Daily traffic"},
    "mgr.report.funnel": {"zh-CN": "转化漏斗", "en": "Funnel"},
    "mgr.report.partners": {"zh-CN": "渠道效果", "en": "Partners"},
    "mgr.unregistered_partner": {"zh-CN": "未登记的渠道", "en": "Unregistered partner"},
    "mgr.report.follow-up-compliance": {"zh-CN": "跟进及时率", "en": "Follow-up compliance"},
    "mgr.report.lost-reasons": {"zh-CN": "流失分析", "en": "Lost reasons"},
    "mgr.report.grades": {"zh-CN": "客户等级", "en": "Grades"},
    "mgr.report.receptions": {"zh-CN": "商务接待", "en": "Receptions"},
    "mgr.range": {"zh-CN": "日期范围", "en": "Date range"},
    "mgr.show": {"zh-CN": "查询", "en": "Show"},
    "mgr.last_7": {"zh-CN": "近7天", "en": "Last 7 days"},
    "mgr.last_30": {"zh-CN": "近30天", "en": "Last 30 days"},
    "mgr.group_by": {"zh-CN": "分组", "en": "Group by"},
    "mgr.by_channel": {"zh-CN": "按渠道", "en": "By channel"},
    "mgr.by_consultant": {"zh-CN": "按顾问", "en": "By consultant"},
    "mgr.download_csv": {"zh-CN": "下载 CSV", "en": "Download CSV"},
    "mgr.download_xlsx": {"zh-CN": "下载 Excel", "en": "Download Excel"},
    "mgr.chart_alt": {"zh-CN": "图表", "en": "Chart"},
    "mgr.times_note": {"zh-CN": "日期按案场时区（{tz}）计算。", "en": "Dates are in the branch time zone ({tz})."},
    "mgr.err.date": {"zh-CN": "日期格式不正确，请使用 YYYY-MM-DD；已显示近7天。",
                     "en": "Dates must look like YYYY-MM-DD; showing the last 7 days."},
    "mgr.err.order": {"zh-CN": "结束日期不能早于开始日期；已显示近7天。", "en": "`To` is before `from`; showing the last 7 days."},
    "mgr.err.span": {"zh-CN": "一次最多查询366天；已显示近7天。", "en": "At most 366 days at a time; showing the last 7 days."},
    "mgr.err.report": {"zh-CN": "没有这个报表。", "en": "No such report."},
})


def today_in(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def date_range(s: Screen, raw_from: str, raw_to: str) -> tuple[date, date, str | None]:
    """The range asked for, or the last 7 branch-local days with the reason it was not usable."""
    end = today_in(s.tz)
    default = (end - timedelta(days=DEFAULT_DAYS - 1), end)
    if not raw_from and not raw_to:
        return *default, None
    try:
        start = date.fromisoformat(raw_from[:10]) if raw_from else default[0]
        stop = date.fromisoformat(raw_to[:10]) if raw_to else end
    except ValueError:
        return *default, s.t("mgr.err.date")
    if stop < start:
        return *default, s.t("mgr.err.order")
    if (stop - start).days + 1 > MAX_DAYS:
        return *default, s.t("mgr.err.span")
    return start, stop, None


def _flatten(item: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in item.items():
        if isinstance(v, dict):
            out |= _flatten(v, f"{prefix}{k}.")
        elif isinstance(v, list):
            out[f"{prefix}{k}"] = "; ".join(map(str, v))
        else:
            out[f"{prefix}{k}"] = v
    return out


async def partner_names(s: Screen) -> dict[str, str]:
    """Partner account id -> name for the branch (the partners report lists them by id)."""
    try:
        return {p["id"]: p.get("name") or "" for p in await s.api.items("/v1/partners", branch_id=s.user.branch_id)}
    except ApiError:
        return {}


def _word(s: Screen, part: str, names: dict[str, str]) -> str:
    key = f"mgr.col.{part}"
    label = s.t(key)
    return label if label != key else names.get(part, part)


def _cell(s: Screen, column: str, value: Any, names: dict[str, str]) -> str:
    leaf = column.rsplit(".", 1)[-1]
    if value is None:
        return "—" if leaf.endswith(PERCENT) else ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, int | float):
        if leaf.endswith(PERCENT):
            return f"{value * 100:.1f}%"
        if leaf.endswith(MONEY):
            return f"{value:,.2f}"
        return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    if column in ("group", "grade", "class", "consultant_id", "reason"):
        return _word(s, str(value), names)
    if column == "partner_id":  # a partner by its account's name; one never registered is not shown by its id
        return names.get(str(value)) or s.t("mgr.unregistered_partner")
    return str(value)


def _head(s: Screen, key: str, names: dict[str, str]) -> list[str]:
    """A flattened column's words; a lead stage (lost at `by_stage.visited`) reads as the lead's status."""
    parts = key.split(".")
    words = [_word(s, parts[0], names)]
    for part in parts[1:]:
        status = f"lead.status.{part}"
        words.append(s.t(status) if parts[0] == "by_stage" and s.t(status) != status else _word(s, part, names))
    return words


def report_table(s: Screen, items: list[dict], names: dict[str, str]) -> tuple[list[str], list[list[tuple[str, bool]]], list[str]]:
    """Header labels, formatted cells (text, numeric?) and column keys of a report's items (nested counters flattened)."""
    flat = [_flatten(i) for i in items]
    keys: list[str] = []
    for row in flat:
        keys += [c for c in row if c not in keys]
    nested = {k for k in keys if "." in k}
    heads = [":".join(_head(s, k, names)) for k in keys]
    values = [[row.get(k, 0 if k in nested else None) for k in keys] for row in flat]
    rows = [[(_cell(s, k, v, names), isinstance(v, int | float) or v is None) for k, v in zip(keys, row)] for row in values]
    return heads, rows, keys


def query_of(s: Screen, start: date, stop: date, group_by: str = "") -> dict[str, str]:
    q = {"branch_id": s.user.branch_id, "from": start.isoformat(), "to": stop.isoformat()}
    return q | ({"group_by": group_by} if group_by else {})


@router.get("/manager")
async def reports(request: Request) -> Response:
    s = await board(request)
    qp = request.query_params
    name = qp.get("report", "daily-traffic")[:40]
    group_by = qp.get("group_by", "")[:20] if name == "funnel" else ""
    group_by = group_by if group_by in ("channel", "consultant") else ("channel" if name == "funnel" else "")
    start, stop, range_error = date_range(s, qp.get("from", "")[:40], qp.get("to", "")[:40])
    context: dict[str, Any] = dict(reports=REPORTS, start=start, stop=stop, range_error=range_error, group_by=group_by,
                                   last30=(today_in(s.tz) - timedelta(days=29)).isoformat(), today=today_in(s.tz).isoformat())
    if name not in REPORTS:
        return await page(s, "manager.html", "reports", status_code=404, name="daily-traffic", heads=[], rows=[],
                          keys=[], report_error=s.t("mgr.err.report"), **context)
    if name in BOOKS:  # the deals and customers reports: named columns (report_books.py)
        sales_by = sales_group(qp.get("group_by", "")[:20])
        context["group_by"] = sales_by if name == "sales" else ""
        return await page(s, "manager.html", "reports", name=name, keys=[], kpis=KPIS,
                          **context | await book_context(s, name, start, stop, sales_by))
    params = {"from": start.isoformat(), "to": stop.isoformat()} | ({"group_by": group_by} if group_by else {})
    try:
        result = await s.api.get(f"/v1/reports/{name}", branch_id=s.user.branch_id, **params)
        report_error = None
    except ApiError as exc:
        result, report_error = {"items": []}, failure(s, exc)
    names = await staff_names(s)
    if name == "partners":
        names |= await partner_names(s)
    if name == "lost-reasons":  # the branch's reason codes in the user's words (流失原因)
        names |= {r["code"]: r["label"] for r in lost_reasons(s)}
    items = with_deal_stages(result) if name == "funnel" else result.get("items", [])  # 认购/签约/回款 beside the lead stages
    heads, rows, keys = report_table(s, items, names)
    stages = funnel_stages(s, result) if name == "funnel" else []
    return await page(s, "manager.html", "reports", name=name, heads=heads, rows=rows, keys=keys, result=result,
                      report_error=report_error, query=urlencode(params), kpis=KPIS, stages=stages, **context)


@router.get("/manager/chart/{name}.{ext}")
async def chart(request: Request, name: str, ext: str) -> Response:
    """The reports service's chart, fetched with the user's token (an <img> cannot send one)."""
    s = await board(request)
    if name in BOOKS:
        return await book_file(s, name, ext, "chart")
    if name not in REPORTS or ext not in CHARTS:
        return Response(s.t("mgr.err.report"), status_code=404, media_type="text/plain; charset=utf-8")
    start, stop, _ = date_range(s, request.query_params.get("from", "")[:40], request.query_params.get("to", "")[:40])
    group_by = request.query_params.get("group_by", "")
    try:
        r = await s.api.call("GET", f"/v1/reports/{name}/chart.{ext}", raw=True,
                             params=query_of(s, start, stop, group_by if group_by in ("channel", "consultant") else ""))
    except ApiError as exc:
        return Response(exc.message, status_code=exc.status if 400 <= exc.status < 500 else 502, media_type="text/plain")
    return Response(r.content, media_type=CHARTS[ext], headers={"Cache-Control": "private, max-age=60"})


@router.get("/manager/export/{name}.{fmt}")
async def export(request: Request, name: str, fmt: str) -> Response:
    """A report as CSV or XLSX, streamed back as a download named after branch, report and dates."""
    s = await board(request)
    if name in BOOKS:
        return await book_file(s, name, fmt, "export")
    if name not in REPORTS or fmt not in FORMATS:
        return s.render("error.html", status_code=404, message=s.t("mgr.err.report"))
    start, stop, _ = date_range(s, request.query_params.get("from", "")[:40], request.query_params.get("to", "")[:40])
    group_by = request.query_params.get("group_by", "")
    params = query_of(s, start, stop, group_by if group_by in ("channel", "consultant") else "") | {"format": fmt}
    r = await s.api.call("GET", f"/v1/reports/{name}", params=params, raw=True)
    filename = f"{s.user.branch_id}-{name}-{start.isoformat()}-{stop.isoformat()}.{fmt}"
    return Response(r.content, media_type=r.headers.get("content-type", FORMATS[fmt]),
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})

