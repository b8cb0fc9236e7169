"""Big sheets as a background job: 202 with a job id, progress, the per-row result to download,
scoped to the branch and the uploader, and carried on after the process died mid-job."""

import csv
import io
import json
from datetime import timedelta

from openpyxl import load_workbook

from crm_leads.context import load_branch
from crm_leads.imports import service, sheets, writer
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow
from tests.leads.builders import new_phone, office
from tests.support.runtime import eventually, stream_messages


def big_sheet(n: int, bad_every: int = 50) -> bytes:
    lines = ["客户姓名,手机号码,置业顾问,来源渠道,登记日期"]
    for i in range(n):
        phone = "123" if bad_every and i % bad_every == 7 else new_phone()
        lines.append(f"客户{i},{phone},张三,来电,2024-05-{1 + i % 28:02d}")
    return ("\n".join(lines) + "\n").encode("gbk")


async def finished(o, job_id: str, headers) -> dict:
    async def check():
        r = await o.client.get(f"/v1/leads/import/{job_id}", headers=headers)
        return r.json() if r.json()["state"] != "running" else None

    job = await eventually(check, timeout=60)
    assert job, "the import did not finish"
    return job


async def test_a_big_sheet_runs_as_a_job_with_progress_and_a_downloadable_result(urls):
    async with office(urls) as o:
        await o.add_staff("张三")
        reception = o.as_("reception", "r1")
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"}, headers=reception,
                                files={"file": ("来访登记.csv", big_sheet(250), "text/csv")})
        assert r.status_code == 202, r.text
        started = r.json()
        assert r.headers["location"] == f"/v1/leads/import/{started['job_id']}"
        assert started["state"] == "running" and started["total"] == 250 and started["file_name"] == "来访登记.csv"
        job = await finished(o, started["job_id"], reception)
        assert (job["state"], job["done"], job["created"], job["invalid"], job["duplicates"]) == ("done", 250, 245, 5, 0)
        assert await o.ctx.db.leads.count_documents({}) == 245

        csv_file = await o.client.get(f"/v1/leads/import/{job['id']}/rows", params={"format": "csv"}, headers=reception)
        assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
        assert "filename*=UTF-8''" in csv_file.headers["content-disposition"]
        table = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
        assert table[0] == ["行号", "结果", "客户姓名", "手机号码", "置业顾问", "来源渠道", "登记日期", "说明"]
        assert len(table) == 251 and table[1][:2] == ["2", "已导入"] and table[1][4:7] == ["张三", "来电", "2024-05-01"]
        bad = table[8]
        assert bad[0] == "9" and bad[1] == "无效" and bad[7] == "手机号码「123」无效"
        english = await o.client.get(f"/v1/leads/import/{job['id']}/rows", params={"format": "csv", "lang": "en"},
                                     headers=reception)
        assert english.content.decode("utf-8-sig").startswith("Row,Result,Customer")
        book = await o.client.get(f"/v1/leads/import/{job['id']}/rows", params={"format": "xlsx", "status": "invalid"},
                                  headers=o.manager)
        sheet = load_workbook(io.BytesIO(book.content)).active
        assert [c.value for c in sheet[1]][:2] == ["行号", "结果"] and sheet.max_row == 6
        only_bad = (await o.client.get(f"/v1/leads/import/{job['id']}/rows", params={"status": "invalid"},
                                       headers=o.manager)).json()
        assert [i["row"] for i in only_bad["items"]] == [9, 59, 109, 159, 209]

        listed = (await o.client.get("/v1/leads/import", params={"branch_id": "b1"}, headers=o.manager)).json()
        assert [j["id"] for j in listed["items"]] == [job["id"]]


async def test_jobs_are_scoped_to_the_branch_and_the_uploader(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"}, headers=o.as_("reception", "r1"),
                                files={"file": ("x.csv", f"客户姓名,手机号码\n王五,{new_phone()}\n".encode(), "text/csv")})
        job_id = r.json()["job_id"]
        for path in (f"/v1/leads/import/{job_id}", f"/v1/leads/import/{job_id}/rows"):
            expected = {("manager", "mgr-1", None): 200, ("admin", "a", ("*",)): 200, ("reception", "r1", None): 200,
                        ("reception", "r2", None): 404, ("consultant", "c1", None): 403, ("partner", "p", None): 403,
                        ("integrator", "i", None): 403, ("manager", "m2", ("b2",)): 404, ("reception", "r1", ("b2",)): 404}
            for (role, sub, branches), status in expected.items():
                r = await o.client.get(path, headers=o.as_(role, sub, list(branches) if branches else None))
                assert r.status_code == status, (path, role, sub, branches, r.text)
        assert (await o.client.get("/v1/leads/import/nope", headers=o.manager)).status_code == 404
        lists = {("reception", "r2"): 0, ("reception", "r1"): 1, ("manager", "mgr-1"): 1}
        for (role, sub), n in lists.items():
            r = await o.client.get("/v1/leads/import", params={"branch_id": "b1"}, headers=o.as_(role, sub))
            assert len(r.json()["items"]) == n, (role, sub)
        for role in ("consultant", "partner", "integrator"):
            r = await o.client.get("/v1/leads/import", params={"branch_id": "b1"}, headers=o.as_(role, "x"))
            assert r.status_code == 403
        r = await o.client.get("/v1/leads/import", params={"branch_id": "b1"}, headers=o.as_("manager", "m2", ["b2"]))
        assert r.status_code == 404


