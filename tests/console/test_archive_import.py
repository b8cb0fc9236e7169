"""The owners' import (老业主档案导入) on screen: a manager uploads the office's sheet of existing owners from the
archives list and reads the per-row report — Excel's row numbers, 已导入 (with the archive's number) / 重复 / 无效,
the reasons and the cells left empty, in Chinese, colleagues by name, never an id."""

from __future__ import annotations

import io
import re

import httpx
import openpyxl
import pytest

from tests.console.deals_office import browser, open_office, status_of, until
from tests.console.test_unit_import import IDS, _rows
from tests.shared.test_text_zh import foreign, visible_text


@pytest.fixture(scope="module")
def office(system):
    base, settings = system
    with httpx.Client(base_url=base, timeout=30) as api:
        o = open_office(base, settings, api)

        def opened():
            r = api.post("/v1/archives", headers=o.as_("manager"), json={
                "branch_id": o.branch, "customer": {"name": "老业主", "phone": "13900006001"}, "category": "owner",
                "account_manager_id": o.staff["consultant2"]})
            return r.json() if r.status_code == 201 else None

        o.existing = until(opened, "customers to know the staff")  # type: ignore[attr-defined]
        yield o


def _sheet() -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["湾区壹号老业主名单"])
    ws.append(["姓名", "电话", "房号", "等级", "客户经理", "同意营销短信"])
    ws.append(["周先生", "13900006002", "3栋1201", "重点", "顾问张三", "是"])
    ws.append(["老业主", "13900006001", "3栋1102", "一般", "顾问李四", "否"])
    ws.append(["郑女士", "12345", "3栋1301", "一般", "顾问张三", ""])
    ws.append(["吴先生", "13900006003", "3栋1302", "VIP", "不在职的人", ""])
    ws.append(["周先生", "139 0000 6002", "3栋1201", "重点", "顾问张三", ""])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_a_manager_imports_existing_owners_and_reads_each_row(office):
    with browser(office, "manager") as b:
        listing = b.get("/console/archives")
        assert 'href="/console/archives/import"' in listing.text and "导入老业主档案" in listing.text
        page = b.get("/console/archives/import")
        assert page.status_code == 200 and "同意营销短信" in page.text and not foreign(visible_text(page.text))
        r = b.post("/console/archives/import", files={"file": ("老业主.xlsx", _sheet(), "application/octet-stream")})
    assert r.status_code == 200, r.text[:500]
    kpis = dict(re.findall(r'data-kpi="(\w+)">(\d+)<', r.text))
    assert kpis == {"total": "5", "created": "2", "duplicates": "2", "invalid": "1"}
    rows = _rows(r.text)
    assert set(rows) == {"3", "4", "5", "6", "7"}
    assert rows["3"].startswith("created") and "已导入" in rows["3"] and "周先生" in rows["3"] and "已建档" in rows["3"]
    assert rows["4"].startswith("duplicate") and "重复" in rows["4"] and office.existing["number"] in rows["4"]
    assert rows["5"].startswith("invalid") and "无效" in rows["5"] and "12345" in rows["5"]
    assert rows["6"].startswith("created") and "不在职的人" in rows["6"] and "VIP" in rows["6"], "warnings are shown"
    assert rows["7"].startswith("duplicate") and "第 3 行" in rows["7"]
    text = visible_text(r.text)
    assert not IDS.search(text) and not foreign(text), foreign(text)
    zhou = until(lambda: next(iter(office.call("GET", "/v1/archives", office.as_("manager"),
                                               params={"branch_id": office.branch, "q": "周先生"})["items"]), None), "the archive")
    assert zhou["account_manager_id"] == office.staff["consultant1"] and zhou["tier"] == "key"
    assert f'/console/archives/{zhou["id"]}' in r.text, "an imported row opens its archive card"


def test_a_sheet_the_service_refuses_is_explained(office):
    with browser(office, "manager") as b:
        r = b.post("/console/archives/import", files={"file": ("x.csv", "房号,等级\n1201,一般\n".encode(), "text/csv")})
        assert r.status_code == 422 and "表格缺少必填列" in r.text and "姓名" in r.text and "电话" in r.text
        r = b.post("/console/archives/import", files={"file": ("x.csv", "姓名,电话\n".encode(), "text/csv")})
        assert r.status_code == 422 and "没有数据行" in r.text
        r = b.post("/console/archives/import", files={"file": ("x.pdf", b"%PDF-1.4 \x00\x01\x02\xff\xfe", "application/pdf")})
        assert r.status_code == 422 and "文件无法读取" in r.text


def test_only_managers_import_owners(office):
    for key in ("consultant1", "reception", "finance"):
        code, html = status_of(office, key, "/console/archives/import")
        assert code == 403 and "您的角色不能使用此页面" in html, key
    code, html = status_of(office, "consultant1", "/console/archives")
    assert code == 200 and "/console/archives/import" not in html
