"""Controlled exports of archives (受控文件, issue 19) against the real stack: a consultant exports only the archives
it manages, masked; full numbers (unsealed at download, never stored) after another manager's approval; the watermark;
the audited downloads; expiry and destruction with a witness (监销)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from crm_shared.ids import utcnow
from crm_shared.phones import national_digits
from tests.customers.care_office import NORTH, SOUTH, care

PATH = "/v1/archive-exports"


async def test_a_consultant_exports_the_archives_it_manages_masked(urls):
    async with care(urls) as o:
        mine = await o.archive(manager="c1", tier="key")
        theirs = await o.archive(manager="c2")
        r = await o.client.post(PATH, headers=o.auth("c1"), json={"branch_id": NORTH})
        assert r.status_code == 201, r.text
        export = r.json()
        assert export["status"] == "ready" and export["rows"] == 1 and export["kind"] == "archives"

        f = await o.client.get(f"{PATH}/{export['id']}/file", headers=o.auth("c1"))
        assert f.status_code == 200, f.text
        ws = load_workbook(io.BytesIO(f.content)).active
        assert ws["A1"].value.startswith("受控文件 · 导出人 c1north · 导出时间 ")
        assert [c.value for c in ws[2]] == ["档案编号", "客户姓名", "手机号码", "客户类别", "客户等级", "审核状态", "客户经理",
                                            "冻结", "建档时间"]
        row = [c.value for c in ws[3]]
        assert row[:8] == [mine["number"], "王先生", mine["customer"]["phone_masked"], "业主", "重点", "已审核", "c1north", "否"]
        assert ws.max_row == 3 and theirs["number"] not in f.text
        assert load_workbook(io.BytesIO(f.content)).properties.subject == "受控文件"

        refused = await o.client.post(PATH, headers=o.auth("c1"), json={
            "branch_id": NORTH, "filters": {"account_manager_id": o.staff_id("c2")}})
        assert refused.status_code == 403
        full = await o.client.post(PATH, headers=o.auth("c1"), json={"branch_id": NORTH, "full_numbers": True,
                                                                    "purpose": "回访"})
        assert full.status_code == 403
        for key in ("desk", "cashier", "partner", "integrator"):
            assert (await o.client.post(PATH, headers=o.auth(key), json={"branch_id": NORTH})).status_code == 403
        assert (await o.client.get(f"{PATH}/{export['id']}", headers=o.auth("c2"))).status_code == 404
        assert (await o.client.get(f"{PATH}/{export['id']}", headers=o.auth("manager", SOUTH))).status_code == 404
        assert (await o.client.post(PATH, headers=o.auth("manager"), json={"branch_id": SOUTH})).status_code == 404


async def test_full_numbers_after_approval_audited_then_destroyed(urls):
    async with care(urls) as o:
        owner = await o.archive(manager="c1", tier="core")
        sealed = await o.ctx.keys.seal(owner["e164"])  # as archives seal now: under the customer's own key
        assert sealed.startswith("s2.")
        await o.db.archives.update_one({"_id": owner["_id"]}, {"$set": {"customer.phone_sealed": sealed}})
        await o.archive(manager="c2", tier="general")
        r = await o.client.post(PATH, headers=o.auth("manager"), json={
            "branch_id": NORTH, "full_numbers": True, "purpose": "核心客户年终答谢", "filters": {"tier": "core"}})
        assert r.status_code == 201, r.text
        export = r.json()
        assert export["status"] == "pending_approval" and export["rows"] == 1
        decision = f"{PATH}/{export['id']}/decision"
        assert (await o.client.post(decision, headers=o.auth("manager"), json={"decision": "approved"})).status_code == 403
        assert (await o.client.post(decision, headers=o.auth("c2"), json={"decision": "approved"})).status_code == 403
        ok = await o.client.post(decision, headers=o.auth("admin"), json={"decision": "approved"})
        assert ok.status_code == 200 and ok.json()["status"] == "ready", ok.text

        c = await o.client.get(f"{PATH}/{export['id']}/file", headers=o.auth("manager"), params={"format": "csv"})
        assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
        assert lines[0][0].startswith("# 受控文件 · 导出人 managernorth")
        assert lines[2][:3] == [owner["number"], "王先生", national_digits(owner["e164"])]
        log = (await o.client.get(f"{PATH}/{export['id']}", headers=o.auth("admin"))).json()["download_log"]
        assert [(d["actor_name"], d["rows"], d["full_numbers"], d["format"]) for d in log] == [
            ("managernorth", 1, True, "csv")]
        stored = await o.db.archive_exports.find_one({"_id": export["id"]})
        assert national_digits(owner["e164"]) not in str(stored) and "file" not in stored

        assert await o.ctx.keys.erase(owner["phone_hash"])  # the customer erased: its seal stays shut
        after = await o.client.get(f"{PATH}/{export['id']}/file", headers=o.auth("manager"), params={"format": "csv"})
        assert list(csv.reader(io.StringIO(after.content.decode("utf-8-sig"))))[2][2] == owner["customer"]["phone_masked"]

        destroy = f"{PATH}/{export['id']}/destroy"
        r = await o.client.post(destroy, headers=o.auth("manager"), json={"witness_id": o.staff_id("c2", SOUTH)})
        assert r.status_code == 422 and r.json()["type"].endswith("/unknown-witness")
        r = await o.client.post(destroy, headers=o.auth("manager"), json={"witness_id": o.staff_id("c2"),
                                                                         "note": "电子文件已删除"})
        assert r.status_code == 200 and r.json()["destruction"]["witness_name"] == "c2north", r.text
        gone = await o.client.get(f"{PATH}/{export['id']}/file", headers=o.auth("manager"))
        assert gone.status_code == 410 and gone.json()["type"].endswith("/export-destroyed")


async def test_an_expired_archive_export_is_gone(urls):
    async with care(urls) as o:
        await o.archive(manager="c1")
        export = (await o.client.post(PATH, headers=o.auth("c1"), json={"branch_id": NORTH})).json()
        await o.db.archive_exports.update_one({"_id": export["id"]}, {"$set": {"expires_at": utcnow() - timedelta(minutes=1)}})
        gone = await o.client.get(f"{PATH}/{export['id']}/file", headers=o.auth("c1"))
        assert gone.status_code == 410 and gone.json()["type"].endswith("/export-expired")
        listed = (await o.client.get(PATH, headers=o.auth("manager"), params={"branch_id": NORTH})).json()["items"]
        assert [(e["id"], e["expired"]) for e in listed] == [(export["id"], True)]
