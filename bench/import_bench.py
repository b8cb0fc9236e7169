"""The office's sheet import: 10,000 rows against raw `insert_many` of the same documents, same run.

The leads service runs under uvicorn on a local port (as in production); a manager uploads a
10,000-row XLSX with Chinese headers (客户姓名, 手机号码, 意向等级, 置业顾问 by name, 来源渠道 in
Chinese, 登记日期), 1% duplicates and 1% bad phones. Two figures, in rows per second:

- imported: from the upload until `GET /v1/leads/import/{job_id}` says `done` (every row has its
  outcome, every lead is stored with its `lead.registered` event in its outbox);
- imported and published: until the stream also holds every `lead.registered` event and the
  relay has emptied the leads' outboxes.

Baseline: the lead documents the import stored, inserted again with raw `insert_many` in
batches of the import's chunk size into a fresh collection with the leads collection's
indexes (measured before and after the import; the mean is used). `CRM_BENCH_IMPORT_ROWS`
sets the sheet size.
"""

from __future__ import annotations

import asyncio
import io
import os
import time
from datetime import datetime, timedelta

import httpx
from openpyxl import Workbook

from bench.common import bench_env
from bench.leads_bench import _uvicorn
from crm_leads.imports.service import CHUNK_ROWS
from crm_leads.plugin import LeadsService
from crm_leads.settings import LeadsSettings
from crm_shared.app import create_app
from crm_shared.bus.outbox import OUTBOX_STATE
from crm_shared.http.auth import mint_token

ROWS = int(os.environ.get("CRM_BENCH_IMPORT_ROWS", "10000"))
STAFF = ("张三", "李四", "王芳", "赵敏", "陈晨")
CHANNELS = ("来电", "自然到访", "渠道", "老带新", "网络", "活动")


def sheet(rows: int) -> bytes:
    book = Workbook(write_only=True)
    ws = book.create_sheet()
    ws.append(["客户姓名", "手机号码", "性别", "意向等级", "置业顾问", "来源渠道", "登记日期", "备注"])
    first = datetime(2024, 1, 1, 9, 0)
    for i in range(rows):
        phone = "12345" if i % 100 == 37 else f"137{(i - 1 if i % 100 == 51 else i):08d}"  # 1% bad, 1% repeats
        ws.append([f"客户{i}", phone, "男女"[i % 2], "OABC"[i % 4] + "级", STAFF[i % len(STAFF)], CHANNELS[i % len(CHANNELS)],
                   first + timedelta(hours=i % 4000), "三居室，预算三百万"])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


async def _raw(db, docs: list[dict], name: str) -> float:
    """Raw `insert_many` of `docs` in chunk-sized batches into a fresh copy of the leads collection's indexes."""
    target = db[name]
    for spec in await (await db.leads.list_indexes()).to_list():
        if spec["name"] != "_id_":
            await target.create_index(list(spec["key"].items()), name=spec["name"], unique=spec.get("unique", False))
    started = time.perf_counter()
    for i in range(0, len(docs), CHUNK_ROWS):
        await target.insert_many(docs[i:i + CHUNK_ROWS], ordered=False)
    return len(docs) / (time.perf_counter() - started)


async def run(mongo_url: str, nats_url: str) -> list[dict]:
    content = sheet(ROWS)
    async with bench_env(mongo_url, nats_url, "im", "leads") as (settings, db, js):
        app = create_app([LeadsService(LeadsSettings(timers=False))], settings)
        async with _uvicorn(app) as port:
            admin = {"Authorization": f"Bearer {mint_token(settings, 'bench-admin', 'admin', ['*'])}"}
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=admin, timeout=120) as client:
                (await client.post("/v1/branches", json={"id": "bench", "name": "Bench"})).raise_for_status()
                for name in STAFF:
                    (await client.post("/v1/staff", json={"branch_id": "bench", "name": name, "role": "consultant"})).raise_for_status()
                published_before = (await js.stream_info(settings.stream_name)).state.messages
                client.headers["Authorization"] = f"Bearer {mint_token(settings, 'bench-mgr', 'manager', ['bench'])}"
                started = time.perf_counter()
                r = await client.post("/v1/leads/import", data={"branch_id": "bench"},
                                      files={"file": ("客户登记表.xlsx", content, "application/octet-stream")})
                assert r.status_code == 202, r.text
                job_id = r.json()["job_id"]
                while (job := (await client.get(f"/v1/leads/import/{job_id}")).json())["state"] == "running":
                    await asyncio.sleep(0.05)
                imported = time.perf_counter() - started
                assert job["state"] == "done" and job["done"] == ROWS, job
                while ((await js.stream_info(settings.stream_name)).state.messages < published_before + job["created"] + 1
                       or await db.leads.count_documents({OUTBOX_STATE: "pending"})):
                    await asyncio.sleep(0.05)
                published = time.perf_counter() - started
        docs = await db.leads.find({}).to_list()
        before = await _raw(db, docs, "raw_before")
        after = await _raw(db, docs, "raw_after")
    raw = (before + after) / 2
    print(f"import: {ROWS} rows ({job['created']} created, {job['duplicates']} duplicates, {job['invalid']} invalid) "
          f"in {imported:.1f} s, published in {published:.1f} s; raw insert_many {before:.0f} / {after:.0f} docs/s", flush=True)
    return [
        {"metric": f"{ROWS}-row XLSX imported (upload to job done)", "value": ROWS / imported, "unit": "rows/s",
         "baseline": "raw insert_many of the same lead documents", "baseline_value": raw},
        {"metric": f"{ROWS}-row XLSX imported and every lead.registered published", "value": ROWS / published,
         "unit": "rows/s", "baseline": "raw insert_many of the same lead documents", "baseline_value": raw},
    ]
