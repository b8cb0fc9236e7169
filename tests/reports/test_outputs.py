"""CSV/XLSX read back, PNG/SVG charts, boards, and what bad requests get."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.reports.builders import BRANCH, scripted_day
from tests.reports.conftest import publish_all
from tests.support.runtime import bearer

DAY = {"branch_id": BRANCH, "from": "2026-03-10", "to": "2026-03-11"}
REPORTS = ("daily-traffic", "funnel", "grades", "follow-up-compliance", "lost-reasons", "partners", "receptions")


@pytest.fixture
async def day(reports):
    settings, ctx, client = reports
    await publish_all(settings, ctx, scripted_day())
    return settings, ctx, client, bearer(settings, "manager", [BRANCH], sub="m1")


async def test_csv_has_bom_chinese_headers_and_the_json_numbers(day):
    _, _, client, auth = day
    r = await client.get("/v1/reports/daily-traffic", params={**DAY, "format": "csv"}, headers=auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:2] == ["日期", "新增客户"] and "新增客户按渠道：来电" in header and "新增客户按顾问：张三" in header
    first = dict(zip(header, rows[1], strict=True))
    assert (first["日期"], first["新增客户"], first["新增客户按渠道：来电"], first["到访"]) == ("2026-03-10", "4", "1", "3")
    lost = await client.get("/v1/reports/lost-reasons", params={**DAY, "format": "csv"}, headers=auth)
    assert "价格太高" in lost.content.decode("utf-8-sig")


async def test_xlsx_has_header_frozen_panes_and_number_formats(day):
    _, _, client, auth = day
    r = await client.get("/v1/reports/funnel", params={**DAY, "format": "xlsx"}, headers=auth)
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[1]]
    assert header[:5] == ["分组", "客户数", "到访数", "成交数", "流失数"] and ws["A1"].font.bold
    assert ws.freeze_panes == "B2"
    rate_col = header.index("转化率") + 1
    rows = {ws.cell(row=i, column=1).value: i for i in range(2, ws.max_row + 1)}
    phone = rows["来电"]
    assert ws.cell(row=phone, column=2).value == 2 and ws.cell(row=phone, column=2).number_format == "#,##0"
    assert ws.cell(row=phone, column=rate_col).value == 0.5 and ws.cell(row=phone, column=rate_col).number_format == "0.0%"
    traffic = load_workbook(io.BytesIO((await client.get(
        "/v1/reports/daily-traffic", params={**DAY, "format": "xlsx"}, headers=auth)).content)).active
    assert traffic["A2"].number_format == "yyyy-mm-dd" and traffic["A2"].value.date().isoformat() == "2026-03-10"


async def test_every_report_in_every_format_and_chart(day):
    _, _, client, auth = day
    for name in REPORTS:
        for fmt in ("json", "csv", "xlsx"):
            r = await client.get(f"/v1/reports/{name}", params={**DAY, "format": fmt}, headers=auth)
            assert r.status_code == 200, (name, fmt, r.text)
        png = await client.get(f"/v1/reports/{name}/chart.png", params=DAY, headers=auth)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and len(png.content) > 5000
        svg = await client.get(f"/v1/reports/{name}/chart.svg", params=DAY, headers=auth)
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        assert b"<svg" in svg.content and b"<path" in svg.content


async def test_weekly_and_monthly_boards(day):
    _, _, client, auth = day
    weekly = await client.get("/v1/reports/boards/weekly", params={"branch_id": BRANCH, "date": "2026-03-11"}, headers=auth)
    assert weekly.status_code == 200, weekly.text
    w = weekly.json()
    assert (w["from"], w["to"]) == ("2026-03-09", "2026-03-15")
    assert w["summary"]["new_leads"] == 5 and w["summary"]["deals"] == 2 and w["summary"]["lost"] == 2
    assert w["summary"]["funnel"]["leads"] == 5 and w["summary"]["overdue"] == 2
    assert w["summary"]["reception_spent"] == 600.0 and w["summary"]["partner_reports"] == 3
    assert w["previous"]["from"] == "2026-03-02" and w["change"]["new_leads"] == 5
    monthly = await client.get("/v1/reports/boards/monthly", params={"branch_id": BRANCH, "month": "2026-03"}, headers=auth)
    m = monthly.json()
    assert (m["from"], m["to"], m["summary"]["new_leads"], m["summary"]["deal_amount"]) == ("2026-03-01", "2026-03-31", 5, 3_500_000.0)
    assert m["previous"]["from"] == "2026-02-01"
    x = await client.get("/v1/reports/boards/monthly", params={"branch_id": BRANCH, "month": "2026-03", "format": "xlsx"}, headers=auth)
    ws = load_workbook(io.BytesIO(x.content)).active
    assert [c.value for c in ws[1]] == ["指标", "本期", "上期", "变化"] and ws["B2"].value == 5


@pytest.mark.parametrize("params", [
    {"from": "2026-03-11", "to": "2026-03-10"},
    {"from": "2025-01-01", "to": "2026-03-10"},
    {"from": "2026-13-01", "to": "2026-03-10"},
    {"to": None},
    {"format": "pdf"},
    {"group_by": "weather"},
    {"branch_id": "x" * 65},
    {"branch_id": "Bad Branch!"},
])
async def test_bad_query_parameters_get_422_problem(reports, params):
    settings, _, client = reports
    query = {k: v for k, v in {**DAY, **params}.items() if v is not None}
    r = await client.get("/v1/reports/funnel", params=query, headers=bearer(settings, "admin", ["*"]))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json") and r.json()["errors"]


async def test_scope_and_roles(reports):
    settings, _, client = reports
    foreign = await client.get("/v1/reports/daily-traffic", params=DAY, headers=bearer(settings, "manager", ["other"]))
    assert foreign.status_code == 404 and foreign.json()["type"].endswith("/not-found")
    chart = await client.get("/v1/reports/partners/chart.png", params=DAY, headers=bearer(settings, "manager", ["other"]))
    assert chart.status_code == 404
    board = await client.get("/v1/reports/boards/weekly", params={"branch_id": BRANCH}, headers=bearer(settings, "admin", ["other"]))
    assert board.status_code == 404
    consultant = await client.get("/v1/reports/daily-traffic", params=DAY, headers=bearer(settings, "consultant", [BRANCH]))
    assert consultant.status_code == 403
    assert (await client.get("/v1/reports/daily-traffic", params=DAY)).status_code == 401
    assert (await client.get("/v1/reports/nonsense", params=DAY, headers=bearer(settings, "admin", ["*"]))).status_code == 404
    assert (await client.post("/v1/reports/rebuild", headers=bearer(settings, "manager", [BRANCH]))).status_code == 403
    bad_month = await client.get("/v1/reports/boards/monthly", params={"branch_id": BRANCH, "month": "2026-13"},
                                 headers=bearer(settings, "admin", ["*"]))
    assert bad_month.status_code == 422
    for params in ({"date": "0001-01-01"}, {"date": "9999-12-31"}):
        r = await client.get("/v1/reports/boards/weekly", params={"branch_id": BRANCH, **params}, headers=bearer(settings, "admin", ["*"]))
        assert r.status_code == 422, r.text
    extreme = await client.get("/v1/reports/daily-traffic", params={"branch_id": BRANCH, "from": "9999-12-30", "to": "9999-12-31"},
                               headers=bearer(settings, "admin", ["*"]))
    assert extreme.status_code == 422, "dates within sane bounds everywhere (2000-2200)"


async def test_openapi_documents_the_routes(reports):
    _, _, client = reports
    paths = (await client.get("/openapi.json")).json()["paths"]
    for name in REPORTS:
        assert f"/v1/reports/{name}" in paths and f"/v1/reports/{name}/chart.svg" in paths
    assert "/v1/reports/rebuild" in paths and "/v1/reports/boards/weekly" in paths


async def test_a_branch_without_events_gets_empty_reports_in_every_format(reports):
    settings, _, client = reports
    auth = bearer(settings, "admin", ["*"])
    params = {"branch_id": "empty-branch", "from": "2026-03-01", "to": "2026-03-03"}
    for name in REPORTS:
        for fmt in ("json", "csv", "xlsx"):
            r = await client.get(f"/v1/reports/{name}", params={**params, "format": fmt}, headers=auth)
            assert r.status_code == 200, (name, fmt, r.text)
        for ext in ("png", "svg"):
            assert (await client.get(f"/v1/reports/{name}/chart.{ext}", params=params, headers=auth)).status_code == 200
    lost = (await client.get("/v1/reports/lost-reasons", params=params, headers=auth)).json()
    assert lost == {"items": [], "total": 0, "by_stage": {}}
    for kind in ("weekly", "monthly"):
        for fmt in ("json", "csv", "xlsx"):
            r = await client.get(f"/v1/reports/boards/{kind}", params={"branch_id": "empty-branch", "format": fmt}, headers=auth)
            assert r.status_code == 200, (kind, fmt, r.text)


async def test_asyncapi_leaves_out_the_internal_digest_event(reports):
    _, _, client = reports
    served = await client.get("/asyncapi.json")
    assert served.json()["channels"] == {}  # reports publishes only `report.digest_ready`, a mail job for notify
    assert "report.digest_ready" not in served.text
