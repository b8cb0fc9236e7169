"""The customer sheet import in a real browser: upload, progress, the row report in Chinese with names, downloads."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl

from tests.console.conftest import shot, untranslated


def _sheet(office) -> bytes:
    existing = office.call("POST", "/v1/leads", office.as_("consultant", "consultant2"), json={
        "branch_id": office.branch, "customer": {"name": "老客户", "phone": "13700000001"}, "source": {"channel": "phone"}})
    assert existing["id"]
    return ("客户来访登记表,,,,,\n"
            "客户姓名,手机号码,意向等级,置业顾问,来源渠道,登记日期\n"
            "宋先生,13700000002,A级,顾问张三,来电,2024/3/5\n"
            "韩女士,13700000003,B,顾问李四,自然到访,2024年3月6日\n"
            "老客户,13700000001,C,顾问张三,老带新,2024-03-07\n"
            "冯先生,12345,O,顾问张三,网络,2024-03-08\n"
            "唐女士,13700000004,D级,不在职的人,抖音,2024-03-09\n").encode("gbk")


def test_the_front_desk_imports_a_gbk_sheet_and_reads_the_rows_in_chinese(page_for, office, tmp_path):
    content = _sheet(office)
    page = page_for("reception")
    page.click("[data-nav=imports]")
    assert "/console/imports" in page.url and "客户姓名" in page.locator("#import-help").inner_text()
    page.set_input_files("#import-file", files=[{"name": "来访登记.csv", "mimeType": "text/csv", "buffer": content}])
    page.click("#import-submit")
    page.wait_for_load_state("networkidle")
    assert "/console/imports/" in page.url
    assert page.locator("#import-state").inner_text() == "已完成"
    kpis = {k: page.locator(f"[data-kpi={k}]").inner_text() for k in ("created", "duplicates", "invalid", "warnings")}
    assert kpis == {"created": "3", "duplicates": "1", "invalid": "1", "warnings": "1"}
    rows = {r.get_attribute("data-row"): r.inner_text() for r in page.locator(".import-row").all()}
    assert set(rows) == {"5", "6", "7"}, "rows to look at: the duplicate, the bad phone, the one with notes"
    assert "重复" in rows["5"] and "与已有客户「老客户」重复（置业顾问：顾问李四）" in rows["5"]
    assert "无效" in rows["6"] and "手机号码「12345」无效" in rows["6"]
    assert "置业顾问「不在职的人」不是本案场的同事，客户已放入公海" in rows["7"] and "公海" in rows["7"]
    assert "意向等级「D级」无法识别" in rows["7"]
    for text in rows.values():
        assert office.staff["consultant1"] not in text and office.staff["consultant2"] not in text, "names, never ids"
    assert untranslated(page) == []
    shot(page, "80-import-rows")

    page.click("#show-all")
    page.wait_for_load_state("networkidle")
    first = page.locator(".import-row[data-row='3']").inner_text()
    assert "已导入" in first and "顾问张三" in first and "来电" in first and "2024-03-05" in first

    with page.expect_download() as info:
        page.click("#download-xlsx")
    path = tmp_path / "rows.xlsx"
    info.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[1]] == ["行号", "结果", "客户姓名", "手机号码", "置业顾问", "来源渠道", "登记日期", "说明"]
    assert [sheet.cell(row=2, column=i).value for i in (1, 2, 5)] == [3, "已导入", "顾问张三"]

    lead = office.call("GET", "/v1/leads", office.as_("manager"), params={"branch_id": office.branch, "q": "宋先生"})["items"][0]
    assert lead["registered_at"].startswith("2024-03-04T16:00:00") and lead["source"]["channel"] == "phone"


def test_a_big_sheet_shows_its_progress_and_the_managers_list_names_the_uploader(page_for, office):
    book = openpyxl.Workbook()
    book.active.append(["姓名", "手机", "顾问", "渠道", "来访日期"])
    for i in range(260):
        book.active.append([f"客户{i}", f"136{i:08d}", "顾问李四", "活动", datetime(2024, 4, 1 + i % 28)])
    buf = io.BytesIO()
    book.save(buf)
    page = page_for("manager")
    page.goto(f"{office.base_url}/console/imports")
    page.set_input_files("#import-file", files=[{"name": "活动客户.xlsx", "mimeType": "application/octet-stream",
                                                  "buffer": buf.getvalue()}])
    page.click("#import-submit")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("document.getElementById('import-state') && "
                           "document.getElementById('import-state').innerText === '已完成'", timeout=60_000)
    assert page.locator("#import-count").inner_text() == "已处理 260 / 260 行"
    assert page.locator("[data-kpi=created]").inner_text() == "260"
    assert page.locator("#import-no-rows").inner_text() == "没有需要处理的行。"
    shot(page, "81-import-done")
    page.goto(f"{office.base_url}/console/imports")
    row = page.locator("#import-table tbody tr").first.inner_text()
    assert "活动客户.xlsx" in row and "王经理" in row and "已完成" in row and "260" in row


def test_a_sheet_without_the_needed_columns_is_explained_and_a_consultant_cannot_import(page_for, office):
    page = page_for("reception")
    page.goto(f"{office.base_url}/console/imports")
    page.set_input_files("#import-file", files=[{"name": "x.csv", "mimeType": "text/csv",
                                                  "buffer": "名称,号码\n王,138\n".encode("gbk")}])
    page.click("#import-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator("#import-error").inner_text() == "表格缺少必填列：客户姓名、手机号码。找到的表头：名称、号码。"
    consultant = page_for("consultant1")
    assert consultant.locator("[data-nav=imports]").count() == 0
    consultant.goto(f"{office.base_url}/console/imports")
    assert "您的角色不能使用此页面" in consultant.inner_text("body")
