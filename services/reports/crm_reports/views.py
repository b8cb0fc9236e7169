"""HTTP routes of the reports service (CONTRACT.md "reports")."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from crm_reports import book_views, generations
from crm_reports.charts.render import MEDIA, render
from crm_reports.charts.specs import chart_data
from crm_reports.exports.files import CSV_MEDIA, XLSX_MEDIA, to_csv, to_xlsx
from crm_reports.exports.present import present, present_board
from crm_reports.exports.tables import table
from crm_reports.exports.words import TITLES, word
from crm_reports.queries import boards
from crm_reports.queries.params import (REPORT_NAMES, BranchParam, Format, Lang, ReportQuery, bad_range, funnel_query,
                                        month_anchor, report_query)
from crm_reports.queries.read import build, days_between, export_names
from crm_reports.rebuild import replay
from crm_shared.branches import local_date
from crm_shared.errors import Forbidden
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext, context_of
from crm_shared.text import Day

Ctx = Annotated[ServiceContext, Depends(context_of("reports"))]
READERS = ("admin", "manager", "integrator")
MIN_YEAR, MAX_YEAR = 1900, 9998
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {
    "application/json": {}, CSV_MEDIA: {}, XLSX_MEDIA: {}}, "description": "The report as JSON, CSV or XLSX."}}
CHART_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {MEDIA["png"]: {}, MEDIA["svg"]: {}},
                                                          "description": "The chart."}}


DESCRIPTIONS = {
    "daily-traffic": "客流量统计: one row per branch date: `new_leads`, `by_channel`, `by_consultant` (new leads by "
                     "owner), `visits`, `appointments`, plus `calls` (phone leads), `walk_ins` (visits without an "
                     "appointment), `appointment_arrivals`, `returning_visits`, `follow_ups`, `deals`, cancellations, no-shows.",
    "funnel": "Leads registered in the range (cohort by registration date) -> visited -> won (and lost), with "
              "`visit_rate`, `win_rate` (won/visited) and `conversion_rate` (won/leads); `group_by=channel|consultant` "
              "(the owner at registration) `|referrer` (全民营销: referrals -> visits -> deals per registered referrer, "
              "with its `name`; the total counts referral leads).",
    "grades": "O/A/B/C mix of new leads (`share`) and movement between grades (`moves` as `from>to`, upgrades, downgrades).",
    "follow-up-compliance": "Per consultant: follow-ups done, overdue events (`lead.follow_up_overdue`), newly overdue, "
                            "missed-count and age buckets (days past due), `compliance_rate` = follow-ups / (follow-ups + overdue).",
    "lost-reasons": "流失分析: lost leads by reason with `share`, and by stage (status before closing).",
    "partners": "Per channel partner (with its registered `name`): reports -> accepted -> confirmed visits -> deals, "
                "rates, rejection reasons. `deals`/`amount` follow a credit moved after signing (a dispute decided "
                "late) on the move's date, as the sales report by partner does; `credit_moved` = that net +-1.",
    "receptions": "Business receptions by class A-D on their arrival date: requested/approved/rejected/completed, "
                  "budget (per head x guests) against spend, over-budget count, feedback on time.",
}
COMMON = (" Dates are branch-local (the branch's time zone; Asia/Shanghai by default), `from`..`to` inclusive, "
          "at most 366 days. `format=csv` is UTF-8 with BOM; `format=xlsx` has a frozen header row and number formats; "
          "a sheet names staff and shows channels, stages and reasons as words (`lang=zh-CN` default, or `en`). "
          "Roles: admin, manager, integrator; another branch's id is 404.")


def authorize(who: Principal, branch_id: str) -> None:
    """Foreign branch -> 404 before anything else; then the role (-> 403)."""
    who.require_branch(branch_id)
    who.require_role(*READERS)


def _require_all_branches(who: Principal) -> None:
    """A rebuild replays every branch's read models, so only an admin of all branches may run it."""
    if "*" not in who.branches:
        raise Forbidden("rebuilding the read models needs an admin of all branches")


def respond(name: str, report: dict[str, Any], fmt: Format, rows: list[dict] | None = None, lang: Lang = "zh-CN") -> Response:
    """JSON as computed; a sheet from the presented `rows` (names and words, exports.present)."""
    if fmt == "json":
        return JSONResponse(report)
    columns, cells = table(rows if rows is not None else report.get("items", []))
    title = word(TITLES, lang, name)
    if fmt == "csv":
        body, media, ext = to_csv(columns, cells, lang), CSV_MEDIA, "csv"
    else:
        body, media, ext = to_xlsx(title, columns, cells, lang), XLSX_MEDIA, "xlsx"
    disposition = f"attachment; filename=\"{name}.{ext}\"; filename*=UTF-8''{quote(f'{title}.{ext}')}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


