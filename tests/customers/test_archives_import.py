"""Import of existing owners (老业主) from the office's sheet: GBK CSV and XLSX, Chinese headers, a per-row report."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook

from tests.customers.test_archives import NORTH, SOUTH, new_phone, office


async def _upload(o, data: bytes, filename: str, who: str = "manager", branch: str = NORTH):
    return await o.client.post("/v1/archives/import", headers=o.auth(who, NORTH),
                               files={"file": (filename, data, "application/octet-stream")}, data={"branch_id": branch})


async def test_a_gbk_csv_of_owners_with_a_title_row_and_a_per_row_report(urls):
    async with office(urls) as o:
        known = new_phone()
        existing = await o.open(phone=known)
        a, b = new_phone(), new_phone()
        sheet = ("湾区壹号业主名册\n"
                 "姓名,电话,生日,房号,类别,等级,客户经理,工作单位,交房日期,备注\n"
                 f"李业主,{a},1975/3/8,3栋1202,业主,核心,c1北区,华润,2025年12月1日,老客户\n"
                 f"周女士,{b},不详,5栋801,会员,特级,不认识,,,\n"
                 f"王先生,{known},,,,,,,,\n"
                 f"李业主,{a},,,,,,,,\n"
                 "无号码,12345,,,,,,,,\n").encode("gbk")
        r = await _upload(o, sheet, "业主.csv")
        assert r.status_code == 200, r.text
        report = r.json()
        assert (report["total"], report["opened"], report["exists"], report["duplicate_in_sheet"], report["invalid"]) == (5, 2, 1, 1, 1)
        assert report["ignored_columns"] == ["备注"]
        rows = {row["n"]: row for row in report["rows"]}
        assert rows[3]["outcome"] == "opened" and rows[3]["number"] == "000002" and rows[3]["warnings"] == []
        assert rows[4]["outcome"] == "opened" and {w["code"] for w in rows[4]["warnings"]} == {
            "birthday_bad", "tier_bad", "manager_unknown"}
        assert rows[5]["outcome"] == "exists" and rows[5]["archive_id"] == existing["id"] and rows[5]["number"] == "000001"
        assert rows[6]["outcome"] == "duplicate_in_sheet" and rows[6]["error"]["first"] == 3
        assert rows[7]["outcome"] == "invalid" and rows[7]["error"]["code"] == "bad_phone"
        li = await o.client.get(f"/v1/archives/{rows[3]['archive_id']}", headers=o.auth("manager"))
        li = li.json()
        assert (li["category"], li["tier"], li["customer"]["birthday"]) == ("owner", "core", "1975-03-08")
        assert li["card"] == {"unit_no": "3栋1202", "employer": "华润", "handover_on": "2025-12-01"}
        assert li["account_manager_id"] == o.staff[f"c1@{NORTH}"] and li["key_account"]["level"] == "branch"
        zhou = (await o.client.get(f"/v1/archives/{rows[4]['archive_id']}", headers=o.auth("manager"))).json()
        assert (zhou["category"], zhou["tier"], zhou["account_manager_id"]) == ("member", "general", o.staff[f"manager@{NORTH}"])
        assert await o.db.archives.count_documents({}) == 3
        assert (await o.db.archive_numbers.find_one({"_id": NORTH}))["seq"] == 3  # no number for a refused row


async def test_an_xlsx_sheet_and_who_may_import(urls):
    async with office(urls) as o:
        wb = Workbook()
        ws = wb.active
        ws.append(["姓名", "手机号码", "生日", "类别", "等级"])
        phones = [new_phone() for _ in range(3)]
        ws.append(["陈先生", int(phones[0]), datetime(1968, 1, 2), "业主", "重点"])
        ws.append(["林女士", phones[1], None, "意向客户", "一般"])
        ws.append(["何先生", phones[2], "1990-07-07", None, None])
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
        assert (await _upload(o, data, "owners.xlsx", who="c1")).status_code == 403
        assert (await _upload(o, data, "owners.xlsx", branch=SOUTH)).status_code == 404
        r = await _upload(o, data, "owners.xlsx")
        assert r.status_code == 200, r.text
        assert r.json()["opened"] == 3 and [row["number"] for row in r.json()["rows"]] == ["000001", "000002", "000003"]
        listed = (await o.client.get("/v1/archives", headers=o.auth("manager"), params={"q": phones[0][-4:]})).json()["items"]
        assert [(a["customer"]["name"], a["tier"], a["customer"]["birthday"]) for a in listed] == [("陈先生", "key", "1968-01-02")]
        bad = await _upload(o, "名字,地址\n张三,深圳\n".encode("gbk"), "x.csv")
        assert bad.status_code == 422 and bad.json()["type"].endswith("/missing-columns")
        assert await o.db.archives.count_documents({}) == 3
