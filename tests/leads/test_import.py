"""Importing the offices' sheets as they are: Chinese headers, staff by name, Chinese channel and
grade words, GBK CSV and XLSX, historic dates kept, one outcome per row."""

import io
import json
from datetime import UTC, datetime

from openpyxl import Workbook

from crm_shared.aggregates import HIDDEN

from tests.leads.builders import new_phone, office
from tests.support.runtime import eventually, stream_messages


async def team(o) -> dict[str, str]:
    """张三 and 李四 (consultants), two colleagues called 王芳, 赵六 who left, 小李 at the front desk."""
    ids = {name: await o.add_staff(name) for name in ("张三", "李四")}
    ids["王芳1"], ids["王芳2"] = await o.add_staff("王芳"), await o.add_staff("王芳")
    ids["赵六"] = await o.add_staff("赵六")
    r = await o.client.post(f"/v1/staff/{ids['赵六']}/leave", json={}, headers=o.manager)
    assert r.status_code == 200, r.text
    ids["小李"] = await o.add_staff("小李", role="reception")
    return ids


async def upload(o, name: str, content: bytes, headers=None, **form):
    return await o.client.post("/v1/leads/import", data={"branch_id": o.branch, **form}, headers=headers or o.manager,
                               files={"file": (name, content, "application/octet-stream")})


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def by_row(body: dict) -> dict[int, dict]:
    return {row["row"]: row for row in body["rows"]}


