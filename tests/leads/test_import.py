"""Importing the offices' sheets: every row through registration's rules, one outcome per row."""

import io

from openpyxl import Workbook

from tests.leads.builders import new_phone, office


async def test_csv_with_good_duplicate_and_broken_rows(urls):
    async with office(urls) as o:
        cid = await o.add_staff("c")
        existing = await o.register(o.manager, p_dup := new_phone())
        p1, p2 = new_phone(), new_phone()
        sheet = (
            "姓名,手机,性别,等级,置业顾问,备注\n"
            f"张三,{p1},男,a,{cid},三居\n"
            f"李四,{p_dup},女,B,,\n"
            "王五,not-a-phone,男,A,,\n"
            f"赵六,{p2},男,Z,,\n"
            f"钱七,{p1},女,C,,\n"
            ",13800000000,,,,\n"
        )
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"},
                                files={"file": ("leads.csv", sheet.encode("utf-8-sig"), "text/csv")}, headers=o.manager)
        assert r.status_code == 200, r.text
        out = r.json()
        assert (out["created"], out["duplicate"], out["invalid"]) == (1, 2, 3)
        rows = {row["row"]: row for row in out["rows"]}
        assert rows[2]["status"] == "created"
        assert rows[3] == {"row": 3, "status": "duplicate", "existing_lead_id": existing["id"]}
        assert rows[4]["status"] == "invalid" and "phone" in rows[4]["error"]
        assert rows[5]["status"] == "invalid" and "grade" in rows[5]["error"]
        assert rows[6]["status"] == "duplicate" and rows[6]["existing_lead_id"] == rows[2]["lead_id"]
        lead = await o.lead(rows[2]["lead_id"])
        assert lead["grade"] == "A" and lead["owner_id"] == cid and lead["source"]["channel"] == "import"
        assert lead["customer"]["gender"] == "male"
        assert await o.ctx.db.leads.count_documents({}) == 2


async def test_xlsx_import(urls):
    async with office(urls) as o:
        book = Workbook()
        sheet = book.active
        sheet.append(["name", "phone", "grade", "channel"])
        sheet.append(["Ann", new_phone(), "O", "online"])
        sheet.append(["Bob", int(new_phone()), "C", None])
        sheet.append([None, None, None, None])
        sheet.append(["Cid", "", "C", None])
        buf = io.BytesIO()
        book.save(buf)
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"},
                                files={"file": ("leads.xlsx", buf.getvalue(), "application/octet-stream")}, headers=o.manager)
        assert r.status_code == 200, r.text
        out = r.json()
        assert (out["created"], out["invalid"]) == (2, 1)
        channels = sorted(d["source"]["channel"] for d in await o.ctx.db.leads.find({}).to_list())
        assert channels == ["import", "online"]


async def test_unreadable_or_foreign_uploads(urls):
    async with office(urls) as o:
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"},
                                files={"file": ("x.xlsx", b"PK\x03\x04garbage", "application/octet-stream")}, headers=o.manager)
        assert r.status_code == 422
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b9"},
                                files={"file": ("x.csv", b"name,phone\n", "text/csv")}, headers=o.manager)
        assert r.status_code == 404
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"}, headers=o.manager)
        assert r.status_code == 422
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"},
                                files={"file": ("x.csv", b"name,phone\nA,1\n", "text/csv")}, headers=o.as_("partner", "p"))
        assert r.status_code == 403
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"},
                                files={"file": ("x.csv", b"\xff\xfe\x00garbage\n\x00\x01,\n", "text/csv")}, headers=o.manager)
        assert r.status_code == 200 and r.json()["created"] == 0
        assert await o.ctx.db.leads.count_documents({}) == 0


async def test_sheets_above_the_default_body_limit_are_accepted(urls):
    async with office(urls) as o:
        p = new_phone()
        note = "备" * 600_000  # ~1.8 MB in UTF-8: above the platform's default 1 MiB, under import's 20 MiB
        sheet = f"姓名,手机,备注\n张三,{p},{note}\n".encode("utf-8-sig")
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"},
                                files={"file": ("big.csv", sheet, "text/csv")}, headers=o.manager)
        assert r.status_code == 200, r.text[:300]
        assert r.json()["rows"][0]["status"] == "invalid"  # the note is too long for a lead, the row says why
        too_big = await o.client.post("/v1/leads", content=b"x" * 1_500_000,
                                      headers=o.manager | {"content-type": "application/json"})
        assert too_big.status_code == 413


def _xlsx(rows: list[list], sheet_xml=None) -> bytes:
    """A workbook of `rows`; `sheet_xml` rewrites the sheet's XML (None: drops it)."""
    import zipfile

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf, out = io.BytesIO(), io.BytesIO()
    book.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(out, "w") as zout:
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
            r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"}, headers=o.manager,
                                    files={"file": ("x.xlsx", _xlsx(rows, change), "application/octet-stream")})
            assert r.status_code == 200, (what, r.text)
            out = r.json()
            assert out["created"] >= 1 and out["rows"][-1]["status"] == "invalid", (what, out["rows"][-1])
            assert "XLSX" in out["rows"][-1]["error"]
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"}, headers=o.manager,
                                files={"file": ("x.xlsx", _xlsx(rows, None), "application/octet-stream")})
        assert r.status_code == 422 and r.json()["type"].endswith("/unreadable-file"), r.text
