"""Manager board in a real browser: reports with an XLSX download, disputes, reception approval, audit log.
Data is seeded through the public API; the board only shows what the API and the reports read models say."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl

from tests.console.conftest import shot

TZ = ZoneInfo("Asia/Shanghai")


def today() -> date:
    return datetime.now(TZ).date()


def register_lead(office, name: str, phone: str, channel: str = "walk_in") -> dict:
    return office.call("POST", "/v1/leads", office.as_("consultant"), json={
        "branch_id": office.branch, "customer": {"name": name, "phone": phone}, "source": {"channel": channel}})


def wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


def test_the_manager_downloads_the_daily_traffic_as_xlsx(page_for, office, tmp_path):
    register_lead(office, "周先生", "13800000001", "walk_in")
    register_lead(office, "吴女士", "13800000002", "phone")
    register_lead(office, "郑先生", "13800000003", "phone")
    day = today()
    params = {"branch_id": office.branch, "from": (day - timedelta(days=6)).isoformat(), "to": day.isoformat()}

    def projected():
        r = office.api.get("/v1/reports/daily-traffic", params=params, headers=office.as_("manager"))
        return r.status_code == 200 and r.json()["totals"]["new_leads"] == 3

    assert wait_for(projected), "the reports service did not count the three leads"

    page = page_for("manager")
    assert "/console/manager" in page.url
    assert page.locator("[data-kpi=new_leads]").inner_text() == "3"
    assert page.input_value("#range-from") == params["from"] and page.input_value("#range-to") == params["to"]
    table = page.locator("#report-table")
    assert "新增客户" in table.inner_text() and table.locator("tbody tr").count() == 7
    page.wait_for_function("document.getElementById('report-chart').complete && "
                           "document.getElementById('report-chart').naturalWidth > 0")
    shot(page, "50-manager-board")

    with page.expect_download() as info:
        page.click("#download-xlsx")
    download = info.value
    assert download.suggested_filename == f"{office.branch}-daily-traffic-{params['from']}-{params['to']}.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:2] == ["日期", "新增客户"]
    assert len(rows) == 1 + 7
    by_day = {(r[0].date() if isinstance(r[0], datetime) else r[0]): r for r in rows[1:]}
    assert by_day[day][header.index("新增客户")] == 3
    assert by_day[day][header.index("来电")] == 2
    assert sum(r[1] for r in rows[1:]) == 3

    # a broken range is explained, not a crash; other reports and the English labels work
    page.goto(f"{office.base_url}/console/manager?report=funnel&from=2026-13-40&to=x")
    assert "日期格式不正确" in page.locator("#range-error").inner_text()
    assert page.locator("#report-table").is_visible()
    page.click("a.lang")
    page.goto(f"{office.base_url}/console/manager?report=partners")
    assert page.locator("#report").get_attribute("data-report") == "partners"
    assert "Download Excel" in page.locator("#download-xlsx").inner_text()


def test_the_manager_decides_a_partner_dispute_and_approves_a_reception(page_for, office):
    partner = office.as_("partner", "agency-5")
    report = office.call("POST", "/v1/channel-reports", partner, json={
        "branch_id": office.branch, "customer_name": "孙先生", "phone": "13700001234"})
    office.call("POST", "/v1/attribution-disputes", partner,
                json={"report_id": report["id"], "claim": "客户上周由我方带看，有照片为证"})
    arrive = datetime.combine(today() + timedelta(days=4), datetime.min.time().replace(hour=10), TZ)
    reception_body = {"branch_id": office.branch, "class": "C", "guests": [{"name": "钱总", "title": "总经理"}],
                      "arrive_at": arrive.isoformat(), "leave_at": (arrive + timedelta(hours=2)).isoformat(),
                      "purpose": "看样板间并洽谈团购"}

    def requested():
        r = office.api.post("/v1/receptions", json=reception_body, headers=office.as_("consultant"))
        return r.json() if r.status_code == 201 else None

    reception = wait_for(requested)
    assert reception, "the reception service did not accept the request"

    page = page_for("manager")
    page.click("#tab-disputes")
    item = page.locator(f"[data-dispute-id='{page.locator('.dispute-item').first.get_attribute('data-dispute-id')}']")
    assert item.get_attribute("data-status") == "open"
    assert "孙先生" in item.inner_text() and "有照片为证" in item.inner_text()
    shot(page, "51-manager-disputes")
    item.locator("button[type=submit]").click()  # no reason yet: the browser's own required check stops it
    assert page.locator(".dispute-item").first.get_attribute("data-status") == "open"
    item.locator("select[name=winner]").select_option("agency-5")
    item.locator("input[name=reason]").fill("到访登记早于案场自然来访")
    item.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "争议已判定" in page.locator(".flash").inner_text()
    decided = page.locator(".dispute-item").first
    assert decided.get_attribute("data-status") == "decided"
    assert "agency-5" in decided.locator(".decision").inner_text()

    page.click("#tab-receptions")
    row = page.locator(f"[data-reception-id='{reception['id']}']")
    assert "钱总" in row.inner_text() and office.names["consultant1"] in row.inner_text()
    row.locator(".reject-form button").click()  # no reason: explained on that reception, nothing rejected
    page.wait_for_load_state("networkidle")
    assert "请填写原因" in row.locator(".error").inner_text()
    row.locator(".approve-form input[name=note]").fill("同意，餐标按C类")
    shot(page, "52-manager-receptions")
    row.locator(".approve-form button").click()
    page.wait_for_load_state("networkidle")
    assert "已批准" in page.locator(".flash").inner_text()
    assert page.locator(f"[data-reception-id='{reception['id']}']").count() == 0
    approved = office.call("GET", f"/v1/receptions/{reception['id']}", office.as_("manager"))
    assert approved["status"] == "approved" and approved["approvals"][0]["by"] == office.staff["manager"]


def test_a_stale_reception_approval_is_explained_on_its_form(page_for, office):
    arrive = datetime.combine(today() + timedelta(days=5), datetime.min.time().replace(hour=14), TZ)
    body = {"branch_id": office.branch, "class": "D", "guests": [{"name": "供应商"}], "arrive_at": arrive.isoformat(),
            "leave_at": (arrive + timedelta(hours=1)).isoformat(), "purpose": "物料验收"}
    reception = wait_for(lambda: (lambda r: r.json() if r.status_code == 201 else None)(
        office.api.post("/v1/receptions", json=body, headers=office.as_("consultant"))))
    assert reception
    page = page_for("manager")
    page.goto(f"{office.base_url}/console/manager/receptions")
    office.call("POST", f"/v1/receptions/{reception['id']}/reject", office.as_("manager"), json={"reason": "改期"})
    page.locator(f"[data-reception-id='{reception['id']}'] .approve-form button").click()
    page.wait_for_load_state("networkidle")
    error = page.locator("#receptions-error").inner_text()  # the reception left the list: the message stays
    assert "已被他人更新" in error or "不在待审批" in error
    assert page.locator(f"[data-reception-id='{reception['id']}']").count() == 0


def test_the_audit_log_shows_a_phone_reveal_made_through_the_api(page_for, office):
    lead = register_lead(office, "冯女士", "13600009999")
    office.call("GET", f"/v1/leads/{lead['id']}/phone", office.as_("manager"), params={"reason": "回访确认购房意向"})
    page = page_for("manager")
    page.click("#tab-audit")
    row = page.locator(f".audit-row[data-lead='{lead['id']}']")
    assert row.count() == 1
    text = row.inner_text()
    assert office.names["manager"] in text and "查看完整手机号" in text and "回访确认购房意向" in text
    assert "136****9999" in text and "13600009999" not in page.content()
    shot(page, "53-manager-audit")


def test_an_admin_of_all_branches_picks_a_branch_first(browser, office):
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.goto(f"{office.base_url}/console/signin?branch={office.branch}")
    page.check("input[name=who][value=admin]")
    page.click("#signin-submit")
    page.wait_for_load_state("networkidle")
    assert "/console/manager" in page.url
    ctx.clear_cookies(name="crm_console_branch")
    page.goto(f"{office.base_url}/console/manager")
    picker = page.locator("#branch-picker")
    assert picker.is_visible()
    picker.locator(f"form:has(input[value='{office.branch}']) button").click()
    page.wait_for_load_state("networkidle")
    assert "深圳湾售楼处" in page.locator(".mgr-head h1").inner_text()
    assert page.locator("#branch-select").input_value() == office.branch
    ctx.close()


def test_nothing_typed_into_the_board_breaks_it(page_for, office):
    page = page_for("manager")
    base = f"{office.base_url}/console/manager"
    for url in (f"{base}?report=<script>alert(1)</script>", f"{base}?from=9999-12-31&to=0001-01-01",
                f"{base}?from={'9' * 5000}", f"{base}?report=funnel&group_by=%00", f"{base}/export/funnel.exe",
                f"{base}/export/nope.csv", f"{base}/audit?cursor=%27%22%3C", f"{base}/chart/funnel.gif",
                f"{base}/chart/funnel.svg?from=x&group_by=%27"):
        response = page.request.get(url)
        assert response.status < 500, url
        assert "Traceback" not in response.text()
    page.goto(f"{base}/disputes")
    status = page.evaluate("""async () => (await fetch('/console/manager/disputes/..%2F..%2Fx/decision', {method: 'POST',
        headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'winner=' + 'x'.repeat(80) + '&reason=ok'})).status""")
    assert status < 500
    response = page.request.post(f"{base}/disputes/no-such-dispute/decision", form={"winner": "", "reason": "试试"})
    assert response.status == 404 and "error" in response.text()
