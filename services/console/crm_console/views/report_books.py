"""The deals and customers reports on the manager board (成交统计, 换房/退房一览表, 特殊优惠客户一览表, 佣金与奖励,
投诉统计, 回访执行, 顾客档案等级) and finance's report screen (成交统计, 佣金与奖励: the API lets finance read those
two). Each report's JSON (`GET /v1/reports/{name}`) becomes tables with named columns — people, partners,
referrers and units by name, codes as words, money in yuan, rates in % — never the ids the JSON carries
beside the names. The funnel's deal stages (认购/签约/回款) are added here too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.deals_common import yuan
from crm_console.views.manager_common import failure
from crm_console.web import PREFIX, ConsoleRoute, Screen

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
BOOKS = ("sales", "deal-changes", "discounts", "payouts", "complaints", "revisits", "customers")
FINANCE_BOOKS = ("sales", "payouts")  # GET /v1/reports/{sales,payouts}: finance too
FINANCE_ROLES = ("finance",)
SALES_GROUPS = ("consultant", "channel", "partner", "referrer", "product_type")
PAYOUT_STATUSES = ("pending", "due", "approved", "paid", "void", "clawback")
GRADES = ("A", "B", "C", "D")
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
CHARTS = {"svg": "image/svg+xml", "png": "image/png"}

_WORDS = {
    "report.sales": ("成交统计", "Sales"), "report.deal-changes": ("换房/退房一览表", "Unit changes and cancellations"),
    "report.discounts": ("特殊优惠客户一览表", "Special discounts"), "report.payouts": ("佣金与奖励", "Commissions and rewards"),
    "report.complaints": ("投诉统计", "Complaints"), "report.revisits": ("回访执行", "Revisits"),
    "report.customers": ("顾客档案等级", "Customer tiers"),
    "group.consultant": ("按置业顾问", "By consultant"), "group.channel": ("按渠道", "By channel"),
    "group.partner": ("按合作方", "By partner"), "group.referrer": ("按推荐人", "By referrer"),
    "group.product_type": ("按产品类型", "By product type"),
    "head.consultant": ("置业顾问", "Consultant"), "head.channel": ("渠道", "Channel"), "head.partner": ("合作方", "Partner"),
    "head.referrer": ("推荐人", "Referrer"), "head.product_type": ("产品类型", "Product type"),
    "col.units": ("成交套数", "Units"), "col.amount": ("成交金额", "Amount"), "col.signed": ("签约套数", "Signed"),
    "col.signed_amount": ("签约金额", "Signed amount"), "col.cancelled": ("退房套数", "Cancelled"),
    "col.cancelled_amount": ("退房金额", "Cancelled amount"), "col.refund": ("退款", "Refund"),
    "col.moved": ("换房调整套数", "Moved"), "col.moved_amount": ("换房调整金额", "Moved amount"),
    "col.collected_amount": ("回款金额", "Collected"),
    "col.date": ("日期", "Date"), "col.change_kind": ("类型", "Kind"), "col.customer": ("客户", "Customer"),
    "col.unit": ("房源", "Unit"), "col.old_unit": ("原房源", "Old unit"), "col.new_unit": ("新房源", "New unit"),
    "col.stage": ("变更前阶段", "Stage before"), "col.reason": ("原因", "Reason"), "col.agreed_price": ("成交价", "Agreed price"),
    "col.previous_price": ("原成交价", "Previous price"), "col.paid_total": ("已回款", "Paid"), "col.count": ("数量", "Count"),
    "col.list_price": ("表价", "List price"), "col.discount": ("优惠金额", "Discount"), "col.discount_rate": ("优惠比例", "Discount rate"),
    "col.approved_by": ("审批人", "Approved by"), "col.note": ("说明", "Note"), "col.product_type": ("产品类型", "Product type"),
    "col.beneficiary": ("收款方", "Beneficiary"), "col.kind": ("类别", "Kind"), "col.beneficiary_type": ("对象", "Type"),
    "col.category": ("投诉类别", "Category"), "col.received": ("受理", "Received"), "col.major": ("重大投诉", "Major"),
    "col.closed": ("结案", "Closed"), "col.closed_on_time": ("按时结案", "Closed on time"), "col.closed_late": ("逾期结案", "Closed late"),
    "col.avg_days_to_close": ("平均结案天数", "Avg days to close"), "col.handling_due": ("处理到期", "Handling due"),
    "col.handling_missed": ("处理逾期", "Handling missed"), "col.overdue_rate": ("逾期率", "Overdue rate"),
    "col.report_due": ("调查报告到期", "Reports due"), "col.report_missed": ("调查报告逾期", "Reports late"),
    "col.satisfied": ("满意", "Satisfied"), "col.unsatisfied": ("不满意", "Unsatisfied"), "col.reopened": ("重开", "Reopened"),
    "col.actions_done": ("整改完成", "Actions done"),
    "col.account_manager": ("客户经理", "Account manager"), "col.due": ("应回访", "Due"), "col.done_on_time": ("按时回访", "On time"),
    "col.done_late": ("逾期回访", "Late"), "col.overdue_tasks": ("逾期任务", "Overdue tasks"), "col.missed": ("逾期提醒", "Missed"),
    "col.done": ("已回访", "Logged"), "col.satisfaction_avg": ("平均满意度", "Avg satisfaction"),
    "col.revisit_rate": ("回访及时率", "On-time rate"),
    "col.tier": ("客户等级", "Tier"), "col.archives": ("档案数", "Archives"), "col.frozen": ("冻结", "Frozen"),
    "col.opened": ("新建档", "Opened"), "col.moved_in": ("升入", "Moved in"), "col.moved_out": ("转出", "Moved out"),
    "col.evaluations": ("评估次数", "Evaluations"), "col.latest_grade": ("最新评估{g}级", "Latest {g}"),
    "col.evaluation_grade": ("本期评估{g}级", "Graded {g}"),
    "kind.cancel": ("退房", "Cancellation"), "kind.unit_change": ("换房", "Unit change"),
    "stage.subscribed": ("认购", "Subscribed"), "stage.signed": ("签约", "Signed"), "stage.paid": ("已付清", "Paid"),
    "stage.paying": ("回款", "Paying"), "stage.unknown": ("—", "—"),
    "total": ("合计", "Total"), "by_reason": ("按原因汇总", "By reason"), "unnamed": ("未登记", "Not registered"),
    "pay_cell": ("{n} 笔 · {amount}", "{n} · {amount}"),
    "finance_title": ("报表", "Reports"), "nav": ("报表", "Reports"),
    "funnel.stages": ("成交漏斗（客户 → 到访 → 认购 → 签约 → 回款）", "Funnel (lead → visit → subscribed → signed → paid)"),
    "funnel.stage.leads": ("客户", "Leads"), "funnel.stage.visited": ("到访", "Visited"),
    "funnel.stage.subscribed": ("认购", "Subscribed"), "funnel.stage.signed": ("签约", "Signed"),
    "funnel.stage.paid": ("回款", "Paid"), "funnel.step_rate": ("较上一步", "Of the step before"),
    "funnel.rate": ("占客户", "Of leads"),
}
i18n.register({f"book.{k}": {"zh-CN": zh, "en": en} for k, (zh, en) in _WORDS.items()})
i18n.register({
    "mgr.report.sales": {"zh-CN": "成交统计", "en": "Sales"},
    "mgr.report.deal-changes": {"zh-CN": "换房/退房一览表", "en": "Unit changes and cancellations"},
    "mgr.report.discounts": {"zh-CN": "特殊优惠客户一览表", "en": "Special discounts"},
    "mgr.report.payouts": {"zh-CN": "佣金与奖励", "en": "Commissions and rewards"},
    "mgr.report.complaints": {"zh-CN": "投诉统计", "en": "Complaints"},
    "mgr.report.revisits": {"zh-CN": "回访执行", "en": "Revisits"},
    "mgr.report.customers": {"zh-CN": "顾客档案等级", "en": "Customer tiers"},
    "mgr.col.subscribed": {"zh-CN": "认购", "en": "Subscribed"},
    "mgr.col.signed": {"zh-CN": "签约", "en": "Signed"},
    "mgr.col.paid": {"zh-CN": "回款", "en": "Paid"},
    "mgr.col.subscribe_rate": {"zh-CN": "到访认购率", "en": "Subscribe rate"},
    "mgr.col.sign_rate": {"zh-CN": "签约率", "en": "Sign rate"},
})

Cell = tuple[str, bool]  # the text, and whether it is a number (right-aligned)


def _money(value: Any) -> Cell:
    return (yuan(value) if value not in (None, "") else "", True)


def _count(value: Any) -> Cell:
    if value is None:
        return ("", True)
    return (f"{value:,}" if isinstance(value, int) else f"{value:,.2f}" if isinstance(value, float) else str(value), True)


def _rate(value: Any) -> Cell:
    return (f"{value * 100:.1f}%" if isinstance(value, int | float) else "—", True)


def _one(value: Any) -> Cell:
    return (f"{value:.1f}" if isinstance(value, int | float) else "—", True)


def _text(value: Any) -> Cell:
    return ("" if value is None else str(value), False)


def _word(s: Screen, key: str, fallback: str = "") -> str:
    text = s.t(key)
    return fallback if text == key else text


class Table:
    def __init__(self, heads: list[str], rows: list[list[Cell]], total: list[Cell] | None = None, title: str = "") -> None:
        self.heads, self.rows, self.total, self.title = heads, rows, total, title


def _sales(s: Screen, r: dict) -> list[Table]:
    group_by = r.get("group_by") or "consultant"
    money = ("amount", "signed_amount", "cancelled_amount", "refund", "moved_amount", "collected_amount")
    cols = ("units", "amount", "signed", "signed_amount", "cancelled", "cancelled_amount", "refund", "moved", "moved_amount",
            "collected_amount")

    def line(item: dict) -> list[Cell]:
        return [(_money if c in money else _count)(item.get(c)) for c in cols]

    heads = [s.t(f"book.head.{group_by}")] + [s.t(f"book.col.{c}") for c in cols]
    rows = []
    for i in r.get("items", []):
        own = {"channel": "src", "product_type": "unit.type"}.get(group_by)  # the console's own words for codes
        name = (_word(s, f"{own}.{i.get('group')}") if own else "") or i.get("name") or s.t("book.unnamed")
        rows.append([_text(name)] + line(i))
    total = [_text(s.t("book.total"))] + line(r.get("total") or {})
    return [Table(heads, rows, total)]


def _deal_changes(s: Screen, r: dict) -> list[Table]:
    heads = [s.t(f"book.col.{c}") for c in ("date", "change_kind", "customer", "consultant", "old_unit", "new_unit", "stage",
                                              "reason", "agreed_price", "previous_price", "refund", "paid_total")]
    heads[3] = s.t("book.head.consultant")
    rows = [[_text(i.get("date")), _text(s.t(f"book.kind.{i.get('change_kind')}")), _text(i.get("customer")),
             _text(i.get("consultant")), _text(i.get("unit")), _text(i.get("new_unit")),
             _text(_word(s, f"book.stage.{i.get('stage')}", "—")), _text(i.get("reason_name")),
             _money(i.get("agreed_price")), _money(i.get("previous_price")), _money(i.get("refund")), _money(i.get("paid_total"))]
            for i in r.get("items", [])]
    t = r.get("total") or {}
    total = [_text(s.t("book.total")), _text(f"{s.t('book.kind.cancel')} {t.get('cancellations', 0)} · "
                                             f"{s.t('book.kind.unit_change')} {t.get('unit_changes', 0)}")] \
        + [_text("")] * 8 + [_money(t.get("refund")), _text("")]
    reasons = Table([s.t("book.col.change_kind"), s.t("book.col.reason"), s.t("book.col.count"), s.t("book.col.refund")],
                    [[_text(s.t(f"book.kind.{g.get('change_kind')}")), _text(g.get("reason_name")), _count(g.get("count")),
                      _money(g.get("refund"))] for g in r.get("by_reason", [])], title=s.t("book.by_reason"))
    return [Table(heads, rows, total if rows else None), reasons]


def _discounts(s: Screen, r: dict) -> list[Table]:
    heads = [s.t(f"book.col.{c}") for c in ("date", "customer", "consultant", "unit", "product_type", "list_price",
                                              "agreed_price", "discount", "discount_rate", "approved_by", "note")]
    heads[2] = s.t("book.head.consultant")
    rows = [[_text(i.get("date")), _text(i.get("customer")), _text(i.get("consultant")), _text(i.get("unit")),
             _text(_word(s, f"unit.type.{i.get('product_type')}")), _money(i.get("list_price")), _money(i.get("agreed_price")),
             _money(i.get("discount")), _rate(i.get("discount_rate")), _text(i.get("approved_by")), _text(i.get("note"))]
            for i in r.get("items", [])]
    t = r.get("total") or {}
    total = [_text(s.t("book.total")), _count(t.get("count", 0))] + [_text("")] * 5 + [_money(t.get("discount"))] + [_text("")] * 3
    return [Table(heads, rows, total if rows else None)]


def _payouts(s: Screen, r: dict) -> list[Table]:
    heads = [s.t("book.col.beneficiary"), s.t("book.col.beneficiary_type"), s.t("book.col.kind")] + \
        [s.t(f"payout.status.{st}") for st in PAYOUT_STATUSES]

    def cells(item: dict) -> list[Cell]:
        return [(s.t("book.pay_cell").format(n=item.get(f"n_{st}", 0), amount=yuan(item.get(f"{st}_amount")) or "¥0.00")
                 if item.get(f"n_{st}") else "", True) for st in PAYOUT_STATUSES]

    rows = []
    for i in r.get("items", []):
        btype = (i.get("beneficiary") or {}).get("type") or ""
        rows.append([_text(i.get("name") or s.t("book.unnamed")), _text(_word(s, f"payout.beneficiary.{btype}")),
                     _text(_word(s, f"payout.kind.{i.get('kind')}"))] + cells(i))
    total = [_text(s.t("book.total")), _text(""), _text("")] + cells(r.get("total") or {})
    return [Table(heads, rows, total if rows else None)]


def _complaints(s: Screen, r: dict) -> list[Table]:
    cols = ("received", "major", "closed", "closed_on_time", "closed_late", "avg_days_to_close", "handling_due",
            "handling_missed", "overdue_rate", "report_due", "report_missed", "satisfied", "unsatisfied", "reopened",
            "actions_done")

    def line(item: dict) -> list[Cell]:
        return [_rate(item.get(c)) if c == "overdue_rate" else _one(item.get(c)) if c == "avg_days_to_close"
                else _count(item.get(c, 0)) for c in cols]

    heads = [s.t("book.col.category")] + [s.t(f"book.col.{c}") for c in cols]
    rows = [[_text(_word(s, f"cmp.category.{i.get('category')}", s.t("cmp.category.other")))] + line(i)
            for i in r.get("items", [])]
    return [Table(heads, rows, [_text(s.t("book.total"))] + line(r.get("total") or {}))]


def _revisits(s: Screen, r: dict) -> list[Table]:
    cols = ("due", "done_on_time", "done_late", "overdue_tasks", "missed", "done", "satisfaction_avg", "revisit_rate")

    def line(item: dict) -> list[Cell]:
        return [_rate(item.get(c)) if c == "revisit_rate" else _one(item.get(c)) if c == "satisfaction_avg"
                else _count(item.get(c)) for c in cols]

    heads = [s.t("book.col.account_manager")] + [s.t(f"book.col.{c}") for c in cols]
    rows = [[_text(i.get("name") or s.t("book.unnamed"))] + line(i) for i in r.get("items", [])]
    total = [_text(s.t("book.total"))] + line(r.get("total") or {})
    return [Table(heads, rows, total if rows else None)]


def _customers(s: Screen, r: dict) -> list[Table]:
    flat = ("archives", "frozen", "opened", "moved_in", "moved_out", "evaluations")
    heads = [s.t("book.col.tier")] + [s.t(f"book.col.{c}") for c in flat] \
        + [s.t(f"cust.category.{c}") for c in ("owner", "prospect", "member")] \
        + [s.t("book.col.latest_grade").format(g=g) for g in GRADES] \
        + [s.t("book.col.evaluation_grade").format(g=g) for g in GRADES] \
        + [s.t(f"ev.rec.{c}") for c in ("improve", "maintain", "end")]
    rows = []
    for i in r.get("items", []):
        rows.append([_text(_word(s, f"cust.tier.{i.get('tier')}", s.t("book.unnamed")))]
                    + [_count(i.get(c, 0)) for c in flat]
                    + [_count((i.get("category") or {}).get(c, 0)) for c in ("owner", "prospect", "member")]
                    + [_count((i.get("latest_grade") or {}).get(g, 0)) for g in GRADES]
                    + [_count((i.get("evaluation_grade") or {}).get(g, 0)) for g in GRADES]
                    + [_count((i.get("recommendation") or {}).get(c, 0)) for c in ("improve", "maintain", "end")])
    t = r.get("total") or {}
    total = [_text(s.t("book.total"))] + [_count(t.get(c)) if c in t else _text("") for c in flat] + [_text("")] * 14
    return [Table(heads, rows, total)]


TABLES = {"sales": _sales, "deal-changes": _deal_changes, "discounts": _discounts, "payouts": _payouts,
          "complaints": _complaints, "revisits": _revisits, "customers": _customers}


def book_tables(s: Screen, name: str, result: dict) -> list[Table]:
    return TABLES[name](s, result)


def sales_group(raw: str) -> str:
    return raw if raw in SALES_GROUPS else "consultant"


async def book_context(s: Screen, name: str, start, stop, group_by: str) -> dict[str, Any]:
    """What the report template needs for a deals or customers report: tables, the query for charts and files."""
    params = {"from": start.isoformat(), "to": stop.isoformat()} | ({"group_by": group_by} if name == "sales" else {})
    try:
        result = await s.api.get(f"/v1/reports/{name}", branch_id=s.user.branch_id, **params)
        report_error = None
    except ApiError as exc:
        result, report_error = {"items": []}, failure(s, exc)
    tables = book_tables(s, name, result) if not report_error else []
    return dict(tables=tables, result=result, report_error=report_error, query=urlencode(params), heads=[], rows=[],
                group_choices=[(g, s.t(f"book.group.{g}")) for g in SALES_GROUPS] if name == "sales" else [])


def funnel_stages(s: Screen, result: dict) -> list[dict]:
    """The funnel's `stages` (客户 → 到访 → 认购 → 签约 → 回款) with their words and rates."""
    return [{"stage": st.get("stage"), "word": _word(s, f"book.funnel.stage.{st.get('stage')}", ""),
             "count": _count(st.get("count", 0))[0], "step_rate": _rate(st.get("step_rate"))[0] if st.get("step_rate") is not None else "",
             "rate": _rate(st.get("rate"))[0]} for st in result.get("stages") or []]