async def _stuck_job(o, rows: int):
    """A job as a process that died right after the upload left it: stored, leased, not run."""
    await o.add_staff("张三")
    branch = await load_branch(o.ctx, "b1")
    sheet = sheets.read(big_sheet(rows, bad_every=0), "stuck.csv")
    who = Principal(sub="mgr-1", role="manager", branches=["b1"])
    job, _ = await service.start(o.ctx, branch, sheet, "stuck.csv", "import", who)
    return branch, job


async def test_a_job_whose_process_died_mid_chunk_is_resumed_without_twins(urls):
    async with office(urls) as o:
        branch, job = await _stuck_job(o, 1_200)
        chunks = await o.ctx.db[service.CHUNKS].find({"job_id": job["_id"]}).sort("k", 1).to_list()
        assert [len(c["rows"]) for c in chunks] == [500, 500, 200]
        setting = await service._setting(o.ctx, job, branch)
        await writer.write(o.ctx, job, branch, setting, chunks[0]["rows"][:120])  # died part-way through chunk 0
        assert await o.ctx.db.leads.count_documents({}) == 120
        assert await service.resume(o.ctx, utcnow()) == 0, "the lease still holds"
        assert await service.resume(o.ctx, utcnow() + service.LEASE + timedelta(seconds=1)) == 1
        done = await o.ctx.db[service.JOBS].find_one({"_id": job["_id"]})
        assert (done["state"], done["done"], done["created"], done["duplicates"], done["attempts"]) == ("done", 1_200, 1_200, 0, 2)
        assert await o.ctx.db.leads.count_documents({}) == 1_200
        left = await o.ctx.db[service.CHUNKS].find({"job_id": job["_id"]}).to_list()
        assert all(c["done"] and c["rows"] == [] for c in left), "the upload's full numbers are not kept"

        async def events():
            msgs = await stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.b1.lead.registered")
            return [json.loads(m.data)["data"]["lead_id"] for m in msgs]

        assert await eventually(lambda: _at_least(events, 1_200), timeout=30)
        published = await events()
        assert len(published) == len(set(published)) == 1_200, "every lead's event once, the 120 stored before the crash too"
        assert await eventually(lambda: _none_pending(o.ctx))


async def _at_least(events, n: int) -> bool:
    return len(await events()) >= n


async def _none_pending(ctx) -> bool:
    return await ctx.db[service.CHUNKS].count_documents({"outbox_state": "pending"}) == 0


async def test_a_job_that_keeps_failing_is_marked_failed_and_its_stored_leads_keep_their_events(urls):
    async with office(urls) as o:
        branch, job = await _stuck_job(o, 3)
        [chunk] = await o.ctx.db[service.CHUNKS].find({"job_id": job["_id"]}).to_list()
        setting = await service._setting(o.ctx, job, branch)
        await writer.write(o.ctx, job, branch, setting, chunk["rows"][:2])  # stored, then the job kept failing
        await o.ctx.db[service.JOBS].update_one({"_id": job["_id"]}, {"$set": {"attempts": service.MAX_ATTEMPTS}})
        assert await service.resume(o.ctx, utcnow() + service.LEASE * 2) == 1
        failed = (await o.client.get(f"/v1/leads/import/{job['_id']}", headers=o.manager)).json()
        assert (failed["state"], failed["done"], failed["created"], failed["invalid"]) == ("failed", 3, 2, 1)
        assert failed["finished_at"]
        rows = (await o.client.get(f"/v1/leads/import/{job['_id']}/rows", headers=o.manager)).json()["items"]
        assert [r["status"] for r in rows] == ["created", "created", "invalid"]
        assert rows[2]["error"] == "导入中断，该行未导入，请重新上传"

        async def published():
            msgs = [json.loads(m.data) for m in await stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.b1.>")]
            leads = sorted(m["data"]["lead_id"] for m in msgs if m["type"] == "lead.registered")
            summary = [m["data"] for m in msgs if m["type"] == "lead_import.finished"]
            return (leads, summary) if leads and summary else None

        leads, [summary] = await eventually(published)
        assert leads == sorted(r["lead_id"] for r in rows[:2])
        assert (summary["state"], summary["total"], summary["created"], summary["invalid"]) == ("failed", 3, 2, 1)
