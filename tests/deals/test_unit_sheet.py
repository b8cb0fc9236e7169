"""The unit sheet import (销控表导入): a GBK CSV and an XLSX with Chinese headers, prices in 元 with commas
or in 万元, duplicates (in the file and already on the sheet), bad rows with the reason in Chinese and
the Excel row number, and who may import."""

from __future__ import annotations

import io
import json

from openpyxl import Workbook

from tests.deals.test_payouts import BRANCH, office
from tests.support.runtime import eventually, stream_messages

URL = "/v1/units/import"


async def upload(o, content: bytes, name: str, headers=None, expect: int = 200, **form) -> dict:
    r = await o.client.post(URL, headers=headers or o.manager, files={"file": (name, content)},
                            data={"branch_id": BRANCH, **form})
    assert r.status_code == expect, r.text
    return r.json()


async def units(o) -> list[dict]:
    ctx = o.app.state.contexts["deals"]
    return await ctx.aggregate("units").find({"branch_id": BRANCH}).to_list()


def by_row(report: dict) -> dict[int, dict]:
    return {r["row"]: r for r in report["rows"]}


async def test_a_gbk_csv_with_a_title_row_commas_and_wan(urls):
    sheet = ("湾区壹号销控表（2026年5月）,,,,,\n"
             "楼盘,栋号,房号,产品类型,建筑面积(㎡),总价\n"
             "湾区壹号,3栋,1201,小高层,89.5,\"2,980,000\"\n"
             "湾区壹号,3栋,1202,洋房,120.00㎡,￥3150000.50元\n"
             "湾区壹号,A座,别1,别墅,380,298万\n"
             "湾区壹号,3栋,1201,小高层,89.5,2980000\n"
             "湾区壹号,3栋,1203,写字楼,80,1000000\n"
             "湾区壹号,3栋,1204,公寓,80,面议\n"
             "湾区壹号,3栋,,公寓,80,1000000\n"
             "湾区壹号,3栋,1205,公寓,-3,1000000\n"
             "湾区壹号,3栋,1206,公寓,50,0\n"
             "湾区壹号,B1,车位088,车位,,150000.125\n").encode("gbk")
    async with office(urls) as o:
        report = await upload(o, sheet, "销控表.csv")
        assert (report["total"], report["created"], report["duplicates"], report["invalid"]) == (10, 3, 1, 6)
        rows = by_row(report)
        assert rows[3]["status"] == "created" and rows[3]["label"] == "湾区壹号 3栋 1201" and rows[3]["status_name"] == "已导入"
        assert rows[6]["status"] == "duplicate" and rows[6]["reason"] == "与第3行是同一套房源"
        assert rows[7]["status"] == "invalid" and "业态「写字楼」无法识别" in rows[7]["reason"]
        assert rows[8]["reason"] == "总价「面议」不是金额"
        assert rows[9]["reason"] == "缺少房号"
        assert "面积「-3」" in rows[10]["reason"]
        assert rows[11]["reason"] == "总价必须大于0"
        assert rows[12]["reason"] == "总价「150000.125」最多精确到分"
        assert all(r["status_name"] == "无效" for r in report["rows"] if r["status"] == "invalid")
        stored = {u["unit_no"]: u for u in await units(o)}
        assert set(stored) == {"1201", "1202", "别1"}
        assert stored["1201"]["list_price"] == 298_000_000 and stored["1201"]["product_type"] == "high_rise"
        assert stored["1202"]["list_price"] == 315_000_050 and stored["1202"]["area"] == "120.00"
        assert stored["别1"]["list_price"] == 298_000_000 and stored["别1"]["product_type"] == "villa"
        assert stored["1201"]["status"] == "available" and stored["1201"]["version"] == 1
        assert rows[3]["unit_id"] == stored["1201"]["_id"]

        async def created():
            found = [json.loads(m.data) for m in await stream_messages(o.settings)]
            found = [e for e in found if e["type"] == "unit.created"]
            return found if len(found) == 3 else None
        events = await eventually(created)
        assert {(e["data"]["unit_no"], e["data"]["list_price"], e["data"]["product_type"]) for e in events} == {
            ("1201", 298_000_000, "high_rise"), ("1202", 315_000_050, "garden_house"), ("别1", 298_000_000, "villa")}

        again = await upload(o, sheet, "销控表.csv")
        assert (again["created"], again["duplicates"], again["invalid"]) == (0, 4, 6)
        assert by_row(again)[3]["reason"] == "销控表中已有这套房源" and by_row(again)[3]["unit_id"] == stored["1201"]["_id"]
        assert len(await units(o)) == 3


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_an_xlsx_with_chinese_headers_numbers_and_a_wan_column(urls):
    content = xlsx([
        ["项目", "楼栋", "房号", "业态", "面积", "表价（万元）", "楼层"],
        ["江畔花园", "1栋", 101, "公寓", 45.5, 88.5, 1],
        ["江畔花园", "1栋", 102.0, "商铺", None, 120, "1层"],
        ["江畔花园", "2栋", "2-301", "别墅", 300, 1000.1234567, 3],
        [None, None, None, None, None, None, None],
        ["江畔花园", "2栋", "2-302", "洋房", 150, 600, "三楼"],
        ["江畔花园", "1栋", "101", "公寓", 45.5, 88.5, 1],
    ])
    async with office(urls) as o:
        report = await upload(o, content, "units.xlsx")
        rows = by_row(report)
        assert (report["created"], report["duplicates"], report["invalid"]) == (2, 1, 2), report
        assert rows[2]["status"] == "created" and rows[3]["status"] == "created"
        assert rows[4]["reason"].startswith("总价") and "最多精确到分" in rows[4]["reason"]
        assert rows[6]["reason"] == "楼层「三楼」不是楼层数", "the blank row 5 is skipped, the numbers stay Excel's"
        assert rows[7]["status"] == "duplicate" and rows[7]["reason"] == "与第2行是同一套房源"
        stored = {u["unit_no"]: u for u in await units(o)}
        assert stored["101"]["list_price"] == 88_500_000 and stored["101"]["area"] == "45.50" and stored["101"]["floor"] == 1
        assert stored["102"]["product_type"] == "shop" and stored["102"]["list_price"] == 120_000_000
        assert stored["102"]["area"] is None and stored["102"]["floor"] == 1