def with_deal_stages(result: dict) -> list[dict]:
    """The funnel's items with each group's deal stages (`deal_stages[group]`: 认购/签约/回款 and rates) beside them."""
    stages = result.get("deal_stages") or {}
    keep = ("subscribed", "signed", "paid", "subscribe_rate", "sign_rate")
    return [i | {k: v for k, v in (stages.get(i.get("group")) or {}).items() if k in keep} for i in result.get("items", [])]


# --- finance's report screen (sales and payouts) -------------------------------------------------------------

async def _finance(request: Request) -> Screen:
    from crm_console.views.customers_common import branch_screen

    return await branch_screen(request, *FINANCE_ROLES)


@router.get("/finance/reports")
async def finance_reports(request: Request) -> Response:
    from crm_console.views.manager import date_range, today_in

    s = await _finance(request)
    qp = request.query_params
    name = qp.get("report", "sales")[:40]
    status_code = 200
    if name not in FINANCE_BOOKS:
        name, status_code = "sales", 404
    group_by = sales_group(qp.get("group_by", "")[:20])
    start, stop, range_error = date_range(s, qp.get("from", "")[:40], qp.get("to", "")[:40])
    context = await book_context(s, name, start, stop, group_by)
    return s.render("manager.html", status_code=status_code, reports=FINANCE_BOOKS, name=name, start=start, stop=stop,
                    range_error=range_error, group_by=group_by if name == "sales" else "", base=f"{PREFIX}/finance/reports",
                    last30=(today_in(s.tz) - timedelta(days=29)).isoformat(), today=today_in(s.tz).isoformat(),
                    tabs=None, keys=[], kpis=(), title=s.t("book.finance_title"), **context)