async def test_a_gbk_sheet_with_chinese_headers_names_and_words(urls):
    async with office(urls) as o:
        ids = await team(o)
        existing = await o.register(o.manager, p_old := new_phone(), owner_id=ids["李四"])
        p1, p2, p3, p4, p5 = (new_phone() for _ in range(5))
        sheet = (
            "深圳湾项目来访客户登记表,,,,,,,\n"
            "客户姓名,手机号码,性别,意向等级,置业顾问,来源渠道,登记日期,备注\n"
            f"陈一,{p1},男,A级,张三,来电,2024/3/5,三居\n"
            f"林二,{p2},女,O,李四,自然到访,2024年3月6日 14:30,\n"
            f"黄三,{p_old},男,B,张三,渠道,2024-03-07,\n"
            f"周四,{p1},女,C,李四,网络,2024-03-08,\n"
            "吴五,12345,男,A,张三,老带新,2024-03-09,\n"
            f"郑六,{p3},男,D级,王芳,抖音,2024-03-10,\n"
            f"孙七,{p4},,B,赵六,朋友圈,2024-03-11,\n"
            "钱八,1.38E+10,,,,,2024-03-12,\n"
            f"何九,{p5},,,,活动,2099-01-01,\n"
        )
        r = await upload(o, "客户登记表.csv", sheet.encode("gbk"))
        assert r.status_code == 200, r.text
        out = r.json()
        assert (out["state"], out["total"], out["done"]) == ("done", 9, 9)
        assert (out["created"], out["duplicates"], out["invalid"]) == (4, 2, 3), out["rows"]
        assert out["columns"]["手机号码"] == "phone" and out["columns"]["置业顾问"] == "owner" and out["ignored"] == []
        rows = by_row(out)
        assert sorted(rows) == list(range(3, 12)), "row numbers as Excel shows them (title row, then header)"
        first = rows[3]
        assert (first["status"], first["owner_name"], first["channel"], first["registered_on"]) == ("created", "张三", "phone", "2024-03-05")
        assert first["status_text"] == "已导入" and first["error"] is None
        assert rows[4]["channel"] == "walk_in" and rows[4]["owner_id"] == ids["李四"]
        assert rows[5]["status"] == "duplicate" and rows[5]["existing_lead_id"] == existing["id"]
        assert rows[5]["error"] == "与已有客户「王先生」重复（置业顾问：李四）"
        assert rows[6]["status"] == "duplicate" and rows[6]["existing_lead_id"] == first["lead_id"]
        assert rows[6]["error"] == "与表格第3行是同一号码"
        assert rows[7]["status"] == "invalid" and rows[7]["reason"]["code"] == "bad_phone"
        assert rows[7]["error"] == "手机号码「12345」无效" and rows[7]["name"] == "吴五"
        assert rows[8]["status"] == "created" and rows[8]["owner_id"] is None and rows[8]["owner_name"] == "公海"
        assert {w["code"] for w in rows[8]["warnings"]} == {"owner_ambiguous", "grade_unknown"}
        assert "置业顾问「王芳」有2位同名同事，客户已放入公海，请手动分配" in rows[8]["messages"]
        assert rows[8]["channel"] == "online"
        assert rows[9]["owner_id"] is None and [w["code"] for w in rows[9]["warnings"]] == ["owner_left", "channel_unknown"]
        assert "来源渠道「朋友圈」无法识别，记为「导入」" in rows[9]["messages"]
        assert rows[10]["reason"]["code"] == "phone_scientific" and "科学计数法" in rows[10]["error"]
        assert rows[11]["reason"]["code"] == "future_date"

        lead = await o.lead(first["lead_id"])
        assert lead["registered_at"] == datetime(2024, 3, 4, 16, 0, tzinfo=UTC), "midnight of 2024-03-05 in Shanghai"
        assert lead["created_at"].year >= 2025 and lead["grade"] == "A" and lead["customer"]["gender"] == "male"
        assert lead["interest"] == "三居" and lead["import_job_id"] == out["job_id"] and lead["owner_id"] == ids["张三"]
        assert lead["next_follow_up_at"] is not None and lead["in_pool"] is False
        pooled = await o.lead(rows[9]["lead_id"])
        assert pooled["in_pool"] is True and pooled["source"] == {"channel": "import", "campaign": "朋友圈", "referrer": None,
                                                                   "partner_id": None, "referrer_id": None}
        assert (await o.lead(rows[4]["lead_id"]))["registered_at"] == datetime(2024, 3, 6, 6, 30, tzinfo=UTC)
        assert (await o.lead(existing["id"]))["contact_count"] == 1, "a duplicate row changes nothing on the lead it repeats"
        assert await o.ctx.db.leads.count_documents({}) == 5
        got = await o.client.get(f"/v1/leads/{first['lead_id']}", headers=o.manager)
        assert got.json()["registered_at"].startswith("2024-03-04T16:00:00")

        async def events():
            msgs = await stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.b1.>")
            return [json.loads(m.data) for m in msgs if json.loads(m.data)["type"] in ("lead.registered", "lead_import.finished")]

        assert await eventually(lambda: _count(events, 6))
        seen = await events()
        registered = {e["data"]["lead_id"]: e["data"] for e in seen if e["type"] == "lead.registered"}
        assert registered[first["lead_id"]]["import_id"] == out["job_id"]
        assert registered[first["lead_id"]]["registered_at"].startswith("2024-03-04T16:00:00")
        assert registered[existing["id"]]["import_id"] is None
        [finished] = [e for e in seen if e["type"] == "lead_import.finished"]
        assert finished["data"] | {"started_at": None, "finished_at": None} == {
            "job_id": out["job_id"], "state": "done", "file_name": "客户登记表.csv", "uploaded_by": "mgr-1", "total": 9,
            "created": 4, "duplicates": 2, "invalid": 3, "warnings": 2, "started_at": None, "finished_at": None}


async def _count(events, n: int) -> bool:
    return len(await events()) >= n


