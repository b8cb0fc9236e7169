"""HTTP routes of the deals and customers reports (docs/contract.md "reports"): sales, deal changes,
discounts, payouts, complaints, revisits, customers — JSON/CSV/XLSX and PNG/SVG charts, over one
branch or the group roll-up (`branch_id=a,b` or `*`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from crm_reports import generations
from crm_reports.charts.books import chart_book
from crm_reports.charts.render import MEDIA, render
from crm_reports.exports.files import CSV_MEDIA, XLSX_MEDIA, to_csv, to_xlsx
from crm_reports.exports.present_books import HEADERS, present_book
from crm_reports.exports.tables import table
from crm_reports.exports.words import TITLES, word
from crm_reports.queries.books import BOOKS, FINANCE_READS, build_book, lookup
from crm_reports.queries.scope import ScopeQuery, resolve, sales_query, scope_query
from crm_shared.http.auth import CurrentPrincipal
from crm_shared.plugins import ServiceContext, context_of

READERS = ("admin", "manager", "integrator")
ROLES = {name: READERS + (("finance",) if name in FINANCE_READS else ()) for name in BOOKS}
FILES: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {}, CSV_MEDIA: {}, XLSX_MEDIA: {}},
                                                "description": "The report as JSON, CSV or XLSX."}}
CHARTS: dict[int | str, dict[str, Any]] = {200: {"content": {MEDIA["png"]: {}, MEDIA["svg"]: {}}, "description": "The chart."}}
DESCRIPTIONS = {
    "sales": "销售业绩: units sold and amount per `group_by` = consultant (default), channel, partner, referrer or "
             "product_type (every product type listed). A signing counts on its signing date; a cancellation after "
             "signing counts on its own date (`cancelled`, `cancelled_amount`, `refund`), so `units` = signed − "
             "cancelled (± unit changes and credits moved after signing, `moved`); `collected_amount` = payments received.",
    "deal-changes": "换房/退房一览表: one line per cancellation (退房, any stage) or unit change (换房), with the old and "
                    "new unit, the stage before, the reason, prices, refund; `by_reason` counts and refunds per reason.",
    "discounts": "特殊优惠客户一览表: one line per price approved below the branch's limit: list price, agreed price, "
                 "discount and its rate, who approved and why.",
    "payouts": "结佣与全民营销奖励: per kind (commission, referral_reward) and beneficiary, the payouts and amounts that "
               "reached each status in the period (pending, due, approved, paid, void, clawback).",
    "complaints": "客户投诉: per category (every category listed): received, major, closed on time or late, average days "
                  "from receipt to close, complaints with a handling deadline in the period and those that missed one "
                  "(each complaint once, however often reopened; `overdue_rate` = missed / due, never above 1), "
                  "investigation reports due and late alike, responses, reopened, improvement actions done.",
    "revisits": "回访执行: per account manager: revisits due in the period (by due date), done on time or late, tasks "
                "that went overdue, revisits logged, average satisfaction, `revisit_rate` = on time / due.",
    "customers": "顾客档案: per tier (核心/重点/一般): archives as they stand now by category, frozen, latest evaluation "
                 "grade; in the period: opened, moved in and out of the tier, evaluations by grade and recommendation.",
}
COMMON = (" `branch_id` is one branch, several comma-separated, or `*` (every branch the caller sees): the group "
          "roll-up sums them, each on its own local dates (`branches` names them). Dates are branch-local, `from`..`to` "
          "inclusive, at most 366 days. Money is a decimal string (`\"2980000.00\"`); sheets have Chinese headers and "
          "show names and words, never ids. Roles: admin, manager, integrator")

def _respond(name: str, report: dict[str, Any], q: ScopeQuery) -> Response:
    if q.format == "json":
        return JSONResponse(report)
    columns, cells = table(present_book(name, report, q.lang))
    if not columns:
        columns = list(HEADERS.get(name, ()))
    title = word(TITLES, q.lang, name)
    if q.format == "csv":
        body, media = to_csv(columns, cells, q.lang), CSV_MEDIA
    else:
        body, media = to_xlsx(title, columns, cells, q.lang), XLSX_MEDIA
    disposition = f"attachment; filename=\"{name}.{q.format}\"; filename*=UTF-8''{quote(f'{title}.{q.format}')}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


async def _build(c: ServiceContext, who: Any, name: str, q: ScopeQuery) -> dict[str, Any]:
    g = await generations.current(c.db)
    branches = await resolve(g, who, q, ROLES[name])
    return await build_book(g, name, q, branches, await lookup(g, branches))


def add_book(router: APIRouter, name: str) -> None:
    query = sales_query if name == "sales" else scope_query
    ctx_dep = Depends(context_of("reports"))

    async def report(who: CurrentPrincipal, c: ServiceContext = ctx_dep, q: ScopeQuery = Depends(query)) -> Response:
        return _respond(name, await _build(c, who, name, q), q)

    async def chart(ext: str, c: ServiceContext, who: Any, q: ScopeQuery) -> Response:
        body = await run_in_threadpool(render, *chart_book(name, await _build(c, who, name, q)), ext)
        return Response(body, media_type=MEDIA[ext])

    async def png(who: CurrentPrincipal, c: ServiceContext = ctx_dep, q: ScopeQuery = Depends(query)) -> Response:
        return await chart("png", c, who, q)

    async def svg(who: CurrentPrincipal, c: ServiceContext = ctx_dep, q: ScopeQuery = Depends(query)) -> Response:
        return await chart("svg", c, who, q)

    roles = ", ".join(ROLES[name][len(READERS):])
    description = DESCRIPTIONS[name] + COMMON + (f", {roles}" if roles else "") + "; another branch's id is 404."
    path = f"/v1/reports/{name}"
    router.add_api_route(path, report, methods=["GET"], summary=f"Report {name}", responses=FILES,
                         response_class=Response, description=description)
    router.add_api_route(f"{path}/chart.png", png, methods=["GET"], summary=f"Chart of {name} (PNG)",
                         responses=CHARTS, response_class=Response, description="Chinese labels (Noto Sans CJK).")
    router.add_api_route(f"{path}/chart.svg", svg, methods=["GET"], summary=f"Chart of {name} (SVG)",
                         responses=CHARTS, response_class=Response, description="Glyphs drawn as paths.")


def add_books(router: APIRouter) -> None:
    for name in BOOKS:
        add_book(router, name)