async def _file(s: Screen, name: str, ext: str, kind: str) -> Response:
    from crm_console.views.manager import date_range

    allowed = FINANCE_BOOKS if s.user.role in FINANCE_ROLES else BOOKS
    media = CHARTS if kind == "chart" else FORMATS
    if name not in allowed or ext not in media:
        return Response(s.t("mgr.err.report"), status_code=404, media_type="text/plain; charset=utf-8")
    qp = s.request.query_params
    start, stop, _ = date_range(s, qp.get("from", "")[:40], qp.get("to", "")[:40])
    params = {"branch_id": s.user.branch_id, "from": start.isoformat(), "to": stop.isoformat()}
    if name == "sales":
        params["group_by"] = sales_group(qp.get("group_by", "")[:20])
    if kind == "chart":
        try:
            r = await s.api.call("GET", f"/v1/reports/{name}/chart.{ext}", params=params, raw=True)
        except ApiError as exc:
            return Response(exc.message, status_code=exc.status if 400 <= exc.status < 500 else 502, media_type="text/plain")
        return Response(r.content, media_type=CHARTS[ext], headers={"Cache-Control": "private, max-age=60"})
    r = await s.api.call("GET", f"/v1/reports/{name}", params=params | {"format": ext, "lang": s.locale}, raw=True)
    filename = f"{s.user.branch_id}-{name}-{start.isoformat()}-{stop.isoformat()}.{ext}"
    return Response(r.content, media_type=r.headers.get("content-type", FORMATS[ext]),
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


async def book_file(s: Screen, name: str, ext: str, kind: str) -> Response:
    """A book's chart (`kind` chart) or CSV/XLSX sheet (`kind` export) for the board's <img> and download links."""
    return await _file(s, name, ext, kind)


@router.get("/finance/reports/chart/{name}.{ext}")
async def finance_chart(request: Request, name: str, ext: str) -> Response:
    return await _file(await _finance(request), name, ext, "chart")


@router.get("/finance/reports/export/{name}.{fmt}")
async def finance_export(request: Request, name: str, fmt: str) -> Response:
    return await _file(await _finance(request), name, fmt, "export")
