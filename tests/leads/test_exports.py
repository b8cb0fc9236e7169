"""Controlled exports of leads (受控文件, issue 19) against the real stack: masked at once and only one's own for a
consultant; full numbers after another manager's approval; the watermark in the file; every download audited;
expiry, rejection and destruction (销毁, 监销) refuse downloads."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from crm_shared import exports
from crm_shared.ids import utcnow
from tests.leads.builders import new_phone, office

PATH = "/v1/lead-exports"


def book(content: bytes):
    return load_workbook(io.BytesIO(content)).active


async def cast(o) -> dict:
    ids = {"m1": await o.add_staff("张经理", "manager"), "m2": await o.add_staff("李经理", "manager"),
           "c1": await o.add_staff("王顾问"), "c2": await o.add_staff("赵顾问"), "desk": await o.add_staff("前台小陈", "reception")}
    roles = {"m1": "manager", "m2": "manager", "c1": "consultant", "c2": "consultant", "desk": "reception"}
    return {k: o.as_(roles[k], v) for k, v in ids.items()} | {"ids": ids}


async def test_a_consultant_exports_only_its_own_leads_masked_and_watermarked(urls):
    async with office(urls) as o:
        who = await cast(o)
        mine, theirs = new_phone(), new_phone()
        await o.register(who["c1"], mine, customer={"name": "王先生", "phone": mine, "gender": "male"}, grade="A")
        await o.register(who["c2"], theirs)
        r = await o.client.post(PATH, headers=who["c1"], json={"branch_id": o.branch})
        assert r.status_code == 201, r.text
        export = r.json()
        assert export["status"] == "ready" and export["rows"] == 1 and export["full_numbers"] is False
        assert export["requested_by_name"] == "王顾问"

        f = await o.client.get(f"{PATH}/{export['id']}/file", headers=who["c1"])
        assert f.status_code == 200, f.text
        assert "attachment" in f.headers["content-disposition"] and f.headers["cache-control"] == "no-store"
        ws = book(f.content)
        assert ws["A1"].value.startswith("受控文件 · 导出人 王顾问 · 导出时间 ") and ws["A1"].value.endswith(exports.number(export["id"], "Asia/Shanghai"))
        assert [c.value for c in ws[2]][:4] == ["客户姓名", "手机号码", "性别", "意向等级"]
        row = [c.value for c in ws[3]]
        assert row[:5] == ["王先生", f"{mine[:3]}****{mine[-4:]}", "男", "A", "新客户"] and row[5] == "王顾问"
        assert ws.max_row == 3 and theirs[-4:] not in f.text
        assert ws.oddHeader.center.text == "受控文件"

        c = await o.client.get(f"{PATH}/{export['id']}/file", headers=who["c1"], params={"format": "csv"})
        lines = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
        assert c.content.startswith("\ufeff".encode()) and lines[0][0].startswith("# 受控文件 · 导出人 王顾问")
        assert lines[1][:2] == ["客户姓名", "手机号码"] and mine not in c.text

        seen = (await o.client.get(f"{PATH}/{export['id']}", headers=who["m1"])).json()
        assert seen["downloads"] == 2
        assert [(d["actor_name"], d["rows"], d["full_numbers"], d["format"]) for d in seen["download_log"]] == [
            ("王顾问", 1, False, "csv"), ("王顾问", 1, False, "xlsx")]

        for body, why in (({"branch_id": o.branch, "full_numbers": True, "purpose": "回访"}, "full"),
                          ({"branch_id": o.branch, "filters": {"owner_id": who["ids"]["c2"]}}, "a colleague's"),
                          ({"branch_id": o.branch, "filters": {"pool": True}}, "the pool")):
            refused = await o.client.post(PATH, headers=who["c1"], json=body)
            assert refused.status_code == 403, (why, refused.text)
        assert (await o.client.get(f"{PATH}/{export['id']}", headers=who["c2"])).status_code == 404
        assert (await o.client.get(f"{PATH}/{export['id']}/file", headers=who["m1"])).status_code == 403

        desk = await o.client.post(PATH, headers=who["desk"], json={"branch_id": o.branch, "filters": {"status": "new"}})
        assert desk.status_code == 201 and desk.json()["rows"] == 2
        mine_only = (await o.client.get(PATH, headers=who["c1"])).json()["items"]
        assert [e["id"] for e in mine_only] == [export["id"]]
        assert len((await o.client.get(PATH, headers=who["m1"], params={"branch_id": o.branch})).json()["items"]) == 2


async def test_full_numbers_wait_for_another_managers_approval_and_only_the_requester_downloads(urls):
    async with office(urls) as o:
        who = await cast(o)
        phone = new_phone()
        await o.register(who["c1"], phone, customer={"name": "钱女士", "phone": phone})
        r = await o.client.post(PATH, headers=who["m1"], json={"branch_id": o.branch, "full_numbers": True})
        assert r.status_code == 422 and "purpose" in r.text
        r = await o.client.post(PATH, headers=who["m1"], json={"branch_id": o.branch, "full_numbers": True,
                                                              "purpose": "业主答谢会邀请", "filters": {"q": "钱"}})
        assert r.status_code == 201, r.text
        export = r.json()
        assert export["status"] == "pending_approval" and export["rows"] == 1 and export["expires_at"] is None
        early = await o.client.get(f"{PATH}/{export['id']}/file", headers=who["m1"])
        assert early.status_code == 409 and early.json()["type"].endswith("/approval-pending")

        decision = f"{PATH}/{export['id']}/decision"
        assert (await o.client.post(decision, headers=who["m1"], json={"decision": "approved"})).status_code == 403
        assert (await o.client.post(decision, headers=who["c1"], json={"decision": "approved"})).status_code == 403
        ok = await o.client.post(decision, headers=who["m2"], json={"decision": "approved"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "ready" and ok.json()["decision"]["by_name"] == "李经理"
        again = await o.client.post(decision, headers=who["m2"], json={"decision": "rejected", "reason": "重复"})
        assert again.status_code == 409

        assert (await o.client.get(f"{PATH}/{export['id']}/file", headers=who["m2"])).status_code == 403
        f = await o.client.get(f"{PATH}/{export['id']}/file", headers=who["m1"])
        assert f.status_code == 200
        ws = book(f.content)
        assert [c.value for c in ws[3]][:2] == ["钱女士", phone] and "导出人 张经理" in ws["A1"].value
        log = (await o.client.get(f"{PATH}/{export['id']}", headers=who["m2"])).json()["download_log"]
        assert [(d["actor_name"], d["rows"], d["full_numbers"]) for d in log] == [("张经理", 1, True)]
        assert not await o.ctx.db.lead_exports.find_one({"_id": export["id"], "file": {"$exists": True}})


async def test_a_rejected_or_expired_export_is_not_downloaded(urls):
    async with office(urls) as o:
        who = await cast(o)
        await o.register(who["c1"])
        body = {"branch_id": o.branch, "full_numbers": True, "purpose": "交房通知"}
        rejected = (await o.client.post(PATH, headers=who["m1"], json=body)).json()
        no_reason = await o.client.post(f"{PATH}/{rejected['id']}/decision", headers=who["m2"], json={"decision": "rejected"})
        assert no_reason.status_code == 422
        r = await o.client.post(f"{PATH}/{rejected['id']}/decision", headers=who["m2"],
                                json={"decision": "rejected", "reason": "用途不明确"})
        assert r.json()["status"] == "rejected"
        assert (await o.client.get(f"{PATH}/{rejected['id']}/file", headers=who["m1"])).status_code == 409

        masked = (await o.client.post(PATH, headers=who["c1"], json={"branch_id": o.branch})).json()
        await o.ctx.db.lead_exports.update_one({"_id": masked["id"]}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}})
        gone = await o.client.get(f"{PATH}/{masked['id']}/file", headers=who["c1"])
        assert gone.status_code == 410 and gone.json()["type"].endswith("/export-expired")
        assert gone.headers["content-type"].startswith("application/problem+json")
        assert (await o.client.get(f"{PATH}/{masked['id']}", headers=who["c1"])).json()["expired"] is True


async def test_destruction_is_recorded_with_a_witness_and_stops_downloads(urls):
    async with office(urls) as o:
        who = await cast(o)
        await o.register(who["c1"])
        export = (await o.client.post(PATH, headers=who["c1"], json={"branch_id": o.branch})).json()
        destroy = f"{PATH}/{export['id']}/destroy"
        for witness, kind in ((who["ids"]["c1"], "invalid-witness"), ("nobody", "unknown-witness")):
            r = await o.client.post(destroy, headers=who["c1"], json={"witness_id": witness})
            assert r.status_code == 422 and r.json()["type"].endswith(kind), r.text
        assert (await o.client.post(destroy, headers=who["c2"], json={"witness_id": who["ids"]["m1"]})).status_code == 404
        r = await o.client.post(destroy, headers=who["c1"], json={"witness_id": who["ids"]["m1"], "note": "碎纸机销毁打印件"})
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["status"] == "destroyed"
        assert {k: done["destruction"][k] for k in ("by_name", "witness_name", "note")} == {
            "by_name": "王顾问", "witness_name": "张经理", "note": "碎纸机销毁打印件"}
        gone = await o.client.get(f"{PATH}/{export['id']}/file", headers=who["c1"])
        assert gone.status_code == 410 and gone.json()["type"].endswith("/export-destroyed")
        assert (await o.client.post(destroy, headers=who["m1"], json={"witness_id": who["ids"]["m2"]})).status_code == 409


async def test_roles_without_exports_and_other_branches_are_refused(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        who = await cast(o)
        await o.register(who["c1"])
        export = (await o.client.post(PATH, headers=who["c1"], json={"branch_id": o.branch})).json()
        for role in ("finance", "partner", "integrator"):
            caller = o.as_(role, f"{role}-1")
            assert (await o.client.post(PATH, headers=caller, json={"branch_id": o.branch})).status_code == 403
            assert (await o.client.get(f"{PATH}/{export['id']}", headers=caller)).status_code == 403
        assert (await o.client.post(PATH, headers=who["m1"], json={"branch_id": "b2"})).status_code == 404
        outsider = o.as_("manager", "m-b2", ["b2"])
        assert (await o.client.get(f"{PATH}/{export['id']}", headers=outsider)).status_code == 404
        bad = await o.client.post(PATH, headers=who["m1"], json={"branch_id": o.branch, "filters": {"grade": "Z"}})
        assert bad.status_code == 422


async def test_a_repeated_request_with_its_idempotency_key_is_one_export(urls):
    async with office(urls) as o:
        who = await cast(o)
        await o.register(who["c1"])
        key = {"Idempotency-Key": "export-once"}
        first = await o.client.post(PATH, headers=who["c1"] | key, json={"branch_id": o.branch})
        again = await o.client.post(PATH, headers=who["c1"] | key, json={"branch_id": o.branch})
        assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
        assert await o.ctx.db.lead_exports.count_documents({}) == 1