async def test_an_xlsx_with_date_cells_numbers_and_grade_words(urls):
    async with office(urls) as o:
        ids = await team(o)
        p1, p2 = new_phone(), new_phone()
        sheet = xlsx([
            ["姓名", "手机", "性别", "等级", "顾问", "渠道", "来访日期", "意向户型", "无关列"],
            ["Ann", int(p1), "女", "O级", "李四", "中介", datetime(2023, 11, 20, 10, 15), "三居", "x"],
            ["Bob", float(p2), "先生", "ｂ", ids["张三"], "推荐", datetime(2023, 11, 21), None, None],
            [None, None, None, None, None, None, None, None, None],
            ["Cid", "", "男", "C", None, None, None, None, None],
            ["Dan", p1, None, None, None, "referral", None, None, None],
        ])
        r = await upload(o, "leads.xlsx", sheet)
        assert r.status_code == 200, r.text
        out = r.json()
        assert (out["created"], out["duplicates"], out["invalid"], out["total"]) == (2, 1, 1, 4)
        assert out["ignored"] == ["无关列"]
        rows = by_row(out)
        assert rows[2]["registered_on"] == "2023-11-20" and rows[2]["channel"] == "partner" and rows[2]["owner_name"] == "李四"
        assert rows[3]["registered_on"] == "2023-11-21" and rows[3]["channel"] == "referral" and rows[3]["owner_name"] == "张三"
        assert rows[5]["reason"]["code"] == "no_phone" and rows[5]["error"] == "缺少手机号码"
        assert rows[6]["status"] == "duplicate" and rows[6]["existing_lead_id"] == rows[2]["lead_id"]
        ann = await o.lead(rows[2]["lead_id"])
        assert ann["grade"] == "O" and ann["customer"]["gender"] == "female" and ann["interest"] == "三居"
        assert ann["registered_at"] == datetime(2023, 11, 20, 2, 15, tzinfo=UTC)
        bob = await o.lead(rows[3]["lead_id"])
        assert bob["grade"] == "B" and bob["customer"]["gender"] == "male" and bob["customer"]["phone"] == f"+86{p2}"


async def test_an_english_sheet_in_utf8_with_a_bom_and_tabs(urls):
    async with office(urls) as o:
        await team(o)
        p = new_phone()
        sheet = f"name\tphone\tgrade\towner\tchannel\tdate\nAnn\t{p}\ta\t李四\twalk_in\t2024-01-02\n"
        r = await upload(o, "leads.txt", sheet.encode("utf-8-sig"), channel="event")
        assert r.status_code == 200, r.text
        [row] = r.json()["rows"]
        assert (row["status"], row["channel"], row["owner_name"], row["registered_on"]) == ("created", "walk_in", "李四", "2024-01-02")
        r = await upload(o, "more.csv", f"客户姓名,手机号码\n王五,{new_phone()}\n".encode(), channel="event")
        assert r.json()["rows"][0]["channel"] == "event", "the form's channel for rows without one"


async def test_what_a_whole_file_gets_wrong_is_a_clear_422_and_stores_nothing(urls):
    async with office(urls) as o:
        r = await upload(o, "x.xlsx", b"PK\x03\x04garbage")
        assert r.status_code == 422 and r.json()["type"].endswith("/unreadable-file")
        r = await upload(o, "x.csv", "名称,号码\n王,138\n".encode("gbk"))
        body = r.json()
        assert r.status_code == 422 and body["type"].endswith("/missing-columns"), body
        assert body["missing"] == ["name", "phone"] and body["headers"] == ["名称", "号码"]
        assert "Field required" not in r.text
        r = await upload(o, "x.csv", "客户姓名,备注\n王,x\n".encode("gbk"))
        assert r.status_code == 422 and r.json()["missing"] == ["phone"]
        r = await upload(o, "x.csv", "客户姓名,手机号码\n".encode("gbk"))
        assert r.status_code == 422 and r.json()["type"].endswith("/empty-sheet")
        r = await upload(o, "x.csv", b"\xff\xfe\x00garbage\n\x00\x01,\n")
        assert r.status_code == 422
        rows = "\n".join(f"客户{i},{13800000000 + i}" for i in range(10_001))
        r = await upload(o, "x.csv", f"客户姓名,手机号码\n{rows}\n".encode())
        assert r.status_code == 422 and r.json()["type"].endswith("/too-many-rows") and r.json()["max_rows"] == 10_000
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"}, headers=o.manager)
        assert r.status_code == 422
        assert await o.ctx.db.leads.count_documents({}) == 0
        assert await o.ctx.db.lead_imports.count_documents({}) == 0