async def test_a_sheet_without_project_or_type_columns_takes_the_forms_and_bad_files_are_refused(urls):
    async with office(urls) as o:
        report = await upload(o, "房号,总价\n1801,1000000\n1802,\n".encode(), "a.csv",
                              project="湾区贰号", product_type="apartment")
        rows = by_row(report)
        assert rows[2]["label"] == "湾区贰号 1801" and rows[3]["reason"] == "缺少总价"
        no_project = await upload(o, "房号,总价,业态\n1803,1000000,公寓\n".encode(), "b.csv")
        assert by_row(no_project)[2]["reason"] == "缺少项目（楼盘）名称"
        missing = await upload(o, "项目,房号,面积\n湾区,1,2\n".encode(), "c.csv", expect=422)
        assert missing["type"].endswith("/missing-columns") and missing["missing"] == ["list_price"]
        assert (await upload(o, b"PK\x03\x04 not a workbook", "d.xlsx", expect=422))["type"].endswith("/unreadable-file")
        assert (await upload(o, "房号,总价\n".encode(), "e.csv", expect=422))["type"].endswith("/empty-sheet")
        await upload(o, "房号,总价\n1,1\n".encode(), "f.csv", expect=422, product_type="castle")
        await upload(o, "房号,总价\n1,1\n".encode(), "g.csv", expect=422, project="a\x00b")
        r = await o.client.post(URL, headers=o.manager, data={"branch_id": BRANCH})
        assert r.status_code == 422
        assert len(await units(o)) == 1


async def test_who_may_import(urls):
    async with office(urls) as o:
        sheet = "项目,房号,业态,总价\n湾区,1,公寓,1\n".encode()
        for role in ("consultant", "reception", "finance", "partner", "integrator"):
            await upload(o, sheet, "s.csv", headers=o.as_(role), expect=403)
        r = await o.client.post(URL, headers=o.as_("manager", "m9", ["gz-river"]), files={"file": ("s.csv", sheet)},
                                data={"branch_id": BRANCH})
        assert r.status_code == 404
        assert (await upload(o, sheet, "s.csv", headers=o.as_("admin")))["created"] == 1
        assert len(await units(o)) == 1