def add_report(router: APIRouter, name: str) -> None:
    query = funnel_query if name == "funnel" else report_query

    async def report(c: Ctx, who: CurrentPrincipal, q: ReportQuery = Depends(query)) -> Response:
        authorize(who, q.branch_id)
        g = await generations.current(c.db)
        result = await build(g, name, q)
        if q.format == "json":
            return respond(name, result, q.format)
        names = await export_names(g, q.branch_id, c.config.default_timezone, q.lang)
        return respond(name, result, q.format, present(name, result, names, q.lang), q.lang)

    async def chart(ext: str, c: Ctx, who: CurrentPrincipal, q: ReportQuery) -> Response:
        authorize(who, q.branch_id)
        result = await build(await generations.current(c.db), name, q)
        body = await run_in_threadpool(render, *_chart_args(name, result, ext))
        return Response(body, media_type=MEDIA[ext])

    async def png(c: Ctx, who: CurrentPrincipal, q: ReportQuery = Depends(query)) -> Response:
        return await chart("png", c, who, q)

    async def svg(c: Ctx, who: CurrentPrincipal, q: ReportQuery = Depends(query)) -> Response:
        return await chart("svg", c, who, q)

    path = f"/v1/reports/{name}"
    router.add_api_route(path, report, methods=["GET"], summary=f"Report {name}", responses=FILE_RESPONSES,
                         response_class=Response, description=DESCRIPTIONS[name] + COMMON)
    router.add_api_route(f"{path}/chart.png", png, methods=["GET"], summary=f"Chart of {name} (PNG)",
                         responses=CHART_RESPONSES, response_class=Response, description="Chinese labels (Noto Sans CJK).")
    router.add_api_route(f"{path}/chart.svg", svg, methods=["GET"], summary=f"Chart of {name} (SVG)",
                         responses=CHART_RESPONSES, response_class=Response, description="Glyphs drawn as paths.")


def _chart_args(name: str, result: dict[str, Any], ext: str) -> tuple:
    title, categories, series, kind = chart_data(name, result)
    return title, categories, series, kind, ext


async def _board(c: ServiceContext, who: Principal, branch_id: str, kind: str, anchor: date | None, fmt: Format,
                 lang: Lang) -> Response:
    authorize(who, branch_id)
    if anchor and not MIN_YEAR <= anchor.year <= MAX_YEAR:
        raise bad_range(f"dates must fall in the years {MIN_YEAR}..{MAX_YEAR}", "date" if kind == "weekly" else "month")
    g = await generations.current(c.db)
    day = anchor or local_date(utcnow(), (await g.directory(c.config.default_timezone).branch(branch_id)).timezone)
    period = boards.week_of(day) if kind == "weekly" else boards.month_of(day)
    previous = boards.previous_period(kind, period[0])
    result = boards.board(kind, period, await days_between(g, branch_id, *period),
                          previous, await days_between(g, branch_id, *previous))
    return respond(f"board-{kind}", result, fmt, present_board(boards.board_rows(result), lang), lang)


def router() -> APIRouter:
    r = APIRouter(tags=["reports"])
    for name in REPORT_NAMES:
        add_report(r, name)
    book_views.add_books(r)  # the deals and customers reports

    @r.get("/v1/reports/boards/weekly", summary="Weekly board (周看板)", responses=FILE_RESPONSES, response_class=Response)
    async def weekly(c: Ctx, who: CurrentPrincipal, branch_id: BranchParam,
                     date_: Annotated[Day | None, Query(alias="date", description="Any day of the week; default today.")] = None,
                     format: Format = "json", lang: Lang = "zh-CN") -> Response:
        return await _board(c, who, branch_id, "weekly", date_, format, lang)

    @r.get("/v1/reports/boards/monthly", summary="Monthly board (月看板)", responses=FILE_RESPONSES, response_class=Response)
    async def monthly(c: Ctx, who: CurrentPrincipal, branch_id: BranchParam,
                      month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; default this month.")] = None,
                      format: Format = "json", lang: Lang = "zh-CN") -> Response:
        return await _board(c, who, branch_id, "monthly", month_anchor(month), format, lang)

    @r.post("/v1/reports/rebuild", status_code=202, summary="Replay the CRM stream into fresh read models (admin)")
    async def rebuild(c: Ctx, who: Principal = require_roles("admin")) -> dict:
        _require_all_branches(who)
        generation = await replay.start(c)
        return {"generation": generation, "state": "running"}

    @r.get("/v1/reports/rebuild", summary="Rebuild status: current generation, running rebuild, last result")
    async def rebuild_status(c: Ctx, who: Principal = require_roles("admin")) -> dict:
        _require_all_branches(who)
        return await replay.status(c)

    return r