async def test_who_may_import(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        sheet = f"客户姓名,手机号码\n王五,{new_phone()}\n".encode()
        for role, status in (("partner", 403), ("integrator", 403), ("consultant", 403)):
            r = await upload(o, "x.csv", sheet, headers=o.as_(role, "x"))
            assert r.status_code == status, (role, r.text)
        r = await upload(o, "x.csv", sheet, headers=o.as_("manager", "m2", ["b2"]))
        assert r.status_code == 404
        r = await upload(o, "x.csv", sheet, headers=o.as_("reception", "r1"))
        assert r.status_code == 200 and r.json()["created"] == 1
        r = await upload(o, "x.csv", sheet, headers=o.as_("admin", "a1", ["*"]))
        assert r.status_code == 200 and r.json()["duplicates"] == 1


async def test_sheets_above_the_default_body_limit_are_accepted(urls):
    async with office(urls) as o:
        note = "备" * 600_000  # ~1.8 MB in UTF-8: above the platform's default 1 MiB, under import's 20 MiB
        r = await upload(o, "big.csv", f"姓名,手机,备注\n张三,{new_phone()},{note}\n".encode("utf-8-sig"))
        assert r.status_code == 200, r.text[:300]
        [row] = r.json()["rows"]
        assert row["status"] == "invalid" and row["error"] == "该行有单元格超过十万字，无法读取"
        r = await upload(o, "long.csv", f"姓名,手机,备注\n张三,{new_phone()},{'备' * 1001}\n".encode("utf-8-sig"))
        assert r.json()["rows"][0]["error"] == "「备注」超过1000个字"
        too_big = await o.client.post("/v1/leads", content=b"x" * 1_500_000,
                                      headers=o.manager | {"content-type": "application/json"})
        assert too_big.status_code == 413


def _broken_xlsx(rows: list[list], sheet_xml=None) -> bytes:
    """A workbook of `rows`; `sheet_xml` rewrites the sheet's XML (None: drops it)."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx(rows))) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = sheet_xml(content) if sheet_xml else None
            if content is not None:
                zout.writestr(item, content)
    return out.getvalue()


async def test_a_workbook_broken_part_way_or_without_a_sheet_is_a_4xx_or_a_bad_row(urls):
    """Issue 14: these answered 500 (a parse error mid-sheet, no active sheet, a bad cell reference)."""
    async with office(urls) as o:
        rows = [["name", "phone"]] + [[f"客户{i}", new_phone()] for i in range(40)]
        broken = {
            "truncated": lambda xml: xml[: len(xml) * 2 // 3],
            "bad cell reference": lambda xml: xml.replace(b'<c r="A30"', b'<c r="ZZZZZZZ30"', 1),
        }
        for what, change in broken.items():
            r = await upload(o, "x.xlsx", _broken_xlsx(rows, change))
            assert r.status_code == 200, (what, r.text)
            out = r.json()
            assert out["created"] >= 1 and out["rows"][-1]["status"] == "invalid", (what, out["rows"][-1])
            assert out["rows"][-1]["reason"]["code"] == "unreadable_rest"
        r = await upload(o, "x.xlsx", _broken_xlsx(rows, None))
        assert r.status_code == 422 and r.json()["type"].endswith("/unreadable-file"), r.text


async def test_imported_leads_follow_registration_rules_a_report_attributes_and_last_four_digits_find(urls):
    async with office(urls) as o:
        p_reported, p_other = new_phone(), new_phone()
        r = await o.client.post("/v1/channel-reports", json={"branch_id": "b1", "customer_name": "刘先生", "phone": p_reported},
                                headers=o.as_("partner", "agency-1"))
        assert r.status_code == 201, r.text
        sheet = f"客户姓名,手机号码,来源渠道\n刘先生,{p_reported},渠道\n马女士,{p_other},来电\n".encode("gbk")
        out = (await upload(o, "x.csv", sheet)).json()
        assert out["created"] == 2, out
        reported = await o.lead(out["rows"][0]["lead_id"])
        assert reported["source"]["partner_id"] == "agency-1" and reported["attribution"]["report_id"] == r.json()["id"]
        assert (await o.ctx.db.channel_reports.find_one({"_id": r.json()["id"]}))["lead_id"] == reported["_id"]
        found = await o.client.get("/v1/leads", params={"branch_id": "b1", "q": p_other[-4:]}, headers=o.manager)
        assert [lead["customer"]["name"] for lead in found.json()["items"]] == ["马女士"]
        registered = await o.lead((await o.register(o.manager))["id"])
        assert set(registered) - set(reported) - set(HIDDEN) == set(), "an imported lead has every field a registered one has"
        assert set(registered["source"]) == set(reported["source"])
