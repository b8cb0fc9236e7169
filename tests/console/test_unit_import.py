"""The unit sheet import (销控表导入) on screen: a manager uploads the office's sheet from the unit board and reads
the per-row report — Excel's row numbers, 已导入/重复/无效 and the reasons in Chinese, units by their labels,
never an id; the units are on the board afterwards. Other roles never reach the screen."""

from __future__ import annotations

import io
import re

import httpx
import openpyxl
import pytest

from tests.console.deals_office import BUILDING, PROJECT, browser, open_office, status_of
from tests.shared.test_text_zh import foreign, visible_text

IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


@pytest.fixture(scope="module")
def office(system):
    base, settings = system
    with httpx.Client(base_url=base, timeout=30) as api:
        yield open_office(base, settings, api)


def _rows(html: str) -> dict[str, str]:
    """Excel row number -> the row's visible text."""
    out = {}
    for m in re.finditer(r'<tr class="sheet-row" data-row="(\d+)" data-status="(\w+)">(.*?)</tr>', html, re.S):
        out[m.group(1)] = m.group(2) + " " + visible_text(m.group(3)).replace("\n", " ")
    return out


def test_a_manager_imports_the_unit_sheet_from_the_board_and_reads_each_row(office):
    sheet = (f"{PROJECT}销控表,,,,,\n"
             "项目,楼栋,房号,业态,建筑面积,总价\n"
             f"{PROJECT},{BUILDING},1401,小高层,89.5㎡,\"3,200,000\"\n"
             f"{PROJECT},{BUILDING},1402,洋房,120,320万\n"
             f"{PROJECT},{BUILDING},1101,小高层,89.5,2880000\n"
             f"{PROJECT},{BUILDING},1403,写字楼,89.5,3000000\n"
             f"{PROJECT},{BUILDING},1401,小高层,89.5,3200000\n").encode("gbk")
    with browser(office, "manager") as b:
        board = b.get("/console/units")
        assert board.status_code == 200 and 'href="/console/units/import"' in board.text and "导入销控表" in board.text
        page = b.get("/console/units/import")
        assert page.status_code == 200 and "房号（必填）" in page.text and not foreign(visible_text(page.text))
        r = b.post("/console/units/import", files={"file": ("销控表.csv", sheet, "text/csv")}, data={"project": "", "product_type": ""})
    assert r.status_code == 200, r.text[:500]
    kpis = dict(re.findall(r'data-kpi="(\w+)">(\d+)<', r.text))
    assert kpis == {"total": "5", "created": "2", "duplicates": "2", "invalid": "1"}
    rows = _rows(r.text)
    assert set(rows) == {"3", "4", "5", "6", "7"}, "Excel's row numbers, below the title and the header"
    assert rows["3"].startswith("created") and "已导入" in rows["3"] and f"{PROJECT} {BUILDING} 1401" in rows["3"]
    assert rows["4"].startswith("created") and "1402" in rows["4"]
    assert rows["5"].startswith("duplicate") and "重复" in rows["5"]
    assert rows["6"].startswith("invalid") and "无效" in rows["6"] and "写字楼" in rows["6"]
    assert rows["7"].startswith("duplicate") and "重复" in rows["7"]
    text = visible_text(r.text)
    assert not IDS.search(text) and not foreign(text), foreign(text)
    units = {u["unit_no"]: u for u in office.call("GET", "/v1/units", office.as_("manager"), params={"branch_id": office.branch})["items"]}
    assert units["1401"]["list_price"] == "3200000.00" and units["1402"]["list_price"] == "3200000.00"
    assert units["1402"]["product_type"] == "garden_house" and "1403" not in units
    assert f'/console/units?unit={units["1401"]["id"]}' in r.text, "a created row opens the unit on the board"


def test_a_sheet_without_the_required_columns_is_explained_and_the_defaults_apply(office):
    with browser(office, "manager") as b:
        bad = b.post("/console/units/import", files={"file": ("units.csv", "楼栋,面积\n3栋,89\n".encode(), "text/csv")})
        assert bad.status_code == 422 and "表格缺少必填列" in bad.text and "房号" in bad.text and "总价" in bad.text
        empty = b.post("/console/units/import", files={"file": ("units.csv", b"", "text/csv")})
        assert empty.status_code == 422 and "请选择要上传的文件" in empty.text
        book = openpyxl.Workbook()
        book.active.append(["房号", "总价(万元)"])
        book.active.append(["A-08", 18])
        buf = io.BytesIO()
        book.save(buf)
        ok = b.post("/console/units/import", data={"project": "湾区贰号", "product_type": "parking"},
                    files={"file": ("车位.xlsx", buf.getvalue(), "application/octet-stream")})
    assert ok.status_code == 200 and 'data-kpi="created">1<' in ok.text
    parked = [u for u in office.call("GET", "/v1/units", office.as_("manager"), params={"branch_id": office.branch})["items"]
              if u["unit_no"] == "A-08"]
    assert parked and parked[0]["project"] == "湾区贰号" and parked[0]["product_type"] == "parking"
    assert parked[0]["list_price"] == "180000.00"


def test_only_managers_import_units(office):
    for key in ("consultant1", "reception", "finance"):
        code, html = status_of(office, key, "/console/units/import")
        assert code == 403 and "您的角色不能使用此页面" in html, key
    code, html = status_of(office, "consultant1", "/console/units")
    assert code == 200 and "/console/units/import" not in html
    with browser(office, "consultant1") as b:
        r = b.post("/console/units/import", files={"file": ("x.csv", "房号,总价\n9901,1000000\n".encode(), "text/csv")})
    assert r.status_code == 403
    units = office.call("GET", "/v1/units", office.as_("manager"), params={"branch_id": office.branch})["items"]
    assert not [u for u in units if u["unit_no"] == "9901"]
