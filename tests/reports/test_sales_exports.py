"""The deals and customers reports as sheets people open and charts: Chinese headers, names and words
(never ids or codes), money as numbers with two places, an empty list keeps its headers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from crm_reports.charts.books import chart_book
from crm_reports.exports.present_books import present_book
from crm_reports.queries.books import BOOKS
from tests.reports.builders import BRANCH
from tests.reports.conftest import publish_all
from tests.reports.deal_builders import deal_days
from tests.reports.test_customers_report import care_days
from tests.shared.test_text_zh import foreign
from tests.support.runtime import bearer

PERIOD = {"branch_id": BRANCH, "from": "2026-03-10", "to": "2026-03-20"}


@pytest.fixture
async def office(reports):
    settings, ctx, client = reports
    await publish_all(settings, ctx, deal_days() + care_days()[3:])
    return client, bearer(settings, "manager", [BRANCH], sub="m1")


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


async def test_every_sheet_reads_as_chinese_with_names(office):
    client, auth = office
    problems, text = {}, []
    for name in BOOKS:
        groups = [{}] + ([{"group_by": g} for g in ("channel", "partner", "referrer", "product_type")] if name == "sales" else [])
        for extra in groups:
            for fmt in ("csv", "xlsx"):
                r = await client.get(f"/v1/reports/{name}", params={**PERIOD, **extra, "format": fmt}, headers=auth)
                assert r.status_code == 200, (name, fmt, r.text)
                assert "filename*=UTF-8''" in r.headers["content-disposition"]
                if fmt == "csv":
                    cells = [c for row in _csv(r.content) for c in row]
                else:
                    book = load_workbook(io.BytesIO(r.content))
                    cells = [ws.title for ws in book.worksheets] + [
                        str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
                text += cells
                for cell in cells:
                    if bad := foreign(cell):
                        problems[f"{name} {extra} {fmt}: {cell}"] = bad
    assert not problems, problems
    joined = "\n".join(text)
    for expected in ("置业顾问", "张三", "李四", "链家湾区店", "李业主", "公寓", "洋房", "别墅", "车位", "退房", "换房", "贷款未获批准",
                     "湾区壹号 3栋 1201", "孙女士", "王经理", "老客户团购", "渠道佣金", "全民营销奖励", "质量", "销售承诺", "逾期率",
                     "客户经理", "回访及时率", "核心", "重点", "一般", "档案类别：业主", "最新评估：B级", "评估建议：改进", "合计",
                     "销售业绩统计", "换房退房一览表", "特殊优惠客户一览表"):
        assert expected in joined, expected


async def test_money_is_a_number_with_two_places_and_rates_are_percentages_in_xlsx(office):
    client, auth = office
    r = await client.get("/v1/reports/discounts", params={**PERIOD, "format": "xlsx"}, headers=auth)
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[1]]
    assert header == ["日期", "客户", "置业顾问", "房号", "产品类型", "标准价", "成交价", "优惠金额", "优惠比例", "审批人", "审批说明"]
    row = {h: ws.cell(row=2, column=i + 1) for i, h in enumerate(header)}
    assert row["优惠金额"].value == 300000 and row["优惠金额"].number_format == "#,##0.00"
    assert row["优惠比例"].value == 0.06 and row["优惠比例"].number_format == "0.0%"
    assert row["日期"].number_format == "yyyy-mm-dd" and row["审批人"].value == "王经理"
    sales = _csv((await client.get("/v1/reports/sales", params={**PERIOD, "format": "csv"}, headers=auth)).content)
    assert sales[0][:3] == ["置业顾问", "成交套数", "成交金额"]
    assert {r[0]: r[2] for r in sales[1:]} == {"张三": "1950000.00", "李四": "2900000.00", "合计": "4850000.00"}


async def test_an_empty_period_keeps_the_headers_and_every_chart_renders(office):
    client, auth = office
    empty = {**PERIOD, "from": "2026-01-01", "to": "2026-01-31"}
    changes = _csv((await client.get("/v1/reports/deal-changes", params={**empty, "format": "csv"}, headers=auth)).content)
    assert changes == [["日期", "变更类型", "客户", "置业顾问", "房号", "新房号", "变更前阶段", "变更原因", "成交价", "原成交价",
                        "退款金额", "已付房款"]]
    complaints = _csv((await client.get("/v1/reports/complaints", params={**empty, "format": "csv"}, headers=auth)).content)
    assert [r[0] for r in complaints[1:]] == ["质量", "服务", "交付", "销售承诺", "其他", "合计"]
    for name in BOOKS:
        png = await client.get(f"/v1/reports/{name}/chart.png", params=PERIOD, headers=auth)
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n") and len(png.content) > 5000, name
        svg = await client.get(f"/v1/reports/{name}/chart.svg", params=PERIOD, headers=auth)
        assert svg.status_code == 200 and b"<svg" in svg.content and b"<path" in svg.content, name


@pytest.mark.unit
def test_charts_name_people_and_words_and_sheets_turn_money_into_numbers():
    sales = {"group_by": "consultant", "items": [
        {"group": "c1", "name": "张三", "units": 2, "amount": "100.50", "signed": 2, "signed_amount": "100.50", "cancelled": 0,
         "cancelled_amount": "0.00", "refund": "0.00", "moved": 0, "moved_amount": "0.00", "collected_amount": "0.00"},
        {"group": "x9", "name": None, "units": 1, "amount": "-5.00", "signed": 1, "signed_amount": "0.00", "cancelled": 0,
         "cancelled_amount": "0.00", "refund": "0.00", "moved": 0, "moved_amount": "-5.00", "collected_amount": "0.00"}],
        "total": {"units": 3, "amount": "95.50"}}
    title, categories, series, kind = chart_book("sales", sales)
    assert (title, categories, series, kind) == ("销售业绩统计（按顾问）", ["张三", "未知人员"], {"成交套数": [2.0, 1.0]}, "bar")
    rows = present_book("sales", sales)
    assert rows[1]["amount"] == Decimal("-5.00") and rows[-1]["dim_consultant"] == "合计"
    changes = {"by_reason": [{"change_kind": "cancel", "reason_name": "贷款未获批准", "count": 2}]}
    assert chart_book("deal-changes", changes)[1:3] == (["退房：贷款未获批准"], {"数量": [2.0]})
